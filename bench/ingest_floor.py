"""The ceiling of ingest through gRPC: a stream of batches checked and COPYed, nothing else.

    .venv/bin/python bench/ingest_floor.py [--customers 100000] [--days 12] [--streams 2]

A server process whose IngestDailyFacts does only what every design of the service must do
per batch: decode it, check it (`check_batch`), and COPY its days in a transaction of their
own with asynchronous commit (`FactsRepository.insert_new_days`), over a connection per
stream. No quarter totals, no queue, no events, no interceptors, no known-customer memo (the
scratch database has no customers; daily_facts does not refer to them). The client is
`clienttier seed`'s own stream of batches (`ops.seed.fact_batches`), as `bench/ingest.py`
sends it. Prints rows/s and CPU per row: what the service could reach if keeping the totals
cost nothing, to set `bench/ingest.py` and `bench/copy_floor.py` against."""

import argparse
import asyncio
import time

import asyncpg
import grpc
from tqdm import tqdm

from bench.measure import CpuMeter, server_process
from clienttier.profile.v1 import facts_pb2, facts_pb2_grpc
from mesh.channels import open_channel
from ops.dsn import service_url
from ops.embedded_pg import database_url
from ops.launcher import scratch_mesh
from ops.seed import fact_batches, interleaved
from services.profile.adapters.facts_repository import FactsRepository
from services.profile.demo.generator import BrokerageSpec
from services.profile.domain.facts import VALUE_COLUMNS, check_batch


class CheckAndCopy(facts_pb2_grpc.FactsServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def IngestDailyFacts(self, request_iterator, context):  # type: ignore[no-untyped-def]
        accepted, batches = 0, 0
        async with self.pool.acquire() as conn:
            async for request in request_iterator:
                rows = request.rows
                batch, _ = check_batch(
                    list(rows.customer_id),
                    list(rows.day),
                    {c: getattr(rows, c) for c in VALUE_COLUMNS},
                )
                async with conn.transaction():
                    await conn.execute("SET LOCAL synchronous_commit = off")
                    await FactsRepository(conn).insert_new_days(batch)
                accepted, batches = accepted + len(batch), batches + 1
        return facts_pb2.IngestDailyFactsResponse(accepted_rows=accepted, batches=batches)


async def serve(url: str, streams: int) -> None:
    """Listens on a free port, prints it, and serves until terminated."""
    pool = await asyncpg.create_pool(url, min_size=streams, max_size=streams)
    server = grpc.aio.server()
    facts_pb2_grpc.add_FactsServiceServicer_to_server(CheckAndCopy(pool), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


async def send(address: str, spec: BrokerageSpec, streams: int, batch_rows: int) -> int:
    progress = tqdm(disable=True)

    async def stream(s: int) -> int:
        batches = interleaved(fact_batches(spec, s, streams, batch_rows, progress))
        async with open_channel(address, 30.0) as channel:
            stub = facts_pb2_grpc.FactsServiceStub(channel)
            return (await stub.IngestDailyFacts(batches, timeout=None)).accepted_rows

    return sum(await asyncio.gather(*(stream(s) for s in range(streams))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=12)
    parser.add_argument("--streams", type=int, default=2)
    parser.add_argument("--batch-rows", type=int, default=2000)
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.streams))
        return

    admin = database_url()
    with scratch_mesh(admin, "bench_floor", ports={}) as mesh:
        url = service_url(admin, "profile", mesh.database).replace(
            "postgresql+asyncpg", "postgresql"
        )
        serving = server_process(__file__, "--serve", url, "--streams", str(args.streams))
        with serving as (pid, port):
            spec = BrokerageSpec(customers=args.customers, days=args.days, seed=11)
            with CpuMeter([pid]) as cpu:
                started = time.perf_counter()
                rows = asyncio.run(send(f"127.0.0.1:{port}", spec, args.streams, args.batch_rows))
                seconds = time.perf_counter() - started
    print(
        f"checked and COPYed through gRPC, nothing else: {rows:,} rows in {seconds:.1f} s = "
        f"{rows / seconds:,.0f} rows/s ({args.streams} streams of {args.batch_rows}-row batches)"
    )
    print(f"CPU per row: {cpu.per_row(rows)}; machine busy {cpu.busy():.0%}")


if __name__ == "__main__":
    main()
