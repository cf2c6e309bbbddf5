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
from services.grading.adapters.tables import SCHEMA, event_cursors, outbox
from services.grading.entrypoints.grpc_server import SERVICE_NAME, GradingServicer
from services.grading.service.follow_profile import apply_profile_events
from services.grading.service.library import RuleLibrary
from services.grading.service.runs import RunManager
from services.grading.service.scheduler import schedule_forever

DEFAULT_PORT = 50052
PROFILE_BATCH = 10


async def build(runtime: Runtime) -> ServiceApp:
    settings = runtime.settings
    engine = create_engine(settings)
    feed = OutboxFeed(engine, outbox)
    library = RuleLibrary(engine)
    runs = RunManager(engine, library)
    profile_channel = open_channel(settings.peers.profile, settings.call_timeout_seconds)
    profile = profile_pb2_grpc.ProfileServiceStub(profile_channel)
    consumer = EventConsumer(
        source="profile",
        # Fact batches are large events (columns for thousands of customers): a few per
        # response keeps each response under gRPC's 4 MB receive limit.
        subscribe=lambda after: profile.SubscribeEvents(
            profile_pb2.SubscribeEventsRequest(after_position=after, max_batch=PROFILE_BATCH)
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
        background=[lambda: run_forever(consumer), scheduled_runs],
        on_start=feed.start,
        on_stop=stop,
    )


if __name__ == "__main__":
    run("grading", build, DEFAULT_PORT)
