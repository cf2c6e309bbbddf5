"""Figures for any period from running totals (DOMAIN.md 1): daily-average assets, turnover,
trade frequency, holding period, trading vs product shares, profit and loss, and the current
value CEV of seed 001 4.2.3. Pure: totals in, figures out.

A period is answered from quarter totals where it covers whole quarters and from the days
themselves only at its ragged edges, so no query scans a year of days."""

import json
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path

from mesh.errors import InvalidField

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

SUM_FIELDS = (
    "total_assets_fen_sum", "cash_fen_sum", "securities_fen_sum", "equity_fund_fen_sum",
    "fixed_income_fen_sum", "reits_trust_fen_sum", "margin_debt_fen_sum", "collateral_fen_sum",
    "net_commission_fen", "trade_count", "holding_days_sum", "fund_inflow_fen", "fund_outflow_fen",
)  # fmt: skip


@dataclass(frozen=True)
class Totals:
    """Sums over the days with facts in some stretch of time, plus its first and last day."""

    days: int
    total_assets_fen_sum: int
    cash_fen_sum: int
    securities_fen_sum: int
    equity_fund_fen_sum: int
    fixed_income_fen_sum: int
    reits_trust_fen_sum: int
    margin_debt_fen_sum: int
    collateral_fen_sum: int
    net_commission_fen: int
    trade_count: int
    holding_days_sum: int
    fund_inflow_fen: int
    fund_outflow_fen: int
    first_day: date
    last_day: date
    first_total_assets_fen: int
    last_total_assets_fen: int
    last_margin_debt_fen: int
    last_collateral_fen: int

    @classmethod
    def from_row(cls, row) -> "Totals":  # type: ignore[no-untyped-def]
        return cls(**{f.name: row[f.name] for f in fields(cls)})


def combine(parts: list[Totals]) -> Totals | None:
    parts = [p for p in parts if p.days > 0]
    if not parts:
        return None
    first = min(parts, key=lambda p: p.first_day)
    last = max(parts, key=lambda p: p.last_day)
    sums = {name: sum(getattr(p, name) for p in parts) for name in SUM_FIELDS}
    return Totals(
        days=sum(p.days for p in parts),
        **sums,
        first_day=first.first_day,
        last_day=last.last_day,
        first_total_assets_fen=first.first_total_assets_fen,
        last_total_assets_fen=last.last_total_assets_fen,
        last_margin_debt_fen=last.last_margin_debt_fen,
        last_collateral_fen=last.last_collateral_fen,
    )


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    year, q = int(quarter[:4]), int(quarter[5])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def parse_quarter(text: str, field: str) -> str:
    if len(text) != 6 or not text[:4].isdigit() or text[4] != "Q" or text[5] not in "1234":
        raise InvalidField(field, f"{text!r} is not a quarter like 2026Q1")
    return text


def quarters_between(first: str, last: str) -> list[str]:
    out, (day, end) = [], (quarter_bounds(first)[0], quarter_bounds(last)[0])
    while day <= end:
        out.append(quarter_of(day))
        day = quarter_bounds(out[-1])[1] + timedelta(days=1)
    return out


def split_period(start: date, end: date) -> tuple[list[str], list[tuple[date, date]]]:
    """Whole quarters inside [start, end], and the day ranges left at the edges."""
    if end < start:
        raise InvalidField("end_date", f"{end} is before start_date {start}")
    whole, edges, day = [], [], start
    while day <= end:
        quarter = quarter_of(day)
        q_start, q_end = quarter_bounds(quarter)
        if day == q_start and q_end <= end:
            whole.append(quarter)
        else:
            edges.append((day, min(q_end, end)))
        day = q_end + timedelta(days=1)
    return whole, edges


@dataclass(frozen=True)
class ValueRules:
    version: str
    days_per_year: int
    commission_rate: Decimal
    product_fee_rate_per_year: Decimal
    cash_spread_per_year: Decimal
    margin_spread_per_year: Decimal


