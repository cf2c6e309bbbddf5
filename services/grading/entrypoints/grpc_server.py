"""Grading's gRPC servicer: proto <-> domain mapping and validation only."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.grading.v1 import grading_pb2, grading_pb2_grpc
from mesh.errors import InvalidField
from mesh.outbox import OutboxFeed, serve_subscription
from mesh.rpc import parse_date, required_id, server_stream, unary
from services.grading.adapters import records
from services.grading.adapters.messages import run_to_proto
from services.grading.service import grades
from services.grading.service.library import RuleLibrary
from services.grading.service.runs import MAX_SAMPLE, RunManager, get_run

SERVICE_NAME = grading_pb2.DESCRIPTOR.services_by_name["GradingService"].full_name


def _rule_set_info(rules) -> grading_pb2.RuleSetInfo:  # type: ignore[no-untyped-def]
    return grading_pb2.RuleSetInfo(
        name=rules.name,
        version=rules.version,
        effective_from=rules.effective_from.isoformat(),
        source=rules.source,
    )


class GradingServicer(grading_pb2_grpc.GradingServiceServicer):
    def __init__(
        self,
        engine: AsyncEngine,
        feed: OutboxFeed,
        stopping: asyncio.Event,
        library: RuleLibrary,
        runs: RunManager,
    ) -> None:
        self.engine = engine
        self.feed = feed
        self.stopping = stopping
        self.library = library
        self.runs = runs

    @unary
    async def GetGrade(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        as_of = parse_date(request.as_of_date, "as_of_date", required=False)
        grade = await grades.get_grade(self.engine, self.library, customer_id, as_of)
        return grading_pb2.GetGradeResponse(grade=grade)

    @unary
    async def GetGradeHistory(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        history = await grades.grade_history(self.engine, self.library, customer_id)
        return grading_pb2.GetGradeHistoryResponse(grades=history)

    @unary
    async def StartGradingRun(self, request, context):  # type: ignore[no-untyped-def]
        from datetime import date

        as_of = parse_date(request.as_of_date, "as_of_date", required=False) or date.today()
        branch_id = required_id(request.branch_id, "branch_id") if request.branch_id else ""
        if not 0 <= request.sample_size <= MAX_SAMPLE:
            raise InvalidField("sample_size", f"must be between 0 and {MAX_SAMPLE}")
        run_id = await self.runs.start(
            as_of,
            branch_id=branch_id,
            dry_run=request.dry_run,
            sample_size=request.sample_size or (20 if request.dry_run else 0),
        )
        if request.wait:
            await self.runs.wait(run_id)
        return grading_pb2.StartGradingRunResponse(
            run=run_to_proto(await get_run(self.engine, run_id))
        )

    @unary
    async def GetGradingRun(self, request, context):  # type: ignore[no-untyped-def]
        return grading_pb2.GetGradingRunResponse(
            run=run_to_proto(await get_run(self.engine, request.run_id))
        )

    @unary
    async def ListGradingRuns(self, request, context):  # type: ignore[no-untyped-def]
        if not 0 <= request.limit <= 200:
            raise InvalidField("limit", f"must be between 0 and 200, got {request.limit}")
        async with self.engine.connect() as conn:
            found = await records.runs(conn, request.limit or 20)
        return grading_pb2.ListGradingRunsResponse(runs=[run_to_proto(r) for r in found])

    @unary
    async def GetDistribution(self, request, context):  # type: ignore[no-untyped-def]
        as_of = parse_date(request.as_of_date, "as_of_date", required=False)
        since = parse_date(request.compare_from_date, "compare_from_date", required=False)
        branch_id = required_id(request.branch_id, "branch_id") if request.branch_id else ""
        return await grades.distribution(self.engine, self.library, as_of, branch_id, since)

    @unary
    async def PublishRuleSet(self, request, context):  # type: ignore[no-untyped-def]
        if not request.rule_set_json.strip():
            raise InvalidField("rule_set_json", "is required")
        name = required_id(request.name, "name") if request.name else ""
        rules, created = await self.library.publish(name, request.rule_set_json)
        return grading_pb2.PublishRuleSetResponse(rule_set=_rule_set_info(rules), created=created)

    @unary
    async def ListRuleSets(self, request, context):  # type: ignore[no-untyped-def]
        await self.library.refresh()
        book = await self.library.book()
        return grading_pb2.ListRuleSetsResponse(rule_sets=[_rule_set_info(r) for r in book.sets])

    @server_stream
    async def SubscribeEvents(self, request, context):  # type: ignore[no-untyped-def]
        async for response in serve_subscription(
            self.feed, request, grading_pb2.SubscribeEventsResponse, self.stopping
        ):
            yield response
