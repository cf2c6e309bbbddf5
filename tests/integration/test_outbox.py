"""The outbox delivers exactly what committed, in commit order, even under concurrency."""

import asyncio
import random

import pytest
from sqlalchemy import func, select

from clienttier.profile.v1 import profile_pb2
from mesh.outbox import OutboxFeed, OutgoingEvent, append, unpack
from services.profile.adapters.tables import outbox
from tests.conftest import new_id

pytestmark = pytest.mark.integration


def _event(customer_id: str, version: int) -> OutgoingEvent:
    return OutgoingEvent(
        customer_id,
        profile_pb2.CustomerChanged(
            customer=profile_pb2.Customer(customer_id=customer_id), version=version
        ),
    )


async def _last_position(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.scalar(select(func.max(outbox.c.id)))) or 0


async def test_rolled_back_events_are_never_delivered(engines):
    engine = engines["profile"]
    start = await _last_position(engine)
    customer = new_id()
    async with engine.connect() as conn:
        tx = await conn.begin()
        await append(conn, outbox, [_event(customer, 1)])
        await tx.rollback()
    async with engine.begin() as conn:
        await append(conn, outbox, [_event(customer, 2)])
    events = await OutboxFeed(engine, outbox).read_after(start, 100)
    versions = [
        unpack(e, profile_pb2.CustomerChanged).version for e in events if e.aggregate_id == customer
    ]
    assert versions == [2]


async def test_concurrent_writers_are_followed_in_commit_order_without_loss(engines):
    """Writers commit concurrently with random delays while a follower reads; the follower
    must see every event once, and each customer's versions in increasing order."""
    engine = engines["profile"]
    start = await _last_position(engine)
    customers = [new_id() for _ in range(8)]
    per_customer = 15

    async def writer(customer_id: str) -> None:
        for version in range(1, per_customer + 1):
            async with engine.begin() as conn:
                await append(conn, outbox, [_event(customer_id, version)])
                # Commit late, so that without ordering a later id could commit first.
                await asyncio.sleep(random.random() / 200)

    feed = OutboxFeed(engine, outbox, poll_seconds=0.05)
    await feed.start()
    stopping = asyncio.Event()
    seen: list = []

    async def follower() -> None:
        async for batch in feed.follow(start, 7, stopping):
            seen.extend(batch)
            mine = [e for e in seen if e.aggregate_id in customers]
            if len(mine) == len(customers) * per_customer:
                stopping.set()

    follow_task = asyncio.create_task(follower())
    await asyncio.gather(*(writer(c) for c in customers))
    await asyncio.wait_for(follow_task, timeout=30)
    await feed.close()

    positions = [int(e.position) for e in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    for customer_id in customers:
        versions = [
            unpack(e, profile_pb2.CustomerChanged).version
            for e in seen
            if e.aggregate_id == customer_id
        ]
        assert versions == list(range(1, per_customer + 1))
