"""Ordered decision tables: the first rule whose condition holds wins, else the fallback.

JSON shape (a section or sub-section of a rule set):
    {"inputs": {"A": {"label": "...", "unit": "fen"}, ...},
     "outcomes": ["VIP", ..., "ORDINARY"],          # code i = outcomes[i]
     "rules": [{"outcome": "VIP", "when": {...}}, ...],
     "fallback": "ORDINARY"}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .conditions import (
    Condition,
    InputSpec,
    describe,
    describe_values,
    holds,
    holds_array,
    inputs_used,
    parse_condition,
    parse_inputs,
)


@dataclass(frozen=True)
class TableRule:
    outcome: int  # index into DecisionTable.outcomes
    when: Condition


@dataclass(frozen=True)
class DecisionTable:
    inputs: Mapping[str, InputSpec]
    outcomes: tuple[str, ...]
    rules: tuple[TableRule, ...]
    fallback: int
    fallback_phrase: str = "no rule applies to"

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.inputs)


@dataclass(frozen=True)
class TableDecision:
    code: int
    outcome: str
    clause: str  # why, with the numbers; no outcome name or version


def parse_decision_table(raw: Mapping[str, Any]) -> DecisionTable:
    inputs = parse_inputs(raw["inputs"])
    outcomes = tuple(raw["outcomes"])
    if len(set(outcomes)) != len(outcomes):
        raise ValueError(f"duplicate outcomes in {outcomes}")

    def code(name: str) -> int:
        if name not in outcomes:
            raise ValueError(f"unknown outcome {name!r}; expected one of {outcomes}")
        return outcomes.index(name)

    rules = tuple(
        TableRule(outcome=code(r["outcome"]), when=parse_condition(r["when"], inputs))
        for r in raw["rules"]
    )
    return DecisionTable(
        inputs=inputs,
        outcomes=outcomes,
        rules=rules,
        fallback=code(raw["fallback"]),
        fallback_phrase=str(raw.get("fallback_phrase", "no rule applies to")),
    )


def decide(
    table: DecisionTable,
    values: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
) -> TableDecision:
    """One row: outcome plus the clause that decided it."""
    for rule in table.rules:
        if holds(rule.when, values):
            clause = describe(rule.when, values, table.inputs, labels)
            return TableDecision(rule.outcome, table.outcomes[rule.outcome], clause)
    used = sorted(
        set().union(*(inputs_used(r.when) for r in table.rules)), key=table.input_names.index
    )
    clause = f"{table.fallback_phrase} {describe_values(used, values, table.inputs, labels)}"
    return TableDecision(table.fallback, table.outcomes[table.fallback], clause)


def assign(table: DecisionTable, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Every row at once: int8 codes into table.outcomes (first matching rule wins)."""
    masks = [holds_array(r.when, columns) for r in table.rules]
    choices = [np.int8(r.outcome) for r in table.rules]
    shape = np.broadcast_shapes(*(np.shape(columns[n]) for n in columns))
    if not masks:
        return np.full(shape, table.fallback, dtype=np.int8)
    masks = [np.broadcast_to(m, shape) for m in masks]
    return np.select(masks, choices, default=np.int8(table.fallback)).astype(np.int8)
