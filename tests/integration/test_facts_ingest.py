"""Ingest on the real database: batches with bad rows, replays, quarter totals, period figures,
and the one event each batch publishes."""

from datetime import date

import pytest
from sqlalchemy import text

from clienttier.profile.v1 import facts_pb2
from mesh.outbox import OutboxFeed, unpack
from services.profile.adapters.tables import outbox
from services.profile.domain.facts import VALUE_COLUMNS
from services.profile.service import facts
from services.profile.service.unit_of_work import ProfileUnitOfWork
from tests.conftest import new_id

pytestmark = pytest.mark.integration


async def _customers(engines, n: int) -> list[str]:
    ids = [new_id("F") for _ in range(n)]
    async with engines["admin"].begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO profile.customers (customer_id, kind, name, branch_id, open_date,"
                " status, version, birth_date) SELECT id, 'RETAIL', 'x', 'B001', '2020-01-01',"
                " 'ACTIVE', 1, '1980-01-01' FROM unnest(CAST(:ids AS text[])) AS id"
            ),
            {"ids": ids},
        )
    return ids


def _columns(rows: list[dict]) -> tuple[list[str], list[str], dict[str, list[int]]]:
    """rows of {customer_id, day, total (yuan, all cash), commission (yuan), **fen columns}."""
    values = {c: [] for c in VALUE_COLUMNS}
    for r in rows:
        given = {
            "total_assets_fen": r["total"] * 100,
            "cash_fen": r["total"] * 100,
            "net_commission_fen": r.get("commission", 0) * 100,
        } | r.get("more", {})
        for c in VALUE_COLUMNS:
            values[c].append(given.get(c, 0))
    return [r["customer_id"] for r in rows], [r["day"] for r in rows], values


async def _ingest(engines, rows):
    return await facts.ingest_batch(ProfileUnitOfWork(engines["profile"]), *_columns(rows))


async def test_bad_rows_are_rejected_one_by_one_and_good_rows_land(engines):
    a, b = await _customers(engines, 2)
    rows = [
        {"customer_id": a, "day": "2026-01-05", "total": 1000},
        {"customer_id": "NOBODY-" + a, "day": "2026-01-05", "total": 1000},
        {"customer_id": b, "day": "2026-02-30", "total": 1000},
        {"customer_id": b, "day": "2026-01-05", "total": 1000, "more": {"cash_fen": 1}},
        {"customer_id": b, "day": "2026-01-06", "total": 5},
        {"customer_id": b, "day": "2026-01-06", "total": 6},
    ]
    result = await _ingest(engines, rows)
    assert result.accepted == 2
    assert [(r.row, r.field) for r in result.rejections] == [
        (1, "customer_id"), (2, "day"), (3, "total_assets_fen"), (5, "day"),
    ]  # fmt: skip
    assert "not found" in result.rejections[0].reason
    assert "100000 is not cash + securities" in result.rejections[2].reason


async def test_replayed_days_replace_and_quarter_totals_follow(engines):
    (c,) = await _customers(engines, 1)
    await _ingest(engines, [
        {"customer_id": c, "day": "2026-01-05", "total": 100, "commission": 1},
        {"customer_id": c, "day": "2026-03-31", "total": 300, "commission": 3},
        {"customer_id": c, "day": "2026-04-01", "total": 400},
    ])  # fmt: skip
    again = await _ingest(engines, [
        {"customer_id": c, "day": "2026-01-05", "total": 200, "commission": 2},
    ])  # fmt: skip
    assert (again.accepted, again.replaced) == (1, 1)
    async with engines["admin"].connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT period, days, total_assets_fen_sum, net_commission_fen, first_day,"
                    " first_total_assets_fen, last_day, last_total_assets_fen"
                    " FROM profile.period_totals WHERE customer_id = :c ORDER BY period"
                ),
                {"c": c},
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("2026Q1", 2, 50_000, 500, date(2026, 1, 5), 20_000, date(2026, 3, 31), 30_000),
        ("2026Q2", 1, 40_000, 0, date(2026, 4, 1), 40_000, date(2026, 4, 1), 40_000),
    ]


async def test_period_figures_compose_quarters_and_edge_days(engines):
    (c,) = await _customers(engines, 1)
    await _ingest(engines, [
        {"customer_id": c, "day": d, "total": t, "commission": 10,
         "more": {"fund_inflow_fen": 500_00 if d == "2026-02-02" else 0}}
        for d, t in [("2025-12-31", 900), ("2026-01-02", 1000), ("2026-02-02", 1500),
                     ("2026-03-31", 1200), ("2026-04-01", 1300), ("2026-04-02", 1400)]
    ])  # fmt: skip
    # 2026-01-01..2026-04-01: Q1 whole from totals, 04-01 from the days; 2025-12-31 outside.
    found = await facts.period_figures(
        ProfileUnitOfWork(engines["profile"]), c, date(2026, 1, 1), date(2026, 4, 1)
    )
    assert found.days == 4
    assert found.daily_average_assets_fen == (1000 + 1500 + 1200 + 1300) * 100 // 4
    assert found.net_commission_fen == 4 * 10 * 100
    assert found.profit_loss_fen == (1300 - 1000 - 500) * 100
    assert found.trading_share == 1.0 and found.product_share == 0.0
    assert found.current_value.trading_net_fee_fen == 4000
    assert found.current_value.rule_set_version == "value-2025.1"


async def test_each_batch_publishes_one_event_with_the_new_quarter_totals(engines):
    a, b = await _customers(engines, 2)
    feed = OutboxFeed(engines["profile"], outbox)
    async with engines["profile"].connect() as conn:
        start = await conn.scalar(text("SELECT coalesce(max(id), 0) FROM profile.outbox"))
    await _ingest(engines, [
        {"customer_id": a, "day": "2026-05-05", "total": 10},
        {"customer_id": b, "day": "2026-05-05", "total": 20},
        {"customer_id": b, "day": "2026-07-01", "total": 30},
    ])  # fmt: skip
    events = await feed.read_after(start, 10)
    assert len(events) == 1
    recorded = unpack(events[0], facts_pb2.DailyFactsRecorded)
    t = recorded.totals
    got = sorted(zip(t.customer_id, t.period, t.days, t.total_assets_fen_sum, strict=True))
    assert got == sorted([(a, "2026Q2", 1, 1000), (b, "2026Q2", 1, 2000), (b, "2026Q3", 1, 3000)])
    assert recorded.rows == 3


async def test_facts_and_their_event_commit_together_or_not_at_all(engines):
    """The batch statement runs on the driver directly; it must still be inside the unit of
    work's transaction, so a failure writing the event leaves no facts behind."""
    from sqlalchemy import MetaData

    from mesh.outbox import outbox_table

    class BrokenOutbox(ProfileUnitOfWork):
        outbox = outbox_table(MetaData(schema="no_such_schema"))

    (c,) = await _customers(engines, 1)
    with pytest.raises(Exception, match="no_such_schema"):
        await facts.ingest_batch(
            BrokenOutbox(engines["profile"]),
            *_columns([{"customer_id": c, "day": "2026-06-01", "total": 10}]),
        )
    async with engines["admin"].connect() as conn:
        stored = await conn.scalar(
            text(
                "SELECT (SELECT count(*) FROM profile.daily_facts WHERE customer_id = :c)"
                " + (SELECT count(*) FROM profile.period_totals WHERE customer_id = :c)"
            ),
            {"c": c},
        )
    assert stored == 0
