"""Stars (001 4.2.2 Pareto shares; 001 table 3-2 thresholds) and institution levels."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.grading.domain.money import cny
from services.grading.domain.rules import parse_rule_set, read_rules_json
from services.grading.domain.stars import (
    INSTITUTION_ORDER,
    InstitutionLevel,
    assign_institution_levels,
    assign_stars,
    assign_stars_by_thresholds,
    assign_stars_pareto,
    explain_institution_level,
    explain_pareto_star,
    explain_threshold_star,
)

SHARES = {1: 16, 2: 32, 3: 32, 4: 16, 5: 4}


@settings(max_examples=10, deadline=None)
@given(
    n=st.integers(min_value=10_000, max_value=200_000),
    seed=st.integers(0, 2**32 - 1),
    distinct=st.integers(min_value=1, max_value=10**9),
)
def test_pareto_shares_within_one_point(rules, n, seed, distinct):
    rng = np.random.default_rng(seed)
    clv = rng.integers(0, distinct, n)  # few distinct values = many ties
    stars = assign_stars_pareto(rules, clv, rng.permutation(n)).stars
    counts = np.bincount(stars, minlength=6)
    for star, share in SHARES.items():
        assert abs(100 * counts[star] / n - share) <= 1.0


@settings(max_examples=30)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=300), st.randoms())
def test_ties_broken_by_customer_id_whatever_the_input_order(rules, values, rnd):
    clv = np.array(values, dtype=np.int64)
    ids = np.arange(len(values)) * 7 + 3
    result = assign_stars_pareto(rules, clv, ids)
    order = list(range(len(values)))
    rnd.shuffle(order)
    shuffled = assign_stars_pareto(rules, clv[order], ids[order])
    assert shuffled.stars.tolist() == result.stars[order].tolist()
    assert shuffled.ranks.tolist() == result.ranks[order].tolist()
    # higher CLV never gets fewer stars; equal CLV: the lower id never gets fewer
    for i in range(len(values)):
        for j in range(len(values)):
            if (clv[i], -ids[i]) > (clv[j], -ids[j]):
                assert result.stars[i] >= result.stars[j]
                assert result.ranks[i] < result.ranks[j]


def test_pareto_reason(rules):
    clv = np.arange(100, dtype=np.int64) * 100
    result = assign_stars_pareto(rules, clv, np.arange(100))
    top = int(np.argmax(clv))
    assert result.stars[top] == 5 and result.ranks[top] == 1
    text = explain_pareto_star(rules, 5, 1, 100, int(clv[top]))
    assert text.startswith("5 stars: CLV 99 CNY ranks 1 of 100") and "4%" in text


@pytest.mark.parametrize(
    ("assets_cny", "stars"),
    [
        (0, 1),
        (10_000, 1),
        (10_000.01, 2),
        (200_000, 2),
        (200_000.01, 3),
        (1_000_000, 3),
        (1_000_000.01, 4),
        (3_000_000, 4),
        (3_000_000.01, 5),
    ],
)
def test_threshold_table_boundaries(rules, assets_cny, stars):
    fen = round(assets_cny * 100)
    assert assign_stars_by_thresholds(rules, np.array([fen]))[0] == stars
    assert explain_threshold_star(rules, fen).startswith(f"{stars} star")


def test_net_income_can_raise_the_star(rules):
    got = assign_stars_by_thresholds(
        rules,
        np.array([cny(5_000)] * 5),
        np.array([cny(9_999), cny(10_000), cny(100_000), cny(300_000), cny(500_000)]),
    )
    assert got.tolist() == [1, 2, 3, 4, 5]
    assert "net income 500,000 CNY >= 500,000 CNY" in explain_threshold_star(
        rules, cny(5_000), cny(500_000)
    )


def test_method_is_data(rules):
    data = copy.deepcopy(read_rules_json("galaxy-2025"))
    data["stars"]["method"] = "thresholds"
    by_table = parse_rule_set("t", data)
    kwargs = dict(
        clv_fen=np.array([1, 2]),
        customer_ids=np.array([1, 2]),
        net_assets_fen=np.array([cny(5_000), cny(5_000_000)]),
    )
    assert assign_stars(by_table, **kwargs).tolist() == [1, 5]
    assert assign_stars(rules, **kwargs).tolist() == [2, 3]  # pareto ranks by CLV


@pytest.mark.parametrize(
    ("assets_cny", "income_cny", "level"),
    [
        (100_000_000, None, InstitutionLevel.PLATINUM),
        (100_000_000.01, None, InstitutionLevel.DIAMOND),
        (500_000_000, None, InstitutionLevel.DIAMOND),
        (500_000_000.01, None, InstitutionLevel.HONOUR),
        (1_000, 1_000_000, InstitutionLevel.PLATINUM),
        (1_000, 1_000_000.01, InstitutionLevel.DIAMOND),
        (1_000, 3_000_000.01, InstitutionLevel.HONOUR),
    ],
)
def test_institution_levels(rules, assets_cny, income_cny, level):
    assets = round(assets_cny * 100)
    income = None if income_cny is None else np.array([round(income_cny * 100)])
    code = assign_institution_levels(rules, np.array([assets]), income)[0]
    assert INSTITUTION_ORDER[code] == level
    scalar_income = None if income is None else int(income[0])
    assert explain_institution_level(rules, assets, scalar_income).startswith(
        {"PLATINUM": "platinum", "DIAMOND": "diamond", "HONOUR": "honour"}[level.value]
    )
