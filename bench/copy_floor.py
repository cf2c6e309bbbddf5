"""The yardstick for ingest: COPY alone, straight into profile.daily_facts.

    .venv/bin/python bench/copy_floor.py [--customers 100000] [--days 12] [--connections 2]

Binary COPY of 2,000-row batches through the ingest path's own COPY
(`FactsRepository.insert_new_days`), each in its own transaction with asynchronous commit as
ingest commits them, on a scratch database (the embedded Postgres unless DATABASE_URL is
set) with profile's schema: the same partitions and primary key. No gRPC, no validation, no
totals, no events. Prints rows/s: what `bench/ingest.py`'s rows/s is measured against, on
the same machine at the same time. The data is made before timing starts."""

import argparse
import asyncio

import asyncpg
import numpy as np

from bench.measure import CpuMeter
from ops.dsn import service_url
from ops.embedded_pg import database_url
from ops.launcher import scratch_mesh
from services.profile.adapters.facts_repository import FactsRepository
from services.profile.demo.generator import customer_id_of
from services.profile.domain.facts import VALUE_COLUMNS, FactsBatch

BATCH_ROWS = 2000
FIRST_DAY = 20_458  # 2026-01-05, in days since 1970-01-01 as FactsBatch keeps them


def batches(customers: int, days: int, connection: int, connections: int) -> list[FactsBatch]:
    """This connection's share: every connections-th batch of customers, day after day."""
    rng = np.random.default_rng(connection)
    ids = customer_id_of(np.arange(customers))
    made = []
    for day in range(days):
        for start in range(connection * BATCH_ROWS, customers, connections * BATCH_ROWS):
            rows = ids[start : start + BATCH_ROWS]
            made.append(
                FactsBatch(
                    rows=np.arange(len(rows)),
                    customer_id=rows,
                    day=np.full(len(rows), FIRST_DAY + day, dtype=np.int32),
                    values={c: rng.integers(0, 10**6, len(rows)) for c in VALUE_COLUMNS},
                )
            )
    return made


async def copy_all(conn: asyncpg.Connection, work: list[FactsBatch]) -> int:
    """Each batch through the ingest path's own COPY (FactsRepository.insert_new_days)."""
    for batch in work:
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await FactsRepository(conn).insert_new_days(batch)
    return sum(len(batch) for batch in work)


async def measure(url: str, work: list[list[FactsBatch]]) -> tuple[int, CpuMeter]:
    # Connected before the meter starts, so that it counts their backends' CPU.
    conns = [await asyncpg.connect(url) for _ in work]
    try:
        with CpuMeter([]) as cpu:
            rows = await asyncio.gather(*map(copy_all, conns, work))
    finally:
        for conn in conns:
            await conn.close()
    return sum(rows), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=12)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()

    admin = database_url()
    with scratch_mesh(admin, "bench_copy", ports={}) as mesh:
        work = [
            batches(args.customers, args.days, c, args.connections) for c in range(args.connections)
        ]
        url = service_url(admin, "profile", mesh.database).replace(
            "postgresql+asyncpg", "postgresql"
        )
        rows, cpu = asyncio.run(measure(url, work))
        print(
            f"COPY alone: {rows:,} rows in {cpu.seconds:.1f} s = {rows / cpu.seconds:,.0f} rows/s "
            f"({args.connections} connections, {BATCH_ROWS}-row batches)"
        )
        print(f"CPU per row: {cpu.per_row(rows)}; machine busy {cpu.busy():.0%}")


if __name__ == "__main__":
    main()
