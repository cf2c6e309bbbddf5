"""python -m services.profile"""

import grpc
from clienttier.profile.v1 import profile_pb2_grpc

from mesh.db import create_engine
from mesh.migrations import database_ready
from mesh.outbox import OutboxFeed
from mesh.server import Runtime, ServiceApp, run
from services.profile.adapters.tables import SCHEMA, outbox
from services.profile.entrypoints.grpc_server import SERVICE_NAME, ProfileServicer

DEFAULT_PORT = 50051


async def build(runtime: Runtime) -> ServiceApp:
    engine = create_engine(runtime.settings)
    feed = OutboxFeed(engine, outbox)
    servicer = ProfileServicer(engine, feed, runtime.stopping)

    def register(server: grpc.aio.Server) -> list[str]:
        profile_pb2_grpc.add_ProfileServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    async def stop() -> None:
        await feed.close()
        await engine.dispose()

    return ServiceApp(
        register=register,
        ready=lambda: database_ready(engine, "profile", SCHEMA),
        on_start=feed.start,
        on_stop=stop,
    )


if __name__ == "__main__":
    run("profile", build, DEFAULT_PORT)
