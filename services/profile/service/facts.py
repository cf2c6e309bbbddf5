"""Ingesting end-of-day facts and answering period questions.

Each batch is one unit of work. Either it stores the rows and moves the quarter totals in one
statement, publishing one DailyFactsRecorded event with the touched quarters' new totals; or,
for bulk ingest, it COPYs new days and queues them for the roll-up in the same transaction, and
the roll-up (service/totals_rollup.py) folds them in and publishes the events. A process that
dies mid-stream loses at most the batch in flight; the client re-sends it, and re-sent days
replace rather than add. Queued days are in the database, so they outlive the process."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from clienttier.profile.v1 import facts_pb2
from mesh.db import attempts
from mesh.errors import NotFound
from services.profile.adapters.facts_repository import ConcurrentDayInsert, FactsRepository
from services.profile.domain.facts import FactsBatch, Rejection, check_batch
from services.profile.domain.figures import (
    Figures,
    Totals,
    combine,
    figures,
    split_period,
    value_rules,
)
from services.profile.service.known_customers import KnownCustomers
from services.profile.service.unit_of_work import ProfileUnitOfWork

EPOCH = date(1970, 1, 1)


@dataclass
class BatchResult:
    accepted: int
    replaced: int
    rejections: list[Rejection] = field(default_factory=list)


async def ingest_batch(
    uow: ProfileUnitOfWork,
    customer_ids: list[str],
    days: list[str],
    values: dict[str, list],
    queue_totals: bool = False,
    known: KnownCustomers | None = None,
) -> BatchResult:
    """Store a batch of days. With queue_totals, a batch of days none of which is stored yet
    is COPYed and queued for the roll-up (TotalsRollup) to move the totals, instead of moving
    the totals now; a batch that replaces days always moves them now."""
    batch, rejections = check_batch(customer_ids, days, values)
    if not len(batch):
        return BatchResult(0, 0, rejections)
    if queue_totals and (unknown := await _queue_new_days(uow, batch, known)) is not None:
        return _result(batch, rejections, unknown, 0, customer_ids)
    # A race over a new day, or a deadlock with the roll-up over totals rows: run again.
    async for attempt in attempts(ConcurrentDayInsert):
        with attempt:
            async with uow:
                stored = await FactsRepository(await uow.raw_connection()).store(batch)
                if len(stored.unknown_rows) < len(batch):
                    uow.publish(
                        f"batch-{uuid.uuid4()}",
                        facts_pb2.DailyFactsRecorded(
                            batch_id=str(uuid.uuid4()),
                            rows=len(batch) - len(stored.unknown_rows),
                            totals=facts_pb2.PeriodTotalsColumns(**stored.totals),
                        ),
                    )
                await uow.commit()
    return _result(batch, rejections, stored.unknown_rows, stored.replaced, customer_ids)


async def _queue_new_days(
    uow: ProfileUnitOfWork, batch: FactsBatch, known: KnownCustomers | None
) -> list[int] | None:
    """The bulk path: COPY the batch's days and queue them for the roll-up, in one commit.
    The positions of rows whose customer does not exist; None, with nothing written (the
    transaction rolls back), when one of the days is stored already."""
    async with uow:
        # Not waiting for this commit to reach disk is safe: the stream replies only after the
        # queued deltas are folded, and that later, synchronous commit flushes the log up to
        # and past this one. A stream cut before its reply is re-sent by the client.
        await uow.commit_asynchronously()
        repo = FactsRepository(await uow.raw_connection())
        unknown = await _unknown_rows(repo, batch, known)
        exists = np.ones(len(batch), dtype=bool)
        exists[unknown] = False
        found = batch.keep(exists)
        if len(found):
            if not await repo.insert_new_days(found):
                return None
            await repo.queue_days(found)
        await uow.commit()
    return unknown


async def learn_customer_book(
    uow: Callable[[], ProfileUnitOfWork], known: KnownCustomers, page_rows: int = 500_000
) -> int:
    """Load the ids of the customer book into `known`, a page per transaction, until it is
    all in or `known` is full; how many ids were loaded. Run as a process starts, so that its
    first daily feed does not look every customer up."""
    loaded, after = 0, b""
    while True:
        async with uow() as work:
            repo = FactsRepository(await work.raw_connection())
            page = await repo.customer_ids_after(after, page_rows)
        if not len(page) or not known.preload(page):
            return loaded
        loaded, after = loaded + len(page), page[-1]


async def _unknown_rows(
    repo: FactsRepository, batch: FactsBatch, known: KnownCustomers | None
) -> list[int]:
    ids = batch.customer_id_bytes
    # Distinct ids for the lookup, sorted only once the memo has set aside those it knows: in a
    # daily feed, all of them (numpy sorts bytes at ~0.18 µs an id).
    unseen = np.unique(known.unseen(ids) if known is not None else ids)
    missing = await repo.missing_customers(unseen.astype(str).tolist())
    gone = np.array(list(missing), dtype="S") if missing else unseen[:0]
    if known is not None:
        known.add(unseen[~np.isin(unseen, gone)])
    return np.flatnonzero(np.isin(ids, gone)).tolist() if missing else []


def _result(
    batch: FactsBatch,
    rejections: list[Rejection],
    unknown_rows: list[int],
    replaced: int,
    customer_ids: list[str],
) -> BatchResult:
    for position in unknown_rows:
        row = int(batch.rows[position])
        rejections.append(
            Rejection(row, "customer_id", f"customer {customer_ids[row]!r} not found")
        )
    accepted = len(batch) - len(unknown_rows)
    return BatchResult(accepted, replaced, sorted(rejections, key=lambda r: r.row))


async def _require_customer(repo: FactsRepository, customer_id: str) -> None:
    if not await repo.customer_exists(customer_id):
        raise NotFound("customer", customer_id)


async def _totals(repo: FactsRepository, customer_id: str, start: date, end: date) -> Totals | None:
    whole, edges = split_period(start, end)
    parts = [Totals.from_row(r) for r in await repo.quarter_totals(customer_id, whole)]
    for first, last in edges:
        row = await repo.day_totals(customer_id, (first - EPOCH).days, (last - EPOCH).days)
        if row is not None:
            parts.append(Totals.from_row(row))
    return combine(parts)


async def period_figures(
    uow: ProfileUnitOfWork, customer_id: str, start: date, end: date
) -> Figures | None:
    """None when the customer has no facts in the period."""
    async with uow:
        repo = FactsRepository(await uow.raw_connection())
        await _require_customer(repo, customer_id)
        totals = await _totals(repo, customer_id, start, end)
    return None if totals is None else figures(totals, value_rules())


async def quarter_figures(
    uow: ProfileUnitOfWork, customer_id: str, quarters: list[str]
) -> list[tuple[str, Figures | None]]:
    async with uow:
        repo = FactsRepository(await uow.raw_connection())
        await _require_customer(repo, customer_id)
        rows = {
            r["period"]: Totals.from_row(r)
            for r in await repo.quarter_totals(customer_id, quarters)
        }
    rules = value_rules()
    return [(q, figures(rows[q], rules) if q in rows else None) for q in quarters]
