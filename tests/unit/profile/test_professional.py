"""Professional-investor qualification: thresholds as data, boundaries in fen and in days."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.profile.domain.errors import InvalidField
from services.profile.domain.professional import (
    ProfessionalEvidence,
    assess_professional,
    cny,
    load_professional_rules,
)

ON = date(2026, 11, 21)
TWO_YEARS_AGO = date(2024, 11, 21)
ASSETS = 5_000_000 * 100  # 5,000,000 CNY in fen
INCOME = 500_000 * 100  # 500,000 CNY in fen


def test_rules_come_from_data():
    rules = load_professional_rules()
    assert rules.min_financial_assets_fen == ASSETS
    assert rules.min_average_annual_income_fen == INCOME
    assert (rules.income_years, rules.min_experience_years, rules.max_product_risk) == (3, 2, "R5")


def test_assets_exactly_at_the_threshold_qualify():
    decision = assess_professional(ProfessionalEvidence(ASSETS, (), TWO_YEARS_AGO), ON)
    assert decision.qualified and decision.max_product_risk == "R5"
    assert "financial assets 5,000,000.00 CNY >= 5,000,000.00 CNY" in decision.reason
    assert "2 full years >= 2" in decision.reason
    assert "professional-2017 v2017.1" in decision.reason


def test_one_fen_below_the_assets_threshold_does_not():
    decision = assess_professional(ProfessionalEvidence(ASSETS - 1, (), TWO_YEARS_AGO), ON)
    assert not decision.qualified and decision.max_product_risk is None
    assert "4,999,999.99 CNY < 5,000,000.00 CNY" in decision.reason
    assert "no income evidence" in decision.reason


def test_average_income_exactly_at_the_threshold_qualifies():
    incomes = (INCOME - 2, INCOME + 1, INCOME + 1)  # average exactly 500,000.00
    decision = assess_professional(ProfessionalEvidence(0, incomes, TWO_YEARS_AGO), ON)
    assert decision.qualified
    assert "3-year average income 500,000.00 CNY >= 500,000.00 CNY" in decision.reason


def test_average_income_one_fen_short_does_not():
    incomes = (INCOME, INCOME, INCOME - 1)
    decision = assess_professional(ProfessionalEvidence(0, incomes, TWO_YEARS_AGO), ON)
    assert not decision.qualified
    assert "499,999.99 CNY < 500,000.00 CNY" in decision.reason


def test_experience_one_day_short_does_not_qualify():
    since = TWO_YEARS_AGO + timedelta(days=1)
    decision = assess_professional(ProfessionalEvidence(ASSETS * 10, (), since), ON)
    assert not decision.qualified
    assert "investment experience since 2024-11-22: 1 full year < 2" in decision.reason


def test_related_work_counts_as_experience():
    evidence = ProfessionalEvidence(
        ASSETS, (), investment_experience_since=ON, related_work_since=date(2010, 3, 1)
    )
    decision = assess_professional(evidence, ON)
    assert decision.qualified
    assert "related financial work since 2010-03-01: 16 full years >= 2" in decision.reason


def test_no_experience_at_all():
    decision = assess_professional(ProfessionalEvidence(ASSETS * 2), ON)
    assert not decision.qualified
    assert "no investment or related work experience given" in decision.reason


def test_leap_day_start_completes_on_28_february():
    evidence = ProfessionalEvidence(ASSETS, (), date(2024, 2, 29))
    assert not assess_professional(evidence, date(2026, 2, 27)).qualified
    assert assess_professional(evidence, date(2026, 2, 28)).qualified


@pytest.mark.parametrize(
    ("evidence", "field"),
    [
        (ProfessionalEvidence(-1), "financial_assets_fen"),
        (ProfessionalEvidence(5_000_000.0), "financial_assets_fen"),  # type: ignore[arg-type]
        (ProfessionalEvidence(True), "financial_assets_fen"),
        (ProfessionalEvidence(0, (INCOME, INCOME)), "annual_incomes_fen"),
        (ProfessionalEvidence(0, (INCOME, -5, INCOME)), "annual_incomes_fen[1]"),
        (ProfessionalEvidence(0, (), ON + timedelta(days=1)), "investment_experience_since"),
        (ProfessionalEvidence(0, (), None, ON + timedelta(days=1)), "related_work_since"),
    ],
)
def test_invalid_evidence_names_the_field(evidence, field):
    with pytest.raises(InvalidField) as err:
        assess_professional(evidence, ON)
    assert err.value.field == field


def test_cny_formatting():
    assert cny(0) == "0.00 CNY"
    assert cny(123_456_789) == "1,234,567.89 CNY"
    assert cny(-5) == "-0.05 CNY"


fen = st.integers(min_value=0, max_value=10**12)


@given(
    assets=fen,
    incomes=st.one_of(st.just(()), st.tuples(fen, fen, fen)),
    since=st.one_of(st.none(), st.dates(min_value=date(1980, 1, 1), max_value=ON)),
)
def test_qualified_iff_wealth_and_experience(assets, incomes, since):
    decision = assess_professional(ProfessionalEvidence(assets, incomes, since), ON)
    wealthy = assets >= ASSETS or (bool(incomes) and sum(incomes) >= 3 * INCOME)
    experienced = since is not None and since <= TWO_YEARS_AGO
    assert decision.qualified == (wealthy and experienced)
    assert decision.max_product_risk == ("R5" if decision.qualified else None)
    assert decision.reason.startswith("qualified" if decision.qualified else "not a professional")
