"""python -m services.grading"""

import os

import grpc

from clienttier.grading.v1 import grading_pb2_grpc
from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from mesh.channels import open_channel
from mesh.consumer import EventConsumer, run_forever
from mesh.db import create_engine
from mesh.migrations import database_ready
from mesh.outbox import OutboxFeed
from mesh.server import Runtime, ServiceApp, run
from services.grading.adapters.profile_stream import MergedStream
from services.grading.adapters.tables import SCHEMA, event_cursors, outbox
from services.grading.entrypoints.grpc_server import SERVICE_NAME, GradingServicer
from services.grading.service.fact_queue import FactQueue
from services.grading.service.follow_profile import apply_profile_events
from services.grading.service.library import RuleLibrary
from services.grading.service.runs import RunManager
from services.grading.service.scheduler import schedule_forever

DEFAULT_PORT = 50052
# Events per read of profile's outbox. Profile holds a read whole in memory (500 bulk fact
# events ~ 85 MB) and sends it in responses of at most 1 MB.
PROFILE_BATCH = 500
# Events applied in one transaction at most, when that many have arrived (MergedStream):
# enough for a bulk import's customer records to be graded thousands at a time.
MERGED_EVENTS = 5_000


async def build(runtime: Runtime) -> ServiceApp:
    settings = runtime.settings
    engine = create_engine(settings)
    feed = OutboxFeed(engine, outbox)
    library = RuleLibrary(engine)
    runs = RunManager(engine, library)
    queued_facts = FactQueue(engine, library)
    profile_channel = open_channel(settings.peers.profile, settings.call_timeout_seconds)
    profile = profile_pb2_grpc.ProfileServiceStub(profile_channel)
    consumer = EventConsumer(
        source="profile",
        subscribe=lambda after: MergedStream(
            profile.SubscribeEvents(
                profile_pb2.SubscribeEventsRequest(after_position=after, max_batch=PROFILE_BATCH)
            ),
            MERGED_EVENTS,
        ),
        apply=lambda conn, events: apply_profile_events(conn, events, library),
        engine=engine,
        cursors=event_cursors,
    )
    servicer = GradingServicer(engine, feed, runtime.stopping, library, runs)

    async def scheduled_runs() -> None:
        # Once the schema is migrated: store the shipped rule sets, close runs a stopped
        # process left open, then start each scheduled grading in its window.
        await library.load()
        await runs.recover()
        if os.environ.get("CT_GRADING_SCHEDULE", "on") != "off":
            await schedule_forever(runs)

    def register(server: grpc.aio.Server) -> list[str]:
        grading_pb2_grpc.add_GradingServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    async def stop() -> None:
        await profile_channel.close()
        await feed.close()
        await engine.dispose()

    return ServiceApp(
        register=register,
        ready=lambda: database_ready(engine, "grading", SCHEMA),
        background=[lambda: run_forever(consumer), queued_facts.run, scheduled_runs],
        on_start=feed.start,
        on_stop=stop,
    )


if __name__ == "__main__":
    run("grading", build, DEFAULT_PORT)
