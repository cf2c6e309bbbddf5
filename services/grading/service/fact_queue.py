"""Applying profile's queued bulk fact batches, just behind the event stream.

The consumer queues big DailyFactsRecorded events (see follow_profile) and commits; here
they are taken in stream order, a chunk of about CHUNK_ROWS totals rows per transaction that
applies them, grades their customers and removes them from the queue together, so each is
applied exactly once even if the process stops midway. It runs alongside the consumer: each
transaction locks only its own customers' rows (plus the lock shared by all event applies,
which only a grading run takes alone), so the consumer's small applies do not wait for it.

Woken by the queue's NOTIFY when the consumer commits, and every poll interval regardless
(for batches left by a stopped process, or queued while LISTEN was down)."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clienttier.profile.v1 import facts_pb2
from mesh.waiting import wait_set
from services.grading.adapters import fact_queue, records
from services.grading.service.follow_profile import apply_fact_batches
from services.grading.service.library import RuleLibrary

log = logging.getLogger(__name__)

CHUNK_ROWS = 2_000


class FactQueue:
    def __init__(
        self,
        engine: AsyncEngine,
        library: RuleLibrary,
        chunk_rows: int = CHUNK_ROWS,
        poll_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.library = library
        self.chunk_rows = chunk_rows
        self.poll_seconds = poll_seconds
        self._queued = asyncio.Event()

    def _notified(self, *_args: object) -> None:
        self._queued.set()

    async def drain(self) -> int:
        """Apply everything queued; the customers graded."""
        started = time.perf_counter()
        graded = chunks = 0
        while True:
            async with self.engine.begin() as conn:
                # First, as every grading change: a run in progress is waited for. It also
                # begins the transaction (SQLAlchemy sends BEGIN with its first statement)
                # before the driver is used directly.
                await records.share_grades(conn)
                apg = (await conn.get_raw_connection()).driver_connection
                taken = await fact_queue.take(apg, self.chunk_rows)
                if not taken:
                    break
                batches = [facts_pb2.DailyFactsRecorded.FromString(p) for _, p in taken]
                graded += await apply_fact_batches(conn, apg, self.library, batches)
                chunks += 1
        if chunks:
            seconds = time.perf_counter() - started
            log.info(
                "queued fact batches applied",
                extra={
                    "fields": {"chunks": chunks, "customers": graded, "seconds": round(seconds, 3)}
                },
            )
        return graded

    async def run(self) -> None:
        """Drain on every notification and every poll interval, for the life of the process
        (ends only by cancellation)."""
        while True:
            listener: AsyncConnection | None = None
            try:
                listener = await self.engine.connect()
                raw = await listener.get_raw_connection()
                await raw.driver_connection.add_listener(fact_queue.CHANNEL, self._notified)
                while True:
                    self._queued.clear()
                    await self.drain()
                    await wait_set(self._queued, self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("applying queued fact batches failed; retrying")
                await asyncio.sleep(1.0)
            finally:
                if listener is not None:
                    await listener.close()
