"""The five processes, started once for the session on free ports against the test database,
with console tracing so tests can follow a trace across processes."""

import grpc
import pytest

from clienttier.alerts.v1 import alerts_pb2_grpc
from clienttier.gateway.v1 import gateway_pb2_grpc
from clienttier.grading.v1 import grading_pb2_grpc
from clienttier.profile.v1 import facts_pb2_grpc, profile_pb2_grpc, risk_pb2_grpc
from clienttier.recommend.v1 import recommend_pb2_grpc
from ops.launcher import PROCESSES, Mesh, free_port


@pytest.fixture(scope="session")
def mesh(admin_url, test_database, tmp_path_factory):
    m = Mesh(
        admin_url=admin_url,
        database=test_database,
        ports={name: free_port() for name in PROCESSES},
        log_dir=tmp_path_factory.mktemp("logs"),
        env={
            "CT_TELEMETRY__EXPORTER": "console",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "CT_CALL_TIMEOUT_SECONDS": "1.0",
            "CT_GRACE_SECONDS": "5",
            # Tests start their own grading runs; a scheduled one must not get in the way.
            "CT_GRADING_SCHEDULE": "off",
        },
    )
    m.start_all()
    try:
        m.wait_serving(timeout=60)
        yield m
    finally:
        m.stop_all()


class Stubs:
    def __init__(self, mesh: Mesh) -> None:
        self.channels = {n: grpc.aio.insecure_channel(mesh.address(n)) for n in PROCESSES}
        self.profile = profile_pb2_grpc.ProfileServiceStub(self.channels["profile"])
        self.facts = facts_pb2_grpc.FactsServiceStub(self.channels["profile"])
        self.risk = risk_pb2_grpc.RiskAssessmentServiceStub(self.channels["profile"])
        self.grading = grading_pb2_grpc.GradingServiceStub(self.channels["grading"])
        self.recommend = recommend_pb2_grpc.RecommendServiceStub(self.channels["recommend"])
        self.alerts = alerts_pb2_grpc.AlertsServiceStub(self.channels["alerts"])
        self.gateway = gateway_pb2_grpc.GatewayServiceStub(self.channels["gateway"])

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


@pytest.fixture
async def stubs(mesh):
    s = Stubs(mesh)
    yield s
    await s.close()
