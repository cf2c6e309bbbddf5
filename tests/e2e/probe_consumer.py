"""A consumer of profile's events built on mesh.consumer, for the kill-the-consumer test. It
records every event it applies, with no uniqueness constraint, so a duplicate would show.

    python -m tests.e2e.probe_consumer   (PROBE_DB_URL, PROBE_PROFILE, PROBE_BATCH_DELAY)
"""

import asyncio
import os

from sqlalchemy import BigInteger, Column, Identity, MetaData, Table, Text, insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from clienttier.profile.v1 import facts_pb2, profile_pb2, profile_pb2_grpc, risk_pb2
from mesh.consumer import EventConsumer
from mesh.outbox import cursor_ddl, cursor_table, unpack

SCHEMA = "probe"
metadata = MetaData(schema=SCHEMA)
cursors = cursor_table(metadata)
applied = Table(
    "applied",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
)


async def main() -> None:
    engine = create_async_engine(os.environ["PROBE_DB_URL"])
    delay = float(os.environ.get("PROBE_BATCH_DELAY", "0"))
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        if not await conn.scalar(text("SELECT to_regclass('probe.event_cursors') IS NOT NULL")):
            await conn.execute(text(cursor_ddl(SCHEMA)))
            await conn.run_sync(metadata.create_all, tables=[applied])

    async def apply(conn, events) -> None:  # type: ignore[no-untyped-def]
        # One row per (event, customer it speaks of), with the customer's version.
        rows = []
        for event in events:
            position = int(event.position)
            if changed := unpack(event, profile_pb2.CustomerChanged):
                versions = {changed.customer.customer_id: changed.version}
            elif assessed := unpack(event, risk_pb2.AssessmentRecorded):
                versions = {assessed.assessment.customer_id: assessed.version}
            elif professional := unpack(event, risk_pb2.ProfessionalStatusChanged):
                versions = {professional.customer_id: professional.version}
            elif recorded := unpack(event, facts_pb2.DailyFactsRecorded):
                t = recorded.totals
                # Totals versions count per (customer, quarter): a separate order from the
                # customer record's own version.
                versions = {
                    f"{c}/{q}": v
                    for c, q, v in zip(t.customer_id, t.period, t.customer_version, strict=True)
                }
            else:  # an event that carries no version: nothing to order it by
                versions = {f"unversioned/{position}": 0}
            rows += [
                {"position": position, "aggregate_id": c, "version": v} for c, v in versions.items()
            ]
        await conn.execute(insert(applied), rows)
        await asyncio.sleep(delay)  # slow enough to be killed mid-stream

    import grpc

    channel = grpc.aio.insecure_channel(os.environ["PROBE_PROFILE"])
    profile = profile_pb2_grpc.ProfileServiceStub(channel)
    consumer = EventConsumer(
        source="profile",
        subscribe=lambda after: profile.SubscribeEvents(
            profile_pb2.SubscribeEventsRequest(after_position=after, max_batch=20)
        ),
        apply=apply,
        engine=engine,
        cursors=cursors,
    )
    await consumer.run()


if __name__ == "__main__":
    asyncio.run(main())
