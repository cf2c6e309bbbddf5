"""python -m services.grading"""

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
from services.grading.domain.rules import default_rule_set
from services.grading.entrypoints.grpc_server import SERVICE_NAME, GradingServicer
from services.grading.service.follow_profile import apply_profile_events

DEFAULT_PORT = 50052


async def build(runtime: Runtime) -> ServiceApp:
    settings = runtime.settings
    engine = create_engine(settings)
    feed = OutboxFeed(engine, outbox)
    rules = default_rule_set()
    profile_channel = open_channel(settings.peers.profile, settings.call_timeout_seconds)
    profile = profile_pb2_grpc.ProfileServiceStub(profile_channel)
    consumer = EventConsumer(
        source="profile",
        subscribe=lambda after: profile.SubscribeEvents(
            profile_pb2.SubscribeEventsRequest(after_position=after)
        ),
        apply=lambda conn, events: apply_profile_events(conn, events, rules),
        engine=engine,
        cursors=event_cursors,
    )
    servicer = GradingServicer(engine, feed, runtime.stopping)

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
        background=[lambda: run_forever(consumer)],
        on_start=feed.start,
        on_stop=stop,
    )


if __name__ == "__main__":
    run("grading", build, DEFAULT_PORT)
