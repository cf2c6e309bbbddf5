"""Following another service's event stream with a durable cursor.

Each batch from the stream is applied in one transaction of the consumer's own database that
also moves the cursor. A consumer killed at any point restarts from the last committed cursor:
no event is lost and none is applied twice."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import grpc
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from clienttier.common.v1 import common_pb2

log = logging.getLogger(__name__)

# (after_position) -> the producer's SubscribeEvents stream of responses with .events
Subscribe = Callable[[str], AsyncIterator]
Apply = Callable[[AsyncConnection, Sequence[common_pb2.Event]], Awaitable[None]]


class EventConsumer:
    def __init__(
        self,
        *,
        source: str,
        subscribe: Subscribe,
        apply: Apply,
        engine: AsyncEngine,
        cursors: Table,
    ) -> None:
        self.source = source
        self.subscribe = subscribe
        self.apply = apply
        self.engine = engine
        self.cursors = cursors

    async def run(self) -> None:
        """Follow the stream forever; reconnect with backoff when the producer or the database
        goes away (gRPC's retry policy cannot resume a stream that already delivered)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((grpc.aio.AioRpcError, DBAPIError, OSError)),
            wait=wait_exponential_jitter(initial=0.2, max=5.0),
            before_sleep=before_sleep_log(log, logging.WARNING),
        )
        async for attempt in retrying:
            with attempt:
                await self._follow()

    async def position(self) -> str:
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(self.cursors.c.position).where(self.cursors.c.source == self.source)
            )
        return "" if value is None else str(value)

    async def _follow(self) -> None:
        stream = self.subscribe(await self.position())
        try:
            async for response in stream:
                if response.events:
                    await self._apply_batch(response.events)
        finally:
            cancel = getattr(stream, "cancel", None)
            if cancel is not None:
                cancel()
        # The producer ended the stream (it is shutting down): reconnect.
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.UNAVAILABLE,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            details=f"{self.source} ended the event stream",
        )

    async def _apply_batch(self, events: Sequence[common_pb2.Event]) -> None:
        async with self.engine.begin() as conn:
            # Read the cursor under a row lock first. It begins the transaction for real
            # (SQLAlchemy's asyncpg adapter sends BEGIN lazily, so an apply that goes to the
            # driver directly would otherwise autocommit), and a second replica following the
            # same stream waits here and then skips what this one already applied.
            cursors = self.cursors.c
            applied = await conn.scalar(
                select(cursors.position).where(cursors.source == self.source).with_for_update()
            )
            fresh = [e for e in events if int(e.position) > (applied or 0)]
            if not fresh:
                return
            await self.apply(conn, fresh)
            last = int(fresh[-1].position)
            stmt = insert(self.cursors).values(source=self.source, position=last)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[self.cursors.c.source],
                    set_={"position": last, "updated_at": stmt.excluded.updated_at},
                )
            )


async def run_forever(consumer: EventConsumer) -> None:
    """Keep a consumer alive for the life of the process (it only ends by cancellation)."""
    while True:
        try:
            await consumer.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("consumer of %s failed; restarting", consumer.source)
            await asyncio.sleep(1.0)
