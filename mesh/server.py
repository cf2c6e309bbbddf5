"""Starting and stopping a service process the same way for all five.

Health starts NOT_SERVING and turns SERVING only once the service's readiness check passes
(its database answers and its migrations are current); it is re-checked periodically and goes
NOT_SERVING again when the check fails or the process is asked to stop. On SIGTERM or SIGINT
the server stops taking calls and lets in-flight ones finish for `grace_seconds`."""

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from mesh.logs import configure_logging
from mesh.settings import ServiceSettings
from mesh.telemetry import setup_tracing, shutdown_tracing

log = logging.getLogger(__name__)

# Health name that stays SERVING while the process runs (Kubernetes liveness), unlike the
# overall status, which follows the database (readiness).
LIVENESS = "liveness"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass
class Runtime:
    """What a service's wiring gets: its settings and the event set when stopping begins
    (long-lived streams end on it so the drain does not wait for them)."""

    name: str
    settings: ServiceSettings
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class ServiceApp:
    # Adds the servicers; returns their full service names (for health and reflection).
    register: Callable[[grpc.aio.Server], Sequence[str]]
    ready: Callable[[], Awaitable[bool]]
    # Started once the service is first ready; cancelled at stop (e.g. event consumers).
    background: Sequence[Callable[[], Awaitable[None]]] = ()
    on_start: Callable[[], Awaitable[None]] | None = None
    on_stop: Callable[[], Awaitable[None]] | None = None


class AccessLog(grpc.aio.ServerInterceptor):
    """One JSON log line per unary call (method, status, milliseconds), inside the call's span
    so it carries the trace id. Health checks are left out: probes call them constantly."""

    async def intercept_service(self, continuation, details):  # type: ignore[no-untyped-def]
        handler = await continuation(details)
        method = details.method
        if handler is None or handler.unary_unary is None or method.startswith("/grpc.health"):
            return handler
        inner = handler.unary_unary

        async def logged(request, context):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            code = "OK"
            try:
                return await inner(request, context)
            except BaseException:
                code = context.code().name if context.code() else "UNKNOWN"
                raise
            finally:
                ms = round((time.perf_counter() - started) * 1000, 2)
                log.info("rpc", extra={"fields": {"method": method, "code": code, "ms": ms}})

        return grpc.unary_unary_rpc_method_handler(
            logged,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def init_process(name: str) -> ServiceSettings:
    """Settings, logs and tracing: the first thing every process does."""
    settings = ServiceSettings()
    configure_logging(name, settings.log_level)
    setup_tracing(name, settings.telemetry.exporter, settings.telemetry.sample_ratio)
    return settings


async def serve(
    runtime: Runtime, build: Callable[[Runtime], Awaitable[ServiceApp]], default_port: int
) -> None:
    settings = runtime.settings
    app = await build(runtime)
    server = grpc.aio.server(
        interceptors=[AccessLog()], options=[("grpc.so_reuseport", int(settings.share_port))]
    )
    names = list(app.register(server))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *names):
        await health_servicer.set(name, NOT_SERVING)
    await health_servicer.set(LIVENESS, SERVING)
    reflection.enable_server_reflection(
        (
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    port = settings.port or default_port
    address = f"{settings.host}:{port}"
    if server.add_insecure_port(address) == 0:
        raise RuntimeError(f"cannot listen on {address}")
    if app.on_start is not None:
        await app.on_start()
    await server.start()
    # Everything built so far lives as long as the process: keep the collector off it. Every
    # gRPC aio call leaves a reference cycle behind (grpc's _find_method_handler closure, about
    # five objects), so garbage reaches the collector at the call rate: keep the young
    # generation small, and each pause short (~1 ms). At 50,000 a pause took 55-70 ms and set
    # the p99 of GetCustomer at 1,000 calls/s (bench/ingest.py).
    gc.freeze()
    gc.set_threshold(1_000, 10, 100)
    log.info("listening", extra={"fields": {"address": address, "services": names}})

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stopping.set)

    watcher = asyncio.create_task(
        _watch_health(runtime, app, health_servicer, ("", *names)), name="health"
    )
    await runtime.stopping.wait()

    log.info(
        "stopping: draining in-flight calls", extra={"fields": {"grace": settings.grace_seconds}}
    )
    await health_servicer.enter_graceful_shutdown()
    watcher.cancel()
    await server.stop(settings.grace_seconds)
    await asyncio.gather(watcher, return_exceptions=True)
    if app.on_stop is not None:
        await app.on_stop()
    log.info("stopped")
    shutdown_tracing()


async def _watch_health(
    runtime: Runtime,
    app: ServiceApp,
    health_servicer: health.aio.HealthServicer,
    names: Sequence[str],
) -> None:
    background: list[asyncio.Task] = []
    status = NOT_SERVING
    delay = 0.2
    try:
        while not runtime.stopping.is_set():
            try:
                ready = await app.ready()
            except Exception:
                log.warning("readiness check failed", exc_info=True)
                ready = False
            new_status = SERVING if ready else NOT_SERVING
            if new_status != status:
                status = new_status
                for name in names:
                    await health_servicer.set(name, status)
                log.info("health", extra={"fields": {"serving": ready}})
            if ready and not background:
                background = [asyncio.create_task(job()) for job in app.background]
            # Poll fast while starting, slowly once serving.
            delay = runtime.settings.health_interval_seconds if ready else min(delay * 2, 2.0)
            await asyncio.sleep(delay)
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


def run(name: str, build: Callable[[Runtime], Awaitable[ServiceApp]], default_port: int) -> None:
    """The whole of a service's __main__."""
    settings = init_process(name)
    asyncio.run(serve(Runtime(name, settings), build, default_port))
