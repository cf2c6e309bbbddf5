"""python -m gateway: owns no data; fans requests out to the four services."""

import grpc

from clienttier.alerts.v1 import alerts_pb2_grpc
from clienttier.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from clienttier.grading.v1 import grading_pb2_grpc
from clienttier.profile.v1 import profile_pb2_grpc
from clienttier.recommend.v1 import recommend_pb2_grpc
from gateway.overview import Peers, customer_overview
from mesh.channels import open_channel
from mesh.rpc import required_id, unary
from mesh.server import Runtime, ServiceApp, run

DEFAULT_PORT = 50050
SERVICE_NAME = gateway_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name


class GatewayServicer(gateway_pb2_grpc.GatewayServiceServicer):
    def __init__(self, peers: Peers, part_timeout: float) -> None:
        self.peers = peers
        self.part_timeout = part_timeout

    @unary
    async def GetCustomerOverview(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        # Never wait past the caller's own deadline.
        remaining = context.time_remaining()
        timeout = self.part_timeout if remaining is None else min(self.part_timeout, remaining)
        return await customer_overview(self.peers, customer_id, timeout)


async def build(runtime: Runtime) -> ServiceApp:
    settings = runtime.settings
    channels = {
        name: open_channel(getattr(settings.peers, name), settings.call_timeout_seconds)
        for name in ("profile", "grading", "recommend", "alerts")
    }
    peers = Peers(
        profile=profile_pb2_grpc.ProfileServiceStub(channels["profile"]),
        grading=grading_pb2_grpc.GradingServiceStub(channels["grading"]),
        recommend=recommend_pb2_grpc.RecommendServiceStub(channels["recommend"]),
        alerts=alerts_pb2_grpc.AlertsServiceStub(channels["alerts"]),
    )
    servicer = GatewayServicer(peers, part_timeout=settings.call_timeout_seconds)

    def register(server: grpc.aio.Server) -> list[str]:
        gateway_pb2_grpc.add_GatewayServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    async def ready() -> bool:
        # Serving even when a dependency is down is the point: answers come back partial.
        return True

    async def stop() -> None:
        for channel in channels.values():
            await channel.close()

    return ServiceApp(register=register, ready=ready, on_stop=stop)


if __name__ == "__main__":
    run("gateway", build, DEFAULT_PORT)
