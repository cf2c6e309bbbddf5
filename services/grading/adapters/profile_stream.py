"""Profile's event stream as grading's consumer reads it: every response that has already
arrived, merged into one batch.

mesh.consumer applies each item of the stream in one transaction, and profile sends a
response per read of its outbox. When events trickle in faster than a transaction takes (a
customer's new day every few milliseconds while an ingest loads the machine), each would get
a transaction of its own and grading would fall further behind with every one. A reader task
keeps taking responses off the stream, and each batch is everything waiting: transactions
grow with the backlog instead of the backlog growing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from clienttier.common.v1 import common_pb2

# Responses read ahead (profile's are at most 1 MB each): a bound on memory, and on a batch.
READ_AHEAD = 8


@dataclass
class Batch:
    """What mesh.consumer needs of a response."""

    events: list[common_pb2.Event]


@dataclass
class _End:
    error: BaseException | None = None


class MergedStream:
    def __init__(self, call, max_events: int, read_ahead: int = READ_AHEAD) -> None:  # type: ignore[no-untyped-def]
        self._call = call
        self._max_events = max_events
        self._waiting: asyncio.Queue[object] = asyncio.Queue(maxsize=read_ahead)
        self._end: _End | None = None
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for response in self._call:
                await self._waiting.put(response)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # handed to the consumer, which reconnects
            await self._waiting.put(_End(exc))
            return
        await self._waiting.put(_End())

    def __aiter__(self) -> AsyncIterator[Batch]:
        return self

    async def __anext__(self) -> Batch:
        events: list[common_pb2.Event] = []
        while self._end is None and len(events) < self._max_events:
            if events and self._waiting.empty():
                break
            item = await self._waiting.get()
            if isinstance(item, _End):
                self._end = item
            else:
                events.extend(item.events)  # type: ignore[attr-defined]
        if events:
            return Batch(events)
        assert self._end is not None
        if self._end.error is not None:
            raise self._end.error
        raise StopAsyncIteration

    def cancel(self) -> None:
        self._reader.cancel()
        self._call.cancel()
