"""Lifecycle stages (001 4.2.1) with the 360/1080-day growth window."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.lifecycle import (
    STAGE_ORDER,
    LifecycleInputs,
    assign_stages,
    decide_stage,
    relative_change,
)

ACTIVE, DORMANT, TRANSFERRED, CLOSED = range(4)


def row(
    age=2000,
    status=ACTIVE,
    experience=True,
    assets=10**7,
    asset=0.0,
    trade=0.0,
    product=0.0,
    flow=0.0,
):
    return LifecycleInputs(age, status, experience, assets, asset, trade, product, flow)


@pytest.mark.parametrize(
    ("inputs", "stage"),
    [
        (row(age=-1, assets=0), "PROSPECT"),
        (row(age=5, assets=0), "BUDDING"),
        (row(age=100, asset=0.2), "GROWING"),
        (row(age=360, asset=0.0), "GROWING"),
        (row(age=361, asset=0.2), "MATURE"),  # past the 360-day window with experience
        (row(age=361, asset=0.2, experience=False), "GROWING"),  # 1080 days without
        (row(age=1080, asset=0.2, experience=False), "GROWING"),
        (row(age=1081, asset=0.2, experience=False), "MATURE"),
        (row(age=100, asset=-0.1, flow=0.05), "GROWING"),
        (row(age=100, asset=-0.1), "MATURE"),
        (row(trade=-0.3, product=-0.2), "DECLINING"),
        (row(trade=-0.3, product=-0.1), "MATURE"),
        (row(trade=-0.5), "DECLINING"),
        (row(flow=-0.3), "DECLINING"),
        (row(status=DORMANT), "DECLINING"),
        (row(flow=-0.8), "LOST"),
        (row(status=TRANSFERRED), "LOST"),
        (row(status=CLOSED, assets=0), "LOST"),
    ],
)
def test_stages(rules, inputs, stage):
    decision = decide_stage(rules, inputs)
    assert decision.stage == stage
    assert decision.reason.startswith(stage.lower() + ": ")
    assert rules.version in decision.reason


def test_growth_reason_names_window(rules):
    text = decide_stage(rules, row(age=400, experience=False, asset=0.1)).reason
    assert "account age 400 days <= growth window 1,080 days" in text


def test_relative_change():
    got = relative_change(np.array([150, 50, 0, 5]), np.array([100, 100, 0, 0]))
    assert got.tolist() == [0.5, -0.5, 0.0, 1.0]


rows = st.builds(
    row,
    age=st.sampled_from([-1, 0, 100, 360, 361, 1080, 1081, 5000]),
    status=st.integers(0, 3),
    experience=st.booleans(),
    assets=st.sampled_from([0, 9_999, 10_000, 10**8]),
    asset=st.sampled_from([-0.5, -0.01, 0.0, 0.3]),
    trade=st.sampled_from([-0.6, -0.5, -0.3, -0.1, 0.2]),
    product=st.sampled_from([-0.3, -0.2, 0.0]),
    flow=st.sampled_from([-1.0, -0.8, -0.3, 0.0, 0.1]),
)


@given(st.lists(rows, min_size=1, max_size=40))
def test_vectorised_agrees(rules, data):
    cols = LifecycleInputs(
        *(np.array([getattr(r, f) for r in data]) for f in LifecycleInputs.__dataclass_fields__)
    )
    codes = assign_stages(rules, cols)
    assert [STAGE_ORDER[c] for c in codes] == [decide_stage(rules, r).stage for r in data]
