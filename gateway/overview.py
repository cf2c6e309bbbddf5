"""The customer overview: four services asked at once, each with its own deadline. A part that
fails is reported in `missing`; the others still come back."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from clienttier.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from clienttier.gateway.v1 import gateway_pb2
from clienttier.grading.v1 import grading_pb2, grading_pb2_grpc
from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from clienttier.recommend.v1 import recommend_pb2, recommend_pb2_grpc
from mesh.errors import NotFound

log = logging.getLogger(__name__)


@dataclass
class Peers:
    profile: profile_pb2_grpc.ProfileServiceStub
    grading: grading_pb2_grpc.GradingServiceStub
    recommend: recommend_pb2_grpc.RecommendServiceStub
    alerts: alerts_pb2_grpc.AlertsServiceStub


async def _part(name: str, call: Callable[[], Awaitable], missing: list) -> object | None:
    try:
        return await call()
    except grpc.aio.AioRpcError as exc:
        if name == "customer" and exc.code() == grpc.StatusCode.NOT_FOUND:
            raise
        log.warning(
            "overview part missing", extra={"fields": {"part": name, "code": exc.code().name}}
        )
        missing.append(
            gateway_pb2.MissingPart(part=name, code=exc.code().name, detail=exc.details() or "")
        )
        return None


async def customer_overview(
    peers: Peers, customer_id: str, part_timeout: float
) -> gateway_pb2.GetCustomerOverviewResponse:
    missing: list[gateway_pb2.MissingPart] = []
    by_id = {"customer_id": customer_id}
    try:
        customer, grade, products, alerts = await asyncio.gather(
            _part(
                "customer",
                lambda: peers.profile.GetCustomer(
                    profile_pb2.GetCustomerRequest(**by_id), timeout=part_timeout
                ),
                missing,
            ),
            _part(
                "grade",
                lambda: peers.grading.GetGrade(
                    grading_pb2.GetGradeRequest(**by_id), timeout=part_timeout
                ),
                missing,
            ),
            _part(
                "products",
                lambda: peers.recommend.ListProducts(
                    recommend_pb2.ListProductsRequest(), timeout=part_timeout
                ),
                missing,
            ),
            _part(
                "alerts",
                lambda: peers.alerts.ListOpenAlerts(
                    alerts_pb2.ListOpenAlertsRequest(**by_id), timeout=part_timeout
                ),
                missing,
            ),
        )
    except grpc.aio.AioRpcError as exc:
        raise NotFound("customer", customer_id) from exc
    response = gateway_pb2.GetCustomerOverviewResponse(missing=missing)
    if customer is not None:
        response.customer.CopyFrom(customer.customer)
    if grade is not None:
        response.grade.CopyFrom(grade.grade)
    if products is not None:
        response.products.extend(products.products)
    if alerts is not None:
        response.alerts.extend(alerts.alerts)
    return response
