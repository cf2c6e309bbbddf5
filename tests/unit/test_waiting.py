"""mesh.waiting.wait_set: a background loop waiting on an event still stops when cancelled."""

import asyncio

from mesh.waiting import wait_set


async def test_the_event_or_the_time_limit():
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    event.set()
    assert await wait_set(event, 60) is True


async def test_a_cancellation_arriving_as_the_event_is_set_stops_the_loop():
    event = asyncio.Event()

    async def loop() -> None:
        while True:
            await wait_set(event, 60)
            event.clear()

    task = asyncio.create_task(loop())
    for _ in range(3):
        await asyncio.sleep(0)  # the loop is waiting
    event.set()
    await asyncio.sleep(0)  # ... and is woken, when the cancellation comes
    task.cancel()
    # asyncio.wait_for in place of wait_set loses this cancellation: the loop waits on.
    await asyncio.wait([task], timeout=5)
    assert task.cancelled()
