"""Core segments I..VI for 4-5 star customers (001 4.2.3, table 4-7)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.segments import (
    SEGMENT_ORDER,
    SegmentInputs,
    assign_segments,
    decide_segment,
)


def inputs(stars=4, total=1000, securities=0, equity=0, fixed=0, reits=0, holding=0):
    return SegmentInputs(stars, total, securities, equity, fixed, reits, holding)


@pytest.mark.parametrize(
    ("row", "segment"),
    [
        (inputs(securities=600, holding=1095), "I"),
        (inputs(securities=600, holding=1094), "II"),
        (inputs(securities=600, holding=90), "II"),
        (inputs(securities=600, holding=89), "III"),
        (inputs(securities=600, holding=1), "III"),
        (inputs(securities=600, holding=0), "NONE"),
        (inputs(securities=599, holding=2000), "NONE"),  # 59.9% is not 60%
        (inputs(equity=400, fixed=200), "IV"),
        (inputs(equity=100, fixed=300, reits=200), "V"),
        (inputs(equity=100, fixed=200, reits=300), "VI"),
        (inputs(equity=300, fixed=300), "IV"),  # tie: earlier kind
        (inputs(equity=299, fixed=301), "V"),
        (inputs(equity=599), "NONE"),
        (inputs(stars=3, securities=1000, holding=2000), "NONE"),
        (inputs(stars=5, securities=1000, holding=2000), "I"),
        (inputs(total=0), "NONE"),
    ],
)
def test_segments(rules, row, segment):
    decision = decide_segment(rules, row)
    assert decision.segment == segment
    assert rules.version in decision.reason
    if segment != "NONE":
        assert decision.reason.startswith(segment + " (")


row = st.builds(
    inputs,
    stars=st.integers(1, 5),
    total=st.integers(0, 1000),
    securities=st.integers(0, 1000),
    equity=st.integers(0, 400),
    fixed=st.integers(0, 400),
    reits=st.integers(0, 400),
    holding=st.sampled_from([0, 1, 89, 90, 1094, 1095, 4000]),
)


@given(st.lists(row, min_size=1, max_size=40))
def test_vectorised_agrees(rules, rows):
    cols = SegmentInputs(
        *(np.array([getattr(r, f) for r in rows]) for f in SegmentInputs.__dataclass_fields__)
    )
    codes = assign_segments(rules, cols)
    assert [SEGMENT_ORDER[c] for c in codes] == [decide_segment(rules, r).segment for r in rows]
