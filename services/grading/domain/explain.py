"""Reasons for one stored grade, in words with the numbers that decided each figure.

A grade record keeps every input the rules used (see regrade.py); the reasons are rendered
from them with the rule set the grade was made with, by the same decide_*/explain_*
functions the rules are tested with. So a reason never changes once the grade is made,
whatever rule sets come later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .classes import RISK_ORDER, decide_class
from .clv import CevInputs, CpvInputs, explain_value, lifetime_value
from .grade_policy import ACTIONS
from .lifecycle import LifecycleInputs, decide_stage
from .margin import MarginInputs, decide_margin_classes
from .money import format_fen
from .regrade import (
    STAR_CUTS,
    STAR_INSTITUTION,
    STAR_PARETO,
    status_codes,
)
from .rules import RuleSet
from .segments import SegmentInputs, decide_segment
from .stars import explain_institution_level, explain_pareto_star, explain_threshold_star
from .tiers import TIER_ORDER, decide_tier, tier_rules


@dataclass(frozen=True)
class Reasons:
    policy: str
    tier: str
    combined_class: str
    stars: str
    lifetime_value: str
    segment: str
    stage: str
    margin: str

    @property
    def grade(self) -> str:
        """The tier's whole story: what the policy did and the decision behind it."""
        return f"{self.policy} — {self.tier}"


@dataclass(frozen=True)
class Values:
    cev_fen: int
    cpv_fen: int
    clv_fen: int