@cache
def value_rules(name: str = "value-2025") -> ValueRules:
    data = json.loads((RULES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return ValueRules(
        version=data["version"],
        days_per_year=int(data["days_per_year"]),
        commission_rate=Decimal(data["commission_rate"]),
        product_fee_rate_per_year=Decimal(data["product_fee_rate_per_year"]),
        cash_spread_per_year=Decimal(data["cash_spread_per_year"]),
        margin_spread_per_year=Decimal(data["margin_spread_per_year"]),
    )


@dataclass(frozen=True)
class CurrentValue:
    trading_net_fee_fen: int
    product_net_income_fen: int
    margin_income_on_cash_fen: int
    interest_income_fen: int
    rule_set_version: str
    explanation: str

    @property
    def total_fen(self) -> int:
        return (
            self.trading_net_fee_fen
            + self.product_net_income_fen
            + self.margin_income_on_cash_fen
            + self.interest_income_fen
        )


@dataclass(frozen=True)
class Figures:
    days: int
    daily_average_assets_fen: int
    net_commission_fen: int
    trade_count: int
    trade_frequency: float
    average_holding_days: float
    trading_share: float
    product_share: float
    turnover: float
    fund_inflow_fen: int
    fund_outflow_fen: int
    profit_loss_fen: int
    current_value: CurrentValue


def _fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def current_value(t: Totals, rules: ValueRules) -> CurrentValue:
    """CEV over the stretch the totals cover. Averages are per day with facts; 'x time' is the
    share of a year those days make (days / days_per_year)."""
    years = Decimal(t.days) / rules.days_per_year
    products = t.equity_fund_fen_sum + t.fixed_income_fen_sum + t.reits_trust_fen_sum
    avg_products = Decimal(products) / t.days
    avg_cash = Decimal(t.cash_fen_sum) / t.days
    avg_debt = Decimal(t.margin_debt_fen_sum) / t.days
    product = _fen(avg_products * rules.product_fee_rate_per_year * years)
    cash = _fen(avg_cash * rules.cash_spread_per_year * years)
    interest = _fen(avg_debt * rules.margin_spread_per_year * years)
    explanation = (
        f"trading net fee = net commission {_yuan(t.net_commission_fen)}; "
        f"product income = avg products {_yuan(_fen(avg_products))} x "
        f"{rules.product_fee_rate_per_year}/yr x {t.days}/{rules.days_per_year} yr; "
        f"cash income = avg cash {_yuan(_fen(avg_cash))} x {rules.cash_spread_per_year}/yr x "
        f"{t.days}/{rules.days_per_year} yr; interest = avg margin debt {_yuan(_fen(avg_debt))}"
        f" x {rules.margin_spread_per_year}/yr x {t.days}/{rules.days_per_year} yr (CNY)"
    )
    return CurrentValue(t.net_commission_fen, product, cash, interest, rules.version, explanation)


def figures(t: Totals, rules: ValueRules) -> Figures:
    avg_assets = t.total_assets_fen_sum // t.days
    trading = t.cash_fen_sum + t.securities_fen_sum
    products = t.equity_fund_fen_sum + t.fixed_income_fen_sum + t.reits_trust_fen_sum
    held = trading + products
    traded = Decimal(t.net_commission_fen) / rules.commission_rate
    return Figures(
        days=t.days,
        daily_average_assets_fen=avg_assets,
        net_commission_fen=t.net_commission_fen,
        trade_count=t.trade_count,
        trade_frequency=t.trade_count / t.days,
        average_holding_days=t.holding_days_sum / t.days,
        trading_share=trading / held if held else 0.0,
        product_share=products / held if held else 0.0,
        turnover=float(traded / avg_assets) if avg_assets else 0.0,
        fund_inflow_fen=t.fund_inflow_fen,
        fund_outflow_fen=t.fund_outflow_fen,
        profit_loss_fen=t.last_total_assets_fen
        - t.first_total_assets_fen
        - (t.fund_inflow_fen - t.fund_outflow_fen),
        current_value=current_value(t, rules),
    )
