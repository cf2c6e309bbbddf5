"""Grading's objects as protobuf messages."""

from clienttier.common.v1 import common_pb2
from clienttier.grading.v1 import grading_pb2

from services.grading.adapters.repository import StoredGrade
from services.grading.domain.tiers import Tier


def tier_to_proto(tier: Tier | None) -> int:
    return grading_pb2.TIER_UNSPECIFIED if tier is None else grading_pb2.Tier.Value(f"TIER_{tier}")


def grade_to_proto(g: StoredGrade) -> grading_pb2.Grade:
    return grading_pb2.Grade(
        customer_id=g.customer_id,
        tier=tier_to_proto(g.tier),
        reason=g.reason,
        rule_set_version=g.rule_set_version,
        average_assets=common_pb2.Money(fen=g.avg_assets_fen),
        net_commission=common_pb2.Money(fen=g.net_commission_fen),
        as_of_date=g.as_of_date.isoformat(),
    )