def _value_parts(rules: RuleSet, r: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    cash, securities = int(r["cash_fen"]), int(r["securities_fen"])
    products = int(r["equity_fund_fen"]) + int(r["fixed_income_fen"]) + int(r["reits_trust_fen"])
    return lifetime_value(
        rules,
        CevInputs(
            period_days=365,
            trading_assets_fen=np.array([cash + securities]),
            turnover=np.array([float(r["turnover"])]),
            product_assets_fen=np.array([products]),
            fund_turnover=1.0,
            cash_fen=np.array([cash]),
            margin_debt_fen=np.array([int(r["margin_debt_avg_fen"])]),
        ),
        CpvInputs(
            total_assets_fen=np.array([int(r["total_assets_fen"])]),
            asset_trend=np.array([float(r["asset_trend"])]),
            risk_score=np.array([int(r["risk_score"])]),
            tenure_days=np.array([max(int(r["account_age_days"]), 0)]),
            active_days=np.array([int(r["active_days"])]),
            satisfaction=0,
        ),
    )


def values(rules: RuleSet, record: Mapping[str, Any]) -> Values:
    parts = _value_parts(rules, record)
    return Values(int(parts.cev_fen[0]), int(parts.cpv_fen[0]), int(parts.clv_fen[0]))


def _policy(rules: RuleSet, r: Mapping[str, Any], run_kind: str) -> str:
    labels = tier_rules(rules).labels
    tier = labels[TIER_ORDER[r["tier"]]]
    decided = labels[TIER_ORDER[r["decided_tier"]]]
    previous = labels[TIER_ORDER[r["previous_tier"]]] if r["previous_tier"] >= 0 else "none"
    by = f"the {run_kind.lower().replace('_', '-')} grading" if run_kind else "a profile event"
    action = ACTIONS[r["action"]]
    if action == "NEW":
        text = f"first grade {tier}, by {by}"
    elif action == "UPGRADE":
        text = f"upgraded {previous} -> {tier} at once, by {by}"
    elif action == "LATERAL":
        text = f"{previous} -> {tier} (same level), by {by}"
    elif action == "KEEP":
        text = f"kept {tier} at {by}: still qualifies"
    elif action == "OBSERVE":
        text = (
            f"kept {tier} at {by} although the numbers give {decided}: in observation since "
            f"{r['observation_start']}; a downgrade needs the one-year observation over and a "
            f"scheduled grading"
        )
    else:
        text = (
            f"downgraded {previous} -> {tier} at {by}: the one-year observation is over and "
            f"the customer still does not qualify"
        )
    if r.get("kept_until"):
        text += f"; annual qualification kept until {r['kept_until']}"
    return f"{text} (rule set {rules.version})"


def _stars(rules: RuleSet, r: Mapping[str, Any], cev_fen: int, star_lines: Sequence[int]) -> str:
    net_assets = int(r["total_assets_fen"]) - int(r["margin_debt_fen"])
    method, stars, clv = r["star_method"], int(r["stars"]), int(r["clv_fen"])
    if method == STAR_INSTITUTION:
        return explain_institution_level(rules, net_assets, cev_fen)
    if method == STAR_PARETO:
        return explain_pareto_star(rules, stars, r["star_rank"], r["star_population"], clv)
    if method == STAR_CUTS:
        lines = ", ".join(
            f"{s} stars >= {format_fen(v)}" for s, v in zip((2, 3, 4, 5), star_lines, strict=False)
        )
        return (
            f"{stars} star{'s' if stars > 1 else ''}: CLV {format_fen(clv)} placed by the CLV "
            f"lines of grading run {r['star_rank']} ({lines or 'not known'}); between runs "
            f"stars only rise (rule set {rules.version})"
        )
    return explain_threshold_star(rules, net_assets, cev_fen)


def explain(
    rules: RuleSet,
    record: Mapping[str, Any],
    *,
    run_kind: str = "",
    star_lines: Sequence[int] = (),
) -> Reasons:
    """Reasons for a grade record (a row of grade_history as plain values; dates as date or
    None), made with `rules`, the rule set named by the record."""
    r = record
    as_of: date = r["as_of"]
    tier = decide_tier(
        rules,
        int(r["avg_assets_fen"]),
        int(r["net_commission_fen"]),
        assets_year=int(r["assets_year"]),
        commission_year=as_of.year - 1,
    ).reason
    risk = RISK_ORDER[r["risk_class"]] if r["risk_class"] >= 0 else None
    combined = decide_class(rules, TIER_ORDER[r["tier"]], risk).reason
    parts = _value_parts(rules, r)
    value = explain_value(rules, parts)
    stars = _stars(rules, r, int(parts.cev_fen[0]), star_lines)
    cash, securities = int(r["cash_fen"]), int(r["securities_fen"])
    products = [int(r["equity_fund_fen"]), int(r["fixed_income_fen"]), int(r["reits_trust_fen"])]
    segment = decide_segment(
        rules,
        SegmentInputs(
            stars=max(int(r["stars"]), 0),
            total_funds_fen=cash + securities + sum(products),
            securities_funds_fen=cash + securities,
            equity_fund_fen=products[0],
            fixed_income_fen=products[1],
            reits_trust_fen=products[2],
            avg_holding_days=int(r["avg_holding_days"]),
        ),
    ).reason
    stage = decide_stage(
        rules,
        LifecycleInputs(
            account_age_days=np.array(int(r["account_age_days"])),
            status=status_codes(np.array(int(r["status"]))),
            prior_experience=np.array(False),
            assets_fen=np.array(int(r["total_assets_fen"])),
            asset_trend=np.array(float(r["asset_trend"])),
            trade_trend=np.array(float(r["trade_trend"])),
            product_trend=np.array(float(r["product_trend"])),
            net_flow_share=np.array(float(r["net_flow_share"])),
        ),
    ).reason
    if r["margin_risk"] < 0:
        margin = f"no margin classes: no margin debt or collateral (rule set {rules.version})"
    else:
        margin = decide_margin_classes(
            rules,
            MarginInputs(
                total_assets_fen=np.array(int(r["total_assets_fen"])),
                margin_debt_fen=np.array(int(r["margin_debt_fen"])),
                volatility=np.array(0.0),
                avg_holding_days=np.array(int(r["avg_holding_days"])),
                annual_turnover=np.array(float(r["annual_turnover"])),
                advice_follow_share=np.array(0.0),
                monthly_trades=np.array(float(r["monthly_trades"])),
            ),
        ).reason
    return Reasons(
        policy=_policy(rules, r, run_kind),
        tier=tier,
        combined_class=combined,
        stars=stars,
        lifetime_value=value,
        segment=segment,
        stage=stage,
        margin=margin,
    )
