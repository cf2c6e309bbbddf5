"""python -m services.alerts"""

import grpc

from clienttier.alerts.v1 import alerts_pb2_grpc
from mesh.db import create_engine
from mesh.migrations import database_ready
from mesh.server import Runtime, ServiceApp, run
from services.alerts.adapters.tables import SCHEMA
from services.alerts.entrypoints.grpc_server import SERVICE_NAME, AlertsServicer

DEFAULT_PORT = 50054


async def build(runtime: Runtime) -> ServiceApp:
    engine = create_engine(runtime.settings)
    servicer = AlertsServicer(engine)

    def register(server: grpc.aio.Server) -> list[str]:
        alerts_pb2_grpc.add_AlertsServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    return ServiceApp(
        register=register,
        ready=lambda: database_ready(engine, "alerts", SCHEMA),
        on_stop=engine.dispose,
    )


if __name__ == "__main__":
    run("alerts", build, DEFAULT_PORT)
