"""Every figure for a whole population at once: the inputs the rules need, derived from
period totals, then tier, grade policy, combined class, CLV, stars, segment, stage and margin
classes, all as numpy columns. Pure: callers load the columns and store the result.

Inputs per customer, as of a day in year Y (periods: see periods.grading_periods):
- window W = last year + this year to date. Daily averages over W's days with facts give the
  holdings (cash, securities, each product kind, margin debt); W's net commission, scaled to a
  year by W's calendar span, is the trading fee.
- CEV (a year's value): trading fee (net commission, expressed through the rule set's
  commission rate as traded value x rate), products at the distribution fee rate turned over
  once a year, cash and margin debt at their spreads.
- trends compare the last two complete quarters: asset trend (daily-average assets), trade
  trend (trades per day with facts), product trend (daily-average products); net flow share
  is the recent quarter's (inflow - outflow) over its first day's assets.
- figures profile does not send are neutral: satisfaction unknown (3 of 5), holdings
  volatility 0, advice-following share 0, no prior investment experience (1080-day window).

Reasons are not made here: every input is returned so that explain.py can render the
reason for any single grade later, with the rule set it was made with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np

from .classes import NO_CLASS, assign_classes
from .clv import CevInputs, CpvInputs, clv_rules, lifetime_value
from .grade_policy import ACTIONS, NAT, grade_changes
from .lifecycle import LifecycleInputs, assign_stages, relative_change
from .margin import MarginInputs, assign_margin_classes
from .rules import RuleSet
from .schedule import RunKind
from .segments import SegmentInputs, assign_segments
from .stars import (
    assign_institution_levels,
    assign_stars_by_thresholds,
    assign_stars_pareto,
    star_rules,
)
from .tiers import assign_tiers, tier_assets_fen

RETAIL, INSTITUTION = 1, 2  # profile's CustomerKind values
NO_MARGIN = -1

# How the stars were found (stored with each grade so its reason can be told later).
STAR_PARETO, STAR_THRESHOLDS, STAR_CUTS, STAR_INSTITUTION = 0, 1, 2, 3

_I8 = np.int64


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=_I8)


@dataclass
class PeriodColumns:
    """One period's totals per customer (zeros where the customer has none)."""

    days: np.ndarray
    total: np.ndarray
    cash: np.ndarray
    securities: np.ndarray
    equity_fund: np.ndarray
    fixed_income: np.ndarray
    reits_trust: np.ndarray
    margin_debt: np.ndarray
    commission: np.ndarray
    trades: np.ndarray
    holding_days: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    first_total: np.ndarray
    last_total: np.ndarray
    last_margin_debt: np.ndarray
    last_collateral: np.ndarray
    first_day: np.ndarray  # datetime64[D], NaT where none
    last_day: np.ndarray

    @classmethod
    def empty(cls, n: int, wanted: tuple[str, ...] | None = None) -> PeriodColumns:
        """Zeros (NaT days). Only the `wanted` columns get arrays of their own to fill; the
        rest share one read-only zero column."""
        zero = _zeros(n)
        zero.flags.writeable = False
        nat = np.full(n, NAT)
        nat.flags.writeable = False
        values = {}
        for f in fields(cls):
            own = wanted is None or f.name in wanted
            if f.name.endswith("_day"):
                values[f.name] = nat.copy() if own else nat
            else:
                values[f.name] = _zeros(n) if own else zero
        return cls(**values)


@dataclass
class CustomerColumns:
    customer_no: np.ndarray  # int64, sorted
    customer_id: np.ndarray  # str ("U"), for the documented tie-break by id
    kind: np.ndarray  # 1 retail, 2 institution
    status: np.ndarray  # profile's CustomerStatus (1 active .. 4 closed, 0 unknown)
    open_date: np.ndarray  # datetime64[D], NaT unknown
    risk_class: np.ndarray  # RISK_ORDER index, -1 none
    risk_valid_until: np.ndarray  # datetime64[D], NaT = no expiry known
    risk_score: np.ndarray  # questionnaire score, 0 unknown
    margin_account: np.ndarray  # bool: has a credit (margin) account


@dataclass
class GradeState:
    """The stored grade of each customer (tier -1 = no grade yet)."""

    tier: np.ndarray
    since: np.ndarray
    observation_start: np.ndarray
    kept_until: np.ndarray
    class_code: np.ndarray
    stars: np.ndarray
    institution_level: np.ndarray
    segment: np.ndarray
    stage: np.ndarray
    margin_risk: np.ndarray
    margin_behaviour: np.ndarray
    margin_size: np.ndarray
    margin_needs: np.ndarray

    @classmethod
    def none(cls, n: int) -> GradeState:
        minus = np.full(n, -1, dtype=np.int16)
        values = {f.name: minus.copy() for f in fields(cls)}
        for name in ("since", "observation_start", "kept_until"):
            values[name] = np.full(n, NAT)
        return cls(**values)


