"""Keeping every customer's grade current from profile's events.

Runs inside the consumer's transaction (see mesh.consumer): profile's state, the new grades,
their history and the grade events commit together with the stream position. A batch is
applied with one statement per kind of event, then the customers it touched are graded in
one pass (upgrades at once; downgrades wait for a scheduled run).

Except bulk: a DailyFactsRecorded with more than QUEUE_ROWS totals rows (an ingest's batch
or fold) is only queued here (grading.fact_queue) and applied just behind the stream by
service/fact_queue.py. Profile's stream has one order, so otherwise a customer's single new
day recorded just after a 100,000-customer ingest would wait for all of that to be graded
first. Overtaking queued batches is safe because nothing applied here depends on their order:
a quarter's totals carry a version and the newest wins, years are re-summed from quarters,
customer records carry versions, and a grade is computed from whatever is stored."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import numpy as np
from asyncpg import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from clienttier.common.v1 import common_pb2
from clienttier.profile.v1 import facts_pb2, profile_pb2, risk_pb2
from mesh.outbox import TYPE_URL_PREFIX, unpack
from services.grading.adapters import fact_queue, profile_state, records
from services.grading.domain.schedule import RunKind
from services.grading.service import grading_pass
from services.grading.service.library import RuleLibrary

_KINDS = {
    TYPE_URL_PREFIX + m.DESCRIPTOR.full_name: m
    for m in (
        profile_pb2.CustomerChanged,
        facts_pb2.DailyFactsRecorded,
        risk_pb2.AssessmentRecorded,
    )
}

# Fact events with more totals rows than this are bulk: queued, applied behind the stream.
# One RecordDailyFacts gives a row or two; an ingest batch or fold gives thousands.
QUEUE_ROWS = 200


async def apply_profile_events(
    conn: AsyncConnection, events: Sequence[common_pb2.Event], library: RuleLibrary
) -> None:
    # First, as every grading change: a run in progress is waited for. It also begins the
    # transaction (SQLAlchemy sends BEGIN with its first statement) before the driver is used.
    await records.share_grades(conn)
    raw = await conn.get_raw_connection()
    apg = raw.driver_connection
    now: list[tuple[type, object]] = []
    bulk: list[tuple[int, int, bytes]] = []
    for event in events:
        kind = _KINDS.get(event.payload.type_url)
        if kind is None:
            continue  # other profile events do not concern grading
        message = unpack(event, kind)
        rows = len(message.totals.customer_id) if kind is facts_pb2.DailyFactsRecorded else 0
        if rows > QUEUE_ROWS:
            bulk.append((int(event.position), rows, event.payload.value))
        else:
            now.append((kind, message))
    if bulk:
        await fact_queue.add(apg, *zip(*bulk, strict=True))
    if not now:
        return
    await profile_state.lock_customers(apg, sorted({c for _, m in now for c in _customers(m)}))
    touched: list[np.ndarray] = []
    days: list[np.ndarray] = []
    # Runs of the same kind of event are applied together, in stream order.
    for kind, run in groupby(now, key=lambda pair: pair[0]):
        messages = [message for _, message in run]
        if kind is facts_pb2.DailyFactsRecorded:
            ids, last = await profile_state.store_period_totals(apg, [m.totals for m in messages])
            touched.append(ids)
            days.append(last)
            continue
        if kind is profile_pb2.CustomerChanged:
            ids = await profile_state.store_customers(apg, messages)
        else:
            ids = await profile_state.store_assessments(apg, messages)
        touched.append(np.array(ids, dtype=object))
        days.append(np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]"))
    await regrade(conn, apg, library, np.concatenate(touched), np.concatenate(days))


def _customers(message) -> Sequence[str]:  # type: ignore[no-untyped-def]
    if isinstance(message, facts_pb2.DailyFactsRecorded):
        return message.totals.customer_id
    if isinstance(message, risk_pb2.AssessmentRecorded):
        return [message.assessment.customer_id]
    return [message.customer.customer_id]


async def apply_fact_batches(
    conn: AsyncConnection,
    apg: Connection,
    library: RuleLibrary,
    batches: Sequence[facts_pb2.DailyFactsRecorded],
) -> int:
    """Apply fact batches taken from the queue and grade their customers, in the caller's
    transaction (which shares the grading lock: records.share_grades). Returns the customers
    graded."""
    customers = sorted({c for b in batches for c in b.totals.customer_id})
    await profile_state.lock_customers(apg, customers)
    ids, last = await profile_state.store_period_totals(apg, [b.totals for b in batches])
    if len(ids):
        await regrade(conn, apg, library, ids, last)
    return len(customers)


_AS_OF = """
    SELECT u.id, COALESCE(greatest(max(u.day), max(g.as_of), max(c.open_date)), CURRENT_DATE)
    FROM unnest($1::text[], $2::date[]) AS u(id, day)
    JOIN grading.customers c ON c.customer_id = u.id
    LEFT JOIN grading.grades g ON g.customer_no = c.customer_no
    GROUP BY u.id"""


async def regrade(
    conn: AsyncConnection, apg, library: RuleLibrary, ids: np.ndarray, days: np.ndarray
) -> None:  # type: ignore[no-untyped-def]
    """Grade the touched customers as of their latest business day: the later of the
    newest facts in the batch, their current grade's day and their opening day (a late
    fact for an old day never moves a grade back in time)."""
    rows = await apg.fetch(_AS_OF, ids.tolist(), days.tolist())
    customer_ids = np.array([r[0] for r in rows])
    as_of = np.array([r[1] for r in rows], dtype="datetime64[D]")
    lines_run, star_lines = await records.latest_star_lines(conn)
    # One pass per year: which periods a grading reads depends on the year; within a year
    # the latest day stands for the group. All passes grade before any stores, so the event
    # format follows the batch's changes, not each year's share of them.
    years = as_of.astype("datetime64[Y]")
    passes = []
    for year in np.unique(years):
        group = years == year
        day = as_of[group].max().item()
        rules, rule_set_id = await library.effective_on(day)
        passes.append(
            await grading_pass.grade(
                [apg],
                rules,
                rule_set_id,
                day,
                RunKind.AD_HOC,
                customer_ids=customer_ids[group].tolist(),
                star_lines=star_lines,
                lines_run=lines_run,
            )
        )
    changed = sum(int(done.graded.changed[done.scope].sum()) for done in passes)
    for done in passes:
        await grading_pass.store(
            conn, apg, done, run_id=0, columnar=changed > grading_pass.PER_CUSTOMER_EVENTS
        )
