"""Material changes (重大变化) that make a risk assessment due for renewal (DOMAIN.md section 2).

Which customer attributes count and which ages matter are data in
services/profile/questionnaires/material-change-2024.json. Any returned change means the
assessment must be redone; an empty list means it still stands (if not expired).
"""

from dataclasses import dataclass, fields
from datetime import date
from functools import cache

from services.profile.domain.errors import InvalidField, RuleDataError
from services.profile.domain.questionnaire import (
    check_rule_header,
    full_years,
    read_rule_file,
    rule_value,
)

RULES = "material-change-2024"


@dataclass(frozen=True)
class CustomerAttributes:
    """The customer facts an assessment depended on."""

    occupation: str
    income_band: str
    birth_date: date


@dataclass(frozen=True)
class MaterialChange:
    kind: str  # an attribute name (e.g. "occupation") or "age_threshold"
    reason: str


@dataclass(frozen=True)
class MaterialChangeRules:
    version: str
    material_fields: tuple[tuple[str, str], ...]  # (attribute, English label)
    age_thresholds: tuple[int, ...]


@cache
def load_material_change_rules() -> MaterialChangeRules:
    raw = read_rule_file(RULES)
    version = check_rule_header(raw, "material_change_rules", RULES)
    labels = rule_value(raw, "material_fields", dict, RULES)
    known = {f.name for f in fields(CustomerAttributes)}
    if not set(labels) <= known or not all(isinstance(v, str) for v in labels.values()):
        raise RuleDataError(f"{RULES}.material_fields: keys must be among {sorted(known)}")
    ages = rule_value(raw, "age_thresholds", list, RULES)
    valid_ages = all(isinstance(a, int) and not isinstance(a, bool) and a > 0 for a in ages)
    if not valid_ages or ages != sorted(set(ages)):
        raise RuleDataError(f"{RULES}.age_thresholds: positive integers, ascending, no repeats")
    return MaterialChangeRules(version, tuple(labels.items()), tuple(ages))


def _same(old: object, new: object) -> bool:
    # Surrounding whitespace in free-text attributes is not a change of fact.
    if isinstance(old, str) and isinstance(new, str):
        return old.strip() == new.strip()
    return old == new


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def detect_material_changes(
    old: CustomerAttributes, new: CustomerAttributes, assessed_on: date, on: date
) -> list[MaterialChange]:
    """Changes between the facts at assessment time (old) and now (new), with reasons."""
    if on < assessed_on:
        raise InvalidField("on", f"{on} is before the assessment date {assessed_on}")
    if new.birth_date > on:
        raise InvalidField("birth_date", f"{new.birth_date} is after {on}")
    rules = load_material_change_rules()
    tag = f"(rules {RULES} v{rules.version})"
    changes = []
    for attribute, label in rules.material_fields:
        before, after = getattr(old, attribute), getattr(new, attribute)
        if not _same(before, after):
            changes.append(
                MaterialChange(
                    attribute,
                    f"{label} changed from {_show(before)} to {_show(after)} since the"
                    f" assessment on {assessed_on} {tag}",
                )
            )

    # Ages as the assessment saw them and as they are now (a corrected birth date counts).
    age_then = full_years(old.birth_date, assessed_on)
    age_now = full_years(new.birth_date, on)
    for threshold in rules.age_thresholds:
        if (age_then >= threshold) != (age_now >= threshold):
            direction = "reached" if age_now >= threshold else "fell below"
            changes.append(
                MaterialChange(
                    "age_threshold",
                    f"age {direction} {threshold}: {age_then} at the assessment on"
                    f" {assessed_on}, {age_now} on {on} {tag}",
                )
            )
    return changes