FIGURES = (
    "tier",
    "class_code",
    "stars",
    "institution_level",
    "segment",
    "stage",
    "margin_risk",
    "margin_behaviour",
    "margin_size",
    "margin_needs",
)


@dataclass
class Graded:
    """Every column of a grade record (see grade_history), plus what changed."""

    columns: dict[str, np.ndarray]
    changed: np.ndarray  # any figure differs from the stored grade (or first grade)
    history: np.ndarray  # a history row is due (changed, or observation began/ended)
    state_changed: np.ndarray  # the stored state must be rewritten
    star_cuts: tuple[int, ...] = field(default=())  # CLV lines of 2..5 stars (Pareto runs)


def _avg(total: np.ndarray, days: np.ndarray) -> np.ndarray:
    return np.where(days > 0, total // np.maximum(days, 1), 0)


def _latest(this: np.ndarray, last: np.ndarray, this_has: np.ndarray) -> np.ndarray:
    return np.where(this_has, this, last)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal, with NaT equal to NaT."""
    if np.issubdtype(a.dtype, np.datetime64):
        return (a == b) | (np.isnat(a) & np.isnat(b))
    return a == b


def grade_population(
    rules: RuleSet,
    customers: CustomerColumns,
    last_year: PeriodColumns,
    this_year: PeriodColumns,
    recent_quarter: PeriodColumns,
    prior_quarter: PeriodColumns,
    current: GradeState,
    as_of: date,
    run: RunKind,
    *,
    star_cuts: tuple[int, ...] | None = None,
    cuts_run: int = 0,
    ranked: np.ndarray | None = None,
) -> Graded:
    """Grade every customer as of `as_of` for a run of kind `run`.

    Stars: with `star_cuts` (grading from profile events) each customer is placed by the CLV
    lines of the last full run (`cuts_run`, kept in star_rank) and stars only go up; empty
    lines (no run yet) use the threshold table. Without, Pareto ranks the retail customers
    selected by `ranked` (default all), or the threshold table applies if the rule set says.
    """
    n = len(customers.customer_no)
    today = np.datetime64(as_of, "D")
    y1, y0, q1, q2 = last_year, this_year, recent_quarter, prior_quarter
    cols: dict[str, np.ndarray] = {}

    # Tier: A = larger daily average of last and this year, N = last year's commission.
    avg_assets, use_this = tier_assets_fen(y1.total, y1.days, y0.total, y0.days)
    decided = assign_tiers(rules, avg_assets, y1.commission)
    cols["avg_assets_fen"] = avg_assets
    cols["assets_year"] = np.where(use_this, as_of.year, as_of.year - 1).astype(np.int16)
    cols["net_commission_fen"] = y1.commission
    cols["decided_tier"] = decided.astype(np.int16)

    # Window W = last year + this year to date.
    w_days = y1.days + y0.days
    cash = _avg(y1.cash + y0.cash, w_days)
    securities = _avg(y1.securities + y0.securities, w_days)
    equity = _avg(y1.equity_fund + y0.equity_fund, w_days)
    fixed = _avg(y1.fixed_income + y0.fixed_income, w_days)
    reits = _avg(y1.reits_trust + y0.reits_trust, w_days)
    debt_avg = _avg(y1.margin_debt + y0.margin_debt, w_days)
    first = np.where(y1.days > 0, y1.first_day, y0.first_day)
    has_this = y0.days > 0
    last = _latest(y0.last_day, y1.last_day, has_this)
    span = np.where(w_days > 0, (last - first).astype(_I8) + 1, 0)
    per_year = np.where(span > 0, 365.0 / np.maximum(span, 1), 0.0)
    commission_year = (y1.commission + y0.commission) * per_year
    trades_year = (y1.trades + y0.trades) * per_year
    rate = clv_rules(rules).commission_rate
    trading_assets = cash + securities
    turnover = np.where(
        trading_assets > 0, commission_year / rate / np.maximum(trading_assets, 1), 0.0
    )
    total_last = _latest(y0.last_total, y1.last_total, has_this)
    debt_last = _latest(y0.last_margin_debt, y1.last_margin_debt, has_this)
    collateral_last = _latest(y0.last_collateral, y1.last_collateral, has_this)
    holding = _avg(y1.holding_days + y0.holding_days, w_days).astype(np.int32)
    for name, value in (
        ("cash_fen", cash),
        ("securities_fen", securities),
        ("equity_fund_fen", equity),
        ("fixed_income_fen", fixed),
        ("reits_trust_fen", reits),
        ("margin_debt_avg_fen", debt_avg),
        ("turnover", turnover),
        ("total_assets_fen", total_last),
        ("margin_debt_fen", debt_last),
        ("avg_holding_days", holding),
    ):
        cols[name] = value

    # Trends between the last two complete quarters.
    products_q1 = q1.equity_fund + q1.fixed_income + q1.reits_trust
    products_q2 = q2.equity_fund + q2.fixed_income + q2.reits_trust
    cols["asset_trend"] = relative_change(_avg(q1.total, q1.days), _avg(q2.total, q2.days))
    cols["trade_trend"] = relative_change(
        q1.trades / np.maximum(q1.days, 1), q2.trades / np.maximum(q2.days, 1)
    )
    cols["product_trend"] = relative_change(_avg(products_q1, q1.days), _avg(products_q2, q2.days))
    net_flow = (q1.inflow - q1.outflow).astype(np.float64)
    cols["net_flow_share"] = np.where(
        q1.first_total > 0, net_flow / np.maximum(q1.first_total, 1), 0.0
    )
    age = np.where(np.isnat(customers.open_date), 0, (today - customers.open_date).astype(_I8))
    cols["account_age_days"] = age.astype(np.int32)
    cols["status"] = customers.status.astype(np.int16)
    cols["risk_score"] = customers.risk_score.astype(np.int16)
    cols["active_days"] = np.minimum(np.minimum(trades_year, w_days), 366).astype(np.int32)
    months = np.maximum(span, 1) / (365.0 / 12)
    cols["annual_turnover"] = np.where(
        total_last > 0, commission_year / rate / np.maximum(total_last, 1), 0.0
    )
    cols["monthly_trades"] = np.where(span > 0, (y1.trades + y0.trades) / months, 0.0)

    # The grade policy decides the tier actually held.
    policy = grade_changes(
        rules,
        current.tier,
        current.since,
        current.observation_start,
        current.kept_until,
        decided,
        as_of,
        run,
    )
    tier = policy.codes.astype(np.int16)
    cols["tier"] = tier
    cols["previous_tier"] = current.tier.astype(np.int16)
    cols["action"] = policy.actions.astype(np.int16)
    cols["since"] = policy.since
    cols["observation_start"] = policy.observation_start
    cols["kept_until"] = policy.kept_until

    # Combined class: held tier x a risk class from an assessment still valid on the day.
    valid = (customers.risk_class >= 0) & (
        np.isnat(customers.risk_valid_until) | (customers.risk_valid_until >= today)
    )
    risk = np.where(valid, customers.risk_class, -1).astype(np.int16)
    cols["risk_class"] = risk
    cols["class_code"] = assign_classes(rules, tier, risk).astype(np.int16)

    # Lifetime value.
    value = lifetime_value(
        rules,
        CevInputs(
            period_days=365,
            trading_assets_fen=trading_assets,
            turnover=turnover,
            product_assets_fen=equity + fixed + reits,
            fund_turnover=1.0,
            cash_fen=cash,
            margin_debt_fen=debt_avg,
        ),
        CpvInputs(
            total_assets_fen=total_last,
            asset_trend=cols["asset_trend"],
            risk_score=cols["risk_score"],
            tenure_days=np.maximum(age, 0),
            active_days=cols["active_days"],
            satisfaction=np.zeros(n),
        ),
    )
    clv = value.clv_fen
    cols["clv_fen"] = clv

    # Stars (retail) and institution levels.
    net_assets = total_last - debt_last
    retail = customers.kind != INSTITUTION
    stars = np.zeros(n, dtype=np.int16)
    method = np.full(n, STAR_INSTITUTION, dtype=np.int16)
    rank = np.zeros(n, dtype=np.int32)
    population = np.zeros(n, dtype=np.int32)
    cuts: tuple[int, ...] = ()
    if star_cuts is not None:
        if star_cuts:
            placed = 1 + np.searchsorted(np.asarray(star_cuts, dtype=_I8), clv, side="right")
            rank[retail] = cuts_run
        else:
            placed = assign_stars_by_thresholds(rules, net_assets, value.cev_fen)
        raised = np.maximum(placed, np.where(current.stars > 0, current.stars, 0))
        stars = np.where(retail, raised, 0).astype(np.int16)
        method[retail] = STAR_CUTS if star_cuts else STAR_THRESHOLDS
    elif star_rules(rules).method == "pareto":
        chosen = retail if ranked is None else retail & ranked
        pareto = assign_stars_pareto(rules, clv[chosen], customers.customer_id[chosen])
        stars[chosen] = pareto.stars
        rank[chosen] = pareto.ranks
        population[chosen] = int(chosen.sum())
        method[chosen] = STAR_PARETO
        cuts = star_lines(clv[chosen], pareto.stars)
        rest = retail & ~chosen
        stars[rest] = assign_stars_by_thresholds(rules, net_assets[rest], value.cev_fen[rest])
        method[rest] = STAR_THRESHOLDS
    else:
        stars = np.where(
            retail, assign_stars_by_thresholds(rules, net_assets, value.cev_fen), 0
        ).astype(np.int16)
        method[retail] = STAR_THRESHOLDS
    cols["stars"] = stars
    cols["star_method"] = method
    cols["star_rank"] = rank
    cols["star_population"] = population
    cols["institution_level"] = np.where(
        retail, -1, assign_institution_levels(rules, net_assets, value.cev_fen)
    ).astype(np.int16)

    cols["segment"] = assign_segments(
        rules,
        SegmentInputs(
            stars=stars,
            total_funds_fen=trading_assets + equity + fixed + reits,
            securities_funds_fen=trading_assets,
            equity_fund_fen=equity,
            fixed_income_fen=fixed,
            reits_trust_fen=reits,
            avg_holding_days=holding,
        ),
    ).astype(np.int16)
    cols["stage"] = assign_stages(
        rules,
        LifecycleInputs(
            account_age_days=age,
            status=status_codes(customers.status),
            prior_experience=np.zeros(n, dtype=bool),
            assets_fen=total_last,
            asset_trend=cols["asset_trend"],
            trade_trend=cols["trade_trend"],
            product_trend=cols["product_trend"],
            net_flow_share=cols["net_flow_share"],
        ),
    ).astype(np.int16)

    margin = customers.margin_account | (debt_last > 0) | (collateral_last > 0) | (debt_avg > 0)
    classes = assign_margin_classes(
        rules,
        MarginInputs(
            total_assets_fen=total_last,
            margin_debt_fen=debt_last,
            volatility=np.zeros(n),
            avg_holding_days=holding,
            annual_turnover=cols["annual_turnover"],
            advice_follow_share=np.zeros(n),
            monthly_trades=cols["monthly_trades"],
        ),
    )
    for name, codes in (
        ("margin_risk", classes.risk),
        ("margin_behaviour", classes.behaviour),
        ("margin_size", classes.asset_size),
        ("margin_needs", classes.needs),
    ):
        cols[name] = np.where(margin, codes, NO_MARGIN).astype(np.int16)

    changed = current.tier < 0
    for name in FIGURES:
        changed |= cols[name] != getattr(current, name)
    history = changed | ~_same(cols["observation_start"], current.observation_start)
    state_changed = (
        history
        | ~_same(cols["kept_until"], current.kept_until)
        | ~_same(cols["since"], current.since)
    )
    return Graded(cols, changed, history, state_changed, cuts)


def star_lines(clv: np.ndarray, stars: np.ndarray) -> tuple[int, ...]:
    """The lowest CLV that got 2, 3, 4 and 5 stars (rising), for placing customers between
    runs; a star nobody got takes the line above it."""
    lines = []
    top = int(clv.max()) + 1 if len(clv) else 0
    for star in (5, 4, 3, 2):
        got = clv[stars >= star]
        top = int(got.min()) if len(got) else top
        lines.append(top)
    return tuple(reversed(lines))


def status_codes(status: np.ndarray) -> np.ndarray:
    """Profile's CustomerStatus (1 active, 2 dormant, 3 transferred out, 4 closed; 0 unknown
    counts as active) -> index into the lifecycle rule's status names."""
    return np.clip(np.asarray(status, dtype=np.int64) - 1, 0, 3)


def action_name(code: int) -> str:
    return ACTIONS[code]


__all__ = [
    "FIGURES",
    "INSTITUTION",
    "NO_CLASS",
    "RETAIL",
    "CustomerColumns",
    "GradeState",
    "Graded",
    "PeriodColumns",
    "grade_population",
    "star_lines",
    "status_codes",
]
