"""Grading schedule (003 第十条): the annual grading runs in the first 10 working days of
the year, the quarterly grading in the first 3 working days of each quarter. Window
lengths and months are rule-set data (section "schedules"); working days come from the
exchange calendar. A day in both windows counts as annual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from .rules import RuleSet
from .workdays import WorkdayCalendar, first_working_days, is_working_day


class RunKind(StrEnum):
    ANNUAL = "ANNUAL"
    QUARTERLY = "QUARTERLY"
    AD_HOC = "AD_HOC"  # any other run: upgrades only


@dataclass(frozen=True)
class ScheduleRules:
    annual_month: int
    annual_days: int
    quarter_months: tuple[int, ...]
    quarterly_days: int


def _parse(raw: Mapping[str, Any]) -> ScheduleRules:
    months = tuple(int(m) for m in raw["quarterly"]["months"])
    if len(months) != 4 or list(months) != sorted(months):
        raise ValueError(f"quarterly months must be four rising months, got {months}")
    return ScheduleRules(
        annual_month=int(raw["annual"]["month"]),
        annual_days=int(raw["annual"]["working_days"]),
        quarter_months=months,
        quarterly_days=int(raw["quarterly"]["working_days"]),
    )


def schedule_rules(rules: RuleSet) -> ScheduleRules:
    return rules.parsed("schedules", _parse)


def annual_window(rules: RuleSet, cal: WorkdayCalendar, year: int) -> tuple[date, ...]:
    s = schedule_rules(rules)
    return first_working_days(cal, year, s.annual_month, s.annual_days)


def quarterly_window(
    rules: RuleSet, cal: WorkdayCalendar, year: int, quarter: int
) -> tuple[date, ...]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1..4, got {quarter}")
    s = schedule_rules(rules)
    return first_working_days(cal, year, s.quarter_months[quarter - 1], s.quarterly_days)


@dataclass(frozen=True)
class RunDecision:
    kind: RunKind
    reason: str
    rule_set_version: str


def run_kind_on(rules: RuleSet, cal: WorkdayCalendar, day: date) -> RunDecision:
    """Which scheduled grading (if any) a run on `day` is, and why."""
    s = schedule_rules(rules)
    tail = f"(rule set {rules.version}, calendar {cal.version})"
    if not is_working_day(cal, day):
        return RunDecision(RunKind.AD_HOC, f"{day} is not a working day {tail}", rules.version)
    window = annual_window(rules, cal, day.year)
    if day in window:
        n = window.index(day) + 1
        reason = (
            f"annual grading: {day} is working day {n} of the first {s.annual_days} "
            f"of {day.year} ({window[0]}..{window[-1]}) {tail}"
        )
        return RunDecision(RunKind.ANNUAL, reason, rules.version)
    for quarter in (1, 2, 3, 4):
        window = quarterly_window(rules, cal, day.year, quarter)
        if day in window:
            n = window.index(day) + 1
            reason = (
                f"quarterly grading: {day} is working day {n} of the first "
                f"{s.quarterly_days} of Q{quarter} {day.year} ({window[0]}..{window[-1]}) {tail}"
            )
            return RunDecision(RunKind.QUARTERLY, reason, rules.version)
    reason = f"{day} is outside the annual and quarterly grading windows {tail}"
    return RunDecision(RunKind.AD_HOC, reason, rules.version)
