"""Core segments I..VI for 4- and 5-star customers (001 4.2.3, table 4-7).

Trading type (>= 60 % of funds in securities trading), by average holding period:
    I value (>= 3 years), II low frequency (>= 3 months), III high frequency (>= 1 day).
Product type (>= 60 % of funds in products), by the largest product kind:
    IV equity funds, V fixed income, VI REITs/trust.
Everyone else (other stars, mixed allocations, no funds) has no segment. Shares are
compared in integers (fen x 100 >= percent x total) so there is no rounding at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .money import format_fen
from .rules import RuleSet

SEGMENT_ORDER: tuple[str, ...] = ("NONE", "I", "II", "III", "IV", "V", "VI")
PRODUCT_KINDS = ("equity_fund", "fixed_income", "reits_trust")


@dataclass(frozen=True)
class SegmentRules:
    eligible_stars: tuple[int, ...]
    min_share_percent: int
    trading_segments: tuple[int, ...]  # codes, longest holding first
    trading_min_days: tuple[int, ...]
    product_segments: tuple[int, ...]  # codes in PRODUCT_KINDS order
    labels: Mapping[int, str]


def _parse(raw: Mapping[str, Any]) -> SegmentRules:
    trading = list(raw["trading"])
    days = tuple(int(t["min_holding_days"]) for t in trading)
    if list(days) != sorted(days, reverse=True):
        raise ValueError("trading segments must be listed longest holding first")
    products = {p["kind"]: p for p in raw["products"]}
    if set(products) != set(PRODUCT_KINDS):
        raise ValueError(f"product segments must cover {PRODUCT_KINDS}")
    ordered = [products[k] for k in PRODUCT_KINDS]
    labels = {SEGMENT_ORDER.index(s["segment"]): s["label"] for s in trading + ordered}
    return SegmentRules(
        eligible_stars=tuple(raw["eligible_stars"]),
        min_share_percent=int(raw["min_share_percent"]),
        trading_segments=tuple(SEGMENT_ORDER.index(t["segment"]) for t in trading),
        trading_min_days=days,
        product_segments=tuple(SEGMENT_ORDER.index(p["segment"]) for p in ordered),
        labels=labels,
    )


def segment_rules(rules: RuleSet) -> SegmentRules:
    return rules.parsed("segments", _parse)


@dataclass(frozen=True)
class SegmentInputs:
    """Columns (or scalars) per customer; money in fen."""

    stars: Any
    total_funds_fen: Any
    securities_funds_fen: Any  # funds in securities trading (stocks, bonds, trading cash)
    equity_fund_fen: Any
    fixed_income_fen: Any
    reits_trust_fen: Any
    avg_holding_days: Any


@dataclass(frozen=True)
class SegmentDecision:
    segment: str
    reason: str
    rule_set_version: str


def _col(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def assign_segments(rules: RuleSet, inputs: SegmentInputs) -> np.ndarray:
    """int8 codes indexing SEGMENT_ORDER (0 = no segment)."""
    r = segment_rules(rules)
    total = _col(inputs.total_funds_fen)
    kinds = np.stack(
        np.broadcast_arrays(
            _col(inputs.equity_fund_fen),
            _col(inputs.fixed_income_fen),
            _col(inputs.reits_trust_fen),
        )
    )
    eligible = np.isin(_col(inputs.stars), r.eligible_stars) & (total > 0)
    need = r.min_share_percent * total
    trading = eligible & (_col(inputs.securities_funds_fen) * 100 >= need)
    product = eligible & ~trading & (kinds.sum(axis=0) * 100 >= need)
    holding = _col(inputs.avg_holding_days)
    trading_code = np.select(
        [holding >= d for d in r.trading_min_days], list(r.trading_segments), default=0
    )
    # argmax returns the first maximum: ties go to the earlier kind in PRODUCT_KINDS.
    product_code = np.asarray(r.product_segments)[np.argmax(kinds, axis=0)]
    codes = np.where(trading, trading_code, np.where(product, product_code, 0))
    return codes.astype(np.int8)


def decide_segment(rules: RuleSet, inputs: SegmentInputs) -> SegmentDecision:
    """One customer (scalar inputs), with the shares and holding period in the reason."""
    r = segment_rules(rules)
    code = int(assign_segments(rules, inputs).reshape(-1)[0])
    total = int(inputs.total_funds_fen)
    securities = int(inputs.securities_funds_fen)
    kinds = dict(
        zip(
            PRODUCT_KINDS,
            (
                int(inputs.equity_fund_fen),
                int(inputs.fixed_income_fen),
                int(inputs.reits_trust_fen),
            ),
            strict=True,
        )
    )
    products = sum(kinds.values())

    def share(part: int) -> str:
        return f"{100 * part / total:.1f}%" if total else "n/a"

    version = f"(rule set {rules.version})"
    if int(inputs.stars) not in r.eligible_stars:
        stars = " and ".join(map(str, r.eligible_stars))
        reason = f"no segment: {int(inputs.stars)} stars, segments are for {stars} stars {version}"
    elif code == 0:
        reason = (
            f"no segment: of funds {format_fen(total)}, securities {share(securities)} and "
            f"products {share(products)}, neither reaches {r.min_share_percent}%"
        )
        if securities * 100 >= r.min_share_percent * total > 0:
            reason = (
                f"no segment: securities {share(securities)} of funds but average holding "
                f"{int(inputs.avg_holding_days)} days < {r.trading_min_days[-1]} day"
            )
        reason += f" {version}"
    elif code in r.trading_segments:
        days = r.trading_min_days[r.trading_segments.index(code)]
        reason = (
            f"{SEGMENT_ORDER[code]} ({r.labels[code]}): securities {format_fen(securities)} "
            f"= {share(securities)} of funds >= {r.min_share_percent}%, average holding "
            f"{int(inputs.avg_holding_days):,} days >= {days:,} days {version}"
        )
    else:
        kind = PRODUCT_KINDS[r.product_segments.index(code)]
        reason = (
            f"{SEGMENT_ORDER[code]} ({r.labels[code]}): products {format_fen(products)} = "
            f"{share(products)} of funds >= {r.min_share_percent}%, largest kind "
            f"{kind.replace('_', ' ')} {format_fen(kinds[kind])} {version}"
        )
    return SegmentDecision(SEGMENT_ORDER[code], reason, rules.version)
