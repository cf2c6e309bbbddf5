"""Ingest on the real database: batches with bad rows, replays, quarter totals, period figures,
and the one event each batch publishes."""

import asyncio
import contextlib
from datetime import date

import numpy as np
import pytest
from sqlalchemy import text

from clienttier.profile.v1 import facts_pb2
from mesh.outbox import OutboxFeed, unpack
from services.profile.adapters.tables import outbox
from services.profile.domain.facts import VALUE_COLUMNS
from services.profile.service import facts
from services.profile.service.known_customers import KnownCustomers
from services.profile.service.totals_rollup import TotalsRollup
from services.profile.service.unit_of_work import ProfileUnitOfWork
from tests.conftest import new_id

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engines(private_engines):
    """Queued deltas must be folded by these tests alone, not by the end-to-end mesh."""
    return private_engines


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


async def _ingest(engines, rows, queued: bool = False):
    """queued: the bulk way (days COPYed, quarter deltas queued), then folded at once."""
    result = await facts.ingest_batch(
        ProfileUnitOfWork(engines["profile"]), *_columns(rows), queue_totals=queued
    )
    if queued:
        await TotalsRollup(engines["profile"]).fold_all()
    return result


async def _quarter_totals(engines, customer_id: str) -> list[tuple]:
    async with engines["admin"].connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT period, days, total_assets_fen_sum, net_commission_fen, first_day,"
                    " first_total_assets_fen, last_day, last_total_assets_fen"
                    " FROM profile.period_totals WHERE customer_id = :c ORDER BY period"
                ),
                {"c": customer_id},
            )
        ).all()
    return [tuple(r) for r in rows]


async def _events_after(engines, start: int) -> list[facts_pb2.DailyFactsRecorded]:
    events = await OutboxFeed(engines["profile"], outbox).read_after(start, 1000)
    return [unpack(e, facts_pb2.DailyFactsRecorded) for e in events]


async def _last_position(engines) -> int:
    async with engines["profile"].connect() as conn:
        return await conn.scalar(text("SELECT coalesce(max(id), 0) FROM profile.outbox"))


@pytest.mark.parametrize("queued", [False, True], ids=["direct", "queued"])
async def test_bad_rows_are_rejected_one_by_one_and_good_rows_land(engines, queued):
    a, b = await _customers(engines, 2)
    rows = [
        {"customer_id": a, "day": "2026-01-05", "total": 1000},
        {"customer_id": "NOBODY-" + a, "day": "2026-01-05", "total": 1000},
        {"customer_id": b, "day": "2026-02-30", "total": 1000},
        {"customer_id": b, "day": "2026-01-05", "total": 1000, "more": {"cash_fen": 1}},
        {"customer_id": b, "day": "2026-01-06", "total": 5},
        {"customer_id": b, "day": "2026-01-06", "total": 6},
    ]
    result = await _ingest(engines, rows, queued)
    assert result.accepted == 2
    assert [(r.row, r.field) for r in result.rejections] == [
        (1, "customer_id"), (2, "day"), (3, "total_assets_fen"), (5, "day"),
    ]  # fmt: skip
    assert "not found" in result.rejections[0].reason
    assert "100000 is not cash + securities" in result.rejections[2].reason


async def test_an_unknown_customer_among_distinct_ids_is_refused_and_the_rest_queued(engines):
    # Every id once, the usual end-of-day batch: the ids are checked without sorting them.
    a, b = await _customers(engines, 2)
    rows = [
        {"customer_id": b, "day": "2026-01-07", "total": 20},
        {"customer_id": "NOBODY-" + a, "day": "2026-01-07", "total": 30},
        {"customer_id": a, "day": "2026-01-07", "total": 10},
    ]
    result = await _ingest(engines, rows, queued=True)
    assert result.accepted == 2
    assert [(r.row, r.field) for r in result.rejections] == [(1, "customer_id")]
    assert [t[:3] for t in await _quarter_totals(engines, a)] == [("2026Q1", 1, 1_000)]
    assert [t[:3] for t in await _quarter_totals(engines, b)] == [("2026Q1", 1, 2_000)]


