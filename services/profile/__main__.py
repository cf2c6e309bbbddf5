"""python -m services.profile"""

import logging

import grpc

from clienttier.profile.v1 import (
    facts_pb2_grpc,
    onboarding_pb2_grpc,
    profile_pb2_grpc,
    risk_pb2_grpc,
)
from mesh.db import ReadPool, create_engine
from mesh.migrations import database_ready
from mesh.outbox import OutboxFeed
from mesh.server import Runtime, ServiceApp, run
from services.profile.adapters.tables import SCHEMA, outbox
from services.profile.entrypoints import facts_grpc, grpc_server, import_grpc, risk_grpc
from services.profile.service.facts import learn_customer_book
from services.profile.service.known_customers import KnownCustomers
from services.profile.service.totals_rollup import TotalsRollup
from services.profile.service.unit_of_work import ProfileUnitOfWork

DEFAULT_PORT = 50051
log = logging.getLogger(__name__)


async def build(runtime: Runtime) -> ServiceApp:
    engine = create_engine(runtime.settings)
    reads = ReadPool(runtime.settings)
    feed = OutboxFeed(engine, outbox)
    profile = grpc_server.ProfileServicer(engine, reads, feed, runtime.stopping)
    rollup = TotalsRollup(engine)
    known = KnownCustomers()  # one per process: what the import adds, the ingest uses
    facts = facts_grpc.FactsServicer(engine, rollup, known)
    risk = risk_grpc.RiskAssessmentServicer(engine)
    onboarding = import_grpc.CustomerImportServicer(engine, known)

    async def load_known_ids() -> None:
        try:
            loaded = await learn_customer_book(lambda: ProfileUnitOfWork(engine), known)
            log.info("customer ids loaded", extra={"fields": {"ids": loaded}})
        except Exception:  # the memo fills from lookups instead; nothing is wrong
            log.warning("loading the customer ids failed", exc_info=True)

    def register(server: grpc.aio.Server) -> list[str]:
        profile_pb2_grpc.add_ProfileServiceServicer_to_server(profile, server)
        facts_pb2_grpc.add_FactsServiceServicer_to_server(facts, server)
        risk_pb2_grpc.add_RiskAssessmentServiceServicer_to_server(risk, server)
        onboarding_pb2_grpc.add_CustomerImportServiceServicer_to_server(onboarding, server)
        return [
            grpc_server.SERVICE_NAME,
            facts_grpc.SERVICE_NAME,
            risk_grpc.SERVICE_NAME,
            import_grpc.SERVICE_NAME,
        ]

    async def stop() -> None:
        await feed.close()
        await reads.close()
        await engine.dispose()

    return ServiceApp(
        register=register,
        ready=lambda: database_ready(engine, "profile", SCHEMA),
        background=[lambda: rollup.run(runtime.stopping), load_known_ids],
        on_start=feed.start,
        on_stop=stop,
    )


if __name__ == "__main__":
    run("profile", build, DEFAULT_PORT)
