"""Deterministic, vectorised generator of a realistic demo brokerage (pure numpy, no I/O).

Public API
----------
- ``BrokerageSpec(customers, days, seed, first_day=date(2025, 1, 2), branches=20)``
- ``trading_days(spec) -> list[date]`` and ``as_of_date(spec)`` (the last trading day)
- ``customer_chunks(spec, chunk_size=10_000) -> Iterator[CustomerChunk]``: master data
- ``day_facts(spec, day_index) -> DayFacts`` and ``iter_day_facts(spec)``: end-of-day facts
- ``customer_id_of(indexes)``: customer index -> "C00000001"-style id

Model
-----
Every customer has static parameters drawn once from ``spec.seed`` (cached per spec, O(customers)
memory): log-normal base assets, an asset mix, a lifecycle pattern with its trend parameters,
trading frequency / turnover / commission rate, margin leverage. The state on day ``d`` is a
closed-form function of those parameters and ``d`` (smooth market and per-customer cycles plus
noise from a generator seeded by ``(seed, d)``), so any day can be generated alone, in any
order, in O(customers) time and memory; nothing accumulates over days.

Money is integer fen (1/100 CNY). ``total_assets = cash + securities + equity_fund +
fixed_income + reits_trust`` exactly; total assets are gross (they include securities bought
on margin), net assets are ``total_assets - margin_debt``. ``collateral`` is the market value
of the margin account's securities (part of ``securities``). Fund inflows/outflows are the
customer-driven part of the change in assets (deposits and withdrawals happen in steps every
few days); market moves make up the rest, so flows and asset changes agree only loosely.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import numpy as np

from services.profile.demo import _ids, _tables
from services.profile.domain.facts import VALUE_COLUMNS

# ------------------------------------------------------------------------------ vocabulary

KINDS = ("RETAIL", "INSTITUTION")
LIFECYCLES = ("NEW", "GROWING", "STABLE", "DECLINING", "LEAVING")
STATUSES = ("ACTIVE", "DORMANT", "TRANSFERRED_OUT", "CLOSED")
PERMISSIONS = ("MARGIN", "STAR", "CHINEXT", "STOCK_CONNECT", "NEEQ", "OPTIONS")
RISK_LEVELS = ("C1", "C2", "C3", "C4", "C5")
ID_TYPES = ("PRC_ID", "USCC")

NEW, GROWING, STABLE, DECLINING, LEAVING = range(5)
ACTIVE, DORMANT, TRANSFERRED_OUT, CLOSED = range(4)

ASSESSMENT_VALIDITY_DAYS = 730  # DOMAIN 2: an assessment is valid for 2 years by default
LONG_TERM_EXPIRY = np.datetime64("9999-12-31")  # ID valid for life (长期)

_RETAIL_LIFECYCLE_P = (0.08, 0.17, 0.50, 0.15, 0.10)
_INSTITUTION_LIFECYCLE_P = (0.03, 0.15, 0.65, 0.12, 0.05)

# Seed streams: the core parameters, the per-day noise and the master-data blocks are drawn from
# independent generators so that each can be reproduced alone.
_STREAM_CORE, _STREAM_DAY, _STREAM_PII = 1, 2, 3
_PII_BLOCK = 8192  # master data is drawn per fixed block, so chunk_size never changes values

_FAR = 1_000_000_000  # "never" as a day index (before or after any period)
_DAY0 = np.datetime64("1970-01-01", "D")
_YEAR = 365.25

_PERMISSION_LAUNCH = np.array(
    ["2010-03-31", "2019-03-18", "2009-07-15", "2014-11-17", "2013-01-16", "2015-02-09"],
    dtype="datetime64[D]",
)
# Years of trading experience required before each permission may be opened.
_PERMISSION_EXPERIENCE_DAYS = np.array([183, 730, 730, 0, 730, 183], dtype=np.int64)


# ------------------------------------------------------------------------------------ spec


@dataclass(frozen=True)
class BrokerageSpec:
    customers: int
    days: int
    seed: int
    first_day: date = date(2025, 1, 2)
    branches: int = 20

    def __post_init__(self) -> None:
        if not 0 <= self.customers <= 99_999_999:
            raise ValueError("customers must be in 0..99,999,999 (8-digit customer ids)")
        if self.days < 1:
            raise ValueError("days must be >= 1")
        if not 1 <= self.branches <= 999:
            raise ValueError("branches must be in 1..999")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")


def trading_days(spec: BrokerageSpec) -> list[date]:
    """The spec.days trading days from first_day (rolled forward to a weekday).

    A plain Monday-to-Friday calendar: exchange holidays are not modelled.
    """
    return _trading_dates(spec, np.arange(spec.days)).astype(object).tolist()


def as_of_date(spec: BrokerageSpec) -> date:
    """The last trading day: the date the master data (status, expiries) is as of."""
    return _trading_dates(spec, np.array([spec.days - 1])).astype(object)[0]


def customer_id_of(indexes: np.ndarray | list[int]) -> np.ndarray:
    """Customer index (0-based) -> customer id string "C%08d" % (index + 1)."""
    return _ids.customer_ids(np.asarray(indexes, dtype=np.int64))


def _trading_dates(spec: BrokerageSpec, offsets: np.ndarray) -> np.ndarray:
    return np.busday_offset(np.datetime64(spec.first_day, "D"), offsets, roll="forward")


# -------------------------------------------------------------------------- output types


@dataclass(frozen=True, eq=False)
class CustomerChunk:
    """Master data for customers ``index[0] .. index[-1]`` (a contiguous range).

    Dates are ``datetime64[D]`` arrays (NaT = none); strings are numpy unicode arrays.
    Institutions have no birth date (NaT) and no occupation (""); their id_number is a unified
    social credit code (id_type "USCC"). ``permissions`` has one column per name in
    ``PERMISSIONS`` holding the opened date, NaT where the customer lacks it. Professional
    investors (all assessed institutions, some wealthy retail) have no C-level: their
    ``assessment_target_level`` is "" and ``assessment_assessed_on`` NaT; institutions without
    ``professional`` have no assessment at all.
    """

    index: np.ndarray  # int32 customer index
    customer_id: np.ndarray  # "C00000001"
    kind: np.ndarray  # RETAIL / INSTITUTION
    name: np.ndarray
    gender: np.ndarray  # "M" / "F" / "" (institutions)
    birth_date: np.ndarray  # datetime64[D]
    occupation: np.ndarray
    phone: np.ndarray  # 11-digit mainland mobile
    id_type: np.ndarray  # PRC_ID / USCC
    id_number: np.ndarray
    id_expiry_date: np.ndarray  # datetime64[D]; 9999-12-31 = long-term
    branch_id: np.ndarray  # "B001"...
    open_date: np.ndarray  # datetime64[D]
    status: np.ndarray  # STATUSES (as of as_of_date(spec))
    lifecycle: np.ndarray  # LIFECYCLES
    has_margin: np.ndarray  # bool
    has_option: np.ndarray  # bool
    permissions: np.ndarray  # datetime64[D], shape (n, len(PERMISSIONS))
    assessment_target_level: np.ndarray  # "C1".."C5" or ""
    assessment_lowest_category: np.ndarray  # bool (C1 only)
    assessment_score: np.ndarray  # int16 questionnaire score 0..100, -1 = none
    assessment_assessed_on: np.ndarray  # datetime64[D]
    professional: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.index)

    def records(self) -> list[dict[str, Any]]:
        """The chunk as one dict per customer with plain Python values (dates or None)."""
        cols: dict[str, list[Any]] = {}
        for name in self.__dataclass_fields__:
            if name == "permissions":
                continue
            cols[name] = getattr(self, name).astype(object).tolist()
        perm = self.permissions.astype(object).tolist()
        out = []
        for i in range(len(self)):
            rec = {name: col[i] for name, col in cols.items()}
            rec["permissions"] = {
                p: opened
                for p, opened in zip(PERMISSIONS, perm[i], strict=True)
                if opened is not None
            }
            out.append(rec)
        return out


@dataclass(frozen=True, eq=False)
class DayFacts:
    """End-of-day facts of every customer active on ``day`` (equal-length arrays)."""

    day_index: int
    day: date
    customer_index: np.ndarray  # int32
    total_assets_fen: np.ndarray  # int64, = cash + securities + equity_fund + fixed + reits
    cash_fen: np.ndarray
    securities_fen: np.ndarray
    equity_fund_fen: np.ndarray
    fixed_income_fen: np.ndarray
    reits_trust_fen: np.ndarray
    margin_debt_fen: np.ndarray
    collateral_fen: np.ndarray
    net_commission_fen: np.ndarray
    fund_inflow_fen: np.ndarray
    fund_outflow_fen: np.ndarray
    trade_count: np.ndarray  # int32
    average_holding_days: np.ndarray  # int32

    ARRAYS: ClassVar[tuple[str, ...]] = ("customer_index", *VALUE_COLUMNS)

    def __len__(self) -> int:
        return len(self.customer_index)

    def columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}


# ------------------------------------------------------------------ static population


class _Population:
    """Per-customer static parameters (float32 where precision allows, to bound memory)."""

    def __init__(self, spec: BrokerageSpec) -> None:
        n = spec.customers
        days = spec.days
        rng = np.random.default_rng([spec.seed, _STREAM_CORE])
        f32 = np.float32
        self.n = n
        first = _trading_dates(spec, np.array([0]))[0]
        self.first_ordinal = int((first - _DAY0).astype(np.int64))

        # Market: log-level as a sum of cycles with seeded phases (closed form in the day).
        self.market_phase = rng.uniform(0, 2 * np.pi, 5)

        inst = rng.random(n) < 0.01
        self.inst = inst
        u = rng.random(n)
        cut_r = np.cumsum(_RETAIL_LIFECYCLE_P)[:-1]
        cut_i = np.cumsum(_INSTITUTION_LIFECYCLE_P)[:-1]
        life = np.where(
            inst, np.searchsorted(cut_i, u, side="right"), np.searchsorted(cut_r, u, side="right")
        ).astype(np.int8)
        self.life = life

        # Base assets (CNY): log-normal, median 70k for retail, 20M for institutions.
        z = rng.standard_normal(n)
        log_cny = np.where(inst, np.log(2.0e7) + 1.3 * z, np.log(7.0e4) + 1.6 * z)
        base_cny = np.clip(np.exp(log_cny), 50.0, 5.0e9)
        self.base = base_cny * 100.0  # fen, float64
        z_assets = np.where(inst, 0.0, z)  # standardised wealth of retail customers

        # Asset mix: trading-style (mostly securities) vs product-style customers.
        product_style = rng.random(n) < np.where(inst, 0.45, 0.22)
        alpha = np.where(
            product_style[:, None],
            np.array([0.8, 0.7, 2.0, 2.0, 0.5]),
            np.array([1.0, 4.0, 0.35, 0.25, 0.08]),
        )
        alpha = np.where(inst[:, None], alpha * np.array([1.0, 1.0, 1.0, 1.5, 1.5]), alpha)
        g = rng.standard_gamma(alpha) + 1e-9
        mix = (g / g.sum(axis=1, keepdims=True)).astype(f32)
        self.sh_cash, self.sh_sec, self.sh_eq, self.sh_fi, self.sh_rt = (
            np.ascontiguousarray(mix[:, k]) for k in range(5)
        )

        self.beta = rng.uniform(0.6, 1.5, n).astype(f32)
        self.i_amp = rng.uniform(0.0, 0.12, n).astype(f32)
        self.i_omega = (2 * np.pi / rng.uniform(15, 120, n)).astype(f32)
        self.i_phase = rng.uniform(0, 2 * np.pi, n).astype(f32)

        # Trading: annual turnover of the securities part (richer -> lower), trades per day,
        # net commission rate (richer -> lower), 5-CNY minimum per trade unless waived.
        log_t = np.log(3.0) - 0.25 * z_assets + 1.05 * rng.standard_normal(n)
        log_t = np.where(product_style, log_t - 1.2, log_t)
        log_t = np.where(inst, np.log(1.5) + 0.8 * rng.standard_normal(n), log_t)
        turnover = np.clip(np.exp(log_t), 0.05, 200.0)
        log_f = np.log(0.25) + 0.6 * (log_t - np.log(3.0)) + 0.5 * rng.standard_normal(n)
        # A quarter of retail accounts hardly ever trade (sleeping accounts).
        sleepy = (~inst) & (rng.random(n) < 0.25)
        freq = np.exp(log_f) * np.where(inst, 5.0, np.where(sleepy, 0.01, 1.0))
        freq = np.clip(freq, 0.0005, 50.0)
        self.freq = freq.astype(f32)
        # Expected value per trade as a fraction of securities value.
        # (at most the whole position: rare traders do not trade more than they hold).
        self.trade_frac = np.minimum(turnover / (250.0 * freq), 1.0).astype(f32)
        rate = np.where(
            inst,
            np.exp(np.log(1.0e-4) + 0.3 * rng.standard_normal(n)),
            np.exp(np.log(2.2e-4) - 0.08 * z_assets + 0.35 * rng.standard_normal(n)),
        )
        self.rate = np.clip(rate, 5e-5, 1e-3).astype(f32)
        self.min5 = (~inst) & (rng.random(n) < 0.6)
        hold = 365.0 / turnover * np.exp(0.2 * rng.standard_normal(n))
        self.hold = np.clip(np.rint(hold), 1, 3650).astype(np.int32)

        # Lifecycle trend: trend(d) = exp(g*s) * (1 + amp*sin(omega*s + phase)) * ramp * drain,
        # with s the day quantised to the customer's deposit/withdrawal step.
        g_rate = np.zeros(n)
        grow = life == GROWING
        g_rate[grow] = rng.uniform(np.log(1.3), np.log(3.0), grow.sum()) / 250.0
        decl = life == DECLINING
        g_rate[decl] = -rng.uniform(np.log(1 / 0.8), np.log(1 / 0.35), decl.sum()) / 250.0
        self.g = g_rate.astype(f32)
        self.g_act = np.where(decl, 2.0 * g_rate, 0.5 * g_rate).astype(f32)
        self.amp = rng.uniform(0.0, 0.15, n).astype(f32)
        self.omega = (2 * np.pi / rng.uniform(40, 250, n)).astype(f32)
        self.phase = rng.uniform(0, 2 * np.pi, n).astype(f32)
        self.step = rng.choice(
            np.array([1, 5, 10, 20, 40], dtype=np.int32), n, p=[0.1, 0.3, 0.3, 0.2, 0.1]
        )
        self.step_phase = (rng.random(n) * self.step).astype(np.int32)

        # NEW: opened during the period or the 60 trading days before it; ramp up deposits.
        new = life == NEW
        open_idx = np.full(n, -_FAR, dtype=np.int32)
        open_idx[new] = rng.integers(-60, days, new.sum())
        self.open_idx = open_idx
        self.f0 = np.where(new, rng.uniform(0.05, 0.6, n), 1.0).astype(f32)
        self.ramp_len = np.where(new, rng.uniform(10, 120, n), 1.0).astype(f32)

        # LEAVING: assets drain from day S to day E; E may fall before, in or after the period.
        leave = life == LEAVING
        end = np.full(n, _FAR, dtype=np.int32)
        end[leave] = rng.integers(-(days // 2) - 20, days + days // 4 + 11, leave.sum())
        drain_len = rng.integers(1, 61, n).astype(np.int32)
        self.drain_end = end
        self.drain_start = np.where(leave, end - drain_len, _FAR - 1).astype(np.int32)
        left = leave & (end <= days - 1)
        s_u = rng.random(n)
        status = np.full(n, ACTIVE, dtype=np.int8)
        status[left] = np.where(
            s_u[left] < 0.45, TRANSFERRED_OUT, np.where(s_u[left] < 0.75, CLOSED, DORMANT)
        )
        self.status = status
        gone = (status == TRANSFERRED_OUT) | (status == CLOSED)
        self.last_idx = np.where(gone, end, _FAR).astype(np.int32)
        self.resid = np.where(status == DORMANT, rng.uniform(0.0005, 0.01, n), 0.0).astype(f32)

        # Open date of accounts opened before the period (calendar days before first day).
        mean_age = np.where(grow, 1.5, 6.0) * _YEAR
        age_days = np.minimum(rng.exponential(1.0, n) * mean_age, 28 * _YEAR).astype(np.int64)
        # Leaving customers opened well before they started to drain.
        age_days = np.where(
            leave, np.maximum(age_days, -self.drain_start.astype(np.int64) * 7 // 5 + 60), age_days
        )
        open_ord = self.first_ordinal - 1 - age_days
        open_ord = (np.busday_offset(_DAY0 + open_ord, 0, roll="backward") - _DAY0).astype(np.int64)
        new_ord = (_trading_dates(spec, open_idx[new]) - _DAY0).astype(np.int64)
        open_ord[new] = new_ord
        self.open_ord = open_ord.astype(np.int32)

        # Margin (two-financing needs 500k CNY and half a year's experience) and options.
        trader = ~product_style
        seasoned = (~new) & (open_ord <= self.first_ordinal - 183)
        launch = (_PERMISSION_LAUNCH - _DAY0).astype(np.int64)
        margin_ok = seasoned & (self.first_ordinal > launch[0])
        option_ok = seasoned & (self.first_ordinal > launch[5])
        p_margin = np.where(base_cny >= 5e5, 0.95, np.where(base_cny >= 2e5, 0.15, 0.0))
        p_margin = np.where(trader, p_margin, p_margin * 0.5)
        p_margin = np.where(inst, np.where(base_cny >= 5e6, 0.25, 0.0), p_margin)
        self.has_margin = margin_ok & (rng.random(n) < p_margin)
        self.has_option = option_ok & (base_cny >= 5e5) & (rng.random(n) < 0.12)
        mi = np.flatnonzero(self.has_margin).astype(np.int32)
        self.margin_idx = mi
        m = len(mi)
        # Debt / collateral around lev0, cycling; a few aggressive borrowers near the line.
        aggressive = rng.random(m) < 0.1
        self.m_coll = rng.uniform(0.5, 1.0, m).astype(f32)
        self.m_lev0 = np.where(
            aggressive, rng.uniform(0.55, 0.8, m), rng.uniform(-0.1, 0.5, m)
        ).astype(f32)
        self.m_amp = rng.uniform(0.0, 0.25, m).astype(f32)
        self.m_omega = (2 * np.pi / rng.uniform(20, 200, m)).astype(f32)
        self.m_phase = rng.uniform(0, 2 * np.pi, m).astype(f32)
        # Margin customers trade on the margin account: make sure securities dominate the mix.
        self.sh_sec[mi] = np.maximum(self.sh_sec[mi], 0.5)
        tot = self.sh_cash[mi] + self.sh_sec[mi] + self.sh_eq[mi] + self.sh_fi[mi] + self.sh_rt[mi]
        for arr in (self.sh_cash, self.sh_sec, self.sh_eq, self.sh_fi, self.sh_rt):
            arr[mi] /= tot

    # -------------------------------------------------------------------- daily pieces

    def market(self, d: int) -> float:
        p = self.market_phase
        return float(
            0.10 * np.sin(2 * np.pi * d / 260 + p[0])
            + 0.05 * np.sin(2 * np.pi * d / 73 + p[1])
            + 0.02 * np.sin(2 * np.pi * d / 19 + p[2])
        )

    def trend(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        """(trend of assets, trading activity) on day d, both float64 (n,)."""
        s = d - np.mod(d - self.step_phase, self.step)
        growth = np.exp(self.g * s.astype(np.float32))
        osc = 1.0 + self.amp * np.sin(self.omega * s + self.phase)
        t = (s - self.open_idx).astype(np.float32)
        ramp = np.clip(self.f0 + (1.0 - self.f0) * t / self.ramp_len, self.f0, 1.0)
        ramp = np.where(d >= self.open_idx, ramp, 0.0)
        span = (self.drain_end - self.drain_start).astype(np.float32)
        drain = np.clip((self.drain_end - s).astype(np.float32) / span, 0.0, 1.0)
        drained = d >= self.drain_end
        act = ramp * np.where(drained, 0.0, drain) ** 2 * np.exp(self.g_act * s)
        drain = np.where(drained, self.resid, np.maximum(drain, self.resid))
        return growth * osc * ramp * drain, act


@functools.lru_cache(maxsize=2)
def _population(spec: BrokerageSpec) -> _Population:
    return _Population(spec)


def clear_cache() -> None:
    """Drop cached per-customer parameters (O(customers) memory per cached spec)."""
    _population.cache_clear()
    _pii_block.cache_clear()


# ---------------------------------------------------------------------------- day facts


def day_facts(spec: BrokerageSpec, day_index: int) -> DayFacts:
    """End-of-day facts for every customer active on trading day ``day_index``.

    Deterministic in (spec, day_index) alone; costs O(customers) time and memory.
    """
    if not 0 <= day_index < spec.days:
        raise IndexError(f"day_index {day_index} outside 0..{spec.days - 1}")
    pop = _population(spec)
    d = day_index
    n = pop.n
    rng = np.random.default_rng([spec.seed, _STREAM_DAY, d])
    eps_m, eps_a, eps_f = rng.standard_normal(3)

    trend, act = pop.trend(d)
    trend_prev, _ = pop.trend(d - 1)

    m = pop.market(d) + 0.01 * eps_m
    eq_f = np.exp(0.7 * m + 0.004 * eps_f)
    fi_f = np.exp(0.03 * d / 250.0)
    rt_f = np.exp(0.25 * m + 0.04 * np.sin(2 * np.pi * d / 120 + pop.market_phase[3]))
    z = rng.standard_normal(n, dtype=np.float32)
    sec_f = np.exp(
        pop.beta * np.float32(m)
        + pop.i_amp * np.sin(pop.i_omega * d + pop.i_phase)
        + np.float32(0.015) * z
    )

    w = pop.base * trend
    cash = np.rint(w * pop.sh_cash).astype(np.int64)
    sec_val = w * pop.sh_sec * sec_f
    sec = np.rint(sec_val).astype(np.int64)
    eq = np.rint(w * (pop.sh_eq * eq_f)).astype(np.int64)
    fi = np.rint(w * (pop.sh_fi * fi_f)).astype(np.int64)
    rt = np.rint(w * (pop.sh_rt * rt_f)).astype(np.int64)
    total = cash + sec + eq + fi + rt

    # Trading: Poisson trade counts; commission on the value traded, 5 CNY minimum per trade.
    a_day = np.exp(0.25 * np.sin(2 * np.pi * d / 37 + pop.market_phase[4]) + 0.15 * eps_a)
    lam = pop.freq * (act * a_day).astype(np.float32)
    lam = np.where(w >= 10_000.0, lam, np.float32(0.0))
    trades = rng.poisson(lam).astype(np.int32)
    commission = np.zeros(n, dtype=np.int64)
    ti = np.flatnonzero(trades)
    if len(ti):
        k = trades[ti].astype(np.float64)
        noise = np.exp(0.35 * rng.standard_normal(len(ti)) - 0.06125)
        c = k * sec_val[ti] * pop.trade_frac[ti] * pop.rate[ti] * noise
        c = np.where(pop.min5[ti], np.maximum(c, 500.0 * k), c)
        commission[ti] = np.rint(c).astype(np.int64)

    # Deposits and withdrawals: the customer-driven change of the trend.
    flow = pop.base * (trend - trend_prev)
    inflow = np.rint(np.maximum(flow, 0.0)).astype(np.int64)
    outflow = np.rint(np.maximum(-flow, 0.0)).astype(np.int64)

    # Margin: collateral is the margin account's securities; debt cycles around lev0.
    debt = np.zeros(n, dtype=np.int64)
    coll = np.zeros(n, dtype=np.int64)
    mi = pop.margin_idx
    if len(mi):
        s = d - np.mod(d - pop.step_phase[mi], pop.step[mi])
        lev = np.clip(pop.m_lev0 + pop.m_amp * np.sin(pop.m_omega * s + pop.m_phase), 0.0, 0.95)
        coll[mi] = np.rint(sec_val[mi] * pop.m_coll).astype(np.int64)
        debt[mi] = np.rint(w[mi] * pop.sh_sec[mi] * pop.m_coll * lev).astype(np.int64)

    since_open = (np.int64(d) - pop.open_idx) * 7 // 5 + 1  # calendar days, roughly
    hold = np.minimum(pop.hold, since_open).astype(np.int32)

    active = (d >= pop.open_idx) & (d <= pop.last_idx)
    cols: list[np.ndarray] = [
        np.arange(n, dtype=np.int32),
        total,
        cash,
        sec,
        eq,
        fi,
        rt,
        debt,
        coll,
        commission,
        inflow,
        outflow,
        trades,
        hold,
    ]
    if not active.all():
        cols = [c[active] for c in cols]
    day = _trading_dates(spec, np.array([d])).astype(object)[0]
    return DayFacts(d, day, *cols)


def iter_day_facts(spec: BrokerageSpec) -> Iterator[DayFacts]:
    """Every trading day's facts in order; memory stays O(customers) whatever spec.days is."""
    for d in range(spec.days):
        yield day_facts(spec, d)


