"""The bulk ingest as the trading system calls it: a client stream over a real socket."""

import grpc
import pytest

from clienttier.profile.v1 import facts_pb2, profile_pb2
from services.profile.domain.facts import VALUE_COLUMNS
from tests.e2e.helpers import YUAN, eventually, retail_customer

pytestmark = pytest.mark.e2e


def _columns(rows: list[dict]) -> facts_pb2.IngestDailyFactsRequest:
    """Rows given as customer_id, day, assets (yuan, all cash) and any column to override."""
    columns = facts_pb2.DailyFactsColumns()
    for row in rows:
        columns.customer_id.append(row["customer_id"])
        columns.day.append(row["day"])
        assets = row["assets"] * YUAN
        given = {"total_assets_fen": assets, "cash_fen": assets} | row.get("more", {})
        for name in VALUE_COLUMNS:
            getattr(columns, name).append(given.get(name, 0))
    return facts_pb2.IngestDailyFactsRequest(rows=columns)


async def _ingest(stubs, batches: list[list[dict]]) -> facts_pb2.IngestDailyFactsResponse:
    async def requests():
        for rows in batches:
            yield _columns(rows)

    return await stubs.facts.IngestDailyFacts(requests())


async def _figures(stubs, cid: str) -> facts_pb2.PeriodFigures:
    reply = await stubs.facts.GetPeriodFigures(
        facts_pb2.GetPeriodFiguresRequest(
            customer_id=cid, start_date="2026-01-01", end_date="2026-12-31"
        )
    )
    return reply.figures


async def _customers(stubs, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        customer = retail_customer()
        await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
        ids.append(customer.customer_id)
    return ids


async def test_bad_rows_come_back_with_batch_row_and_reason_while_good_rows_land(stubs):
    a, b = await _customers(stubs, 2)
    nobody = "NOBODY-" + a
    reply = await _ingest(
        stubs,
        [
            [
                {"customer_id": a, "day": "2026-01-05", "assets": 100_000},
                {"customer_id": b, "day": "2026-01-05", "assets": 300_000},
            ],
            [
                {"customer_id": nobody, "day": "2026-01-06", "assets": 1},
                {"customer_id": a, "day": "2026-01-06", "assets": 200_000},
                {"customer_id": b, "day": "2026-13-01", "assets": 1},
                {"customer_id": b, "day": "2026-01-06", "assets": 1, "more": {"cash_fen": -5}},
                {"customer_id": "bad id!", "day": "2026-01-06", "assets": 1},
            ],
        ],
    )
    assert (reply.accepted_rows, reply.batches) == (3, 2)
    assert [(r.batch, r.row, r.customer_id, r.day, r.field) for r in reply.rejections] == [
        (1, 0, nobody, "2026-01-06", "customer_id"),
        (1, 2, b, "2026-13-01", "day"),
        (1, 3, b, "2026-01-06", "cash_fen"),
        (1, 4, "bad id!", "2026-01-06", "customer_id"),
    ]
    reasons = [r.reason for r in reply.rejections]
    assert reasons[0] == f"customer {nobody!r} not found"
    assert reasons[3] == "'bad id!' is not a customer id"
    assert "must not be negative, got -5" in reasons[2]

    # The reply came once the totals held the stream's days: the figures show them at once.
    fa, fb = await _figures(stubs, a), await _figures(stubs, b)
    assert (fa.days, fa.daily_average_assets.fen) == (2, 150_000 * YUAN)
    assert (fb.days, fb.daily_average_assets.fen) == (1, 300_000 * YUAN)


async def test_a_stream_sent_twice_replaces_its_days_instead_of_adding_them(stubs):
    a, b = await _customers(stubs, 2)
    days = ["2026-02-02", "2026-02-03", "2026-02-04"]
    two_trades = {"trade_count": 2}
    stream = [
        [{"customer_id": c, "day": d, "assets": 100_000, "more": two_trades} for c in (a, b)]
        for d in days
    ]
    first = await _ingest(stubs, stream)
    # The trading system re-sends the whole feed, one figure corrected.
    stream[1][0]["assets"] = 400_000
    again = await _ingest(stubs, stream)
    assert (first.accepted_rows, again.accepted_rows) == (6, 6)
    assert list(again.rejections) == []

    fa, fb = await _figures(stubs, a), await _figures(stubs, b)
    assert (fa.days, fa.trade_count, fa.daily_average_assets.fen) == (3, 6, 200_000 * YUAN)
    assert (fb.days, fb.trade_count, fb.daily_average_assets.fen) == (3, 6, 100_000 * YUAN)


async def test_a_batch_whose_columns_differ_in_length_fails_the_stream_naming_the_column(stubs):
    (a,) = await _customers(stubs, 1)
    good = _columns([{"customer_id": a, "day": "2026-03-02", "assets": 100_000}])
    short = _columns([{"customer_id": a, "day": "2026-03-03", "assets": 100_000}])
    del short.rows.cash_fen[:]

    async def requests():
        yield good
        yield short

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stubs.facts.IngestDailyFacts(requests())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "rows.cash_fen: has 0 entries but customer_id has 1"
    # Each batch commits on its own: the one before the bad batch stands, and the roll-up
    # folds it into the totals once ingest has been quiet for a few seconds.
    await eventually(lambda: _figures(stubs, a), lambda f: f.days == 1)
