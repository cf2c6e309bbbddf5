"""Reading grades: current or on a date, a customer's history, the distribution report."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.grading.v1 import grading_pb2
from mesh.errors import NotFound
from services.grading.adapters import records
from services.grading.adapters.messages import grade_to_proto
from services.grading.domain.classes import class_rules
from services.grading.domain.explain import explain, values
from services.grading.domain.lifecycle import STAGE_ORDER
from services.grading.domain.segments import SEGMENT_ORDER
from services.grading.domain.stars import INSTITUTION_ORDER
from services.grading.domain.tiers import TIER_ORDER
from services.grading.service.library import RuleLibrary


async def _render(conn, library: RuleLibrary, record: dict[str, Any], customer_id: str):  # type: ignore[no-untyped-def]
    rules = await library.version(record["rule_set_version"])
    lines = (
        await records.star_lines(conn, record["star_rank"]) if record["star_method"] == 2 else []
    )
    reasons = explain(rules, record, run_kind=record["run_kind"], star_lines=lines)
    return grade_to_proto(record, customer_id, rules, reasons, values(rules, record))


async def get_grade(
    engine: AsyncEngine, library: RuleLibrary, customer_id: str, as_of: date | None
) -> grading_pb2.Grade:
    async with engine.connect() as conn:
        number = await records.customer_no(conn, customer_id)
        record = None if number is None else await records.latest_grade(conn, number, as_of)
        if record is None:
            when = f" on {as_of}" if as_of else ""
            raise NotFound(f"grade{when} of customer", customer_id)
        return await _render(conn, library, record, customer_id)


async def grade_history(
    engine: AsyncEngine, library: RuleLibrary, customer_id: str
) -> list[grading_pb2.Grade]:
    async with engine.connect() as conn:
        number = await records.customer_no(conn, customer_id)
        rows = [] if number is None else await records.grade_history(conn, number)
        if not rows:
            raise NotFound("grade history of customer", customer_id)
        return [await _render(conn, library, r, customer_id) for r in rows]


def _labels(dim: str, names: tuple[str, ...]) -> dict[int, str]:
    if dim == "tier":
        return {i: t.value for i, t in enumerate(TIER_ORDER)}
    if dim == "stars":
        return {0: "INSTITUTION", **{s: str(s) for s in range(1, 6)}}
    if dim == "segment":
        return dict(enumerate(SEGMENT_ORDER))
    if dim == "stage":
        return dict(enumerate(STAGE_ORDER))
    if dim == "class_code":
        return dict(enumerate(names))
    return {i: level.value for i, level in enumerate(INSTITUTION_ORDER)}


_FIELD = {
    "tier": "tiers",
    "stars": "stars",
    "segment": "segments",
    "stage": "stages",
    "class_code": "combined_classes",
    "institution_level": "institution_levels",
}


async def distribution(
    engine: AsyncEngine,
    library: RuleLibrary,
    as_of: date | None,
    branch_id: str,
    compare_from: date | None,
) -> grading_pb2.GetDistributionResponse:
    rules, _ = await library.effective_on(as_of or date.today())
    names = class_rules(rules).names
    async with engine.connect() as conn:
        counts = await records.distribution(conn, as_of, branch_id)
        tier_moves = star_moves = []
        if compare_from is not None:
            tier_moves = await records.moves(conn, compare_from, as_of, branch_id, "tier")
            star_moves = await records.moves(conn, compare_from, as_of, branch_id, "stars")
    total = grading_pb2.Distribution(branch_id=branch_id)
    branches: dict[str, grading_pb2.Distribution] = {}
    for dim, rows in counts.items():
        labels = _labels(dim, names)
        overall: dict[str, int] = {}
        for branch, code, n in rows:
            label = labels.get(code, "NONE")
            overall[label] = overall.get(label, 0) + n
            part = branches.setdefault(branch, grading_pb2.Distribution(branch_id=branch))
            getattr(part, _FIELD[dim]).add(key=label, count=n)
            if dim == "tier":
                part.customers += n
        getattr(total, _FIELD[dim]).extend(
            grading_pb2.Count(key=k, count=v) for k, v in overall.items()
        )
        if dim == "tier":
            total.customers = sum(overall.values())
    response = grading_pb2.GetDistributionResponse(
        as_of_date=as_of.isoformat() if as_of else "", total=total
    )
    if not branch_id:
        response.branches.extend(branches[b] for b in sorted(branches))
    for dim, moved, target in (
        ("tier", tier_moves, response.tier_moves),
        ("stars", star_moves, response.star_moves),
    ):
        labels = _labels(dim, names)
        target.extend(
            grading_pb2.Move(
                before=labels.get(a, "NONE") if a >= 0 else "NONE",
                after=labels.get(b, "NONE"),
                count=n,
            )
            for a, b, n in moved
        )
    return response
