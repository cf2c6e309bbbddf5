"""python -m services.recommend"""

import grpc

from clienttier.recommend.v1 import recommend_pb2_grpc
from mesh.db import create_engine
from mesh.migrations import database_ready
from mesh.server import Runtime, ServiceApp, run
from services.recommend.adapters.tables import SCHEMA
from services.recommend.entrypoints.grpc_server import SERVICE_NAME, RecommendServicer

DEFAULT_PORT = 50053


async def build(runtime: Runtime) -> ServiceApp:
    engine = create_engine(runtime.settings)
    servicer = RecommendServicer(engine)

    def register(server: grpc.aio.Server) -> list[str]:
        recommend_pb2_grpc.add_RecommendServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    return ServiceApp(
        register=register,
        ready=lambda: database_ready(engine, "recommend", SCHEMA),
        on_stop=engine.dispose,
    )


if __name__ == "__main__":
    run("recommend", build, DEFAULT_PORT)
