"""Customer lifetime value CLV = CEV + CPV (001 4.2.2-4.2.3), in integer fen.

CEV, current value over a period of `period_days` (001 4.2.3, DOMAIN.md section 1):
    trading net fee     = trading assets x commission rate x turnover
    product net income  = product assets x fund distribution fee rate x fund turnover
    margin on cash      = cash x cash spread x period_days / days_per_year
    interest income     = margin debt x margin spread x period_days / days_per_year
    CEV = the sum of the four (each rounded to whole fen first, so parts add up).

CPV, future value (001 names satisfaction, loyalty, risk tolerance, expectations and
asset trend; ClientTier's explicit formula):
    CPV = horizon_years x (annualised CEV + asset_yield x total assets) x S
where S, the future score in [0, 1], is a weighted sum of five sub-scores in [0, 1]:
    asset trend    (trend - floor) / (cap - floor), clipped         weight 0.30
    risk tolerance (risk score - 9) / (100 - 9), clipped             weight 0.15
    tenure         days since opening / 3,650, capped at 1           weight 0.20
    engagement     active days in the last year / 120, capped at 1   weight 0.20
    satisfaction   (last survey answer 1..5 - 1) / 4; unknown = 3    weight 0.15
In words: the value we expect over the next three years is this year's value plus a small
yield on the customer's assets (value not yet earned), scaled by how likely the customer
is to stay and grow. Weights, horizon, yield and every bound are rule-set data
(section "clv"); the numbers above are the galaxy-2025 defaults.

Rates and scores are dimensionless floats; every money result is rounded to whole fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .money import format_fen
from .rules import RuleSet

CPV_FACTORS = ("asset_trend", "risk_tolerance", "tenure", "engagement", "satisfaction")


@dataclass(frozen=True)
class ClvRules:
    days_per_year: int
    commission_rate: float
    fund_distribution_fee_rate: float
    cash_spread: float
    margin_spread: float
    horizon_years: float
    asset_yield: float
    weights: Mapping[str, float]
    asset_trend_floor: float
    asset_trend_cap: float
    risk_score_min: float
    risk_score_max: float
    tenure_full_days: float
    engagement_full_days: float
    satisfaction_min: float
    satisfaction_max: float
    satisfaction_unknown: float


def _parse(raw: Mapping[str, Any]) -> ClvRules:
    rates, cpv = raw["cev_rates"], raw["cpv"]
    weights = {k: float(cpv["weights"][k]) for k in CPV_FACTORS}
    if abs(sum(weights.values()) - 1.0) > 1e-9 or min(weights.values()) < 0:
        raise ValueError(f"CPV weights must be >= 0 and sum to 1, got {weights}")
    names = {f.name for f in fields(ClvRules)} - {"weights"}
    flat = {**rates, **cpv, "days_per_year": raw["days_per_year"]}
    return ClvRules(weights=weights, **{n: flat[n] for n in names})


def clv_rules(rules: RuleSet) -> ClvRules:
    return rules.parsed("clv", _parse)


@dataclass(frozen=True)
class CevInputs:
    """Per-customer columns for one period; money in fen, rates and turnovers as floats."""

    period_days: Any  # int or int array
    trading_assets_fen: Any
    turnover: Any  # traded value / trading assets over the period
    product_assets_fen: Any
    fund_turnover: Any
    cash_fen: Any
    margin_debt_fen: Any
    commission_rate: Any = None  # per-customer rate; None = the rule set's rate


@dataclass(frozen=True)
class CpvInputs:
    total_assets_fen: Any
    asset_trend: Any  # relative change of daily-average assets, e.g. 0.12 = +12%
    risk_score: Any  # questionnaire score 9..100
    tenure_days: Any
    active_days: Any
    satisfaction: Any  # 1..5, 0 = no survey answer


@dataclass(frozen=True)
class ValueParts:
    trading_fee_fen: np.ndarray
    product_income_fen: np.ndarray
    cash_income_fen: np.ndarray
    interest_income_fen: np.ndarray
    cev_fen: np.ndarray
    future_score: np.ndarray
    sub_scores: Mapping[str, np.ndarray]
    cpv_base_fen: np.ndarray  # annualised CEV + asset_yield x assets
    cpv_fen: np.ndarray
    clv_fen: np.ndarray


def _fen(x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"money columns must be integer fen, got {arr.dtype}")
    return arr.astype(np.float64)


def _round_fen(x: np.ndarray) -> np.ndarray:
    return np.rint(x).astype(np.int64)


def _unit(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def lifetime_value(rules: RuleSet, cev: CevInputs, cpv: CpvInputs) -> ValueParts:
    """Vectorised CEV, CPV and CLV for every customer (one period)."""
    r = clv_rules(rules)
    days = np.asarray(cev.period_days, dtype=np.float64)
    year_share = days / r.days_per_year
    rate = r.commission_rate if cev.commission_rate is None else np.asarray(cev.commission_rate)
    trading = _round_fen(_fen(cev.trading_assets_fen) * rate * np.asarray(cev.turnover))
    product = _round_fen(
        _fen(cev.product_assets_fen) * r.fund_distribution_fee_rate * np.asarray(cev.fund_turnover)
    )
    cash = _round_fen(_fen(cev.cash_fen) * r.cash_spread * year_share)
    interest = _round_fen(_fen(cev.margin_debt_fen) * r.margin_spread * year_share)
    cev_fen = trading + product + cash + interest

    satisfaction = np.asarray(cpv.satisfaction, dtype=np.float64)
    satisfaction = np.where(satisfaction > 0, satisfaction, r.satisfaction_unknown)
    subs = {
        "asset_trend": _unit(
            np.asarray(cpv.asset_trend, np.float64), r.asset_trend_floor, r.asset_trend_cap
        ),
        "risk_tolerance": _unit(
            np.asarray(cpv.risk_score, np.float64), r.risk_score_min, r.risk_score_max
        ),
        "tenure": _unit(np.asarray(cpv.tenure_days, np.float64), 0.0, r.tenure_full_days),
        "engagement": _unit(np.asarray(cpv.active_days, np.float64), 0.0, r.engagement_full_days),
        "satisfaction": _unit(satisfaction, r.satisfaction_min, r.satisfaction_max),
    }
    score = sum(r.weights[k] * subs[k] for k in CPV_FACTORS)
    annual_cev = np.where(days > 0, cev_fen / np.maximum(days, 1.0) * r.days_per_year, 0.0)
    base = annual_cev + r.asset_yield * _fen(cpv.total_assets_fen)
    cpv_fen = _round_fen(r.horizon_years * base * score)
    return ValueParts(
        trading_fee_fen=trading,
        product_income_fen=product,
        cash_income_fen=cash,
        interest_income_fen=interest,
        cev_fen=cev_fen,
        future_score=np.asarray(score),
        sub_scores=subs,
        cpv_base_fen=_round_fen(base),
        cpv_fen=cpv_fen,
        clv_fen=cev_fen + cpv_fen,
    )


def explain_value(rules: RuleSet, parts: ValueParts, row: int = 0) -> str:
    """The CLV of one row of `parts`, with every number that made it."""
    r = clv_rules(rules)

    def at(a: np.ndarray) -> Any:
        return np.asarray(a).reshape(-1)[row] if np.ndim(a) else a

    subs = ", ".join(
        f"{k.replace('_', ' ')} {float(at(parts.sub_scores[k])):.2f} x {r.weights[k]:g}"
        for k in CPV_FACTORS
    )
    return (
        f"CLV {format_fen(at(parts.clv_fen))} = CEV {format_fen(at(parts.cev_fen))} "
        f"(trading fee {format_fen(at(parts.trading_fee_fen))}, "
        f"products {format_fen(at(parts.product_income_fen))}, "
        f"cash margin {format_fen(at(parts.cash_income_fen))}, "
        f"margin interest {format_fen(at(parts.interest_income_fen))}) "
        f"+ CPV {format_fen(at(parts.cpv_fen))} "
        f"({r.horizon_years:g} years x {format_fen(at(parts.cpv_base_fen))} a year "
        f"x future score {float(at(parts.future_score)):.3f} = {subs}) "
        f"(rule set {rules.version})"
    )
