"""How fast the grading rules run on whole columns (pure numpy, no database).

    .venv/bin/python bench/grading_rules.py [--rows 1000000] [--repeat 5]

Prints, per bulk function, the median seconds over the repeats and rows per second, then the
process's peak memory. Inputs are generated before timing starts."""

import argparse
import resource
import statistics
import time
from datetime import date

import numpy as np

from services.grading.domain.classes import assign_classes
from services.grading.domain.clv import CevInputs, CpvInputs, lifetime_value
from services.grading.domain.grade_policy import grade_changes
from services.grading.domain.lifecycle import LifecycleInputs, assign_stages
from services.grading.domain.margin import MarginInputs, assign_margin_classes
from services.grading.domain.rules import default_rule_set
from services.grading.domain.schedule import RunKind
from services.grading.domain.segments import SegmentInputs, assign_segments
from services.grading.domain.stars import (
    assign_institution_levels,
    assign_stars_by_thresholds,
    assign_stars_pareto,
)
from services.grading.domain.tiers import assign_tiers, tier_assets_fen
from services.grading.domain.workdays import default_calendar, working_day_mask


def cases(n: int):  # type: ignore[no-untyped-def]
    rules = default_rule_set()
    rng = np.random.default_rng(42)

    def money(high: int) -> np.ndarray:
        return rng.integers(0, high, n, dtype=np.int64)

    def share() -> np.ndarray:
        return rng.random(n)

    days = np.datetime64("2025-01-01") + rng.integers(0, 700, n)
    observed = np.where(rng.random(n) < 0.3, days, np.datetime64("NaT"))
    a, c = money(10**9), money(10**7)
    tiers = assign_tiers(rules, a, c)
    totals = (money(10**11), rng.integers(0, 245, n), money(10**11), rng.integers(0, 245, n))
    risk = rng.integers(-1, 3, n)
    cev = CevInputs(
        365, money(10**9), share() * 10, money(10**8), share(), money(10**8), money(10**8)
    )
    cpv = CpvInputs(
        money(10**9),
        share() - 0.5,
        rng.integers(9, 101, n),
        rng.integers(0, 9000, n),
        rng.integers(0, 250, n),
        rng.integers(0, 6, n),
    )
    clv, ids = money(10**8), np.arange(n)
    segments = SegmentInputs(
        rng.integers(1, 6, n),
        money(10**9) + 1,
        money(10**9),
        money(10**8),
        money(10**8),
        money(10**8),
        rng.integers(0, 3000, n),
    )
    stages = LifecycleInputs(
        rng.integers(-1, 5000, n),
        rng.integers(0, 4, n),
        share() < 0.5,
        money(10**8),
        share() - 0.5,
        share() - 0.5,
        share() - 0.5,
        share() - 0.5,
    )
    margin = MarginInputs(
        money(10**9),
        money(10**8),
        share(),
        rng.integers(0, 400, n),
        share() * 20,
        share(),
        share() * 30,
    )
    previous = rng.integers(0, 5, n)
    calendar = default_calendar()
    return {
        "tier_assets_fen": lambda: tier_assets_fen(*totals),
        "assign_tiers": lambda: assign_tiers(rules, a, c),
        "assign_classes": lambda: assign_classes(rules, tiers, risk),
        "lifetime_value": lambda: lifetime_value(rules, cev, cpv),
        "assign_stars_pareto": lambda: assign_stars_pareto(rules, clv, ids),
        "assign_stars_by_thresholds": lambda: assign_stars_by_thresholds(rules, a, c),
        "assign_institution_levels": lambda: assign_institution_levels(rules, a, c),
        "assign_segments": lambda: assign_segments(rules, segments),
        "assign_stages": lambda: assign_stages(rules, stages),
        "assign_margin_classes": lambda: assign_margin_classes(rules, margin),
        "grade_changes": lambda: grade_changes(
            rules, tiers, days, observed, days, previous, date(2026, 7, 1), RunKind.QUARTERLY
        ),
        "working_day_mask": lambda: working_day_mask(calendar, days),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"grading rules on {args.rows:,} rows, median of {args.repeat} runs")
    total = 0.0
    for name, fn in cases(args.rows).items():
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        total += median
        print(f"  {name:<28} {median:8.3f} s  {args.rows / median:>14,.0f} rows/s")
    print(f"  {'all of the above':<28} {total:8.3f} s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
