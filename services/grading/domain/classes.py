"""Combined classes (003 第六条): tier level x risk class = 4 x 3 = 12 classes.

Mapping (data in the rule set): the tier's level comes from tiers.levels
(VIP -> VIP, Core-A and Core-B -> CORE, Potential -> POTENTIAL, Ordinary -> ORDINARY),
the risk class from the suitability assessment (conservative, steady, aggressive).
Class code = level_index * 3 + risk_index, so code 0 is VIP-CONSERVATIVE and code 11 is
ORDINARY-AGGRESSIVE; names read "<LEVEL>-<RISK>". A customer without a valid risk
assessment has no class (code -1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from .rules import RuleSet
from .tiers import TIER_ORDER, Tier, tier_rules

NO_CLASS = -1


class RiskClass(StrEnum):
    CONSERVATIVE = "CONSERVATIVE"
    STEADY = "STEADY"
    AGGRESSIVE = "AGGRESSIVE"


RISK_ORDER: tuple[RiskClass, ...] = (
    RiskClass.CONSERVATIVE,
    RiskClass.STEADY,
    RiskClass.AGGRESSIVE,
)


@dataclass(frozen=True)
class ClassRules:
    levels: tuple[str, ...]
    level_labels: Mapping[str, str]
    risk_labels: Mapping[RiskClass, str]
    names: tuple[str, ...]  # code -> "VIP-CONSERVATIVE"
    level_index_by_tier_code: np.ndarray  # TIER_ORDER code -> level index


@dataclass(frozen=True)
class ClassDecision:
    code: int  # 0..11, or -1 without a risk class
    name: str
    level: str
    risk_class: RiskClass | None
    reason: str
    rule_set_version: str


def class_rules(rules: RuleSet) -> ClassRules:
    tiers = tier_rules(rules)

    def parse(raw: Mapping[str, Any]) -> ClassRules:
        risks = tuple(RiskClass(r) for r in raw["risk_classes"])
        if risks != RISK_ORDER:
            raise ValueError(f"risk_classes must be {[r.value for r in RISK_ORDER]}")
        names = tuple(f"{level}-{risk.value}" for level in tiers.levels for risk in RISK_ORDER)
        index = np.array([tiers.levels.index(tiers.level_of[t]) for t in TIER_ORDER], np.int8)
        return ClassRules(
            levels=tiers.levels,
            level_labels=dict(raw["level_labels"]),
            risk_labels={RiskClass(k): v for k, v in raw["risk_labels"].items()},
            names=names,
            level_index_by_tier_code=index,
        )

    return rules.parsed("combined_classes", parse)


def decide_class(rules: RuleSet, tier: Tier, risk_class: RiskClass | None) -> ClassDecision:
    parsed = class_rules(rules)
    level = tier_rules(rules).level_of[tier]
    tier_label = tier_rules(rules).labels[tier]
    if risk_class is None:
        reason = (
            f"no class: tier {tier_label} but no valid risk assessment (rule set {rules.version})"
        )
        return ClassDecision(NO_CLASS, "", level, None, reason, rules.version)
    code = parsed.levels.index(level) * len(RISK_ORDER) + RISK_ORDER.index(risk_class)
    reason = (
        f"{parsed.names[code]}: tier {tier_label} is level {parsed.level_labels[level]}, "
        f"risk class {parsed.risk_labels[risk_class]} (rule set {rules.version})"
    )
    return ClassDecision(code, parsed.names[code], level, risk_class, reason, rules.version)


def assign_classes(rules: RuleSet, tier_codes: np.ndarray, risk_codes: np.ndarray) -> np.ndarray:
    """Vectorised decide_class: tier codes (TIER_ORDER) x risk codes (RISK_ORDER, -1 = none)
    -> int8 class codes indexing class_rules(rules).names, -1 where there is no risk class."""
    parsed = class_rules(rules)
    tiers = np.asarray(tier_codes)
    risks = np.asarray(risk_codes)
    level = parsed.level_index_by_tier_code[tiers]
    codes = level.astype(np.int16) * len(RISK_ORDER) + risks
    return np.where(risks >= 0, codes, NO_CLASS).astype(np.int8)
