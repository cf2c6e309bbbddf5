"""Margin-financing (两融) customer classes (seed 004), four independent dimensions:
risk (low / medium / high by financing ratio and holdings volatility), behaviour
(short-term vs medium/long-term), asset size (high-net-worth / medium / ordinary) and
needs (active vs passive). Each is an ordered decision table in the rule set
(section "margin"); the lines are data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .decision_table import DecisionTable, assign, decide, parse_decision_table
from .rules import RuleSet

DIMENSIONS = ("risk", "behaviour", "asset_size", "needs")
RISK_LEVELS = ("LOW", "MEDIUM", "HIGH")
BEHAVIOURS = ("SHORT_TERM", "MEDIUM_LONG_TERM")
ASSET_SIZES = ("HIGH_NET_WORTH", "MEDIUM", "ORDINARY")
NEEDS = ("ACTIVE", "PASSIVE")
_OUTCOMES = dict(zip(DIMENSIONS, (RISK_LEVELS, BEHAVIOURS, ASSET_SIZES, NEEDS), strict=True))


def _parse(raw: Mapping[str, Any]) -> dict[str, DecisionTable]:
    tables = {}
    for dim in DIMENSIONS:
        table = parse_decision_table(raw[dim])
        if table.outcomes != _OUTCOMES[dim]:
            raise ValueError(f"margin {dim} outcomes must be {_OUTCOMES[dim]}")
        tables[dim] = table
    return tables


def margin_tables(rules: RuleSet) -> dict[str, DecisionTable]:
    return rules.parsed("margin", _parse)


@dataclass(frozen=True)
class MarginInputs:
    """Columns (or scalars) per margin customer; money in fen, shares as fractions."""

    total_assets_fen: Any
    margin_debt_fen: Any
    volatility: Any  # annualised volatility of the holdings, 0.3 = 30%
    avg_holding_days: Any
    annual_turnover: Any  # traded value / average assets over a year
    advice_follow_share: Any  # share of trades that followed advisor advice or signals
    monthly_trades: Any


@dataclass(frozen=True)
class MarginClasses:
    risk: np.ndarray  # int8 codes into RISK_LEVELS
    behaviour: np.ndarray  # into BEHAVIOURS
    asset_size: np.ndarray  # into ASSET_SIZES
    needs: np.ndarray  # into NEEDS


@dataclass(frozen=True)
class MarginDecision:
    risk: str
    behaviour: str
    asset_size: str
    needs: str
    reason: str
    rule_set_version: str


def _columns(inputs: MarginInputs) -> dict[str, dict[str, np.ndarray]]:
    assets = np.asarray(inputs.total_assets_fen, dtype=np.int64)
    debt = np.asarray(inputs.margin_debt_fen, dtype=np.int64)
    # Debt with no assets left is the riskiest case: an infinite ratio, not a 0 division.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            assets > 0, debt / np.where(assets > 0, assets, 1), np.where(debt > 0, np.inf, 0.0)
        )
    return {
        "risk": {
            "financing_ratio": ratio,
            "volatility": np.asarray(inputs.volatility, dtype=np.float64),
        },
        "behaviour": {
            "avg_holding_days": np.asarray(inputs.avg_holding_days, dtype=np.int64),
            "annual_turnover": np.asarray(inputs.annual_turnover, dtype=np.float64),
        },
        "asset_size": {"net_assets_fen": assets - debt},
        "needs": {
            "advice_follow_share": np.asarray(inputs.advice_follow_share, dtype=np.float64),
            "monthly_trades": np.asarray(inputs.monthly_trades, dtype=np.float64),
        },
    }


def assign_margin_classes(rules: RuleSet, inputs: MarginInputs) -> MarginClasses:
    tables = margin_tables(rules)
    cols = _columns(inputs)
    return MarginClasses(**{dim: assign(tables[dim], cols[dim]) for dim in DIMENSIONS})


def decide_margin_classes(rules: RuleSet, inputs: MarginInputs) -> MarginDecision:
    """One customer (scalar inputs): the four classes and why."""
    tables = margin_tables(rules)
    cols = _columns(inputs)
    outcomes, clauses = {}, []
    for dim in DIMENSIONS:
        values = {k: v.item() for k, v in cols[dim].items()}
        result = decide(tables[dim], values)
        outcomes[dim] = result.outcome
        clauses.append(f"{dim.replace('_', ' ')} {result.outcome}: {result.clause}")
    reason = "; ".join(clauses) + f" (rule set {rules.version})"
    return MarginDecision(**outcomes, reason=reason, rule_set_version=rules.version)
