"""The condition language shared by every decision table."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.conditions import (
    describe,
    holds,
    holds_array,
    parse_condition,
    parse_inputs,
)
from services.grading.domain.decision_table import assign, decide, parse_decision_table

INPUTS = parse_inputs(
    {
        "x": {"label": "assets", "unit": "fen"},
        "y": {"label": "trend", "unit": "change"},
        "s": {"label": "status", "unit": "enum", "names": ["open", "closed"]},
        "w": {"label": "window", "unit": "days"},
        "d": {"label": "age", "unit": "days"},
    }
)

TABLE = parse_decision_table(
    {
        "inputs": {
            "x": {"label": "assets", "unit": "fen"},
            "y": {"label": "trend", "unit": "change"},
            "s": {"label": "status", "unit": "enum", "names": ["open", "closed"]},
        },
        "outcomes": ["A", "B", "C"],
        "rules": [
            {
                "outcome": "A",
                "when": {
                    "any": [
                        {"input": "s", "op": "in", "value": ["closed"]},
                        {"input": "y", "op": "lte", "value": -0.5},
                    ]
                },
            },
            {
                "outcome": "B",
                "when": {
                    "all": [
                        {"input": "x", "op": "gte", "value": 100},
                        {"input": "x", "op": "lt", "value": 1000},
                    ]
                },
            },
        ],
        "fallback": "C",
    }
)


def test_describe_names_numbers_and_compacts_ranges():
    cond = parse_condition(
        {
            "all": [
                {"input": "x", "op": "gte", "value": 100},
                {"input": "x", "op": "lt", "value": 1000},
            ]
        },
        INPUTS,
    )
    values = {"x": 150}
    assert describe(cond, values, INPUTS) == "assets 1.50 CNY >= 1 CNY and < 10 CNY"


def test_describe_other_input_and_enum():
    cond = parse_condition({"input": "d", "op": "lte", "other": "w"}, INPUTS)
    assert describe(cond, {"d": 10, "w": 360}, INPUTS) == "age 10 days <= window 360 days"
    cond = parse_condition({"input": "s", "op": "in", "value": ["closed"]}, INPUTS)
    assert describe(cond, {"s": 1}, INPUTS) == "status closed is one of closed"


@pytest.mark.parametrize(
    "raw",
    [
        {"input": "nope", "op": "gt", "value": 1},
        {"input": "x", "op": "between", "value": 1},
        {"input": "x", "op": "gt", "value": 1.5},  # money must be integer fen
        {"input": "x", "op": "in", "value": [1]},  # 'in' is for enums
        {"input": "s", "op": "in", "value": ["unknown"]},
        {"any": []},
    ],
)
def test_bad_conditions_rejected(raw):
    with pytest.raises((ValueError, KeyError)):
        parse_condition(raw, INPUTS)


rows = st.tuples(
    st.integers(min_value=0, max_value=2000),
    st.sampled_from([-1.0, -0.5, -0.4999, 0.0, 0.3]),
    st.integers(min_value=0, max_value=1),
)


@given(st.lists(rows, min_size=1, max_size=50))
def test_table_scalar_and_array_agree(data):
    cols = {
        "x": np.array([r[0] for r in data], dtype=np.int64),
        "y": np.array([r[1] for r in data]),
        "s": np.array([r[2] for r in data]),
    }
    codes = assign(TABLE, cols)
    for i, (x, y, s) in enumerate(data):
        result = decide(TABLE, {"x": x, "y": y, "s": s})
        assert result.code == codes[i]
        assert result.clause
    for rule in TABLE.rules:
        mask = holds_array(rule.when, cols)
        assert mask.tolist() == [holds(rule.when, {"x": x, "y": y, "s": s}) for x, y, s in data]


def test_fallback_clause_lists_inputs():
    result = decide(TABLE, {"x": 5, "y": 0.0, "s": 0})
    assert result.outcome == "C"
    assert "assets 0.05 CNY" in result.clause and "status open" in result.clause
