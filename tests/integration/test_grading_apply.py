"""Grading's apply of profile's new event contract, on the real database: customer records,
quarter totals (columnar, newest version wins, years kept as sums) and assessments, then the
grade they give. Events are built here as profile would send them."""

from datetime import date

import pytest
from google.protobuf import any_pb2
from sqlalchemy import text

from clienttier.common.v1 import common_pb2
from clienttier.grading.v1 import grading_pb2
from clienttier.profile.v1 import facts_pb2, profile_pb2, risk_pb2
from mesh.outbox import TYPE_URL_PREFIX, unpack
from services.grading.service import grades
from services.grading.service.follow_profile import apply_profile_events
from services.grading.service.library import RuleLibrary
from tests.conftest import new_id

YUAN = 100

pytestmark = pytest.mark.integration


def event(message, position: int = 1) -> common_pb2.Event:
    return common_pb2.Event(
        position=str(position),
        payload=any_pb2.Any(
            type_url=TYPE_URL_PREFIX + message.DESCRIPTOR.full_name,
            value=message.SerializeToString(),
        ),
    )


def customer(cid: str, version: int = 1, **fields) -> profile_pb2.CustomerChanged:
    record = {
        "customer_id": cid,
        "kind": profile_pb2.CUSTOMER_KIND_RETAIL,
        "branch_id": "B-INT",
        "open_date": "2020-03-01",
        "status": profile_pb2.CUSTOMER_STATUS_ACTIVE,
    } | fields
    return profile_pb2.CustomerChanged(customer=profile_pb2.Customer(**record), version=version)


