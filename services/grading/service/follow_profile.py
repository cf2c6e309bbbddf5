"""Keeping every customer's grade current from profile's events.

Runs inside the consumer's transaction (see mesh.consumer): profile's state, the new grades,
their history and the grade events commit together with the stream position. A batch is
applied with one statement per kind of event, then the customers it touched are graded in
one pass (upgrades at once; downgrades wait for a scheduled run)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from clienttier.common.v1 import common_pb2
from clienttier.profile.v1 import facts_pb2, profile_pb2, risk_pb2
from mesh.outbox import TYPE_URL_PREFIX, unpack
from services.grading.adapters import profile_state, records
from services.grading.adapters.population import copy_lines
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


async def apply_profile_events(
    conn: AsyncConnection, events: Sequence[common_pb2.Event], library: RuleLibrary
) -> None:
    await records.lock_grades(conn)
    raw = await conn.get_raw_connection()
    apg = raw.driver_connection
    touched: list[np.ndarray] = []
    days: list[np.ndarray] = []
    # Runs of the same kind of event are applied together, in stream order.
    for url, run in groupby(events, key=lambda e: e.payload.type_url):
        kind = _KINDS.get(url)
        if kind is None:
            continue  # other profile events do not concern grading
        messages = [unpack(e, kind) for e in run]
        if kind is facts_pb2.DailyFactsRecorded:
            for message in messages:
                ids, last = await profile_state.store_period_totals(apg, message.totals)
                touched.append(ids)
                days.append(last)
            continue
        if kind is profile_pb2.CustomerChanged:
            ids = await profile_state.store_customers(apg, messages)
        else:
            ids = await profile_state.store_assessments(apg, messages)
        touched.append(np.array(ids, dtype=object))
        days.append(np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]"))
    if touched:
        await regrade(conn, apg, library, np.concatenate(touched), np.concatenate(days))


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
    lines = await copy_lines(apg, _AS_OF, ids.tolist(), days.tolist())
    parts = np.char.partition(np.array(lines), "\t")
    customer_ids = parts[:, 0]
    as_of = parts[:, 2].astype("datetime64[D]")
    lines_run, star_lines = await records.latest_star_lines(conn)
    # One pass per year: which periods a grading reads depends on the year; within a year
    # the latest day stands for the group.
    years = as_of.astype("datetime64[Y]")
    for year in np.unique(years):
        group = years == year
        day = as_of[group].max().item()
        rules, rule_set_id = await library.effective_on(day)
        done = await grading_pass.grade(
            [apg],
            rules,
            rule_set_id,
            day,
            RunKind.AD_HOC,
            customer_ids=customer_ids[group].tolist(),
            star_lines=star_lines,
            lines_run=lines_run,
        )
        await grading_pass.store(conn, apg, done, run_id=0)
