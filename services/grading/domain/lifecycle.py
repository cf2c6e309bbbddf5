"""Lifecycle stage (001 4.2.1): prospect, budding, growing, mature, declining, lost.

The stage table is rule-set data (section "lifecycle"), checked in order:
prospect (no account), lost (transferred out / closed / funds taken out), budding
(opened, not funded), declining (trading and product holdings falling, marked outflow,
dormant), growing (inside the growth window - 360 days with prior investment
experience, 1080 without - and assets not falling); otherwise mature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .decision_table import DecisionTable, assign, decide, parse_decision_table
from .rules import RuleSet

STAGE_ORDER: tuple[str, ...] = ("PROSPECT", "BUDDING", "GROWING", "MATURE", "DECLINING", "LOST")


@dataclass(frozen=True)
class LifecycleRules:
    table: DecisionTable
    window_with_experience: int
    window_without_experience: int

    def status_code(self, name: str) -> int:
        return self.table.inputs["status"].names.index(name)


def _parse(raw: Mapping[str, Any]) -> LifecycleRules:
    table = parse_decision_table(raw)
    if table.outcomes != STAGE_ORDER:
        raise ValueError(f"lifecycle outcomes must be {STAGE_ORDER}")
    window = raw["growth_window_days"]
    return LifecycleRules(
        table=table,
        window_with_experience=int(window["with_experience"]),
        window_without_experience=int(window["without_experience"]),
    )


def lifecycle_rules(rules: RuleSet) -> LifecycleRules:
    return rules.parsed("lifecycle", _parse)


@dataclass(frozen=True)
class LifecycleInputs:
    """Columns (or scalars) per customer. Trends are relative changes (-0.3 = down 30%)."""

    account_age_days: Any  # days since opening; negative = no account yet
    status: Any  # code into the rule set's status names (0 active, ...)
    prior_experience: Any  # bool: invested before opening here
    assets_fen: Any
    asset_trend: Any
    trade_trend: Any
    product_trend: Any
    net_flow_share: Any  # (inflow - outflow) / assets at window start


@dataclass(frozen=True)
class StageDecision:
    stage: str
    reason: str
    rule_set_version: str


def relative_change(recent: Any, prior: Any) -> np.ndarray:
    """(recent - prior) / prior; from nothing to something counts as +100%, 0 -> 0 as 0."""
    recent = np.asarray(recent, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    safe = np.where(prior != 0, prior, 1.0)
    return np.where(prior != 0, (recent - prior) / np.abs(safe), np.where(recent > 0, 1.0, 0.0))


def _columns(parsed: LifecycleRules, inputs: LifecycleInputs) -> dict[str, Any]:
    window = np.where(
        np.asarray(inputs.prior_experience, dtype=bool),
        parsed.window_with_experience,
        parsed.window_without_experience,
    )
    age = np.asarray(inputs.account_age_days, dtype=np.int64)
    return {
        "has_account": age >= 0,
        "account_age_days": age,
        "status": np.asarray(inputs.status, dtype=np.int64),
        "net_flow_share": np.asarray(inputs.net_flow_share, dtype=np.float64),
        "assets_fen": np.asarray(inputs.assets_fen, dtype=np.int64),
        "trade_trend": np.asarray(inputs.trade_trend, dtype=np.float64),
        "product_trend": np.asarray(inputs.product_trend, dtype=np.float64),
        "asset_trend": np.asarray(inputs.asset_trend, dtype=np.float64),
        "growth_window_days": window.astype(np.int64),
    }


def assign_stages(rules: RuleSet, inputs: LifecycleInputs) -> np.ndarray:
    """int8 codes indexing STAGE_ORDER."""
    parsed = lifecycle_rules(rules)
    return assign(parsed.table, _columns(parsed, inputs))


def decide_stage(rules: RuleSet, inputs: LifecycleInputs) -> StageDecision:
    """One customer (scalar inputs) with the numbers that decided the stage."""
    parsed = lifecycle_rules(rules)
    values = {k: v.item() for k, v in _columns(parsed, inputs).items()}
    result = decide(parsed.table, values)
    reason = f"{result.outcome.lower()}: {result.clause} (rule set {rules.version})"
    return StageDecision(result.outcome, reason, rules.version)
