"""Mainland exchange working days: Monday-Friday minus the listed holiday closures.

Data: services/grading/rules/cn-exchange-calendar.json (versioned, with its source).
Weekend make-up working days (调休上班日) are NOT working days for the exchanges, so
only weekday closures matter. A date in a year the file does not cover is an error
rather than a guess; a year marked "provisional" is usable but flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from .rules import read_rules_json

DEFAULT_CALENDAR = "cn-exchange-calendar"
_WEEKMASK = "Mon Tue Wed Thu Fri"


class CalendarError(ValueError):
    """The calendar data is malformed or does not cover the date asked about."""


@dataclass(frozen=True)
class WorkdayCalendar:
    version: str
    effective_from: date
    source: str
    year_status: Mapping[int, str]  # year -> "published" | "provisional"
    holidays: tuple[date, ...]  # weekday closures, sorted
    busdays: np.busdaycalendar

    def check_covered(self, *days: date) -> None:
        for d in days:
            if d.year not in self.year_status:
                covered = ", ".join(map(str, sorted(self.year_status)))
                raise CalendarError(
                    f"calendar {self.version} covers {covered}, not {d.isoformat()}"
                )

    def is_provisional(self, year: int) -> bool:
        return self.year_status.get(year) != "published"


def parse_calendar(data: Mapping[str, Any]) -> WorkdayCalendar:
    if data.get("weekmask") != _WEEKMASK:
        raise CalendarError(f"weekmask must be {_WEEKMASK!r}")
    status: dict[int, str] = {}
    holidays: list[date] = []
    for year_text, entry in data["years"].items():
        year = int(year_text)
        status[year] = entry["status"]
        for holiday in entry["holidays"]:
            for text in holiday["exchange_closed"]:
                day = date.fromisoformat(text)
                if day.year != year or day.weekday() >= 5:
                    raise CalendarError(f"{text}: closures must be weekdays of {year}")
                holidays.append(day)
    ordered = tuple(sorted(set(holidays)))
    return WorkdayCalendar(
        version=str(data["version"]),
        effective_from=date.fromisoformat(data["effective_from"]),
        source=str(data["source"]),
        year_status=status,
        holidays=ordered,
        busdays=np.busdaycalendar(weekmask=_WEEKMASK, holidays=list(ordered)),
    )


def load_calendar(name: str = DEFAULT_CALENDAR) -> WorkdayCalendar:
    return parse_calendar(read_rules_json(name))


@lru_cache(maxsize=1)
def default_calendar() -> WorkdayCalendar:
    return load_calendar(DEFAULT_CALENDAR)


def is_working_day(cal: WorkdayCalendar, day: date) -> bool:
    cal.check_covered(day)
    return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=cal.busdays))


def working_day_mask(cal: WorkdayCalendar, days: np.ndarray) -> np.ndarray:
    """Vectorised is_working_day over a datetime64[D] array."""
    arr = np.asarray(days, dtype="datetime64[D]")
    if arr.size:
        cal.check_covered(arr.min().item(), arr.max().item())
    return np.is_busday(arr, busdaycal=cal.busdays)


def count_working_days(cal: WorkdayCalendar, start: date, end: date) -> int:
    """Working days from start to end, both included."""
    cal.check_covered(start, end)
    end_excl = np.datetime64(end, "D") + 1
    return int(np.busday_count(np.datetime64(start, "D"), end_excl, busdaycal=cal.busdays))


def working_days(cal: WorkdayCalendar, start: date, end: date) -> tuple[date, ...]:
    """The working days from start to end, both included, in order."""
    cal.check_covered(start, end)
    span = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    return tuple(d.item() for d in span[np.is_busday(span, busdaycal=cal.busdays)])


def first_working_days(cal: WorkdayCalendar, year: int, month: int, count: int) -> tuple[date, ...]:
    """The first `count` working days on or after the first of the month."""
    first = np.busday_offset(
        np.datetime64(date(year, month, 1), "D"), 0, roll="forward", busdaycal=cal.busdays
    )
    days = np.busday_offset(first, np.arange(count), busdaycal=cal.busdays)
    result = tuple(d.item() for d in days)
    cal.check_covered(date(year, month, 1), *result)
    return result
