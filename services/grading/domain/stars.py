"""Star grading 1..5 (001 4.2.2) and institution levels (001 table 3-2).

Two methods, chosen by the rule set's stars.method:
- "pareto": rank customers by CLV, highest first (equal CLV: lower customer id first,
  so the result never depends on input order) and cut the ranking by the shares
  5-star 4 %, 4-star 16 %, 3-star 32 %, 2-star 32 %, 1-star 16 %.
- "thresholds": the branch table of net assets (and optionally net income); the customer
  gets the higher star of the two readings.
Institutions get platinum / diamond / honour from the same kind of table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from .money import format_fen
from .rules import RuleSet

STARS = (1, 2, 3, 4, 5)


class InstitutionLevel(StrEnum):
    PLATINUM = "PLATINUM"
    DIAMOND = "DIAMOND"
    HONOUR = "HONOUR"


INSTITUTION_ORDER: tuple[InstitutionLevel, ...] = tuple(InstitutionLevel)


@dataclass(frozen=True)
class StarRules:
    method: str
    share_percent: Mapping[int, int]  # star -> share of the population
    top_cut_permyriad: tuple[int, ...]  # cumulative share from the top, 5-star first
    net_asset_max_fen: tuple[int, ...]  # stars 1..4 upper bounds (inclusive)
    net_income_min_fen: tuple[int, ...]  # stars 2..5 lower bounds (inclusive)
    institution_labels: Mapping[InstitutionLevel, str]
    institution_asset_max_fen: tuple[int, ...]  # platinum, diamond upper bounds
    institution_income_max_fen: tuple[int, ...]


def _ints(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[int, ...]:
    values = tuple(mapping[k] for k in keys)
    if any(not isinstance(v, int) for v in values):
        raise ValueError(f"money bounds must be integer fen: {values}")
    if list(values) != sorted(values):
        raise ValueError(f"bounds must rise: {values}")
    return values


def _parse(raw: Mapping[str, Any]) -> StarRules:
    method = raw["method"]
    if method not in raw["methods"]:
        raise ValueError(f"unknown star method {method!r}")
    shares = {int(k): int(v) for k, v in raw["pareto_share_percent"].items()}
    if sorted(shares) != list(STARS) or sum(shares.values()) != 100:
        raise ValueError(f"pareto shares must cover stars 1..5 and sum to 100: {shares}")
    cumulative, total = [], 0
    for star in reversed(STARS):
        total += shares[star]
        cumulative.append(total * 100)
    thresholds, inst = raw["thresholds"], raw["institutions"]
    return StarRules(
        method=method,
        share_percent=shares,
        top_cut_permyriad=tuple(cumulative),
        net_asset_max_fen=_ints(thresholds["net_asset_max_fen"], ("1", "2", "3", "4")),
        net_income_min_fen=_ints(thresholds["net_income_min_fen"], ("2", "3", "4", "5")),
        institution_labels={InstitutionLevel(k): v for k, v in inst["labels"].items()},
        institution_asset_max_fen=_ints(inst["net_asset_max_fen"], ("PLATINUM", "DIAMOND")),
        institution_income_max_fen=_ints(inst["net_income_max_fen"], ("PLATINUM", "DIAMOND")),
    )


def star_rules(rules: RuleSet) -> StarRules:
    return rules.parsed("stars", _parse)


@dataclass(frozen=True)
class ParetoStars:
    stars: np.ndarray  # int8, 1..5
    ranks: np.ndarray  # int64, 1 = highest CLV


def pareto_cut_counts(rules: RuleSet, population: int) -> tuple[int, ...]:
    """How many customers, counted from the top, get 5 stars, >= 4 stars, ... >= 1 star."""
    return tuple(
        (population * cut + 5_000) // 10_000 for cut in star_rules(rules).top_cut_permyriad
    )


def assign_stars_pareto(
    rules: RuleSet, clv_fen: np.ndarray, customer_ids: np.ndarray
) -> ParetoStars:
    clv = np.asarray(clv_fen)
    if not np.issubdtype(clv.dtype, np.integer):
        raise TypeError(f"clv_fen must be integer fen, got {clv.dtype}")
    ids = np.asarray(customer_ids)
    if ids.shape != clv.shape or clv.ndim != 1:
        raise ValueError("clv_fen and customer_ids must be 1-D arrays of the same length")
    # lexsort: last key is primary. Highest CLV first, then lowest id; stable otherwise.
    order = np.lexsort((ids, -clv.astype(np.int64)))
    ranks = np.empty(len(clv), dtype=np.int64)
    ranks[order] = np.arange(1, len(clv) + 1)
    cuts = np.asarray(pareto_cut_counts(rules, len(clv)), dtype=np.int64)
    # number of cuts the rank is beyond: 0 -> 5 stars, 4 -> 1 star
    beyond = np.searchsorted(cuts, ranks, side="left")
    stars = (5 - np.minimum(beyond, 4)).astype(np.int8)
    return ParetoStars(stars=stars, ranks=ranks)


def explain_pareto_star(rules: RuleSet, star: int, rank: int, population: int, clv_fen: int) -> str:
    r = star_rules(rules)
    cuts = pareto_cut_counts(rules, population)
    top = 100.0 * rank / population if population else 0.0
    upper = cuts[5 - star]  # last rank that still gets this star
    return (
        f"{star} star{'s' if star > 1 else ''}: CLV {format_fen(clv_fen)} ranks {rank:,} "
        f"of {population:,} (top {top:.3g}%); {star}-star share {r.share_percent[star]}%, "
        f"ranks up to {upper:,} (rule set {rules.version})"
    )


def assign_stars_by_thresholds(
    rules: RuleSet, net_assets_fen: np.ndarray, net_income_fen: np.ndarray | None = None
) -> np.ndarray:
    """Branch table: stars by net assets, raised by net income when given."""
    r = star_rules(rules)
    assets = np.asarray(net_assets_fen, dtype=np.int64)
    stars = 1 + np.searchsorted(np.asarray(r.net_asset_max_fen), assets, side="left")
    if net_income_fen is not None:
        income = np.asarray(net_income_fen, dtype=np.int64)
        by_income = 1 + np.searchsorted(np.asarray(r.net_income_min_fen), income, side="right")
        stars = np.maximum(stars, by_income)
    return stars.astype(np.int8)


def explain_threshold_star(
    rules: RuleSet, net_assets_fen: int, net_income_fen: int | None = None
) -> str:
    r = star_rules(rules)
    income = None if net_income_fen is None else np.array([net_income_fen])
    star = int(assign_stars_by_thresholds(rules, np.array([net_assets_fen]), income)[0])
    by_assets = int(assign_stars_by_thresholds(rules, np.array([net_assets_fen]))[0])
    bounds = r.net_asset_max_fen
    if by_assets == 1:
        band = f"<= {format_fen(bounds[0])}"
    elif by_assets == 5:
        band = f"> {format_fen(bounds[3])}"
    else:
        band = f"> {format_fen(bounds[by_assets - 2])} and <= {format_fen(bounds[by_assets - 1])}"
    text = f"net assets {format_fen(net_assets_fen)} {band} gives {by_assets}"
    if net_income_fen is not None and star > by_assets:
        text += (
            f"; net income {format_fen(net_income_fen)} >= "
            f"{format_fen(r.net_income_min_fen[star - 2])} gives {star}"
        )
    return f"{star} star{'s' if star > 1 else ''}: {text} (rule set {rules.version})"


def assign_stars(
    rules: RuleSet,
    *,
    clv_fen: np.ndarray,
    customer_ids: np.ndarray,
    net_assets_fen: np.ndarray,
    net_income_fen: np.ndarray | None = None,
) -> np.ndarray:
    """Stars by the method the rule set selects (retail customers only)."""
    if star_rules(rules).method == "pareto":
        return assign_stars_pareto(rules, clv_fen, customer_ids).stars
    return assign_stars_by_thresholds(rules, net_assets_fen, net_income_fen)


def assign_institution_levels(
    rules: RuleSet, net_assets_fen: np.ndarray, net_income_fen: np.ndarray | None = None
) -> np.ndarray:
    """int8 codes indexing INSTITUTION_ORDER (platinum, diamond, honour)."""
    r = star_rules(rules)
    assets = np.asarray(net_assets_fen, dtype=np.int64)
    level = np.searchsorted(np.asarray(r.institution_asset_max_fen), assets, side="left")
    if net_income_fen is not None:
        income = np.asarray(net_income_fen, dtype=np.int64)
        by_income = np.searchsorted(np.asarray(r.institution_income_max_fen), income, side="left")
        level = np.maximum(level, by_income)
    return level.astype(np.int8)


def explain_institution_level(
    rules: RuleSet, net_assets_fen: int, net_income_fen: int | None = None
) -> str:
    r = star_rules(rules)
    income = None if net_income_fen is None else np.array([net_income_fen])
    code = int(assign_institution_levels(rules, np.array([net_assets_fen]), income)[0])
    level = INSTITUTION_ORDER[code]
    limits = ", ".join(
        f"{r.institution_labels[lv]} <= {format_fen(a)} assets or <= {format_fen(i)} income"
        for lv, a, i in zip(
            INSTITUTION_ORDER,
            r.institution_asset_max_fen,
            r.institution_income_max_fen,
            strict=False,
        )
    )
    seen = f"net assets {format_fen(net_assets_fen)}"
    if net_income_fen is not None:
        seen += f", net income {format_fen(net_income_fen)}"
    return (
        f"{r.institution_labels[level]}: {seen}; bands {limits}, "
        f"{r.institution_labels[InstitutionLevel.HONOUR]} above (rule set {rules.version})"
    )
