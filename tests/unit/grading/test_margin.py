"""Margin-financing customer classes (seed 004)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.margin import (
    ASSET_SIZES,
    BEHAVIOURS,
    NEEDS,
    RISK_LEVELS,
    MarginInputs,
    assign_margin_classes,
    decide_margin_classes,
)
from services.grading.domain.money import cny

MILLION = cny(1_000_000)


def row(assets=MILLION, debt=0, vol=0.1, holding=100, turnover=2.0, advice=0.0, trades=10.0):
    return MarginInputs(assets, debt, vol, holding, turnover, advice, trades)


@pytest.mark.parametrize(
    ("inputs", "risk"),
    [
        (row(), "LOW"),
        (row(debt=cny(199_999)), "LOW"),
        (row(debt=cny(200_000)), "MEDIUM"),  # financing ratio 20%
        (row(vol=0.25), "MEDIUM"),
        (row(debt=cny(500_000)), "HIGH"),  # 50%
        (row(vol=0.45), "HIGH"),
        (row(assets=0, debt=1), "HIGH"),  # debt with nothing left
        (row(assets=0, debt=0), "LOW"),
    ],
)
def test_risk(rules, inputs, risk):
    assert decide_margin_classes(rules, inputs).risk == risk


@pytest.mark.parametrize(
    ("inputs", "size"),
    [
        (row(assets=cny(5_000_000)), "HIGH_NET_WORTH"),
        (row(assets=cny(5_100_000), debt=cny(100_001)), "MEDIUM"),  # net assets count
        (row(assets=cny(500_000)), "MEDIUM"),
        (row(assets=cny(499_999)), "ORDINARY"),
    ],
)
def test_asset_size(rules, inputs, size):
    assert decide_margin_classes(rules, inputs).asset_size == size


def test_behaviour_and_needs(rules):
    assert decide_margin_classes(rules, row(holding=19)).behaviour == "SHORT_TERM"
    assert decide_margin_classes(rules, row(turnover=12.0)).behaviour == "SHORT_TERM"
    assert decide_margin_classes(rules, row(holding=20)).behaviour == "MEDIUM_LONG_TERM"
    assert decide_margin_classes(rules, row(advice=0.5)).needs == "PASSIVE"
    assert decide_margin_classes(rules, row(trades=1.0)).needs == "PASSIVE"
    d = decide_margin_classes(rules, row())
    assert d.needs == "ACTIVE"
    assert "risk LOW" in d.reason and rules.version in d.reason


rows = st.builds(
    row,
    assets=st.integers(0, cny(6_000_000)),
    debt=st.integers(0, cny(3_000_000)),
    vol=st.sampled_from([0.0, 0.25, 0.3, 0.45, 0.9]),
    holding=st.integers(0, 400),
    turnover=st.sampled_from([0.5, 11.9, 12.0, 40.0]),
    advice=st.sampled_from([0.0, 0.49, 0.5, 1.0]),
    trades=st.sampled_from([0.0, 1.9, 2.0, 30.0]),
)


@given(st.lists(rows, min_size=1, max_size=40))
def test_vectorised_agrees(rules, data):
    cols = MarginInputs(
        *(np.array([getattr(r, f) for r in data]) for f in MarginInputs.__dataclass_fields__)
    )
    got = assign_margin_classes(rules, cols)
    for i, r in enumerate(data):
        d = decide_margin_classes(rules, r)
        assert RISK_LEVELS[got.risk[i]] == d.risk
        assert BEHAVIOURS[got.behaviour[i]] == d.behaviour
        assert ASSET_SIZES[got.asset_size[i]] == d.asset_size
        assert NEEDS[got.needs[i]] == d.needs
