"""Galaxy tier table (DOMAIN.md section 3, seed 003 第八条)."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.grading.domain.money import cny
from services.grading.domain.rules import RuleSetError, parse_rule_set, read_rules_json
from services.grading.domain.tiers import (
    TIER_ORDER,
    Tier,
    YearTotals,
    assign_tiers,
    daily_average_fen,
    decide_tier,
    decide_tier_from_totals,
    tier_assets_fen,
)

# Every boundary named in DOMAIN.md, in fen.
EDGES = [cny(x) for x in (5_000, 10_000, 50_000, 200_000, 500_000, 5_000_000)]


def oracle(a: int, n: int) -> Tier:
    """DOMAIN.md section 3 written out directly, independent of the rule data."""
    vip = a > cny(5_000_000) or n >= cny(50_000)
    core_a = cny(10_000) <= n < cny(50_000)
    core_b = cny(500_000) <= a <= cny(5_000_000) and n < cny(10_000)
    potential = (cny(200_000) <= a < cny(500_000) and n < cny(10_000)) or (
        cny(5_000) <= n < cny(10_000) and a < cny(200_000)
    )
    if vip:
        return Tier.VIP
    # Below VIP the DOMAIN predicates are disjoint: at most one may hold.
    assert core_a + core_b + potential <= 1
    if core_a:
        return Tier.CORE_A
    if core_b:
        return Tier.CORE_B
    if potential:
        return Tier.POTENTIAL
    return Tier.ORDINARY


near_edges = st.sampled_from(EDGES).flatmap(lambda e: st.integers(min_value=e - 2, max_value=e + 2))
money = st.one_of(near_edges, st.integers(min_value=0, max_value=cny(100_000_000)))


@given(a=money, n=money)
def test_exactly_one_tier_matching_domain(rules, a, n):
    decision = decide_tier(rules, a, n)
    assert decision.tier in TIER_ORDER
    assert decision.tier == oracle(a, n)
    assert decision.rule_set_version == rules.version
    assert decision.avg_assets_fen == a and decision.net_commission_fen == n
    assert rules.version in decision.reason


@pytest.mark.parametrize(
    ("a_cny", "n_cny", "tier"),
    [
        (5_000_000, 0, Tier.CORE_B),  # A = 5,000,000 exactly is Core-B, not VIP
        (5_000_000.01, 0, Tier.VIP),
        (100, 50_000, Tier.VIP),  # N = 50,000 exactly is VIP
        (100, 49_999.99, Tier.CORE_A),
        (100, 10_000, Tier.CORE_A),  # N = 10,000 exactly is Core-A
        (100, 9_999.99, Tier.POTENTIAL),
        (500_000, 0, Tier.CORE_B),  # A = 500,000 exactly is Core-B
        (499_999.99, 0, Tier.POTENTIAL),
        (200_000, 0, Tier.POTENTIAL),  # A = 200,000 exactly is Potential
        (199_999.99, 0, Tier.ORDINARY),
        (199_999.99, 5_000, Tier.POTENTIAL),  # N = 5,000 exactly is Potential
        (199_999.99, 4_999.99, Tier.ORDINARY),
        (200_000, 5_000, Tier.POTENTIAL),
        (600_000, 9_999.99, Tier.CORE_B),
        (600_000, 10_000, Tier.CORE_A),
        (6_000_000, 60_000, Tier.VIP),
        (0, 0, Tier.ORDINARY),
    ],
)
def test_boundaries(rules, a_cny, n_cny, tier):
    a, n = round(a_cny * 100), round(n_cny * 100)
    assert decide_tier(rules, a, n).tier == tier
    assert TIER_ORDER[assign_tiers(rules, np.array([a]), np.array([n]))[0]] == tier


@settings(max_examples=60)
@given(st.lists(st.tuples(money, money), min_size=1, max_size=300))
def test_assign_tiers_agrees_with_decide_tier(rules, rows):
    a = np.array([r[0] for r in rows], dtype=np.int64)
    n = np.array([r[1] for r in rows], dtype=np.int64)
    codes = assign_tiers(rules, a, n)
    assert codes.dtype == np.int8 and codes.shape == a.shape
    expected = [TIER_ORDER.index(decide_tier(rules, int(x), int(y)).tier) for x, y in rows]
    assert codes.tolist() == expected


def test_reason_format(rules):
    d = decide_tier(rules, 612_000_050, 0, assets_year=2026, commission_year=2025)
    assert d.reason.startswith("VIP: daily-average assets (2026) 6,120,000.50 CNY > 5,000,000 CNY")
    core_a = decide_tier(rules, cny(100), cny(12_000))
    assert "net commission 12,000 CNY >= 10,000 CNY and < 50,000 CNY" in core_a.reason
    ordinary = decide_tier(rules, cny(100), cny(100))
    assert ordinary.reason.startswith("Ordinary: ")
    assert "100 CNY" in ordinary.reason


def test_floats_are_refused(rules):
    with pytest.raises(TypeError):
        decide_tier(rules, 5_000_000.0, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        assign_tiers(rules, np.array([1.5]), np.array([0]))


def test_totals_use_higher_year_and_name_it(rules):
    totals = [
        YearTotals(2025, 240, cny(1_000_000) * 240, cny(3_000)),
        YearTotals(2026, 200, cny(6_120_000) * 200, cny(99_999)),
    ]
    d = decide_tier_from_totals(rules, 2026, totals)
    assert d.tier == Tier.VIP
    assert d.avg_assets_fen == cny(6_120_000)
    assert d.net_commission_fen == cny(3_000)  # last year's, not this year's
    assert "daily-average assets (2026) 6,120,000 CNY" in d.reason

    totals[1] = YearTotals(2026, 10, cny(10_000) * 10, 0)
    d = decide_tier_from_totals(rules, 2026, totals)
    assert d.tier == Tier.CORE_B and "(2025) 1,000,000 CNY" in d.reason


def test_totals_with_no_days_and_missing_years(rules):
    d = decide_tier_from_totals(rules, 2026, [YearTotals(2026, 0, 0, 0)])
    assert d.tier == Tier.ORDINARY and d.avg_assets_fen == 0
    d = decide_tier_from_totals(rules, 2026, [YearTotals(2024, 10, cny(10**7), cny(10**6))])
    assert d.tier == Tier.ORDINARY  # only the two years around as_of count
    with pytest.raises(ValueError):
        decide_tier_from_totals(rules, 2026, [YearTotals(2025, 1, 1, 0)] * 2)


def test_daily_average_floors(rules):
    assert YearTotals(2026, 3, 10, 0).daily_average_fen == 3
    assert daily_average_fen(np.array([10, 10]), np.array([3, 0])).tolist() == [3, 0]
    avg, this_year = tier_assets_fen(
        np.array([300, 100]), np.array([3, 1]), np.array([100, 600]), np.array([1, 3])
    )
    assert avg.tolist() == [100, 200] and this_year.tolist() == [True, True]


def test_thresholds_are_data(rules):
    data = copy.deepcopy(read_rules_json("galaxy-2025"))
    data["version"] = "test-1"
    data["tiers"]["rules"][0]["when"]["any"][0]["value"] = cny(1_000_000)
    changed = parse_rule_set("test", data)
    assert decide_tier(changed, cny(2_000_000), 0).tier == Tier.VIP
    assert decide_tier(rules, cny(2_000_000), 0).tier == Tier.CORE_B


def test_malformed_tier_table_rejected():
    data = copy.deepcopy(read_rules_json("galaxy-2025"))
    data["tiers"]["rules"][0]["when"]["any"][0]["op"] = "greater"
    with pytest.raises(RuleSetError, match="tiers"):
        decide_tier(parse_rule_set("bad", data), 0, 0)
    data = copy.deepcopy(read_rules_json("galaxy-2025"))
    data["tiers"]["rules"][0]["when"]["any"][0]["value"] = 5_000_000.5
    with pytest.raises(RuleSetError, match="integer fen"):
        decide_tier(parse_rule_set("bad", data), 0, 0)
