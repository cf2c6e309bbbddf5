"""Exchange working-day calendar (State Council holiday notices, weekend make-up days closed)."""

from datetime import date

import numpy as np
import pytest

from services.grading.domain.rules import read_rules_json
from services.grading.domain.workdays import (
    CalendarError,
    count_working_days,
    default_calendar,
    first_working_days,
    is_working_day,
    working_day_mask,
    working_days,
)


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


def test_calendar_header_names_its_source(cal):
    data = read_rules_json("cn-exchange-calendar")
    assert data["version"] and data["effective_from"]
    assert "State Council" in data["source"]
    assert data["years"]["2027"]["status"] == "provisional" and data["years"]["2027"]["notes"]
    assert not cal.is_provisional(2026) and cal.is_provisional(2027)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 1), False),  # New Year's Day
        (date(2025, 1, 26), False),  # Sunday make-up working day: exchanges closed
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), False),  # Sunday make-up day
        (date(2026, 1, 5), True),
        (date(2026, 2, 13), True),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), False),  # Saturday make-up day
        (date(2026, 6, 19), False),
        (date(2026, 9, 25), False),
        (date(2026, 10, 8), True),
        (date(2026, 11, 20), True),
        (date(2026, 11, 21), False),  # Saturday
    ],
)
def test_known_days(cal, day, working):
    assert is_working_day(cal, day) is working


def test_year_counts(cal):
    assert count_working_days(cal, date(2025, 1, 1), date(2025, 12, 31)) == 243
    assert count_working_days(cal, date(2026, 1, 1), date(2026, 12, 31)) == 242


def test_period_helpers_agree(cal):
    days = working_days(cal, date(2026, 9, 28), date(2026, 10, 12))
    assert days == (
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 12),
    )
    assert count_working_days(cal, date(2026, 9, 28), date(2026, 10, 12)) == len(days)
    span = np.arange(np.datetime64("2025-01-01"), np.datetime64("2026-12-31"))
    mask = working_day_mask(cal, span)
    assert mask.sum() == count_working_days(cal, date(2025, 1, 1), date(2026, 12, 30))
    assert first_working_days(cal, 2026, 2, 3) == (
        date(2026, 2, 2),
        date(2026, 2, 3),
        date(2026, 2, 4),
    )


def test_uncovered_years_refused(cal):
    with pytest.raises(CalendarError):
        is_working_day(cal, date(2024, 12, 31))
    with pytest.raises(CalendarError):
        first_working_days(cal, 2028, 1, 10)
