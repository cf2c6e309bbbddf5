"""Material changes that force a risk assessment to be redone."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.profile.domain.errors import InvalidField
from services.profile.domain.material_change import (
    CustomerAttributes,
    detect_material_changes,
    load_material_change_rules,
)
from services.profile.domain.questionnaire import full_years

ASSESSED = date(2025, 3, 1)
ON = date(2026, 11, 21)
BASE = CustomerAttributes(occupation="teacher", income_band="B", birth_date=date(1980, 5, 17))


def change(**fields) -> CustomerAttributes:
    return CustomerAttributes(**{**BASE.__dict__, **fields})


def kinds(old, new, assessed=ASSESSED, on=ON):
    return [c.kind for c in detect_material_changes(old, new, assessed, on)]


def test_rules_come_from_data():
    rules = load_material_change_rules()
    assert rules.age_thresholds == (60, 70)
    assert [name for name, _ in rules.material_fields] == [
        "occupation",
        "income_band",
        "birth_date",
    ]


def test_nothing_changed():
    assert detect_material_changes(BASE, BASE, ASSESSED, ON) == []


def test_whitespace_is_not_a_change():
    assert kinds(BASE, change(occupation=" teacher ")) == []


def test_occupation_change_with_reason():
    [found] = detect_material_changes(BASE, change(occupation="retired"), ASSESSED, ON)
    assert found.kind == "occupation"
    assert found.reason.startswith(
        "occupation changed from 'teacher' to 'retired' since the assessment on 2025-03-01"
    )


def test_income_band_change():
    [found] = detect_material_changes(BASE, change(income_band="D"), ASSESSED, ON)
    assert found.kind == "income_band" and "'B' to 'D'" in found.reason


def test_several_changes_at_once():
    new = change(occupation="retired", income_band="A")
    assert kinds(BASE, new) == ["occupation", "income_band"]


def test_turning_60_between_assessment_and_now():
    old = change(birth_date=date(1966, 6, 1))  # 58 at assessment, 60 now
    [found] = detect_material_changes(old, old, ASSESSED, ON)
    assert found.kind == "age_threshold"
    assert found.reason.startswith("age reached 60: 58 at the assessment on 2025-03-01, 60 on")


def test_sixtieth_birthday_is_the_crossing_day():
    person = change(birth_date=date(1966, 11, 21))
    assert kinds(person, person, on=date(2026, 11, 20)) == []
    assert kinds(person, person, on=date(2026, 11, 21)) == ["age_threshold"]


def test_already_over_60_at_assessment_is_not_a_new_crossing():
    person = change(birth_date=date(1960, 1, 1))  # 65 then, 66 now
    assert kinds(person, person) == []


def test_crossing_both_60_and_70():
    person = change(birth_date=date(1956, 1, 1))  # 55 in 2011, 70 in 2026
    found = detect_material_changes(person, person, date(2011, 6, 1), ON)
    assert [c.reason.split(":")[0] for c in found] == ["age reached 60", "age reached 70"]


def test_corrected_birth_date_is_a_change_and_may_cross_an_age():
    old = change(birth_date=date(1970, 1, 1))  # 55 at assessment
    new = change(birth_date=date(1965, 1, 1))  # really 61 now
    assert kinds(old, new) == ["birth_date", "age_threshold"]
    reason = detect_material_changes(old, new, ASSESSED, ON)[0].reason
    assert "birth date changed from 1970-01-01 to 1965-01-01" in reason


def test_leap_day_birth_turns_60_on_28_february():
    person = change(birth_date=date(1964, 2, 29))
    assessed = date(2023, 1, 1)
    assert kinds(person, person, assessed, date(2024, 2, 28)) == []
    assert kinds(person, person, assessed, date(2024, 2, 29)) == ["age_threshold"]
    assert full_years(date(1964, 2, 29), date(2025, 2, 28)) == 61


def test_now_before_the_assessment_is_rejected():
    with pytest.raises(InvalidField) as err:
        detect_material_changes(BASE, BASE, ON, ASSESSED)
    assert err.value.field == "on"


def test_birth_date_in_the_future_is_rejected():
    with pytest.raises(InvalidField) as err:
        detect_material_changes(BASE, change(birth_date=ON + timedelta(days=1)), ASSESSED, ON)
    assert err.value.field == "birth_date"


@given(
    birth=st.dates(min_value=date(1930, 1, 1), max_value=date(2000, 12, 31)),
    assessed=st.dates(min_value=date(2018, 1, 1), max_value=ON),
    days_later=st.integers(min_value=0, max_value=3000),
)
def test_age_crossings_match_the_thresholds_passed(birth, assessed, days_later):
    person = change(birth_date=birth)
    on = assessed + timedelta(days=days_later)
    age_then, age_now = full_years(birth, assessed), full_years(birth, on)
    found = detect_material_changes(person, person, assessed, on)
    assert all(c.kind == "age_threshold" for c in found)
    assert len(found) == sum(1 for t in (60, 70) if age_then < t <= age_now)
