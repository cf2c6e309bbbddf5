"""Folding queued days into period_totals as quarter deltas, and publishing the new totals.

Bulk ingest queues each batch's new days (pending_totals) instead of updating a totals row
per fact; updating those rows is most of the cost of a fact. Folding later lets one update
carry a customer's several days: the longer deltas wait, the more days an update carries.

Folds happen when an ingest stream ends (its reply waits, so what it sent is in the totals
when it returns); when bulk ingest has gone quiet for a few seconds; while it goes on, once
the first delta not folded yet has waited `max_lag_seconds` (so the totals trail a long
stream by about that, and a day-major feed folds about that many seconds of days per
update); and every poll interval regardless, which picks up deltas left by a stopped process
or by another replica. Any process may fold any queued deltas: each is deleted in the
transaction that adds it, so it counts exactly once."""

import asyncio
import logging
import math
import time
import uuid

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.profile.v1 import facts_pb2
from mesh.db import attempts
from mesh.waiting import wait_set
from services.profile.adapters.facts_repository import FactsRepository
from services.profile.domain.quarter_deltas import queued_deltas
from services.profile.service.unit_of_work import ProfileUnitOfWork

log = logging.getLogger(__name__)

# About how many deltas one transaction folds (it holds them in memory), and totals per
# DailyFactsRecorded event (what followers apply in one go).
FOLD_ROWS = 200_000
EVENT_ROWS = 2_000
# Transactions folding side by side when a stream ends, each on its own connection, so each
# Postgres backend can use a core. Four folded no faster than two on this 2-core machine.
FOLDERS = 2


class TotalsRollup:
    def __init__(
        self,
        engine: AsyncEngine,
        settle_seconds: float = 3.0,
        max_lag_seconds: float = 15.0,
        poll_seconds: float = 15.0,
        fold_rows: int = FOLD_ROWS,
        event_rows: int = EVENT_ROWS,
    ) -> None:
        self.engine = engine
        self.fold_rows = fold_rows
        self.event_rows = event_rows
        self.settle_seconds = settle_seconds
        self.max_lag_seconds = max_lag_seconds
        self.poll_seconds = poll_seconds
        self._nudged = asyncio.Event()
        self._folding = asyncio.Lock()

    def nudge(self) -> None:
        """Deltas were queued: fold them soon."""
        self._nudged.set()

    async def fold_all(self) -> int:
        """Fold everything queued before this call; the number of queued rows folded.
        Only that: days queued meanwhile wait for the next fold, so that a fold during a
        long feed carries every day queued since the last one (a customer's days merge into
        one update), and a stream's reply never waits for other streams' later days."""
        async with self._folding:
            queued, last = await self._queue_mark()
            # Folds of an even share each, so that a queue smaller than FOLDERS x fold_rows
            # (one day of the whole book) still keeps every folder busy.
            share = max(1, min(self.fold_rows, math.ceil(queued / FOLDERS)))
            folds = (self._fold_until_empty(False, share, last) for _ in range(FOLDERS))
            taken = await asyncio.gather(*folds)
            # Then wait out batches another process was folding, so they are in too.
            return sum(taken) + await self._fold_until_empty(True, self.fold_rows, last)

    async def _queue_mark(self) -> tuple[int, int]:
        async with ProfileUnitOfWork(self.engine) as uow:
            return await FactsRepository(await uow.raw_connection()).queue_mark()

    async def _fold_until_empty(self, wait: bool, rows: int, up_to: int) -> int:
        folded = 0
        while taken := await self._fold_once(wait, rows, up_to):
            folded += taken
        return folded

    async def _fold_once(self, wait: bool, rows: int, up_to: int) -> int:
        """One transaction. Both writers of totals take their rows in key order; should
        Postgres still break a deadlock with another writer, this runs again."""
        return await attempts()(self._fold_transaction, wait, rows, up_to)

    async def _fold_transaction(self, wait: bool, rows: int, up_to: int) -> int:
        uow = ProfileUnitOfWork(self.engine)
        async with uow:
            repo = FactsRepository(await uow.raw_connection())
            queued = await repo.take_queued(rows, wait, up_to)
            if not queued:
                return 0
            await self._add(uow, repo, queued)
            await uow.commit()
        return sum(len(q["customer_id"]) for q in queued)

    async def _add(
        self, uow: ProfileUnitOfWork, repo: FactsRepository, queued: list[dict[str, np.ndarray]]
    ) -> None:
        """Turn the queued days into merged deltas, add them to the totals, publish the new
        totals."""
        # In a thread: numpy's sorts and reductions release the GIL, so the loop serves the
        # ingest streams and the other fold meanwhile (the tail after a stream ended: 3.0-3.6 s
        # against 4.0-4.2 s for 100,000 x 24 days).
        deltas = await asyncio.to_thread(queued_deltas, queued)
        async for totals in repo.add_to_totals(deltas, self.event_rows):
            uow.publish(
                f"totals-{uuid.uuid4()}",
                facts_pb2.DailyFactsRecorded(
                    batch_id=str(uuid.uuid4()),
                    totals=facts_pb2.PeriodTotalsColumns(**totals),
                ),
            )

    async def run(self, stopping: asyncio.Event) -> None:
        """Background loop until `stopping` is set."""
        while not stopping.is_set():
            if await wait_set(self._nudged, self.poll_seconds):
                await self._let_deltas_gather()
            self._nudged.clear()
            try:
                await self.fold_all()
            except Exception:  # the next round tries again; the deltas are still queued
                log.exception("folding queued days into the quarter totals failed")

    async def _let_deltas_gather(self) -> None:
        """Return once bulk ingest has been quiet for settle_seconds, or max_lag_seconds after
        the first nudge if it has not."""
        deadline = time.monotonic() + self.max_lag_seconds
        while (left := deadline - time.monotonic()) > 0:
            self._nudged.clear()
            if not await wait_set(self._nudged, min(self.settle_seconds, left)):
                return
