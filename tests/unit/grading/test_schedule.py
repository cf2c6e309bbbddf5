"""Grading windows (003 第十条): first 10 working days of the year, first 3 of each quarter."""

from datetime import date

import pytest

from services.grading.domain.schedule import (
    RunKind,
    annual_window,
    quarterly_window,
    run_kind_on,
)
from services.grading.domain.workdays import default_calendar


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


def test_annual_windows(rules, cal):
    w = annual_window(rules, cal, 2026)
    assert len(w) == 10 and w[0] == date(2026, 1, 5) and w[-1] == date(2026, 1, 16)
    w = annual_window(rules, cal, 2025)
    assert w[0] == date(2025, 1, 2) and w[-1] == date(2025, 1, 15)


def test_quarterly_windows(rules, cal):
    assert quarterly_window(rules, cal, 2026, 2) == (
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
    )
    # National Day closes the exchanges until 7 October 2026
    assert quarterly_window(rules, cal, 2026, 4) == (
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 12),
    )
    with pytest.raises(ValueError):
        quarterly_window(rules, cal, 2026, 5)


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 1, 5), RunKind.ANNUAL),  # also in Q1's window: annual wins
        (date(2026, 1, 16), RunKind.ANNUAL),
        (date(2026, 1, 19), RunKind.AD_HOC),
        (date(2026, 4, 3), RunKind.QUARTERLY),
        (date(2026, 4, 6), RunKind.AD_HOC),  # Qingming
        (date(2026, 10, 12), RunKind.QUARTERLY),
        (date(2026, 11, 21), RunKind.AD_HOC),
    ],
)
def test_run_kind(rules, cal, day, kind):
    decided = run_kind_on(rules, cal, day)
    assert decided.kind == kind
    assert rules.version in decided.reason and cal.version in decided.reason
