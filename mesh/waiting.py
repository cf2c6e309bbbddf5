"""Waiting on an asyncio.Event with a time limit, without losing a cancellation."""

import asyncio


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` was set within `seconds`. On Python 3.11 `asyncio.wait_for` can swallow
    a cancellation that arrives just as the event is set, and a background loop built on it
    then ignores its shutdown; `asyncio.timeout` keeps the cancellation."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
        return True
    except TimeoutError:
        return False
