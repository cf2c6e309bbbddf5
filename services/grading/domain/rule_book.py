"""Which rule set grades a given day: the newest version effective on it.

Versions are immutable and kept forever, so a grade made with one can always be explained
with it; a new version only changes grades made as of its effective date or later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .rules import RuleSet


@dataclass(frozen=True)
class RuleBook:
    sets: tuple[RuleSet, ...]  # oldest effective date first

    @classmethod
    def of(cls, sets: Iterable[RuleSet]) -> RuleBook:
        ordered = tuple(sorted(sets, key=lambda r: (r.effective_from, r.version)))
        if not ordered:
            raise ValueError("a rule book needs at least one rule set")
        return cls(ordered)

    def effective_on(self, day: date) -> RuleSet:
        """The newest set effective on `day`; before the first one, the first one."""
        chosen = self.sets[0]
        for rules in self.sets:
            if rules.effective_from <= day:
                chosen = rules
        return chosen

    def version(self, version: str) -> RuleSet:
        for rules in self.sets:
            if rules.version == version:
                return rules
        raise KeyError(version)
