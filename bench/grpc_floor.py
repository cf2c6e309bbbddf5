"""The yardstick for GetCustomer: a gRPC aio server that does nothing, at the same call rate.

    .venv/bin/python bench/grpc_floor.py [--rate 1000] [--seconds 6]

A server process with one unary method that answers 200 bytes at once (no interceptors, no
database), called on schedule over one connection by this process as `bench/ingest.py` calls
GetCustomer (an open loop). Prints the server's CPU per call and the latency percentiles:
what gRPC aio itself costs on this machine, to set `bench/ingest.py`'s CPU per call against."""

import argparse
import asyncio

import grpc

from bench.measure import cpu_seconds, open_loop, percentile, server_process

METHOD = "/bench.Floor/Answer"


async def _answer(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return b"x" * 200


async def serve() -> None:
    """Listens on a free port, prints it, and serves until terminated."""
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "bench.Floor", {"Answer": grpc.unary_unary_rpc_method_handler(_answer)}
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


async def call(port: int, rate: int, seconds: float, server_pid: int) -> tuple[list[float], float]:
    """Latencies (ms) of rate x seconds calls started on schedule, and the server's CPU
    seconds meanwhile."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        answer = channel.unary_unary(METHOD)
        await answer(b"")
        cpu_before = cpu_seconds(server_pid)
        timings, failures = await open_loop(lambda n: answer(b"q"), rate, seconds)
        cpu = cpu_seconds(server_pid) - cpu_before
    if failures:
        print(f"failed calls: {dict(failures)}")
    return [t * 1000 for t in timings], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return
    with server_process(__file__, "--serve") as (pid, port):
        ms, cpu = asyncio.run(call(port, args.rate, args.seconds, pid))
    print(
        f"empty gRPC aio call at {args.rate:,} calls/s for {args.seconds:g} s:"
        f" server CPU per call {cpu / len(ms) * 1e6:.0f} µs,"
        f" p50 {percentile(ms, 50):.2f} ms, p99 {percentile(ms, 99):.2f} ms"
    )


if __name__ == "__main__":
    main()
