"""Calendar periods as profile names them ("2026", "2026Q1") and as grading keys them.

A period code is an integer: year * 10 for a whole year (2026 -> 20260) and year * 10 + q
for a quarter (2026Q1 -> 20261), so codes sort by year and stay compact in indexes.
A grading as of a day uses four periods: last year and this year (tier, value, segment)
and the last two complete quarters before the day's quarter (trends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np


def year_code(year: int) -> int:
    return year * 10


def quarter_code(year: int, quarter: int) -> int:
    return year * 10 + quarter


def period_name(code: int) -> str:
    year, quarter = divmod(int(code), 10)
    return f"{year}" if quarter == 0 else f"{year}Q{quarter}"


def period_codes(names: np.ndarray) -> np.ndarray:
    """Vectorised "2026" -> 20260, "2026Q3" -> 20263 over an array of period names.
    Raises ValueError naming the first malformed one."""
    raw = np.asarray(names, dtype="S6")
    digits = raw.view(np.uint8).reshape(len(raw), 6).astype(np.int64) - ord("0")
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    is_year = np.char.str_len(raw) == 4
    quarter = np.where(is_year, 0, digits[:, 5])
    ok = ((digits[:, :4] >= 0) & (digits[:, :4] <= 9)).all(axis=1)
    ok &= is_year | ((np.char.str_len(raw) == 6) & (raw.view(np.uint8).reshape(-1, 6)[:, 4] == 81))
    ok &= (quarter >= 0) & (quarter <= 4) & (is_year | (quarter >= 1))
    if not ok.all():
        bad = raw[~ok][0].decode(errors="replace")
        raise ValueError(f"{bad!r} is not a period (YYYY or YYYYQn)")
    return year * 10 + quarter


@dataclass(frozen=True)
class GradingPeriods:
    last_year: int
    this_year: int
    recent_quarter: int  # the last complete quarter before the as-of day's quarter
    prior_quarter: int  # the one before it

    def codes(self) -> tuple[int, int, int, int]:
        return (self.last_year, self.this_year, self.recent_quarter, self.prior_quarter)


def grading_periods(as_of: date) -> GradingPeriods:
    quarter = (as_of.month - 1) // 3 + 1
    index = as_of.year * 4 + quarter - 1  # quarters since year 0

    def code(i: int) -> int:
        return quarter_code(i // 4, i % 4 + 1)

    return GradingPeriods(
        last_year=year_code(as_of.year - 1),
        this_year=year_code(as_of.year),
        recent_quarter=code(index - 1),
        prior_quarter=code(index - 2),
    )
