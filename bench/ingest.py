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
import collections
import gc
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable

import grpc

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


async def open_loop(
    call: Callable[[int], Awaitable[object]], rate: float, seconds: float
) -> tuple[list[float], collections.Counter[str]]:
    """Start call(0), call(1), ... on schedule, `rate` a second for `seconds` (an open loop:
    not after the previous one returns). The seconds each call took, and the failed calls
    counted by status."""
    timings: list[float] = []
    failures: collections.Counter[str] = collections.Counter()

    async def timed(n: int) -> None:
        started = time.perf_counter()
        try:
            await call(n)
        except grpc.aio.AioRpcError as error:
            failures[error.code().name] += 1
            return
        timings.append(time.perf_counter() - started)

    # What exists by now (a brokerage, its protobufs) stays put: keep the collector off it, or
    # a full collection stalls this client for tens of milliseconds mid-measurement.
    gc.collect()
    gc.freeze()
    tasks, start = [], time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(n)))
    await asyncio.gather(*tasks)
    return timings, failures


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


def cpu_seconds(pid: int | str) -> float:
    """User and system CPU a process (all its threads) has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


POSTGRES_HELPERS = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum",
    "logical replication",
)


def postgres_pids() -> dict[str, str]:
    """Postgres's processes on this machine (they name themselves "postgres: ..."), each with
    its part: one of its helper processes by name, or "backends" for the clients'."""
    pids = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read()
        except OSError:
            continue
        if title.startswith(b"postgres: "):
            # "postgres: [cluster: ]walwriter", or "... user database host(port) state"
            name = title.decode(errors="replace").split(": ")[-1]
            helper = next((h for h in POSTGRES_HELPERS if name.startswith(h)), None)
            pids[pid] = helper or "backends"
    return pids


class CpuMeter:
    """CPU used by the profile servers, Postgres and this client between start and stop: what
    a call or a fact row costs each of them, which tells how close the machine is to full.
    Postgres's share is also split into its parts (backends, WAL writer, checkpointer...)."""

    def __init__(self, server_pids: list[int]) -> None:
        self.server_pids = server_pids

    def _read(self) -> tuple[dict[str, float], dict[str, float]]:
        """CPU so far of the three, and of Postgres's parts (backends come and go)."""
        postgres: dict[str, float] = {}
        for pid, part in postgres_pids().items():
            postgres[part] = postgres.get(part, 0.0) + _cpu_or_nothing(pid)
        whole = {"profile": sum(map(_cpu_or_nothing, self.server_pids))} if self.server_pids else {}
        whole |= {"Postgres": sum(postgres.values()), "client": _cpu_or_nothing("self")}
        return whole, postgres

    def __enter__(self) -> "CpuMeter":
        self._start = self._read()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._started
        (whole, parts), (whole0, parts0) = self._read(), self._start
        self.used = {name: whole[name] - whole0[name] for name in whole}
        self.postgres_parts = {name: parts[name] - parts0.get(name, 0.0) for name in parts}

    def _shown(self, per: float, unit: str, digits: int) -> str:
        parts = ", ".join(
            f"{name} {used / per:.{digits}f}"
            for name, used in sorted(self.postgres_parts.items(), key=lambda kv: -kv[1])
            if round(used / per, digits) > 0
        )
        return ", ".join(
            f"{name} {used / per:.{digits}f} {unit}" + (f" ({parts})" if name == "Postgres" else "")
            for name, used in self.used.items()
        )

    def per_call(self, calls: int) -> str:
        return self._shown(calls / 1e3, "ms", 2)

    def per_row(self, rows: int) -> str:
        return self._shown(rows / 1e6, "µs", 1)

    def busy(self) -> float:
        """How much of the machine's CPU the three used together."""
        return sum(self.used.values()) / self.seconds / (os.cpu_count() or 1)


def _cpu_or_nothing(pid: int | str) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # ended meanwhile
        return 0.0


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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


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
