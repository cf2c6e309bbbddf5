"""Versioned rule sets: every threshold, band, share, window and schedule is data.

A rule set is one JSON file in services/grading/rules/ with a "version", an
"effective_from" ISO date and one section per rule family ("tiers", "stars", ...).
Each domain module parses and validates its own section on first use; the parsed
form is cached on the rule set so per-customer calls do not re-parse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
DEFAULT_RULE_SET = "galaxy-2025"

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
T = TypeVar("T")


class RuleSetError(ValueError):
    """A rule set file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    effective_from: date
    source: str
    sections: Mapping[str, Any] = field(hash=False)  # read-only JSON, one key per section
    _parsed: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def section(self, key: str) -> Any:
        """The raw (read-only) JSON of one section."""
        try:
            return self.sections[key]
        except KeyError:
            raise RuleSetError(f"rule set {self.version} has no section {key!r}") from None

    def parsed(self, key: str, parse: Callable[[Any], T]) -> T:
        """Parse a section once; later calls get the cached typed form."""
        cached = self._parsed.get(key)
        if cached is None:
            try:
                cached = parse(self.section(key))
            except RuleSetError:
                raise
            except (KeyError, TypeError, ValueError) as exc:
                raise RuleSetError(f"rule set {self.version}, section {key!r}: {exc}") from exc
            self._parsed[key] = cached
        return cached


def freeze(value: Any) -> Any:
    """Read-only copy of parsed JSON, so a shared rule set cannot be edited in place."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def parse_rule_set(name: str, data: Mapping[str, Any]) -> RuleSet:
    """Build a RuleSet from already-decoded JSON (files, tests, a future DB store)."""
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise RuleSetError(f"rule set {name!r}: 'version' must be a non-empty string")
    raw_date = data.get("effective_from")
    try:
        effective_from = date.fromisoformat(str(raw_date))
    except ValueError:
        raise RuleSetError(
            f"rule set {name!r}: 'effective_from' must be an ISO date, got {raw_date!r}"
        ) from None
    header = {"version", "effective_from", "source", "name", "notes"}
    sections = {k: v for k, v in data.items() if k not in header}
    return RuleSet(
        name=name,
        version=version,
        effective_from=effective_from,
        source=str(data.get("source", "")),
        sections=freeze(sections),
    )


def read_rules_json(name: str) -> dict[str, Any]:
    """Decode services/grading/rules/<name>.json (the package's own data only)."""
    if not _NAME.match(name):
        raise RuleSetError(f"bad rule file name {name!r}")
    path = RULES_DIR / f"{name}.json"
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise RuleSetError(f"no rule file {path.name} in {RULES_DIR}") from None
    except json.JSONDecodeError as exc:
        raise RuleSetError(f"{path.name} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RuleSetError(f"{path.name} must hold a JSON object")
    return data


def load_rule_set(name: str = DEFAULT_RULE_SET) -> RuleSet:
    return parse_rule_set(name, read_rules_json(name))


@lru_cache(maxsize=1)
def default_rule_set() -> RuleSet:
    # Loaded once per process; the object is immutable apart from its parse cache.
    return load_rule_set(DEFAULT_RULE_SET)