@pytest.mark.parametrize("queued", [False, True], ids=["direct", "queued"])
async def test_replayed_days_replace_and_quarter_totals_follow(engines, queued):
    (c,) = await _customers(engines, 1)
    await _ingest(engines, [
        {"customer_id": c, "day": "2026-01-05", "total": 100, "commission": 1},
        {"customer_id": c, "day": "2026-03-31", "total": 300, "commission": 3},
        {"customer_id": c, "day": "2026-04-01", "total": 400},
    ], queued)  # fmt: skip
    again = await _ingest(engines, [
        {"customer_id": c, "day": "2026-01-05", "total": 200, "commission": 2},
    ], queued)  # fmt: skip
    assert (again.accepted, again.replaced) == (1, 1)
    assert await _quarter_totals(engines, c) == [
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
    days = sorted(zip(t.customer_id, t.period, t.first_day, t.last_day, strict=True))
    assert days == sorted([
        (a, "2026Q2", "2026-05-05", "2026-05-05"),
        (b, "2026Q2", "2026-05-05", "2026-05-05"),
        (b, "2026Q3", "2026-07-01", "2026-07-01"),
    ])  # fmt: skip
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


async def test_queued_deltas_fold_many_days_into_one_update_per_quarter(engines):
    (c,) = await _customers(engines, 1)
    start = await _last_position(engines)
    uow = lambda: ProfileUnitOfWork(engines["profile"])  # noqa: E731
    for day, total in [("2026-01-06", 100), ("2026-01-05", 50), ("2026-04-01", 400)]:
        await facts.ingest_batch(
            uow(), *_columns([{"customer_id": c, "day": day, "total": total}]), queue_totals=True
        )
    assert await _quarter_totals(engines, c) == []  # queued, not folded yet
    assert await TotalsRollup(engines["profile"]).fold_all() >= 3  # deltas
    assert await _quarter_totals(engines, c) == [
        ("2026Q1", 2, 15_000, 0, date(2026, 1, 5), 5_000, date(2026, 1, 6), 10_000),
        ("2026Q2", 1, 40_000, 0, date(2026, 4, 1), 40_000, date(2026, 4, 1), 40_000),
    ]
    mine = [
        (customer, period, version)
        for e in await _events_after(engines, start)
        for customer, period, version in zip(
            e.totals.customer_id, e.totals.period, e.totals.customer_version, strict=True
        )
        if customer == c
    ]
    assert sorted(mine) == [(c, "2026Q1", 1), (c, "2026Q2", 1)]  # one update each


async def test_a_day_replaced_while_its_delta_is_queued_counts_once(engines):
    (c,) = await _customers(engines, 1)
    await facts.ingest_batch(
        ProfileUnitOfWork(engines["profile"]),
        *_columns([{"customer_id": c, "day": "2026-02-02", "total": 100, "commission": 1}]),
        queue_totals=True,
    )
    # The replacement moves the totals at once (by new - old); the queued delta adds old.
    replaced = await _ingest(
        engines, [{"customer_id": c, "day": "2026-02-02", "total": 700, "commission": 7}]
    )
    assert replaced.replaced == 1
    await TotalsRollup(engines["profile"]).fold_all()
    assert await _quarter_totals(engines, c) == [
        ("2026Q1", 1, 70_000, 700, date(2026, 2, 2), 70_000, date(2026, 2, 2), 70_000),
    ]


async def test_folding_in_bounded_passes_and_chunked_events_loses_nothing(engines):
    ids = await _customers(engines, 7)
    for day in ("2026-05-04", "2026-05-05"):
        await facts.ingest_batch(
            ProfileUnitOfWork(engines["profile"]),
            *_columns([{"customer_id": c, "day": day, "total": 10} for c in ids]),
            queue_totals=True,
        )
    start = await _last_position(engines)
    rollup = TotalsRollup(engines["profile"], fold_rows=3, event_rows=2)
    assert await rollup.fold_all() >= 14
    for c in ids:
        assert await _quarter_totals(engines, c) == [
            ("2026Q2", 2, 2_000, 0, date(2026, 5, 4), 1_000, date(2026, 5, 5), 1_000)
        ]
    events = await _events_after(engines, start)
    assert all(len(e.totals.customer_id) <= 2 for e in events)
    newest = {}
    for e in events:
        for customer, version, days in zip(
            e.totals.customer_id, e.totals.customer_version, e.totals.days, strict=True
        ):
            if customer in ids:
                newest[customer] = max(newest.get(customer, (0, 0)), (version, days))
    assert {c: days for c, (_, days) in newest.items()} == dict.fromkeys(ids, 2)


async def test_a_fold_publishes_the_stored_totals_of_rows_it_created_and_rows_it_updated(engines):
    a, b = await _customers(engines, 2)
    await _ingest(engines, [{"customer_id": a, "day": "2026-11-02", "total": 10}])  # a's row
    await facts.ingest_batch(
        ProfileUnitOfWork(engines["profile"]),
        *_columns([
            {"customer_id": a, "day": "2026-11-03", "total": 20, "commission": 3},
            {"customer_id": b, "day": "2026-11-03", "total": 30, "commission": 4},
            {"customer_id": b, "day": "2026-12-31", "total": 40},
            {"customer_id": b, "day": "2027-01-04", "total": 50},
        ]),
        queue_totals=True,
    )  # fmt: skip
    start = await _last_position(engines)
    await TotalsRollup(engines["profile"], event_rows=2).fold_all()
    published, times = {}, 0
    for event in await _events_after(engines, start):
        columns = {f.name: list(getattr(event.totals, f.name)) for f in _TOTALS_FIELDS}
        for row in zip(*columns.values(), strict=True):
            published[(row[0], row[1])] = dict(zip(columns, row, strict=True))
            times += 1
    assert times == len(published)  # each row once
    sql = text("SELECT * FROM profile.period_totals WHERE customer_id IN (:a, :b)")
    async with engines["admin"].connect() as conn:
        stored = (await conn.execute(sql, {"a": a, "b": b})).mappings().all()
    assert len(stored) == len(published)
    assert sorted(published) == sorted([(a, "2026Q4"), (b, "2026Q4"), (b, "2027Q1")])
    for row in stored:
        event = published[(row["customer_id"], row["period"])]
        assert event["customer_version"] == row["version"]
        assert event["first_day"] == row["first_day"].isoformat()
        assert event["last_day"] == row["last_day"].isoformat()
        for field in set(event) - {"customer_version", "first_day", "last_day"}:
            assert event[field] == row[field], field
    assert published[(a, "2026Q4")]["customer_version"] == 2  # updated
    assert published[(b, "2026Q4")]["customer_version"] == 1  # created
    assert published[(b, "2026Q4")]["days"] == 2
    assert published[(b, "2026Q4")]["last_day"] == "2026-12-31"


async def test_a_fold_of_new_rows_meeting_one_that_exists_creates_and_updates_them_all(engines):
    first, last = sorted(await _customers(engines, 2))
    await _ingest(engines, [{"customer_id": last, "day": "2026-08-03", "total": 10}])
    # In key order the fold meets `first` (new) before `last` (existing): inserting them all
    # as new fails at `last` and must leave no trace of `first`.
    await _ingest(
        engines,
        [
            {"customer_id": first, "day": "2026-08-04", "total": 20},
            {"customer_id": last, "day": "2026-08-04", "total": 30},
        ],
        queued=True,
    )
    assert await _quarter_totals(engines, first) == [
        ("2026Q3", 1, 2_000, 0, date(2026, 8, 4), 2_000, date(2026, 8, 4), 2_000)
    ]
    assert await _quarter_totals(engines, last) == [
        ("2026Q3", 2, 4_000, 0, date(2026, 8, 3), 1_000, date(2026, 8, 4), 3_000)
    ]


async def test_a_fold_takes_only_what_was_queued_before_it_began(engines):
    early = await _queue_one_day(engines, "2026-07-01")
    late = []

    class _Fed(TotalsRollup):
        async def _queue_mark(self) -> tuple[int, int]:
            mark = await super()._queue_mark()
            if not late:  # another stream queues a day once this fold has begun
                late.append(await _queue_one_day(engines, "2026-07-01"))
            return mark

    rollup = _Fed(engines["profile"])
    assert await rollup.fold_all() >= 1
    assert [t[0] for t in await _quarter_totals(engines, early)] == ["2026Q3"]
    assert await _quarter_totals(engines, late[0]) == []  # left for the next fold
    assert await rollup.fold_all() >= 1
    assert [t[0] for t in await _quarter_totals(engines, late[0])] == ["2026Q3"]


async def test_a_process_learns_the_whole_customer_book_page_by_page(engines):
    ids = await _customers(engines, 5)
    known = KnownCustomers()
    loaded = await facts.learn_customer_book(
        lambda: ProfileUnitOfWork(engines["profile"]), known, page_rows=2
    )
    assert loaded >= 5  # the database holds other tests' customers too
    book = np.array([*ids, "F-not-a-customer"], dtype="S")
    assert known.unseen(book).tolist() == [b"F-not-a-customer"]
    full = KnownCustomers(limit_bytes=1)  # not even one page fits
    assert await facts.learn_customer_book(lambda: ProfileUnitOfWork(engines["profile"]), full) == 0
    assert len(full) == 0


_TOTALS_FIELDS = facts_pb2.PeriodTotalsColumns.DESCRIPTOR.fields


class _ObservedRollup(TotalsRollup):
    """A roll-up whose background loop says when it has folded something."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.folded = asyncio.Event()

    async def fold_all(self) -> int:
        folded = await super().fold_all()
        if folded:
            self.folded.set()
        return folded


async def _queue_one_day(engines, day: str) -> str:
    (c,) = await _customers(engines, 1)
    await facts.ingest_batch(
        ProfileUnitOfWork(engines["profile"]),
        *_columns([{"customer_id": c, "day": day, "total": 10}]),
        queue_totals=True,
    )
    return c


async def test_deltas_a_stopped_process_left_queued_are_folded_by_the_background_loop(engines):
    c = await _queue_one_day(engines, "2026-08-03")  # ... and nobody nudges: as if it died here
    rollup, stopping = _ObservedRollup(engines["profile"], poll_seconds=0.05), asyncio.Event()
    loop = asyncio.create_task(rollup.run(stopping))
    try:
        await asyncio.wait_for(rollup.folded.wait(), 10)
    finally:
        stopping.set()
        await loop
    assert (await _quarter_totals(engines, c))[0][:2] == ("2026Q3", 1)


async def _nudge_until(rollup: TotalsRollup, stop: asyncio.Event) -> None:
    while not stop.is_set():
        rollup.nudge()
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _bulk_ingest_going_on(rollup: TotalsRollup):
    """The roll-up's background loop, nudged twenty times a second (as a stream nudges it
    after every batch) until the yielded event is set."""
    stop = asyncio.Event()
    loop = asyncio.create_task(rollup.run(asyncio.Event()))
    nudging = asyncio.create_task(_nudge_until(rollup, stop))
    try:
        yield stop
    finally:
        stop.set()
        loop.cancel()  # as the server does with its background loops
        await asyncio.gather(loop, nudging, return_exceptions=True)


async def test_deltas_gather_while_bulk_ingest_goes_on_and_fold_once_it_is_quiet(engines):
    c = await _queue_one_day(engines, "2026-08-04")
    rollup = _ObservedRollup(
        engines["profile"], settle_seconds=1.0, max_lag_seconds=600, poll_seconds=600
    )
    async with _bulk_ingest_going_on(rollup) as quiet:
        # Never quiet for the settle second: nothing is folded.
        await asyncio.sleep(2.5)
        assert not rollup.folded.is_set()
        assert await _quarter_totals(engines, c) == []
        quiet.set()
        await asyncio.wait_for(rollup.folded.wait(), 10)
    assert (await _quarter_totals(engines, c))[0][:2] == ("2026Q3", 1)


async def test_a_long_bulk_ingest_is_folded_every_max_lag_seconds(engines):
    c = await _queue_one_day(engines, "2026-08-05")
    rollup = _ObservedRollup(
        engines["profile"], settle_seconds=1.0, max_lag_seconds=1.5, poll_seconds=600
    )
    async with _bulk_ingest_going_on(rollup):
        # Never quiet for the settle second: only the lag bound can bring this fold.
        await asyncio.wait_for(rollup.folded.wait(), 10)
    assert (await _quarter_totals(engines, c))[0][:2] == ("2026Q3", 1)