# --------------------------------------------------------------------------- master data


def customer_chunks(spec: BrokerageSpec, chunk_size: int = 10_000) -> Iterator[CustomerChunk]:
    """Master data in contiguous index ranges of chunk_size customers.

    Values do not depend on chunk_size: they are drawn per fixed block of customers.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    pop = _population(spec)
    for lo in range(0, spec.customers, chunk_size):
        hi = min(lo + chunk_size, spec.customers)
        yield _chunk(spec, pop, lo, hi)


def _chunk(spec: BrokerageSpec, pop: _Population, lo: int, hi: int) -> CustomerChunk:
    blocks = [_pii_block(spec, b) for b in range(lo // _PII_BLOCK, (hi - 1) // _PII_BLOCK + 1)]
    start = lo - (lo // _PII_BLOCK) * _PII_BLOCK
    parts: dict[str, np.ndarray] = {}
    for key in blocks[0]:
        joined = blocks[0][key] if len(blocks) == 1 else np.concatenate([b[key] for b in blocks])
        parts[key] = joined[start : start + hi - lo]
    idx = np.arange(lo, hi, dtype=np.int32)
    return CustomerChunk(
        index=idx,
        customer_id=_ids.customer_ids(idx),
        kind=np.array(KINDS)[pop.inst[lo:hi].astype(np.int8)],
        status=np.array(STATUSES)[pop.status[lo:hi]],
        lifecycle=np.array(LIFECYCLES)[pop.life[lo:hi]],
        has_margin=pop.has_margin[lo:hi].copy(),
        has_option=pop.has_option[lo:hi].copy(),
        open_date=_DAY0 + pop.open_ord[lo:hi].astype(np.int64),
        **parts,
    )


@functools.lru_cache(maxsize=4)
def _pii_block(spec: BrokerageSpec, block: int) -> dict[str, np.ndarray]:
    """Personal data, branch, permissions and assessment for one fixed block of customers."""
    pop = _population(spec)
    lo = block * _PII_BLOCK
    hi = min(lo + _PII_BLOCK, spec.customers)
    n = hi - lo
    rng = np.random.default_rng([spec.seed, _STREAM_PII, block])
    idx = np.arange(lo, hi, dtype=np.int64)
    inst = pop.inst[lo:hi]
    base_cny = pop.base[lo:hi] / 100.0
    open_ord = pop.open_ord[lo:hi].astype(np.int64)
    as_of = int((_trading_dates(spec, np.array([spec.days - 1]))[0] - _DAY0).astype(np.int64))
    first = pop.first_ordinal

    # --- ID number structure: (area, sequence) is a bijection of index mod K, and the birth
    # date is forced to residue index // K modulo M, so ID numbers are unique by construction.
    n_areas = len(_tables.AREA_CODES)
    k_slots = n_areas * 999
    m_res = max(1, -(-spec.customers // k_slots))
    slot = _ids.affine_permutation(idx, k_slots, spec.seed * 7 + 11)
    area = _tables.AREA_CODES[slot // 999]
    seq = slot % 999 + 1
    male = seq % 2 == 1

    # --- Age and birth date (adults at account opening).
    age = np.clip(rng.normal(45.0, 13.0, n), 18.0, 90.0)
    birth = as_of - (age * _YEAR).astype(np.int64) - rng.integers(0, 365, n)
    birth = np.minimum(birth, open_ord - 6576)  # 18 full years before opening
    birth -= np.mod(birth - idx // k_slots, m_res)
    birth_dt = _DAY0 + birth
    age = (as_of - birth) / _YEAR

    # --- Names.
    n_sur = len(_tables.SURNAMES)
    sur_w = 1.0 / np.arange(1, n_sur + 1) ** 0.9
    surname = _tables.SURNAMES[rng.choice(n_sur, n, p=sur_w / sur_w.sum())]
    g1m = _tables.GIVEN_MALE[rng.integers(0, len(_tables.GIVEN_MALE), n)]
    g2m = _tables.GIVEN_MALE[rng.integers(0, len(_tables.GIVEN_MALE), n)]
    g1f = _tables.GIVEN_FEMALE[rng.integers(0, len(_tables.GIVEN_FEMALE), n)]
    g2f = _tables.GIVEN_FEMALE[rng.integers(0, len(_tables.GIVEN_FEMALE), n)]
    two = rng.random(n) < 0.7
    g1 = np.where(male, g1m, g1f)
    g2 = np.where(two, np.where(male, g2m, g2f), "")
    person = np.strings.add(np.strings.add(surname, g1), g2)
    org_name = np.strings.add(
        np.strings.add(
            _tables.INSTITUTION_CITIES[rng.integers(0, len(_tables.INSTITUTION_CITIES), n)],
            np.strings.add(
                _tables.INSTITUTION_SYLLABLES[
                    rng.integers(0, len(_tables.INSTITUTION_SYLLABLES), n)
                ],
                _tables.INSTITUTION_SYLLABLES[
                    rng.integers(0, len(_tables.INSTITUTION_SYLLABLES), n)
                ],
            ),
        ),
        _tables.INSTITUTION_SUFFIXES[rng.integers(0, len(_tables.INSTITUTION_SUFFIXES), n)],
    )
    name = np.where(inst, org_name, person)

    # --- Occupation by age.
    occ_p = _tables.OCCUPATION_WEIGHTS / _tables.OCCUPATION_WEIGHTS.sum()
    occ = rng.choice(len(occ_p), n, p=occ_p)
    u = rng.random(n)
    occ = np.where((age >= 60) & (u < 0.75), _tables.OCC_RETIRED, occ)
    occ = np.where((age < 23) & (u < 0.6), _tables.OCC_STUDENT, occ)
    occupation = np.where(inst, "", _tables.OCCUPATIONS[occ])

    # --- Contact phone (unique suffix per customer) and identity document.
    prefix = _tables.PHONE_PREFIXES[rng.integers(0, len(_tables.PHONE_PREFIXES), n)]
    phone = _ids.mobile_numbers(prefix, _ids.permute_1e8(idx, spec.seed))
    years = birth_dt.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = birth_dt.astype("datetime64[M]")
    months = month_start.astype(np.int64) % 12 + 1
    mdays = (birth_dt - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    prc = _ids.prc_id_numbers(area, years, months, mdays, seq)
    uscc = _ids.uscc_codes(area, _ids.permute_1e8(idx, spec.seed + 1_000_003))
    id_number = np.where(inst, uscc, prc)
    id_type = np.where(inst, ID_TYPES[1], ID_TYPES[0])

    # ID expiry relative to the as-of date: ~6% expired, ~6% expiring within 90 days,
    # long-term for many people over 46, otherwise years ahead. Institutions: long-term.
    u = rng.random(n)
    expiry = np.where(
        u < 0.06,
        as_of - rng.integers(1, 1000, n),
        np.where(u < 0.12, as_of + rng.integers(0, 91, n), as_of + rng.integers(91, 7300, n)),
    )
    expiry_dt = _DAY0 + expiry
    long_term = inst | ((u >= 0.12) & (age >= 46) & (rng.random(n) < 0.5))
    expiry_dt = np.where(long_term, LONG_TERM_EXPIRY, expiry_dt)

    # --- Branch: a few big branches; institutions mostly at the first (head office) one.
    bw = 1.0 / (np.arange(spec.branches) + 3.0) ** 0.8
    branch = rng.choice(spec.branches, n, p=bw / bw.sum())
    branch = np.where(inst & (rng.random(n) < 0.5), 0, branch)
    branch_id = np.strings.add("B", np.strings.zfill((branch + 1).astype(str), 3))

    # --- Permissions with opened dates (NaT when not held).
    has_margin = pop.has_margin[lo:hi]
    has_option = pop.has_option[lo:hi]
    new = pop.life[lo:hi] == NEW
    p_hold = np.column_stack(
        [
            has_margin.astype(np.float64),
            np.where(base_cny >= 5e5, 0.7, np.where(base_cny >= 2e5, 0.15, 0.02)),
            np.where(base_cny >= 1e5, 0.6, 0.25),
            np.where(base_cny >= 5e5, 0.35, 0.02),
            np.where(base_cny >= 1e6, 0.15, 0.005),
            has_option.astype(np.float64),
        ]
    )
    p_hold[:, 1:5] = np.where(inst[:, None], 0.5, p_hold[:, 1:5])
    p_hold[new, :] = 0.0
    launch = (_PERMISSION_LAUNCH - _DAY0).astype(np.int64)
    earliest = np.maximum(open_ord[:, None] + _PERMISSION_EXPERIENCE_DAYS, launch)
    limit = np.full((n, len(PERMISSIONS)), as_of, dtype=np.int64)
    limit[:, [0, 5]] = first - 1  # margin / options held before the period's debt history
    held = (rng.random((n, len(PERMISSIONS))) < p_hold) & (earliest <= limit)
    held[:, 0] |= has_margin
    held[:, 5] |= has_option
    opened = earliest + (rng.random((n, len(PERMISSIONS))) * (limit - earliest + 1)).astype(
        np.int64
    )
    opened = np.minimum(np.maximum(opened, earliest), limit)
    permissions = np.where(held, _DAY0 + opened, np.datetime64("NaT", "D"))

    # --- Suitability assessment. Latent risk appetite: wealth up, age down.
    z_age = (age - 45.0) / 13.0
    z_wealth = (np.log(np.maximum(base_cny, 1.0)) - np.log(7.0e4)) / 1.6
    latent = 0.5 * z_wealth - 0.35 * z_age + 0.8 * rng.standard_normal(n)
    level = np.searchsorted(np.array([-1.405, -0.643, 0.358, 1.2816]), latent)  # 0..4
    lowest = (level == 0) & ((rng.random(n) < 0.2) | (age >= 85))
    score = 20 * level + rng.integers(0, 20, n)
    score = np.where(lowest, np.minimum(score, rng.integers(0, 11, n)), score)
    professional = np.where(
        inst,
        rng.random(n) < 0.7,
        (base_cny >= 5e6) & (open_ord <= first - 730) & (rng.random(n) < 0.4),
    )
    assessed = ~inst & ~professional
    # ~15% stale (older than the 2-year validity) where the account is old enough.
    stale_lo = open_ord
    stale_hi = as_of - ASSESSMENT_VALIDITY_DAYS - 1
    stale = (rng.random(n) < 0.15) & (stale_hi >= stale_lo)
    fresh_lo = np.maximum(open_ord, as_of - ASSESSMENT_VALIDITY_DAYS + 1)
    r = rng.random(n)
    when = np.where(
        stale,
        stale_lo + (r * (stale_hi - stale_lo + 1)).astype(np.int64),
        fresh_lo + (r * (as_of - fresh_lo + 1)).astype(np.int64),
    )
    when = np.where(stale, np.minimum(when, stale_hi), np.minimum(when, as_of))
    assessed_on = np.where(assessed, _DAY0 + when, np.datetime64("NaT", "D"))
    target = np.where(assessed, np.array(RISK_LEVELS)[level], "")

    return {
        "name": name,
        "gender": np.where(inst, "", np.where(male, "M", "F")),
        "birth_date": np.where(inst, np.datetime64("NaT", "D"), birth_dt),
        "occupation": occupation,
        "phone": phone,
        "id_type": id_type,
        "id_number": id_number,
        "id_expiry_date": expiry_dt,
        "branch_id": branch_id,
        "permissions": permissions,
        "assessment_target_level": target,
        "assessment_lowest_category": assessed & lowest,
        "assessment_score": np.where(assessed, score, -1).astype(np.int16),
        "assessment_assessed_on": assessed_on,
        "professional": professional,
    }
