"""Keeping every customer's tier current from profile's events.

Runs inside the consumer's transaction (see mesh.consumer): the totals, the grade, its history
and the grade-changed event commit together with the stream position."""

from collections.abc import Sequence
from datetime import date

from clienttier.common.v1 import common_pb2
from clienttier.grading.v1 import grading_pb2
from clienttier.profile.v1 import profile_pb2
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.outbox import OutgoingEvent, append, unpack
from services.grading.adapters.messages import grade_to_proto, tier_to_proto
from services.grading.adapters.repository import GradingRepository, StoredGrade
from services.grading.adapters.tables import outbox
from services.grading.domain.rules import RuleSet
from services.grading.domain.tiers import YearTotals, decide_tier_from_totals


async def apply_profile_events(
    conn: AsyncConnection, events: Sequence[common_pb2.Event], rules: RuleSet
) -> None:
    repo = GradingRepository(conn)
    changes: list[OutgoingEvent] = []
    for event in events:
        if created := unpack(event, profile_pb2.CustomerChanged):
            if created.version == 1:
                day = date.fromisoformat(created.customer.open_date)
                changes += await regrade(repo, created.customer.customer_id, day, rules)
        elif facts := unpack(event, profile_pb2.CustomerFactsChanged):
            t = facts.year_totals
            totals = YearTotals(t.year, t.days, t.asset_sum.fen, t.net_commission.fen)
            await repo.store_year_totals(facts.customer_id, totals, facts.version)
            day = date.fromisoformat(facts.day)
            changes += await regrade(repo, facts.customer_id, day, rules)
    await append(conn, outbox, changes)


async def regrade(
    repo: GradingRepository, customer_id: str, day: date, rules: RuleSet
) -> list[OutgoingEvent]:
    """Recompute the tier as of the later of `day` and the current grade's date (a late fact
    for an old day must not move the grade back in time). Returns the event if it changed."""
    current = await repo.current_grade(customer_id)
    as_of = max(day, current.as_of_date) if current else day
    totals = await repo.year_totals(customer_id, (as_of.year - 1, as_of.year))
    decision = decide_tier_from_totals(rules, as_of.year, totals)
    previous = current.tier if current else None
    await repo.save_grade(customer_id, decision, as_of, previous)
    if previous == decision.tier:
        return []
    grade = StoredGrade(
        customer_id,
        decision.tier,
        decision.reason,
        decision.rule_set_version,
        decision.avg_assets_fen,
        decision.net_commission_fen,
        as_of,
    )
    message = grading_pb2.GradeChanged(
        grade=grade_to_proto(grade), previous_tier=tier_to_proto(previous)
    )
    return [OutgoingEvent(customer_id, message)]
