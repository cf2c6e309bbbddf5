"""The five processes over real sockets: health, reflection, the overview, bad input."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clienttier.common.v1 import common_pb2
from clienttier.gateway.v1 import gateway_pb2
from clienttier.grading.v1 import grading_pb2
from clienttier.profile.v1 import facts_pb2, profile_pb2
from ops.dsn import admin_url as admin_on
from ops.launcher import PROCESSES
from tests.conftest import new_id
from tests.e2e.helpers import eventually, facts, retail_customer

pytestmark = pytest.mark.e2e

EXPECTED_SERVICE = {
    "profile": "clienttier.profile.v1.ProfileService",
    "grading": "clienttier.grading.v1.GradingService",
    "recommend": "clienttier.recommend.v1.RecommendService",
    "alerts": "clienttier.alerts.v1.AlertsService",
    "gateway": "clienttier.gateway.v1.GatewayService",
}


@pytest.mark.parametrize("name", list(PROCESSES))
async def test_each_process_is_serving_and_lists_its_services(stubs, name):
    channel = stubs.channels[name]
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", EXPECTED_SERVICE[name], "liveness"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING

    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    listed = [s.name async for r in call for s in r.list_services_response.service]
    assert EXPECTED_SERVICE[name] in listed
    assert "grpc.health.v1.Health" in listed


async def test_overview_gathers_all_four_services(stubs):
    customer = retail_customer()
    await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    cid = customer.customer_id
    await stubs.facts.RecordDailyFacts(facts(cid, "2026-03-02", 6_120_000))

    async def grade():
        return (await stubs.grading.GetGrade(grading_pb2.GetGradeRequest(customer_id=cid))).grade

    vip = await eventually(grade, lambda g: g.tier == grading_pb2.TIER_VIP)
    assert "daily-average assets (2026) 6,120,000 CNY > 5,000,000 CNY" in vip.reason

    overview = await stubs.gateway.GetCustomerOverview(
        gateway_pb2.GetCustomerOverviewRequest(customer_id=cid)
    )
    assert list(overview.missing) == []
    assert overview.customer.name == "李四"
    assert overview.grade.tier == grading_pb2.TIER_VIP
    assert len(overview.products) > 0
    assert list(overview.alerts) == []


async def test_a_replayed_day_replaces_instead_of_adding(stubs):
    customer = retail_customer()
    cid = customer.customer_id
    await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    first = await stubs.facts.RecordDailyFacts(facts(cid, "2026-01-05", 100_000, 10))
    again = await stubs.facts.RecordDailyFacts(facts(cid, "2026-01-05", 300_000, 30))
    other = await stubs.facts.RecordDailyFacts(facts(cid, "2026-01-06", 100_000))
    assert (first.replaced, again.replaced, other.replaced) == (False, True, False)
    reply = await stubs.facts.GetPeriodFigures(
        facts_pb2.GetPeriodFiguresRequest(
            customer_id=cid, start_date="2026-01-01", end_date="2026-12-31"
        )
    )
    assert reply.figures.days == 2
    assert reply.figures.daily_average_assets.fen == 200_000 * 100
    assert reply.figures.net_commission.fen == 30 * 100


async def _status_of(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        (retail_customer(customer_id=""), "customer.customer_id"),
        (retail_customer(kind=0), "customer.kind"),
        (retail_customer(kind=9), "customer.kind"),
        (retail_customer(birth_date="15/06/1985"), "customer.birth_date"),
        (retail_customer(open_date="2020-02-30"), "customer.open_date"),
        (retail_customer(name="  "), "customer.name"),
    ],
)
async def test_bad_customers_are_rejected_naming_the_field(stubs, customer, field):
    error = await _status_of(
        stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field + ":")


async def test_bad_facts_are_rejected_and_nothing_is_written(stubs, admin_url, test_database):
    customer = retail_customer()
    cid = customer.customer_id
    await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    negative = facts(cid, "2026-01-05", 0)
    negative.facts.cash_fen = -1
    error = await _status_of(stubs.facts.RecordDailyFacts(negative))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("facts.cash_fen:")

    unknown = new_id("NOBODY")
    error = await _status_of(stubs.facts.RecordDailyFacts(facts(unknown, "2026-01-05", 10)))
    assert error.code() == grpc.StatusCode.NOT_FOUND

    engine = create_async_engine(admin_on(admin_url, test_database))
    async with engine.connect() as conn:
        written = await conn.scalar(
            text(
                "SELECT (SELECT count(*) FROM profile.daily_facts WHERE customer_id IN (:a, :b))"
                " + (SELECT count(*) FROM profile.outbox WHERE aggregate_id = :b)"
            ),
            {"a": cid, "b": unknown},
        )
    await engine.dispose()
    assert written == 0


async def test_unknown_customer_is_not_found_everywhere(stubs):
    unknown = new_id("NOBODY")
    for call in (
        stubs.profile.GetCustomer(profile_pb2.GetCustomerRequest(customer_id=unknown)),
        stubs.grading.GetGrade(grading_pb2.GetGradeRequest(customer_id=unknown)),
        stubs.gateway.GetCustomerOverview(
            gateway_pb2.GetCustomerOverviewRequest(customer_id=unknown)
        ),
    ):
        error = await _status_of(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert unknown in error.details()


async def test_a_missing_id_is_invalid_at_the_gateway(stubs):
    error = await _status_of(
        stubs.gateway.GetCustomerOverview(gateway_pb2.GetCustomerOverviewRequest())
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "customer_id: is required"


async def test_creating_a_customer_twice_is_already_exists(stubs):
    customer = retail_customer()
    await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    error = await _status_of(
        stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_a_malformed_subscription_position_is_invalid(stubs):
    call = stubs.profile.SubscribeEvents(
        profile_pb2.SubscribeEventsRequest(after_position="not-a-position")
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("after_position:")


def test_money_is_never_a_float():
    assert common_pb2.Money.DESCRIPTOR.fields_by_name["fen"].type == 3  # TYPE_INT64
