"""When a new tier decision changes a customer's grade (003 第十条, 001 3.3.1).

- Upgrade (a higher level) at once, at any run.
- Core-A <-> Core-B is the same level: the grade follows the decision at once.
- Still qualifying for the current grade: kept; any observation ends.
- Not qualifying: the grade is kept and a one-year observation starts (or goes on).
  The customer is downgraded, straight to the newly decided tier, only at a scheduled
  run (rule-set downgrade_runs) on or after the observation's end, and not before the
  end of the keep period of a qualification won at an annual grading.
Months, run kinds and the tolerance are rule-set data (section "grade_policy").

grade_change explains one customer; grade_changes applies the same policy to columns
(dates as datetime64[D], NaT = none) and agrees with it row by row.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from .rules import RuleSet
from .schedule import RunKind
from .tiers import TIER_ORDER, Tier, TierDecision, tier_rules

# Action codes of grade_changes index this tuple.
ACTIONS: tuple[str, ...] = ("NEW", "UPGRADE", "LATERAL", "KEEP", "OBSERVE", "DOWNGRADE")
NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class PolicyRules:
    observation_months: int
    annual_keep_months: int
    downgrade_runs: frozenset[RunKind]
    tolerance_days: int
    rank_by_code: np.ndarray  # TIER_ORDER code -> level rank (0 = highest)


def policy_rules(rules: RuleSet) -> PolicyRules:
    tiers = tier_rules(rules)

    def parse(raw: Mapping[str, Any]) -> PolicyRules:
        tolerance = int(raw["anniversary_tolerance_days"])
        if tolerance < 0:
            raise ValueError("anniversary_tolerance_days must be >= 0")
        return PolicyRules(
            observation_months=int(raw["observation_months"]),
            annual_keep_months=int(raw["annual_keep_months"]),
            downgrade_runs=frozenset(RunKind(k) for k in raw["downgrade_runs"]),
            tolerance_days=tolerance,
            rank_by_code=np.array([tiers.level_rank(t) for t in TIER_ORDER], dtype=np.int8),
        )

    return rules.parsed("grade_policy", parse)


@dataclass(frozen=True)
class GradeState:
    tier: Tier
    since: date  # when this grade took effect
    observation_start: date | None = None  # set while the customer fails the standard
    kept_until: date | None = None  # end of the keep period of an annual qualification


@dataclass(frozen=True)
class GradeChange:
    state: GradeState
    action: str  # one of ACTIONS
    reason: str
    rule_set_version: str

    @property
    def tier(self) -> Tier:
        return self.state.tier


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (29 Feb + 12 -> 28 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def observation_end(rules: RuleSet, start: date) -> date:
    """First day a scheduled run may downgrade an observation that began on `start`."""
    p = policy_rules(rules)
    return add_months(start, p.observation_months) - timedelta(days=p.tolerance_days)


def grade_change(
    rules: RuleSet,
    current: GradeState | None,
    decision: TierDecision,
    as_of: date,
    run: RunKind,
) -> GradeChange:
    p = policy_rules(rules)
    labels = tier_rules(rules).labels
    new = decision.tier
    tail = f"(rule set {rules.version})"
    annual_keep = add_months(as_of, p.annual_keep_months) if run is RunKind.ANNUAL else None

    def result(state: GradeState, action: str, text: str) -> GradeChange:
        return GradeChange(state, action, f"{text} {tail}", rules.version)

    if current is None:
        return result(
            GradeState(new, as_of, None, annual_keep),
            "NEW",
            f"first grade {labels[new]} — {decision.reason}",
        )
    old = current.tier
    old_rank = int(p.rank_by_code[TIER_ORDER.index(old)])
    new_rank = int(p.rank_by_code[TIER_ORDER.index(new)])
    if new_rank < old_rank:
        return result(
            GradeState(new, as_of, None, annual_keep),
            "UPGRADE",
            f"upgraded {labels[old]} -> {labels[new]} at once — {decision.reason}",
        )
    if new_rank == old_rank and new != old:
        return result(
            GradeState(new, as_of, None, annual_keep),
            "LATERAL",
            f"{labels[old]} -> {labels[new]} (same level) — {decision.reason}",
        )
    if new == old:
        kept = annual_keep or current.kept_until
        return result(
            GradeState(old, current.since, None, kept),
            "KEEP",
            f"kept {labels[old]}: still qualifies — {decision.reason}",
        )

    start = current.observation_start or as_of
    ends = observation_end(rules, start)
    keep_ends = (
        current.kept_until - timedelta(days=p.tolerance_days) if current.kept_until else None
    )
    blockers = []
    if as_of < ends:
        blockers.append(f"observation since {start} runs until {ends}")
    if keep_ends and as_of < keep_ends:
        blockers.append(f"annual qualification kept until {current.kept_until}")
    if run not in p.downgrade_runs:
        allowed = ", ".join(sorted(k.value.lower() for k in p.downgrade_runs))
        blockers.append(f"a {run.value.lower()} run cannot downgrade (only {allowed})")
    if not blockers:
        return result(
            GradeState(new, as_of, None, annual_keep),
            "DOWNGRADE",
            f"downgraded {labels[old]} -> {labels[new]} at the {run.value.lower()} grading: "
            f"observation since {start} ended {ends} and still not qualifying — "
            f"{decision.reason}",
        )
    started = "observation starts" if current.observation_start is None else "in observation"
    return result(
        GradeState(old, current.since, start, current.kept_until),
        "OBSERVE",
        f"kept {labels[old]}, {started}: {'; '.join(blockers)} — now {decision.reason}",
    )


@dataclass(frozen=True)
class GradeChanges:
    codes: np.ndarray  # int8 into TIER_ORDER
    since: np.ndarray  # datetime64[D]
    observation_start: np.ndarray  # datetime64[D], NaT = none
    kept_until: np.ndarray  # datetime64[D], NaT = none
    actions: np.ndarray  # int8 into ACTIONS


def _add_months_dense(days: np.ndarray, months: int) -> np.ndarray:
    month = days.astype("datetime64[M]")
    day0 = (days - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]") + np.minimum(day0, length - 1)


def add_months_array(days: np.ndarray, months: int) -> np.ndarray:
    """Vectorised add_months over datetime64[D]; NaT stays NaT."""
    days = np.asarray(days, dtype="datetime64[D]")
    valid = ~np.isnat(days)
    if not valid.any():
        return np.full(days.shape, NAT)
    # Dates repeat a lot (grading runs on few days): shift each distinct day in the
    # range once, then look rows up, instead of month arithmetic on every row.
    low, high = days[valid].min(), days[valid].max()
    span = np.arange(low, high + 1)
    offsets = (np.where(valid, days, low) - low).astype(np.int64)
    return np.where(valid, _add_months_dense(span, months)[offsets], NAT)


def grade_changes(
    rules: RuleSet,
    current_codes: np.ndarray,
    since: np.ndarray,
    observation_start: np.ndarray,
    kept_until: np.ndarray,
    new_codes: np.ndarray,
    as_of: date,
    run: RunKind,
) -> GradeChanges:
    """grade_change for every row; current code -1 = no grade yet."""
    p = policy_rules(rules)
    cur = np.asarray(current_codes, dtype=np.int64)
    new = np.asarray(new_codes, dtype=np.int64)
    since = np.asarray(since, dtype="datetime64[D]")
    obs = np.asarray(observation_start, dtype="datetime64[D]")
    kept = np.asarray(kept_until, dtype="datetime64[D]")
    today = np.datetime64(as_of, "D")
    tolerance = np.timedelta64(p.tolerance_days, "D")

    first = cur < 0
    cur_rank = p.rank_by_code[np.where(first, 0, cur)]
    new_rank = p.rank_by_code[new]
    up = ~first & (new_rank < cur_rank)
    lateral = ~first & (new_rank == cur_rank) & (new != cur)
    same = ~first & (new == cur)
    lower = ~first & (new_rank > cur_rank)

    start = np.where(np.isnat(obs), today, obs)
    ends = add_months_array(start, p.observation_months) - tolerance
    keep_over = np.isnat(kept) | (today >= kept - tolerance)
    down = lower & (run in p.downgrade_runs) & (today >= ends) & keep_over
    observe = lower & ~down
    moved = first | up | lateral | down

    if run is RunKind.ANNUAL:
        renewed = np.datetime64(add_months(as_of, p.annual_keep_months), "D")
        new_kept = np.where(moved | same, renewed, kept)
    else:
        new_kept = np.where(moved, NAT, kept)
    actions = np.select([first, up, lateral, same, observe, down], list(range(6)), default=-1)
    return GradeChanges(
        codes=np.where(moved, new, cur).astype(np.int8),
        since=np.where(moved, today, since),
        observation_start=np.where(observe, start, NAT),
        kept_until=new_kept,
        actions=actions.astype(np.int8),
    )
