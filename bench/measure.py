"""What the benches measure with: CPU seconds of processes from /proc (the profile servers,
Postgres's processes split into backends and helpers, this client), an open loop of calls
started on schedule, and percentiles."""

import asyncio
import collections
import gc
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import grpc


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


@contextmanager
def server_process(script: str, *args: str) -> Iterator[tuple[int, int]]:
    """`python script *args` as a server that prints the port it listens on, then serves until
    terminated: (its pid, its port) while the block runs; terminated on the way out."""
    server = subprocess.Popen([sys.executable, script, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.pid, int(server.stdout.readline())
    finally:
        server.terminate()
        server.wait()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
