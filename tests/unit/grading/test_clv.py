"""CLV = CEV + CPV (001 4.2.2-4.2.3)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.clv import CevInputs, CpvInputs, explain_value, lifetime_value
from services.grading.domain.money import cny


def one(**overrides):
    cev = dict(
        period_days=365,
        trading_assets_fen=cny(100_000),
        turnover=5.0,
        product_assets_fen=cny(50_000),
        fund_turnover=1.0,
        cash_fen=cny(20_000),
        margin_debt_fen=cny(10_000),
        commission_rate=None,
    )
    cpv = dict(
        total_assets_fen=cny(180_000),
        asset_trend=0.1,
        risk_score=60,
        tenure_days=1200,
        active_days=40,
        satisfaction=4,
    )
    for key, value in overrides.items():
        (cev if key in cev else cpv)[key] = value
    return CevInputs(**cev), CpvInputs(**cpv)


def test_cev_formulas(rules):
    parts = lifetime_value(rules, *one())
    assert int(parts.trading_fee_fen) == cny(125)  # 100,000 x 0.00025 x 5
    assert int(parts.product_income_fen) == cny(250)  # 50,000 x 0.005 x 1
    assert int(parts.cash_income_fen) == cny(200)  # 20,000 x 1% x 1 year
    assert int(parts.interest_income_fen) == cny(300)  # 10,000 x 3% x 1 year
    assert int(parts.cev_fen) == cny(875)


def test_cpv_formula_by_hand(rules):
    parts = lifetime_value(rules, *one())
    score = 0.3 * 0.6 + 0.15 * (51 / 91) + 0.2 * (1200 / 3650) + 0.2 * (40 / 120) + 0.15 * 0.75
    base = cny(875) + 0.001 * cny(180_000)
    assert float(parts.future_score) == pytest.approx(score)
    assert int(parts.cpv_fen) == round(3 * base * score)
    assert int(parts.clv_fen) == int(parts.cev_fen) + int(parts.cpv_fen)
    text = explain_value(rules, parts)
    assert text.startswith(f"CLV {int(parts.clv_fen) // 100:,}")
    assert "trading fee 125 CNY" in text and rules.version in text


def test_unknown_satisfaction_is_neutral(rules):
    unknown = lifetime_value(rules, *one(satisfaction=0))
    neutral = lifetime_value(rules, *one(satisfaction=3))
    assert int(unknown.cpv_fen) == int(neutral.cpv_fen)


def test_money_must_be_integer_fen(rules):
    with pytest.raises(TypeError):
        lifetime_value(rules, *one(cash_fen=100.5))


def test_customer_commission_rate_overrides(rules):
    parts = lifetime_value(rules, *one(commission_rate=0.0005))
    assert int(parts.trading_fee_fen) == cny(250)


score_inputs = st.fixed_dictionaries(
    {
        "asset_trend": st.floats(-3, 3),
        "risk_score": st.integers(0, 120),
        "tenure_days": st.integers(0, 20_000),
        "active_days": st.integers(0, 366),
        "satisfaction": st.integers(0, 5),
    }
)


@given(score_inputs)
def test_future_score_in_unit_interval_and_values_integer(rules, inputs):
    parts = lifetime_value(rules, *one(**inputs))
    assert 0.0 <= float(parts.future_score) <= 1.0
    assert parts.clv_fen.dtype == np.int64 and int(parts.cpv_fen) >= 0


def test_vectorised_rows_match_single_rows(rules):
    rng = np.random.default_rng(7)
    n = 200
    cev = CevInputs(
        period_days=rng.integers(1, 366, n),
        trading_assets_fen=rng.integers(0, 10**10, n),
        turnover=rng.random(n) * 10,
        product_assets_fen=rng.integers(0, 10**9, n),
        fund_turnover=rng.random(n),
        cash_fen=rng.integers(0, 10**9, n),
        margin_debt_fen=rng.integers(0, 10**9, n),
    )
    cpv = CpvInputs(
        total_assets_fen=rng.integers(0, 10**10, n),
        asset_trend=rng.normal(0, 0.3, n),
        risk_score=rng.integers(9, 101, n),
        tenure_days=rng.integers(0, 5000, n),
        active_days=rng.integers(0, 250, n),
        satisfaction=rng.integers(0, 6, n),
    )
    bulk = lifetime_value(rules, cev, cpv)
    for i in range(0, n, 37):
        row_cev = CevInputs(
            *(
                np.asarray(getattr(cev, f))[i]
                for f in cev.__dataclass_fields__
                if f != "commission_rate"
            )
        )
        row_cpv = CpvInputs(*(np.asarray(getattr(cpv, f))[i] for f in cpv.__dataclass_fields__))
        single = lifetime_value(rules, row_cev, row_cpv)
        assert int(single.clv_fen) == int(bulk.clv_fen[i])
