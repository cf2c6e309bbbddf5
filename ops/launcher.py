"""Run the whole mesh on this machine: `make run` (python -m ops.launcher).

Prepares the database (embedded Postgres unless DATABASE_URL is set), migrates every schema as
its own role, starts the five processes, waits until each reports SERVING, loads the demo
brokerage once, and stops everything cleanly on Ctrl-C. The Mesh class is also what the
end-to-end tests use to start, stop and kill processes."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from mesh.migrations import upgrade
from ops.bootstrap_db import bootstrap, drop_database
from ops.dsn import DEFAULT_DATABASE, SERVICES_WITH_DB, service_url

ROOT = Path(__file__).resolve().parent.parent

# name -> (module to run, default port)
PROCESSES = {
    "profile": ("services.profile", 50051),
    "grading": ("services.grading", 50052),
    "recommend": ("services.recommend", 50053),
    "alerts": ("services.alerts", 50054),
    "gateway": ("gateway", 50050),
}


def free_port() -> int:
    """A port nothing listens on now (for benches and tests that must not collide)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mesh:
    admin_url: str
    database: str = DEFAULT_DATABASE
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: {n: p for n, (_, p) in PROCESSES.items()})
    log_dir: Path = ROOT / ".run" / "logs"
    env: dict[str, str] = field(default_factory=dict)
    # Processes per service (default one). Copies share the port, one per core: a Python
    # process uses one, and the kernel spreads callers' connections across the copies.
    copies: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def address(self, name: str) -> str:
        """name: a service, or one of its copies ("profile#2")."""
        return f"{self.host}:{self.ports[name.split('#')[0]]}"

    def prepare_database(self) -> None:
        asyncio.run(bootstrap(self.admin_url, self.database))
        for service in SERVICES_WITH_DB:
            upgrade(service, service_url(self.admin_url, service, self.database))

    def process_env(self, name: str) -> dict[str, str]:
        env = os.environ | {
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'gen'}",
            "PYTHONUNBUFFERED": "1",
            "CT_HOST": self.host,
            "CT_PORT": str(self.ports[name]),
        }
        for peer in self.ports:
            if peer != "gateway":
                env[f"CT_PEERS__{peer.upper()}"] = self.address(peer)
        if name in SERVICES_WITH_DB:
            env["CT_DB__URL"] = service_url(self.admin_url, name, self.database)
        return env | self.env

    def start(self, name: str) -> None:
        module = PROCESSES[name][0]
        copies = self.copies.get(name, 1)
        env = self.process_env(name) | ({"CT_SHARE_PORT": "true"} if copies > 1 else {})
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for copy in range(1, copies + 1):
            key = name if copy == 1 else f"{name}#{copy}"
            with open(self.log_dir / f"{key}.log", "ab") as log:
                self.procs[key] = subprocess.Popen(
                    [sys.executable, "-m", module],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    # Own process group: a Ctrl-C reaches the launcher, which stops them in order.
                    start_new_session=True,
                )

    def start_all(self) -> None:
        for name in PROCESSES:
            self.start(name)

    def stop(self, name: str, timeout: float = 20.0) -> int | None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def stop_all(self) -> None:
        # The gateway first, so nothing new arrives while the services drain.
        for name in reversed(list(self.procs)):
            self.stop(name)

    def serving(self, name: str) -> bool:
        with grpc.insecure_channel(self.address(name)) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1.0
                )
            except grpc.RpcError:
                return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    def wait_serving(self, names: list[str] | None = None, timeout: float = 60.0) -> None:
        pending = list(names or self.procs)
        deadline = time.monotonic() + timeout
        while pending:
            for name in list(pending):
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {proc.returncode}; see {self.log_dir / name}.log"
                    )
                if self.serving(name):
                    pending.remove(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not SERVING after {timeout}s: {', '.join(pending)}")
            time.sleep(0.1)

    def exited(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]


@contextmanager
def scratch_mesh(admin_url: str, purpose: str, **options: Any) -> Iterator[Mesh]:
    """A Mesh (`options`: its fields) on a migrated database of its own, named after `purpose`
    and this process; on the way out its processes are stopped and the database dropped.
    What a bench runs on."""
    mesh = Mesh(admin_url=admin_url, database=f"ct_{purpose}_{os.getpid()}", **options)
    try:
        mesh.prepare_database()
        yield mesh
    finally:
        mesh.stop_all()
        asyncio.run(drop_database(admin_url, mesh.database))


def _banner(mesh: Mesh) -> str:
    gw = mesh.address("gateway")
    lines = ["", "ClientTier is running:"]
    lines += [f"  {name:<10} {mesh.address(name)}" for name in PROCESSES]
    lines += [
        f"  logs       {mesh.log_dir}/<name>.log",
        "",
        "Call the gateway (server reflection, no proto files needed):",
        "  .tools/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge \\",
        '    -d \'{"customer_id": "C00000001"}\' \\',
        f"    http://{gw}/clienttier.gateway.v1.GatewayService/GetCustomerOverview",
        "or with the Python stubs:",
        f"  .venv/bin/python -m ops.call {gw} \\",
        "    clienttier.gateway.v1.GatewayService/GetCustomerOverview \\",
        '    \'{"customer_id": "C00000001"}\'',
        "",
        "Ctrl-C stops all five.",
    ]
    return "\n".join(lines)


def main() -> None:
    from ops.demo import load_demo_once
    from ops.embedded_pg import database_url

    url = database_url()
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded Postgres (.data/pg)"
    print(f"database: {where}", flush=True)
    mesh = Mesh(admin_url=url)
    mesh.prepare_database()
    print("schemas migrated; starting profile, grading, recommend, alerts, gateway", flush=True)
    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        mesh.start_all()
        mesh.wait_serving()
        load_demo_once(mesh.address("profile"))
        print(_banner(mesh), flush=True)
        while not stop:
            if dead := mesh.exited():
                print(f"stopped unexpectedly: {', '.join(dead)} (see its log)", flush=True)
                break
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        mesh.stop_all()
        print("all five stopped", flush=True)


if __name__ == "__main__":
    main()
