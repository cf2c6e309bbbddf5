"""Grade change policy: upgrade at once, downgrade only after a one-year observation."""

import copy
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.grading.domain.grade_policy import (
    ACTIONS,
    NAT,
    GradeState,
    add_months,
    add_months_array,
    grade_change,
    grade_changes,
    observation_end,
    policy_rules,
)
from services.grading.domain.money import cny
from services.grading.domain.rules import parse_rule_set, read_rules_json
from services.grading.domain.schedule import RunKind
from services.grading.domain.tiers import TIER_ORDER, Tier, decide_tier

SAMPLE = {
    Tier.VIP: (cny(6_000_000), 0),
    Tier.CORE_A: (0, cny(20_000)),
    Tier.CORE_B: (cny(1_000_000), 0),
    Tier.POTENTIAL: (cny(300_000), 0),
    Tier.ORDINARY: (0, 0),
}


def decision(rules, tier):
    return decide_tier(rules, *SAMPLE[tier])


def test_upgrade_at_once_even_ad_hoc(rules):
    state = GradeState(Tier.POTENTIAL, date(2026, 1, 5))
    change = grade_change(rules, state, decision(rules, Tier.VIP), date(2026, 3, 3), RunKind.AD_HOC)
    assert change.action == "UPGRADE" and change.tier == Tier.VIP
    assert change.state.since == date(2026, 3, 3)
    assert change.reason.startswith("upgraded Potential -> VIP at once")


def test_failing_starts_observation_then_downgrades_after_a_year(rules):
    state = GradeState(Tier.VIP, date(2025, 1, 6), kept_until=date(2026, 1, 6))
    fail = decision(rules, Tier.CORE_B)
    first = grade_change(rules, state, fail, date(2025, 4, 1), RunKind.QUARTERLY)
    assert first.action == "OBSERVE" and first.tier == Tier.VIP
    assert first.state.observation_start == date(2025, 4, 1)
    assert "observation starts" in first.reason and "2026-04-01" in first.reason

    annual = grade_change(rules, first.state, fail, date(2026, 1, 5), RunKind.ANNUAL)
    assert annual.action == "OBSERVE" and annual.tier == Tier.VIP

    not_scheduled = grade_change(rules, annual.state, fail, date(2026, 4, 20), RunKind.AD_HOC)
    assert not_scheduled.action == "OBSERVE"
    assert "cannot downgrade" in not_scheduled.reason

    later = grade_change(rules, annual.state, fail, date(2026, 7, 1), RunKind.QUARTERLY)
    assert later.action == "DOWNGRADE" and later.tier == Tier.CORE_B
    assert later.state == GradeState(Tier.CORE_B, date(2026, 7, 1), None, None)


def test_qualifying_again_ends_observation(rules):
    state = GradeState(Tier.VIP, date(2025, 1, 6), observation_start=date(2025, 4, 1))
    change = grade_change(
        rules, state, decision(rules, Tier.VIP), date(2025, 7, 1), RunKind.QUARTERLY
    )
    assert change.action == "KEEP" and change.state.observation_start is None


def test_annual_qualification_is_kept_a_year(rules):
    data = copy.deepcopy(read_rules_json("galaxy-2025"))
    data["grade_policy"]["observation_months"] = 0  # isolate the keep period
    short = parse_rule_set("short", data)
    won = grade_change(short, None, decision(short, Tier.VIP), date(2026, 1, 5), RunKind.ANNUAL)
    assert won.state.kept_until == date(2027, 1, 5)
    fail = decision(short, Tier.ORDINARY)
    kept = grade_change(short, won.state, fail, date(2026, 4, 1), RunKind.QUARTERLY)
    assert kept.action == "OBSERVE" and "kept until 2027-01-05" in kept.reason
    down = grade_change(short, won.state, fail, date(2027, 1, 5), RunKind.ANNUAL)
    assert down.action == "DOWNGRADE"


