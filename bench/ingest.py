"""End-of-day ingest through gRPC into Postgres, and GetCustomer latency under load.

    .venv/bin/python bench/ingest.py [--customers 100000] [--days 20] [--streams 2]
                                     [--latency-seconds 10] [--rate 1000]

Starts a real profile process on a scratch database (the embedded Postgres unless
DATABASE_URL is set), seeds it with `clienttier seed`'s code path, and prints: customers/s,
fact rows/s, the client's and the server's peak memory, then GetCustomer latency percentiles
at a fixed arrival rate (an open loop: calls are started on schedule, not after the previous
one returns). The scratch database is dropped at the end."""

import argparse
import asyncio
import os
import random
import statistics
import time

from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from mesh.channels import open_channel
from ops.bootstrap_db import drop_database
from ops.embedded_pg import database_url
from ops.launcher import Mesh
from ops.seed import peak_rss_mib, seed
from services.profile.demo.generator import BrokerageSpec, customer_id_of


def server_peak_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def latency(address: str, customers: int, rate: float, seconds: float) -> list[float]:
    async with open_channel(address, 5.0) as channel:
        stub = profile_pb2_grpc.ProfileServiceStub(channel)
        ids = customer_id_of(list(range(customers)))
        for cid in ids[:200]:  # warm the connection and the caches
            await stub.GetCustomer(profile_pb2.GetCustomerRequest(customer_id=cid))
        timings: list[float] = []

        async def one(cid: str) -> None:
            started = time.perf_counter()
            await stub.GetCustomer(profile_pb2.GetCustomerRequest(customer_id=cid))
            timings.append(time.perf_counter() - started)

        tasks, start = [], time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(random.choice(ids))))
        await asyncio.gather(*tasks)
        return timings


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
    args = parser.parse_args()

    admin = database_url()
    database = f"ct_bench_{os.getpid()}"
    mesh = Mesh(
        admin_url=admin,
        database=database,
        ports={"profile": 51151},
        env={"CT_LOG_LEVEL": "WARNING"},
    )
    mesh.prepare_database()
    mesh.start("profile")
    try:
        mesh.wait_serving(["profile"])
        spec = BrokerageSpec(customers=args.customers, days=args.days, seed=11)
        report = asyncio.run(
            seed(
                mesh.address("profile"),
                spec,
                batch_rows=args.batch_rows,
                streams=args.streams,
                show_progress=False,
                assessments=False,
            )
        )
        pid = mesh.procs["profile"].pid
        print(
            f"shape: {args.customers:,} customers x {args.days} days, "
            f"{args.streams} streams of {args.batch_rows}-row batches"
        )
        print(
            f"customers: {report.customers_created:,} in {report.customers_seconds:.1f} s = "
            f"{report.customers_created / report.customers_seconds:,.0f}/s"
        )
        print(
            f"facts: {report.fact_rows:,} rows in {report.facts_seconds:.1f} s = "
            f"{report.rows_per_second:,.0f} rows/s ({report.rejected_rows} rejected)"
        )
        print(
            f"peak memory: client {peak_rss_mib():,.0f} MiB, "
            f"profile server {server_peak_mib(pid):,.0f} MiB"
        )
        if args.latency_seconds > 0:
            timings = asyncio.run(
                latency(mesh.address("profile"), args.customers, args.rate, args.latency_seconds)
            )
            ms = [t * 1000 for t in timings]
            print(
                f"GetCustomer at {args.rate:,.0f} calls/s for {args.latency_seconds:.0f} s: "
                f"p50 {statistics.median(ms):.2f} ms, p90 {percentile(ms, 90):.2f} ms, "
                f"p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms"
            )
    finally:
        mesh.stop_all()
        asyncio.run(drop_database(admin, database))


if __name__ == "__main__":
    main()
