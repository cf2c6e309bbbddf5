"""Bulk fact batches queued behind profile's stream, on the real database: queued by the
consumer's transaction, applied by FactQueue exactly once, overtaken safely by a customer's
new day, and the locking that lets both run side by side (runs still alone).

A database of its own: the end-to-end mesh shares the session's database, and its grading
process would drain this module's queue."""

import asyncio
import os

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clienttier.grading.v1 import grading_pb2
from ops.bootstrap_db import drop_database
from ops.dsn import service_url
from ops.launcher import Mesh
from services.grading.adapters import fact_queue, profile_state, records
from services.grading.service import grades
from services.grading.service.fact_queue import FactQueue
from services.grading.service.follow_profile import QUEUE_ROWS, apply_profile_events
from services.grading.service.library import RuleLibrary
from tests.conftest import new_id
from tests.integration.test_grading_apply import customer, event, quarters

pytestmark = pytest.mark.integration

BULK = QUEUE_ROWS + 50


@pytest.fixture(scope="module")
async def engine(admin_url):
    name = f"ct_test_queue_{os.getpid()}"
    await asyncio.to_thread(Mesh(admin_url=admin_url, database=name).prepare_database)
    made = create_async_engine(service_url(admin_url, "grading", name))
    yield made
    await made.dispose()
    await drop_database(admin_url, name)


@pytest.fixture(scope="module")
async def library(engine):
    lib = RuleLibrary(engine)
    await lib.load()
    return lib


class Stream:
    """Positions as profile's stream would give them."""

    def __init__(self) -> None:
        self.position = 0

    async def apply(self, engine, library, *messages) -> None:
        events = []
        for message in messages:
            self.position += 1
            events.append(event(message, self.position))
        async with engine.begin() as conn:
            await apply_profile_events(conn, events, library)


@pytest.fixture(scope="module")
def stream() -> Stream:
    return Stream()


def quarter_rows(ids: list[str], assets: int, version: int = 1) -> list[dict]:
    return [
        {"customer_id": c, "period": "2026Q1", "assets": assets, "version": version,
         "first": "2026-02-02"}
        for c in ids
    ]  # fmt: skip


async def tier(engine, library, cid: str) -> int:
    return (await grades.get_grade(engine, library, cid, None)).tier


async def queued(engine) -> int:
    async with engine.connect() as conn:
        apg = (await conn.get_raw_connection()).driver_connection
        return (await fact_queue.size(apg))[0]


async def test_a_bulk_batch_is_queued_then_applied_once(engine, library, stream):
    ids = [new_id("Q") for _ in range(BULK)]
    await stream.apply(engine, library, *(customer(c) for c in ids))
    assert await tier(engine, library, ids[0]) == grading_pb2.TIER_ORDINARY

    await stream.apply(engine, library, quarters(quarter_rows(ids, 300_000)))
    # Committed with the stream position, not applied: the grades have not moved yet.
    assert await queued(engine) == 1
    assert await tier(engine, library, ids[0]) == grading_pb2.TIER_ORDINARY

    assert await FactQueue(engine, library).drain() == BULK
    assert await queued(engine) == 0
    assert {await tier(engine, library, c) for c in ids} == {grading_pb2.TIER_POTENTIAL}
    async with engine.connect() as conn:
        history = await conn.scalar(text("SELECT count(*) FROM grading.grade_history"))
    assert await FactQueue(engine, library).drain() == 0
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM grading.grade_history")) == history


async def test_a_new_day_overtakes_queued_bulk_and_is_not_undone_by_it(engine, library, stream):
    ids = [new_id("Q") for _ in range(BULK)]
    vip = ids[0]
    await stream.apply(engine, library, *(customer(c) for c in ids))
    await stream.apply(engine, library, quarters(quarter_rows(ids, 300_000, version=1)))
    # The same quarter's newer totals for one customer, behind the bulk in the stream.
    await stream.apply(engine, library, quarters(quarter_rows([vip], 6_000_000, version=2)))
    assert await tier(engine, library, vip) == grading_pb2.TIER_VIP
    assert await queued(engine) == 1

    await FactQueue(engine, library).drain()
    assert await tier(engine, library, vip) == grading_pb2.TIER_VIP
    assert await tier(engine, library, ids[1]) == grading_pb2.TIER_POTENTIAL


async def test_a_failed_apply_leaves_the_batch_queued(engine, library, stream):
    ids = [new_id("Q") for _ in range(BULK)]
    await stream.apply(engine, library, *(customer(c) for c in ids))
    await stream.apply(engine, library, quarters(quarter_rows(ids, 300_000)))
    async with engine.connect() as conn, conn.begin() as tx:
        await records.share_grades(conn)  # begins the transaction, as FactQueue.drain does
        apg = (await conn.get_raw_connection()).driver_connection
        assert len(await fact_queue.take(apg, 1)) == 1
        await tx.rollback()
    assert await queued(engine) == 1
    await FactQueue(engine, library).drain()


async def waiting_for_a_lock(engine) -> bool:
    async with engine.connect() as conn:
        return bool(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


async def test_applies_wait_only_for_their_own_customers_and_runs_wait_for_applies(
    engine, library, stream
):
    busy, other = new_id("Q"), new_id("Q")
    await stream.apply(engine, library, customer(busy), customer(other))
    async with engine.connect() as holder, holder.begin():
        # An apply in progress (a queued chunk, say) holding `busy`.
        await records.share_grades(holder)
        apg = (await holder.get_raw_connection()).driver_connection
        await profile_state.lock_customers(apg, [busy])

        # Another customer's new day goes ahead meanwhile...
        new_day = quarters(quarter_rows([other], 6_000_000))
        await asyncio.wait_for(stream.apply(engine, library, new_day), timeout=10)
        assert await tier(engine, library, other) == grading_pb2.TIER_VIP
        # ... a run cannot start ...
        async with engine.connect() as run, run.begin():
            lock = "SELECT pg_try_advisory_xact_lock(hashtext('grading.grades'))"
            assert await run.scalar(text(lock)) is False
        # ... and the same customer's new day waits for the holder to commit.
        same = asyncio.create_task(
            stream.apply(engine, library, quarters(quarter_rows([busy], 6_000_000)))
        )
        for _ in range(200):
            if await waiting_for_a_lock(engine):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the apply for the locked customer did not wait")
        assert not same.done()
    await asyncio.wait_for(same, timeout=10)
    assert await tier(engine, library, busy) == grading_pb2.TIER_VIP
