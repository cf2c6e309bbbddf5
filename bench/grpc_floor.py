"""The yardstick for GetCustomer: a gRPC aio server that does nothing, at the same call rate.

    .venv/bin/python bench/grpc_floor.py [--rate 1000] [--seconds 6]

A server process with one unary method that answers 200 bytes at once (no interceptors, no
database), called on schedule over one connection by this process as `bench/ingest.py` calls
GetCustomer (an open loop). Prints the server's CPU per call and the latency percentiles:
what gRPC aio itself costs on this machine, to set `bench/ingest.py`'s CPU per call against."""

import argparse
import asyncio
import os
import subprocess
import sys
import time

import grpc

from bench.ingest import percentile

METHOD = "/bench.Floor/Answer"


async def _answer(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return b"x" * 200


async def serve() -> None:
    """Listens on a free port, prints it, and on a line from stdin prints its CPU seconds
    since it started listening."""
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
    started = os.times()
    print(port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    now = os.times()
    print(now.user + now.system - started.user - started.system, flush=True)
    await server.stop(None)


async def call(port: int, rate: int, seconds: float) -> list[float]:
    """Latencies (ms) of rate x seconds calls started on schedule."""
    latencies: list[float] = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        answer = channel.unary_unary(METHOD)
        await answer(b"")

        async def one() -> None:
            started = time.perf_counter()
            await answer(b"q")
            latencies.append((time.perf_counter() - started) * 1000)

        calls = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            wait = start + i / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            calls.append(asyncio.create_task(one()))
        await asyncio.gather(*calls)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    port = int(server.stdout.readline())
    latencies = asyncio.run(call(port, args.rate, args.seconds))
    server.stdin.write("\n")
    server.stdin.flush()
    cpu = float(server.stdout.readline())
    server.wait()
    print(
        f"empty gRPC aio call at {args.rate:,} calls/s for {args.seconds:g} s:"
        f" server CPU per call {cpu / len(latencies) * 1e6:.0f} µs,"
        f" p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms"
    )


if __name__ == "__main__":
    main()
