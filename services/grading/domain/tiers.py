"""Galaxy tiers (003 第八条): VIP, Core-A, Core-B, Potential, Ordinary.

Inputs: A = daily-average assets (the higher of last year's and this year's, in fen)
and N = last year's net commission (fen). The tier table itself is rule-set data
(section "tiers"): an ordered list of conditions, first match wins, Ordinary is the
fallback. decide_tier explains one customer; assign_tiers grades whole columns and
always agrees with decide_tier.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from .decision_table import DecisionTable, assign, decide, parse_decision_table
from .rules import RuleSet


class Tier(StrEnum):
    VIP = "VIP"
    CORE_A = "CORE_A"
    CORE_B = "CORE_B"
    POTENTIAL = "POTENTIAL"
    ORDINARY = "ORDINARY"


# Codes returned by assign_tiers index this tuple (highest tier first).
TIER_ORDER: tuple[Tier, ...] = (Tier.VIP, Tier.CORE_A, Tier.CORE_B, Tier.POTENTIAL, Tier.ORDINARY)


@dataclass(frozen=True)
class YearTotals:
    year: int
    days: int  # days with facts in that year
    asset_sum_fen: int
    net_commission_fen: int

    @property
    def daily_average_fen(self) -> int:
        return self.asset_sum_fen // self.days if self.days > 0 else 0


@dataclass(frozen=True)
class TierDecision:
    tier: Tier
    reason: str
    rule_set_version: str
    avg_assets_fen: int
    net_commission_fen: int


@dataclass(frozen=True)
class TierRules:
    table: DecisionTable
    labels: Mapping[Tier, str]
    level_of: Mapping[Tier, str]  # e.g. CORE_A -> "CORE"
    levels: tuple[str, ...]  # highest first

    def level_rank(self, tier: Tier) -> int:
        """0 for the highest level; Core-A and Core-B share a rank."""
        return self.levels.index(self.level_of[tier])


def _parse(raw: Mapping[str, Any]) -> TierRules:
    table = parse_decision_table(raw)
    if table.outcomes != tuple(t.value for t in TIER_ORDER):
        raise ValueError(f"tier outcomes must be {[t.value for t in TIER_ORDER]}")
    if set(table.inputs) != {"A", "N"}:
        raise ValueError("tier table inputs must be exactly A and N")
    labels = {t: str(raw.get("labels", {}).get(t.value, t.value)) for t in TIER_ORDER}
    level_of: dict[Tier, str] = {}
    for entry in raw["levels"]:
        for name in entry["tiers"]:
            level_of[Tier(name)] = entry["level"]
    if set(level_of) != set(TIER_ORDER):
        raise ValueError("every tier must belong to exactly one level")
    levels = tuple(entry["level"] for entry in raw["levels"])
    return TierRules(table=table, labels=labels, level_of=level_of, levels=levels)


def tier_rules(rules: RuleSet) -> TierRules:
    return rules.parsed("tiers", _parse)


def _money(value: Any, what: str) -> int:
    # Money is integer fen: refuse floats rather than silently truncating them.
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be integer fen, got {value!r}") from None


def decide_tier(
    rules: RuleSet,
    avg_assets_fen: int,
    net_commission_fen: int,
    *,
    assets_year: int | None = None,
    commission_year: int | None = None,
) -> TierDecision:
    """One customer's tier with a reason; the years, when given, are named in it."""
    parsed = tier_rules(rules)
    a = _money(avg_assets_fen, "avg_assets_fen")
    n = _money(net_commission_fen, "net_commission_fen")
    labels = {}
    if assets_year is not None:
        labels["A"] = f"{parsed.table.inputs['A'].label} ({assets_year})"
    if commission_year is not None:
        labels["N"] = f"{parsed.table.inputs['N'].label} ({commission_year})"
    result = decide(parsed.table, {"A": a, "N": n}, labels)
    tier = TIER_ORDER[result.code]
    reason = f"{parsed.labels[tier]}: {result.clause} (rule set {rules.version})"
    return TierDecision(tier, reason, rules.version, a, n)


def decide_tier_from_totals(
    rules: RuleSet, as_of_year: int, totals: Iterable[YearTotals]
) -> TierDecision:
    """A = max(daily average of as_of_year-1, of as_of_year); N = as_of_year-1 commission."""
    by_year: dict[int, YearTotals] = {}
    for t in totals:
        if t.days < 0:
            raise ValueError(f"negative day count for {t.year}")
        if t.year in by_year:
            raise ValueError(f"two totals for year {t.year}")
        by_year[t.year] = t
    last_year = as_of_year - 1
    prev, cur = by_year.get(last_year), by_year.get(as_of_year)
    prev_avg = prev.daily_average_fen if prev else 0
    cur_avg = cur.daily_average_fen if cur else 0
    # Ties go to the current year: the more recent figure explains the grade better.
    use_current = cur is not None and cur.days > 0 and cur_avg >= prev_avg
    assets_year = as_of_year if use_current else last_year
    commission = prev.net_commission_fen if prev else 0
    return decide_tier(
        rules,
        max(prev_avg, cur_avg),
        commission,
        assets_year=assets_year,
        commission_year=last_year,
    )


def _fen_column(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{what} must be an integer (fen) array, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def assign_tiers(
    rules: RuleSet, avg_assets_fen: np.ndarray, net_commission_fen: np.ndarray
) -> np.ndarray:
    """Vectorised decide_tier: int8 codes indexing TIER_ORDER."""
    columns = {
        "A": _fen_column(avg_assets_fen, "avg_assets_fen"),
        "N": _fen_column(net_commission_fen, "net_commission_fen"),
    }
    return assign(tier_rules(rules).table, columns)


def daily_average_fen(asset_sum_fen: np.ndarray, days: np.ndarray) -> np.ndarray:
    """asset_sum // days per row, 0 where there are no days (vectorised YearTotals)."""
    sums = _fen_column(asset_sum_fen, "asset_sum_fen")
    days = np.asarray(days, dtype=np.int64)
    return np.where(days > 0, sums // np.maximum(days, 1), 0)


def tier_assets_fen(
    last_sum_fen: np.ndarray,
    last_days: np.ndarray,
    this_sum_fen: np.ndarray,
    this_days: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised A: (max of the two daily averages, True where this year's was used)."""
    last_avg = daily_average_fen(last_sum_fen, last_days)
    this_avg = daily_average_fen(this_sum_fen, this_days)
    use_this = (np.asarray(this_days) > 0) & (this_avg >= last_avg)
    return np.maximum(last_avg, this_avg), use_this
