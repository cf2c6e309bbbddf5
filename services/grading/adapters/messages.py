"""Grading's objects as protobuf messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import numpy as np

from clienttier.common.v1 import common_pb2
from clienttier.grading.v1 import grading_pb2
from services.grading.domain.classes import class_rules
from services.grading.domain.explain import Reasons, Values
from services.grading.domain.margin import ASSET_SIZES, BEHAVIOURS, NEEDS, RISK_LEVELS
from services.grading.domain.regrade import Graded
from services.grading.domain.rules import RuleSet

EVENT_CHUNK = 10_000  # customers per GradesChanged event


def code_to_proto(code: int) -> int:
    """Domain codes (index into TIER_ORDER, ACTIONS, STAGE_ORDER, RISK_ORDER, ...; -1 none)
    map to the proto enums by +1: every enum lists the domain order after UNSPECIFIED."""
    return int(code) + 1 if code >= 0 else 0


def _text(day: date | None) -> str:
    return day.isoformat() if day else ""


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def grade_to_proto(
    record: Mapping[str, Any],
    customer_id: str,
    rules: RuleSet,
    reasons: Reasons | None,
    values: Values | None,
) -> grading_pb2.Grade:
    """A grade_history row (plus overlays such as the current kept_until) as a Grade."""
    r = record
    grade = grading_pb2.Grade(
        customer_id=customer_id,
        tier=code_to_proto(r["tier"]),
        reason=reasons.grade if reasons else "",
        rule_set_version=rules.version,
        average_assets=common_pb2.Money(fen=int(r["avg_assets_fen"])),
        net_commission=common_pb2.Money(fen=int(r["net_commission_fen"])),
        as_of_date=_text(r["as_of"]),
        decided_tier=code_to_proto(r["decided_tier"]),
        action=code_to_proto(r["action"]),
        since=_text(r["since"]),
        observation_start=_text(r["observation_start"]),
        kept_until=_text(r["kept_until"]),
        risk_class=code_to_proto(r["risk_class"]),
        combined_class=class_rules(rules).names[r["class_code"]] if r["class_code"] >= 0 else "",
        stars=max(int(r["stars"]), 0),
        institution_level=code_to_proto(r["institution_level"]),
        lifetime_value=common_pb2.Money(fen=int(r["clv_fen"])),
        segment=max(int(r["segment"]), 0),
        stage=code_to_proto(r["stage"]),
        run_id=int(r["run_id"]),
        previous_tier=code_to_proto(r["previous_tier"]),
    )
    if values is not None:
        grade.current_value.fen = values.cev_fen
        grade.potential_value.fen = values.cpv_fen
    if r["margin_risk"] >= 0:
        grade.margin.CopyFrom(
            grading_pb2.MarginClasses(
                risk=RISK_LEVELS[r["margin_risk"]],
                behaviour=BEHAVIOURS[r["margin_behaviour"]],
                asset_size=ASSET_SIZES[r["margin_size"]],
                needs=NEEDS[r["margin_needs"]],
            )
        )
    if reasons is not None:
        grade.reasons.CopyFrom(
            grading_pb2.GradeReasons(
                policy=reasons.policy,
                tier=reasons.tier,
                combined_class=reasons.combined_class,
                stars=reasons.stars,
                lifetime_value=reasons.lifetime_value,
                segment=reasons.segment,
                stage=reasons.stage,
                margin=reasons.margin,
            )
        )
    return grade


def grades_changed(
    graded: Graded,
    customer_ids: np.ndarray,
    rows: np.ndarray,
    *,
    rules: RuleSet,
    run_id: int,
    kind: int,
    as_of: date,
) -> list[tuple[str, grading_pb2.GradesChanged]]:
    """GradesChanged events (aggregate id, message) for the changed `rows`, in chunks."""
    c = graded.columns
    names = np.array(["", *class_rules(rules).names], dtype=object)
    out = []
    for start in range(0, len(rows), EVENT_CHUNK):
        part = rows[start : start + EVENT_CHUNK]
        message = grading_pb2.GradesChanged(
            run_id=run_id, kind=kind, as_of_date=as_of.isoformat(), rule_set_version=rules.version
        )
        message.customer_id.extend(customer_ids[part].tolist())
        message.previous_tier.extend((c["previous_tier"][part] + 1).tolist())
        message.tier.extend((c["tier"][part] + 1).tolist())
        message.action.extend((c["action"][part] + 1).tolist())
        message.stars.extend(np.maximum(c["stars"][part], 0).tolist())
        message.segment.extend(np.maximum(c["segment"][part], 0).tolist())
        message.stage.extend((c["stage"][part] + 1).tolist())
        message.combined_class.extend(names[c["class_code"][part] + 1].tolist())
        out.append((f"run-{run_id}" if run_id else "profile-events", message))
    return out


def run_to_proto(run: Mapping[str, Any]) -> grading_pb2.GradingRun:
    counts = run["counts"]
    counts = json.loads(counts) if isinstance(counts, str) else counts
    sample = run["sample"]
    sample = json.loads(sample) if isinstance(sample, str) else sample
    return grading_pb2.GradingRun(
        run_id=run["id"],
        kind=grading_pb2.RunKind.Value(f"RUN_KIND_{run['kind']}"),
        kind_reason=run["kind_reason"],
        as_of_date=_text(run["as_of"]),
        branch_id=run["branch_id"],
        dry_run=run["dry_run"],
        state=grading_pb2.RunState.Value(f"RUN_STATE_{run['state']}"),
        rule_set_version=run["version"],
        started_at=_stamp(run["started_at"]),
        finished_at=_stamp(run["finished_at"]),
        phase=run["phase"],
        done=run["done"],
        total=run["total"],
        counts=grading_pb2.RunCounts(**counts),
        sample=[grading_pb2.CustomerChange(**change) for change in sample],
        error=run["error"],
    )