def test_core_a_to_core_b_is_lateral(rules):
    state = GradeState(Tier.CORE_A, date(2025, 1, 6))
    change = grade_change(
        rules, state, decision(rules, Tier.CORE_B), date(2025, 4, 1), RunKind.AD_HOC
    )
    assert change.action == "LATERAL" and change.tier == Tier.CORE_B


def test_add_months_clamps():
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    days = np.array(["2024-02-29", "2025-01-31", "NaT"], dtype="datetime64[D]")
    got = add_months_array(days, 12)
    assert got[:2].tolist() == [date(2025, 2, 28), date(2026, 1, 31)] and np.isnat(got[2])


runs = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=200),  # days after the previous run
        st.sampled_from(list(RunKind)),
        st.sampled_from(TIER_ORDER),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300)
@given(start=st.sampled_from(TIER_ORDER), history=runs)
def test_never_downgraded_inside_the_observation_window(rules, start, history):
    p = policy_rules(rules)
    day = date(2025, 1, 6)
    state = grade_change(rules, None, decision(rules, start), day, RunKind.ANNUAL).state
    failing_since = None  # independent bookkeeping of the observation start
    for gap, run, tier in history:
        day += timedelta(days=gap)
        before = state
        change = grade_change(rules, before, decision(rules, tier), day, run)
        rank_before = p.rank_by_code[TIER_ORDER.index(before.tier)]
        rank_new = p.rank_by_code[TIER_ORDER.index(tier)]
        rank_after = p.rank_by_code[TIER_ORDER.index(change.tier)]
        if rank_new > rank_before:
            failing_since = failing_since or day
        if rank_after > rank_before:  # any downgrade
            assert change.action == "DOWNGRADE"
            assert run in (RunKind.ANNUAL, RunKind.QUARTERLY)
            assert day >= add_months(failing_since, 12)
            assert day >= observation_end(rules, failing_since)
            assert before.kept_until is None or day >= before.kept_until
            assert change.tier == tier
        if rank_new < rank_before:  # qualifies higher: upgraded at once
            assert change.tier == tier
        if rank_new <= rank_before or change.action == "DOWNGRADE":
            failing_since = None
        assert (change.state.observation_start is not None) == (change.action == "OBSERVE")
        state = change.state


def _opt(d):
    return NAT if d is None else np.datetime64(d, "D")


states = st.one_of(
    st.none(),
    st.builds(
        GradeState,
        tier=st.sampled_from(TIER_ORDER),
        since=st.dates(date(2024, 1, 1), date(2026, 6, 30)),
        observation_start=st.one_of(st.none(), st.dates(date(2024, 6, 1), date(2026, 6, 30))),
        kept_until=st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2027, 12, 31))),
    ),
)


@given(
    rows=st.lists(st.tuples(states, st.sampled_from(TIER_ORDER)), min_size=1, max_size=30),
    as_of=st.dates(date(2026, 7, 1), date(2027, 12, 31)),
    run=st.sampled_from(list(RunKind)),
)
def test_bulk_agrees_with_single(rules, rows, as_of, run):
    bulk = grade_changes(
        rules,
        np.array([-1 if s is None else TIER_ORDER.index(s.tier) for s, _ in rows]),
        np.array([_opt(s and s.since) for s, _ in rows], dtype="datetime64[D]"),
        np.array([_opt(s and s.observation_start) for s, _ in rows], dtype="datetime64[D]"),
        np.array([_opt(s and s.kept_until) for s, _ in rows], dtype="datetime64[D]"),
        np.array([TIER_ORDER.index(t) for _, t in rows]),
        as_of,
        run,
    )
    for i, (state, tier) in enumerate(rows):
        one = grade_change(rules, state, decision(rules, tier), as_of, run)
        assert TIER_ORDER[bulk.codes[i]] == one.tier
        assert ACTIONS[bulk.actions[i]] == one.action
        assert bulk.since[i] == np.datetime64(one.state.since, "D")
        for got, want in (
            (bulk.observation_start[i], one.state.observation_start),
            (bulk.kept_until[i], one.state.kept_until),
        ):
            assert (np.isnat(got) and want is None) or got == np.datetime64(want, "D")
