"""End-of-day ingest through gRPC into Postgres, and GetCustomer latency under load.

    .venv/bin/python bench/ingest.py [--customers 100000] [--days 20] [--streams 2]
                                     [--latency-seconds 10] [--rate 1000]

Starts a real profile process on a scratch database (the embedded Postgres unless
DATABASE_URL is set), seeds it with `clienttier seed`'s code path, and prints: customers/s,
fact rows/s (until every stream has replied, i.e. with the quarter totals rolled up), the
client's and the server's peak memory and their resident memory through the load, and what
a fact row costs in CPU: in the profile servers, in Postgres (every postgres process on the
machine) and in this client. Then, after vacuuming and checkpointing what the load wrote,
GetCustomer latency percentiles at a fixed arrival rate (an open loop: calls are started on
schedule, not after the previous one returns) and what a call costs in CPU. The scratch
database is dropped at the end."""

import argparse
import asyncio
import random
import statistics
import sys
import threading
import time

from bench.measure import CpuMeter, open_loop, percentile
from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from mesh.channels import open_channel
from ops.bootstrap_db import connect
from ops.embedded_pg import database_url
from ops.launcher import free_port, scratch_mesh
from ops.seed import peak_rss_mib, seed
from services.profile.demo.generator import BrokerageSpec, customer_id_of

WARM_UP_CALLS = 400


def memory_mib(pid: int | str, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class MemoryTrail:
    """Resident memory of the client and the server every few seconds while facts load: the
    evidence that memory does not grow with the number of days."""

    def __init__(self, server_pid: int, every: float = 2.0) -> None:
        self.server_pid = server_pid
        self.every = every
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "MemoryTrail":
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(
                (
                    time.perf_counter() - self._started,
                    memory_mib("self", "VmRSS"),
                    memory_mib(self.server_pid, "VmRSS"),
                )
            )

    def summary(self, points: int = 10) -> str:
        step = max(1, len(self.samples) // points)
        return "\n".join(
            f"  {t:6.0f} s   client {c:6.0f} MiB   profile server {s:6.0f} MiB"
            for t, c, s in self.samples[::step]
        )


async def latency(
    address: str, customers: int, rate: float, seconds: float, channels: int
) -> list[float]:
    """Calls go round the channels (a connection each, so across server processes)."""
    opened = [open_channel(address, 5.0) for _ in range(channels)]
    stubs = [profile_pb2_grpc.ProfileServiceStub(c) for c in opened]
    try:
        ids = customer_id_of(list(range(customers)))
        for n, cid in enumerate(ids[:WARM_UP_CALLS]):  # warm the connections and the caches
            await stubs[n % channels].GetCustomer(profile_pb2.GetCustomerRequest(customer_id=cid))
        timings, failures = await open_loop(
            lambda n: stubs[n % channels].GetCustomer(
                profile_pb2.GetCustomerRequest(customer_id=random.choice(ids))
            ),
            rate,
            seconds,
        )
        if failures:
            print(f"failed calls: {dict(failures)}")
        return timings
    finally:
        for channel in opened:
            await channel.close()


async def settle(admin: str, database: str) -> None:
    """End the load as a nightly batch window ends: vacuum and analyze what it wrote, and
    checkpoint, so the latency that follows measures serving, not the load's aftermath (an
    autovacuum of the load's dead queue rows took 40% of a core under the calls)."""
    conn = await connect(admin, database)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--streams", type=int, default=2)
    parser.add_argument("--batch-rows", type=int, default=2000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument(
        "--server-processes", type=int, default=1, help="profile processes sharing the port"
    )
    parser.add_argument("--channels", type=int, default=1, help="client connections for latency")
    args = parser.parse_args()

    admin = database_url()
    with scratch_mesh(
        admin,
        "bench_ingest",
        ports={"profile": free_port()},
        env={"CT_LOG_LEVEL": "WARNING"},
        copies={"profile": args.server_processes},
    ) as mesh:
        mesh.start("profile")
        mesh.wait_serving(["profile"])
        spec = BrokerageSpec(customers=args.customers, days=args.days, seed=11)
        pid = mesh.procs["profile"].pid  # the first process, when there are several
        servers = [proc.pid for proc in mesh.procs.values()]
        facts_cpu = CpuMeter(servers)
        with MemoryTrail(pid) as trail:
            report = asyncio.run(
                seed(
                    mesh.address("profile"),
                    spec,
                    batch_rows=args.batch_rows,
                    streams=args.streams,
                    show_progress=sys.stderr.isatty(),
                    assessments=False,
                    facts_phase=facts_cpu,
                )
            )
        print(
            f"shape: {args.customers:,} customers x {args.days} days, "
            f"{args.streams} streams of {args.batch_rows}-row batches, "
            f"{args.server_processes} profile process(es)"
        )
        print(
            f"customers: {report.customers_created:,} in {report.customers_seconds:.1f} s = "
            f"{report.customers_created / report.customers_seconds:,.0f}/s"
        )
        print(
            f"facts: {report.fact_rows:,} rows in {report.facts_seconds:.1f} s = "
            f"{report.rows_per_second:,.0f} rows/s ({report.rejected_rows} rejected); the "
            f"streams had handed their last batch to gRPC at {report.facts_sent_seconds:.1f} s "
            f"({report.rows_per_second_sent:,.0f} rows/s), the rest is the "
            "batches in flight and the roll-up of queued days into the quarter totals"
        )
        print(
            f"CPU per fact row: {facts_cpu.per_row(report.fact_rows)}; machine busy "
            f"{facts_cpu.busy():.0%}"
        )
        print(
            f"peak memory: client {peak_rss_mib():,.0f} MiB, "
            f"profile server {memory_mib(pid, 'VmHWM'):,.0f} MiB"
        )
        print(f"resident memory while loading (customers, then facts):\n{trail.summary()}")
        if args.latency_seconds > 0:
            asyncio.run(settle(admin, mesh.database))
            with CpuMeter(servers) as cpu:
                timings = asyncio.run(
                    latency(
                        mesh.address("profile"),
                        args.customers,
                        args.rate,
                        args.latency_seconds,
                        args.channels,
                    )
                )
            ms = [t * 1000 for t in timings]
            print(
                f"GetCustomer at {args.rate:,.0f} calls/s for {args.latency_seconds:.0f} s "
                f"over {args.channels} connection(s): "
                f"p50 {statistics.median(ms):.2f} ms, p90 {percentile(ms, 90):.2f} ms, "
                f"p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms"
            )
            calls = len(timings) + WARM_UP_CALLS
            print(f"CPU per call: {cpu.per_call(calls)}; machine busy {cpu.busy():.0%}")


if __name__ == "__main__":
    main()
