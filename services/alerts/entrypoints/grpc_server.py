from google.protobuf import timestamp_pb2
from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from mesh.rpc import required_id, unary
from services.alerts.domain.alerts import Alert
from services.alerts.service.open_alerts import list_open_alerts

SERVICE_NAME = alerts_pb2.DESCRIPTOR.services_by_name["AlertsService"].full_name


def _to_proto(alert: Alert) -> alerts_pb2.Alert:
    raised = timestamp_pb2.Timestamp()
    raised.FromDatetime(alert.raised_at)
    return alerts_pb2.Alert(
        alert_id=alert.alert_id,
        customer_id=alert.customer_id,
        kind=alert.kind,
        state=alerts_pb2.AlertState.Value(f"ALERT_STATE_{alert.state}"),
        reason=alert.reason,
        raised_at=raised,
    )


class AlertsServicer(alerts_pb2_grpc.AlertsServiceServicer):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @unary
    async def ListOpenAlerts(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        found = await list_open_alerts(self.engine, customer_id)
        return alerts_pb2.ListOpenAlertsResponse(alerts=[_to_proto(a) for a in found])
