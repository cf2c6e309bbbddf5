"""Grading's gRPC servicer: proto <-> domain mapping only."""

import asyncio

from clienttier.grading.v1 import grading_pb2, grading_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.outbox import OutboxFeed, serve_subscription
from mesh.rpc import required_id, server_stream, unary
from services.grading.adapters.messages import grade_to_proto
from services.grading.service.grades import get_grade

SERVICE_NAME = grading_pb2.DESCRIPTOR.services_by_name["GradingService"].full_name


class GradingServicer(grading_pb2_grpc.GradingServiceServicer):
    def __init__(self, engine: AsyncEngine, feed: OutboxFeed, stopping: asyncio.Event) -> None:
        self.engine = engine
        self.feed = feed
        self.stopping = stopping

    @unary
    async def GetGrade(self, request, context):  # type: ignore[no-untyped-def]
        grade = await get_grade(self.engine, required_id(request.customer_id, "customer_id"))
        return grading_pb2.GetGradeResponse(grade=grade_to_proto(grade))

    @server_stream
    async def SubscribeEvents(self, request, context):  # type: ignore[no-untyped-def]
        async for response in serve_subscription(
            self.feed, request, grading_pb2.SubscribeEventsResponse, self.stopping
        ):
            yield response