def quarters(rows: list[dict]) -> facts_pb2.DailyFactsRecorded:
    """rows: customer_id, period, version, days, assets (yuan a day), commission (yuan)."""
    t = facts_pb2.PeriodTotalsColumns()
    for r in rows:
        days, assets = r.get("days", 1), r["assets"] * YUAN
        t.customer_id.append(r["customer_id"])
        t.period.append(r["period"])
        t.customer_version.append(r.get("version", 1))
        t.days.append(days)
        t.total_assets_fen_sum.append(assets * days)
        t.cash_fen_sum.append(assets * days // 2)
        t.securities_fen_sum.append(assets * days - assets * days // 2)
        for name in (
            "equity_fund_fen_sum",
            "fixed_income_fen_sum",
            "reits_trust_fen_sum",
            "margin_debt_fen_sum",
            "collateral_fen_sum",
            "fund_inflow_fen",
            "fund_outflow_fen",
            "last_margin_debt_fen",
            "last_collateral_fen",
        ):
            getattr(t, name).append(0)
        t.net_commission_fen.append(r.get("commission", 0) * YUAN)
        t.trade_count.append(r.get("trades", 0))
        t.holding_days_sum.append(30 * days)
        t.first_day.append(r["first"])
        t.last_day.append(r.get("last", r["first"]))
        t.first_total_assets_fen.append(assets)
        t.last_total_assets_fen.append(assets)
    return facts_pb2.DailyFactsRecorded(batch_id=new_id("B"), rows=len(rows), totals=t)


@pytest.fixture(scope="module")
async def library(engines):
    lib = RuleLibrary(engines["grading"])
    await lib.load()
    return lib


async def apply(engines, library, *messages):
    async with engines["grading"].begin() as conn:
        await apply_profile_events(conn, [event(m, i) for i, m in enumerate(messages, 1)], library)


async def grade_of(engines, library, cid, as_of=None):
    return await grades.get_grade(engines["grading"], library, cid, as_of)


async def test_facts_give_a_tier_with_reasons_and_years_are_sums(engines, library):
    cid = new_id("C")
    await apply(
        engines,
        library,
        customer(cid),
        quarters(
            [
                {
                    "customer_id": cid,
                    "period": "2026Q1",
                    "assets": 4_000_000,
                    "days": 10,
                    "first": "2026-01-05",
                    "last": "2026-01-16",
                },
                {
                    "customer_id": cid,
                    "period": "2026Q2",
                    "assets": 7_000_000,
                    "days": 10,
                    "first": "2026-04-01",
                    "last": "2026-04-14",
                },
            ]
        ),
    )
    g = await grade_of(engines, library, cid)
    assert g.tier == grading_pb2.TIER_VIP
    assert g.action == grading_pb2.GRADE_ACTION_NEW
    # 2026 = Q1 + Q2: (4M x 10 + 7M x 10) / 20 = 5.5M a day.
    assert g.average_assets.fen == 5_500_000 * YUAN
    assert "daily-average assets (2026) 5,500,000 CNY > 5,000,000 CNY" in g.reason
    assert g.as_of_date == "2026-04-14"
    assert g.rule_set_version == "galaxy-2025.1"
    for reason in (g.reasons.stars, g.reasons.stage, g.reasons.segment, g.reasons.margin):
        assert "(rule set galaxy-2025.1)" in reason
    assert g.stars in range(1, 6)
    assert g.combined_class == ""  # no assessment yet
    async with engines["grading"].connect() as conn:
        year = (
            await conn.execute(
                text(
                    "SELECT days, total_assets_fen_sum, first_day, last_day FROM "
                    "grading.period_totals p JOIN grading.customers c USING (customer_no) "
                    "WHERE c.customer_id = :id AND period = 20260"
                ),
                {"id": cid},
            )
        ).one()
    assert year.days == 20
    assert year.total_assets_fen_sum == 110_000_000 * YUAN
    assert (year.first_day, year.last_day) == (date(2026, 1, 5), date(2026, 4, 14))


async def test_older_versions_of_a_quarter_are_ignored(engines, library):
    cid = new_id("C")
    newer = {
        "customer_id": cid,
        "period": "2026Q1",
        "assets": 600_000,
        "version": 5,
        "first": "2026-02-02",
    }
    older = newer | {"assets": 9_000_000, "version": 3}
    await apply(engines, library, customer(cid), quarters([newer, older]))
    assert (await grade_of(engines, library, cid)).tier == grading_pb2.TIER_CORE_B
    await apply(engines, library, quarters([older]))
    assert (await grade_of(engines, library, cid)).tier == grading_pb2.TIER_CORE_B


async def test_assessment_gives_the_combined_class_and_upgrade_emits_grade_changed(
    engines, library
):
    cid = new_id("C")
    await apply(
        engines,
        library,
        customer(cid),
        quarters(
            [{"customer_id": cid, "period": "2026Q1", "assets": 300_000, "first": "2026-02-02"}]
        ),
    )
    assert (await grade_of(engines, library, cid)).tier == grading_pb2.TIER_POTENTIAL
    assessment = risk_pb2.Assessment(
        customer_id=cid,
        galaxy_class=risk_pb2.GALAXY_RISK_CLASS_STEADY,
        risk_level="C3",
        score=55,
        assessed_on="2026-01-10",
        valid_until="2029-01-09",
    )
    await apply(engines, library, risk_pb2.AssessmentRecorded(assessment=assessment))
    g = await grade_of(engines, library, cid)
    assert g.combined_class == "POTENTIAL-STEADY"
    assert g.risk_class == grading_pb2.RISK_CLASS_STEADY

    async with engines["grading"].connect() as conn:
        before = await conn.scalar(text("SELECT coalesce(max(id), 0) FROM grading.outbox"))
    await apply(
        engines,
        library,
        quarters(
            [
                {
                    "customer_id": cid,
                    "period": "2026Q1",
                    "assets": 6_000_000,
                    "version": 2,
                    "first": "2026-02-02",
                    "last": "2026-02-03",
                }
            ]
        ),
    )
    g = await grade_of(engines, library, cid)
    assert g.tier == grading_pb2.TIER_VIP
    assert g.action == grading_pb2.GRADE_ACTION_UPGRADE
    assert g.combined_class == "VIP-STEADY"
    async with engines["grading"].connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT event_type, payload FROM grading.outbox WHERE id > :id"),
                {"id": before},
            )
        ).all()
    changed = [
        grading_pb2.GradeChanged.FromString(r.payload)
        for r in rows
        if r.event_type == "clienttier.grading.v1.GradeChanged"
    ]
    mine = [c for c in changed if c.grade.customer_id == cid]
    assert len(mine) == 1
    assert mine[0].previous_tier == grading_pb2.TIER_POTENTIAL
    assert mine[0].grade.tier == grading_pb2.TIER_VIP
    assert "upgraded Potential -> VIP at once" in mine[0].grade.reason
    assert unpack  # imported for readers of events elsewhere


async def test_a_closed_customer_is_lost(engines, library):
    cid = new_id("C")
    await apply(
        engines,
        library,
        customer(cid),
        quarters(
            [{"customer_id": cid, "period": "2026Q1", "assets": 100_000, "first": "2026-02-02"}]
        ),
    )
    await apply(engines, library, customer(cid, 2, status=profile_pb2.CUSTOMER_STATUS_CLOSED))
    g = await grade_of(engines, library, cid)
    assert g.stage == grading_pb2.LIFECYCLE_STAGE_LOST
    assert "closed" in g.reasons.stage
