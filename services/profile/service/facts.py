"""Ingesting end-of-day facts and answering period questions.

Each batch is one unit of work: store the rows and move the quarter totals in one statement,
and publish one DailyFactsRecorded event carrying the touched quarters' new totals. A process
that dies mid-stream loses at most the batch in flight; the client re-sends it, and re-sent
days replace rather than add."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from clienttier.profile.v1 import facts_pb2
from mesh.errors import NotFound
from services.profile.adapters.facts_repository import ConcurrentDayInsert, FactsRepository
from services.profile.domain.facts import Rejection, check_batch
from services.profile.domain.figures import (
    Figures,
    Totals,
    combine,
    figures,
    split_period,
    value_rules,
)
from services.profile.service.unit_of_work import ProfileUnitOfWork

EPOCH = date(1970, 1, 1)


@dataclass
class BatchResult:
    accepted: int
    replaced: int
    rejections: list[Rejection] = field(default_factory=list)


async def ingest_batch(
    uow: ProfileUnitOfWork, customer_ids: list[str], days: list[str], values: dict[str, list]
) -> BatchResult:
    batch, rejections = check_batch(customer_ids, days, values)
    if not len(batch):
        return BatchResult(0, 0, rejections)
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(ConcurrentDayInsert), stop=stop_after_attempt(5), reraise=True
    ):
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
    for position in stored.unknown_rows:
        row = int(batch.rows[position])
        rejections.append(
            Rejection(row, "customer_id", f"customer {customer_ids[row]!r} not found")
        )
    accepted = len(batch) - len(stored.unknown_rows)
    return BatchResult(accepted, stored.replaced, sorted(rejections, key=lambda r: r.row))


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
