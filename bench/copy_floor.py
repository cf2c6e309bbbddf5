"""The yardstick for ingest: COPY alone, straight into profile.daily_facts.

    .venv/bin/python bench/copy_floor.py [--customers 100000] [--days 12] [--connections 2]

Binary COPY of 2,000-row batches (the ingest path's encoder, `mesh/pgcopy.py`), each in its
own transaction with asynchronous commit, as the ingest path commits them, on a scratch
database (the embedded Postgres unless DATABASE_URL is set) with profile's schema: the same
partitions and primary key. No gRPC, no validation, no totals, no events. Prints rows/s:
what `bench/ingest.py`'s rows/s is measured against, on the same machine at the same time.
The data is made before timing starts."""

import argparse
import asyncio
import os
import time

import asyncpg
import numpy as np

from mesh import pgcopy
from ops.bootstrap_db import drop_database
from ops.dsn import service_url
from ops.embedded_pg import database_url
from ops.launcher import Mesh
from services.profile.adapters.facts_repository import DAY_TYPES
from services.profile.demo.generator import customer_id_of
from services.profile.domain.facts import VALUE_COLUMNS

BATCH_ROWS = 2000
FIRST_DAY = np.datetime64("2026-01-05", "D")

Batch = list[tuple[str, str, np.ndarray]]


def batches(customers: int, days: int, connection: int, connections: int) -> list[Batch]:
    """This connection's share: every connections-th batch of customers, day after day."""
    rng = np.random.default_rng(connection)
    ids = customer_id_of(np.arange(customers)).astype("S")
    made = []
    for day in range(days):
        for start in range(connection * BATCH_ROWS, customers, connections * BATCH_ROWS):
            rows = ids[start : start + BATCH_ROWS]
            columns = [("customer_id", "text", rows)]
            columns.append(("day", "date", np.full(len(rows), FIRST_DAY + day)))
            for name in VALUE_COLUMNS:  # pgcopy writes each at its column's width
                values = rng.integers(0, 10**6, len(rows))
                columns.append((name, DAY_TYPES.get(name, "int8"), values))
            made.append(columns)
    return made


async def copy_all(url: str, work: list[Batch]) -> int:
    conn = await asyncpg.connect(url)
    try:
        for columns in work:
            async with conn.transaction():
                await conn.execute("SET LOCAL synchronous_commit = off")
                await conn.copy_to_table(
                    "daily_facts",
                    schema_name="profile",
                    columns=[name for name, _, _ in columns],
                    source=pgcopy.stream(pgcopy.encode_blocks(columns)),
                    format="binary",
                )
        return sum(len(columns[0][2]) for columns in work)
    finally:
        await conn.close()


async def measure(url: str, work: list[list[Batch]]) -> tuple[int, float]:
    started = time.perf_counter()
    rows = await asyncio.gather(*(copy_all(url, share) for share in work))
    return sum(rows), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=12)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()

    admin = database_url()
    database = f"ct_bench_{os.getpid()}"
    mesh = Mesh(admin_url=admin, database=database, ports={})
    mesh.prepare_database()
    try:
        work = [
            batches(args.customers, args.days, c, args.connections) for c in range(args.connections)
        ]
        url = service_url(admin, "profile", database).replace("postgresql+asyncpg", "postgresql")
        rows, seconds = asyncio.run(measure(url, work))
        print(
            f"COPY alone: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
            f"({args.connections} connections, {BATCH_ROWS}-row batches)"
        )
    finally:
        asyncio.run(drop_database(admin, database))


if __name__ == "__main__":
    main()
