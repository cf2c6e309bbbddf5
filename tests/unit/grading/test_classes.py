"""Combined classes: tier level x risk class = 12 (003 第六条)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.classes import (
    NO_CLASS,
    RISK_ORDER,
    RiskClass,
    assign_classes,
    class_rules,
    decide_class,
)
from services.grading.domain.tiers import TIER_ORDER, Tier


def test_twelve_classes_vip_its_own_level(rules):
    names = class_rules(rules).names
    assert len(names) == 12 == len(set(names))
    assert names[:3] == ("VIP-CONSERVATIVE", "VIP-STEADY", "VIP-AGGRESSIVE")
    assert names[-1] == "ORDINARY-AGGRESSIVE"


def test_core_a_and_core_b_share_a_class(rules):
    a = decide_class(rules, Tier.CORE_A, RiskClass.STEADY)
    b = decide_class(rules, Tier.CORE_B, RiskClass.STEADY)
    assert a.name == b.name == "CORE-STEADY"
    assert "Core-A" in a.reason and "steady" in a.reason and rules.version in a.reason


def test_no_risk_class_no_class(rules):
    d = decide_class(rules, Tier.VIP, None)
    assert d.code == NO_CLASS and "no valid risk assessment" in d.reason


@given(
    st.lists(
        st.tuples(st.sampled_from(TIER_ORDER), st.sampled_from((None, *RISK_ORDER))),
        min_size=1,
        max_size=60,
    )
)
def test_vectorised_agrees(rules, rows):
    tiers = np.array([TIER_ORDER.index(t) for t, _ in rows])
    risks = np.array([-1 if r is None else RISK_ORDER.index(r) for _, r in rows])
    codes = assign_classes(rules, tiers, risks)
    assert codes.tolist() == [decide_class(rules, t, r).code for t, r in rows]
