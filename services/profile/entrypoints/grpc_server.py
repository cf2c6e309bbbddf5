"""Profile's gRPC servicer: proto <-> domain mapping only; errors become status codes."""

import asyncio

from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.errors import InvalidField
from mesh.outbox import OutboxFeed, serve_subscription
from mesh.rpc import required_id, server_stream, unary
from services.profile.adapters.messages import (
    customer_from_proto,
    customer_to_proto,
    facts_from_proto,
    year_totals_to_proto,
)
from services.profile.service import customers
from services.profile.service.unit_of_work import ProfileUnitOfWork

SERVICE_NAME = profile_pb2.DESCRIPTOR.services_by_name["ProfileService"].full_name


class ProfileServicer(profile_pb2_grpc.ProfileServiceServicer):
    def __init__(self, engine: AsyncEngine, feed: OutboxFeed, stopping: asyncio.Event) -> None:
        self.engine = engine
        self.feed = feed
        self.stopping = stopping

    def _uow(self) -> ProfileUnitOfWork:
        return ProfileUnitOfWork(self.engine)

    @unary
    async def CreateCustomer(self, request, context):  # type: ignore[no-untyped-def]
        if not request.HasField("customer"):
            raise InvalidField("customer", "is required")
        created = await customers.create_customer(
            self._uow(), customer_from_proto(request.customer)
        )
        return profile_pb2.CreateCustomerResponse(customer=customer_to_proto(created))

    @unary
    async def GetCustomer(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        customer = await customers.get_customer(self._uow(), customer_id)
        return profile_pb2.GetCustomerResponse(customer=customer_to_proto(customer))

    @unary
    async def RecordDailyFacts(self, request, context):  # type: ignore[no-untyped-def]
        if not request.HasField("facts"):
            raise InvalidField("facts", "is required")
        replaced, totals = await customers.record_daily_facts(
            self._uow(), facts_from_proto(request.facts)
        )
        return profile_pb2.RecordDailyFactsResponse(
            replaced=replaced, year_totals=year_totals_to_proto(totals)
        )

    @server_stream
    async def SubscribeEvents(self, request, context):  # type: ignore[no-untyped-def]
        async for response in serve_subscription(
            self.feed, request, profile_pb2.SubscribeEventsResponse, self.stopping
        ):
            yield response
