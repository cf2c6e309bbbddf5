"""Rule-set versions kept in the database, so a version's content outlives its file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.grading.domain.rule_book import RuleBook
from services.grading.domain.rules import RULES_DIR, RuleSet, parse_rule_set, read_rules_json

SHIPPED_PREFIX = "galaxy-"  # rule files (the calendar file is not a rule set)


def shipped_rule_sets() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.stem, read_rules_json(path.stem))
        for path in sorted(RULES_DIR.glob(f"{SHIPPED_PREFIX}*.json"))
    ]


async def add_rule_set(
    conn: AsyncConnection, name: str, content: Mapping[str, Any]
) -> tuple[RuleSet, bool, bool]:
    """Store a version unless it is there: (rule set, created, same content as stored)."""
    rules = parse_rule_set(name, content)
    stored = (
        await conn.execute(
            text("SELECT content FROM grading.rule_sets WHERE version = :v"), {"v": rules.version}
        )
    ).scalar()
    if stored is not None:
        return rules, False, stored == json.loads(json.dumps(content))
    await conn.execute(
        text(
            "INSERT INTO grading.rule_sets (name, version, effective_from, content) "
            "VALUES (:n, :v, :e, CAST(:c AS jsonb)) ON CONFLICT (version) DO NOTHING"
        ),
        {"n": name, "v": rules.version, "e": rules.effective_from, "c": json.dumps(content)},
    )
    return rules, True, True


async def load_book(conn: AsyncConnection) -> tuple[RuleBook, dict[str, int]]:
    """Every stored version, and each version's id."""
    rows = (
        await conn.execute(text("SELECT id, name, version, content FROM grading.rule_sets"))
    ).all()
    sets, ids = [], {}
    for row in rows:
        content = row.content if isinstance(row.content, dict) else json.loads(row.content)
        sets.append(parse_rule_set(row.name, content))
        ids[row.version] = row.id
    return RuleBook.of(sets), ids


def parse_checked(name: str, content: Mapping[str, Any]) -> RuleSet:
    """Parse a rule set and every section grading uses, so a bad one is refused up front."""
    from services.grading.domain import (
        classes,
        clv,
        grade_policy,
        lifecycle,
        margin,
        schedule,
        segments,
        stars,
        tiers,
    )

    rules = parse_rule_set(name, content)
    for check in (
        tiers.tier_rules,
        classes.class_rules,
        clv.clv_rules,
        stars.star_rules,
        segments.segment_rules,
        lifecycle.lifecycle_rules,
        margin.margin_tables,
        grade_policy.policy_rules,
        schedule.schedule_rules,
    ):
        check(rules)
    return rules
