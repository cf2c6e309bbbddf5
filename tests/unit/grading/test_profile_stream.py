"""MergedStream: what has arrived from profile's stream is applied as one batch."""

from __future__ import annotations

import asyncio

import pytest

from clienttier.common.v1 import common_pb2
from clienttier.profile.v1 import profile_pb2
from services.grading.adapters.profile_stream import MergedStream


def response(*positions: int) -> profile_pb2.SubscribeEventsResponse:
    return profile_pb2.SubscribeEventsResponse(
        events=[common_pb2.Event(position=str(p)) for p in positions]
    )


class FakeCall:
    """A server stream the test feeds; `drained` is set whenever the reader has taken
    everything fed so far."""

    def __init__(self) -> None:
        self.items: asyncio.Queue[object] = asyncio.Queue()
        self.drained = asyncio.Event()
        self.cancelled = False

    def feed(self, *items: object) -> None:
        self.drained.clear()
        for item in items:
            self.items.put_nowait(item)

    def __aiter__(self) -> FakeCall:
        return self

    async def __anext__(self) -> object:
        if self.items.empty():
            self.drained.set()
        item = await self.items.get()
        if item is StopAsyncIteration:
            raise StopAsyncIteration
        if isinstance(item, Exception):
            raise item
        return item

    def cancel(self) -> None:
        self.cancelled = True


def positions(batch) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(e.position) for e in batch.events]


async def test_responses_that_have_arrived_make_one_batch():
    call = FakeCall()
    stream = MergedStream(call, max_events=100)
    call.feed(response(1, 2), response(3), response(4, 5))
    await call.drained.wait()
    assert positions(await anext(stream)) == [1, 2, 3, 4, 5]
    # Nothing waiting: the next batch is the next response, not a wait for more.
    call.feed(response(6))
    assert positions(await anext(stream)) == [6]
    stream.cancel()


async def test_a_batch_stops_at_max_events_and_the_rest_follows():
    call = FakeCall()
    stream = MergedStream(call, max_events=3)
    call.feed(response(1, 2), response(3, 4), response(5))
    await call.drained.wait()
    assert positions(await anext(stream)) == [1, 2, 3, 4]
    assert positions(await anext(stream)) == [5]
    stream.cancel()


async def test_events_before_an_error_are_applied_then_the_error_is_raised():
    call = FakeCall()
    stream = MergedStream(call, max_events=100)
    call.feed(response(1), RuntimeError("stream broke"))
    assert positions(await anext(stream)) == [1]
    with pytest.raises(RuntimeError, match="stream broke"):
        await anext(stream)


async def test_the_stream_ends_after_its_last_events():
    call = FakeCall()
    stream = MergedStream(call, max_events=100)
    call.feed(response(1), StopAsyncIteration)
    assert [positions(b) async for b in stream] == [[1]]


async def test_cancel_cancels_the_call_and_the_reader():
    call = FakeCall()
    stream = MergedStream(call, max_events=100)
    await asyncio.sleep(0)  # the reader starts waiting on the call
    stream.cancel()
    assert call.cancelled
    with pytest.raises(asyncio.CancelledError):
        await stream._reader
