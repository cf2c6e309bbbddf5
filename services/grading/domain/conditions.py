"""Conditions over named inputs, as written in rule-set JSON.

A leaf compares one input with a constant or with another input:
    {"input": "A", "op": "gt", "value": 500000000}
    {"input": "account_age_days", "op": "lte", "other": "growth_window_days"}
Groups combine conditions: {"any": [...]} or {"all": [...]}.
Ops: gt, gte, lt, lte, eq, ne, in (enum inputs only).

The same parsed condition is evaluated on one customer (plain Python values, for
reasons) and on whole columns (numpy arrays, for bulk grading); both use the same
comparisons so they always agree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .money import format_fen

_SCALAR_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}
_ARRAY_OPS: dict[str, Callable[[Any, Any], np.ndarray]] = {
    "gt": np.greater,
    "gte": np.greater_equal,
    "lt": np.less,
    "lte": np.less_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}
_SYMBOLS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "ne": "!="}
UNITS = ("fen", "percent", "change", "days", "count", "ratio", "score", "enum", "flag")


def _percent(x: float, signed: bool) -> str:
    if x == 0:
        return "0%"
    text = f"{x * 100:+.1f}" if signed else f"{x * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


@dataclass(frozen=True)
class InputSpec:
    """One named input: how to label it and show its values in a reason."""

    name: str
    label: str
    unit: str
    names: tuple[str, ...] = ()  # enum inputs: code i is names[i]

    def format(self, value: Any) -> str:
        if self.unit == "fen":
            return format_fen(int(value))
        if self.unit == "percent":
            return _percent(float(value), signed=False)
        if self.unit == "change":
            return _percent(float(value), signed=True)
        if self.unit == "days":
            return f"{int(value):,} days"
        if self.unit == "enum":
            code = int(value)
            return self.names[code] if 0 <= code < len(self.names) else f"code {code}"
        if self.unit == "flag":
            return "yes" if value else "no"
        if self.unit == "count":
            return f"{int(value):,}"
        return f"{float(value):g}"


@dataclass(frozen=True)
class Leaf:
    input: str
    op: str
    value: Any = None  # constant; a tuple of codes for "in"
    other: str | None = None  # compare with this input instead of a constant


@dataclass(frozen=True)
class Group:
    mode: str  # "any" or "all"
    children: tuple[Condition, ...]


Condition = Leaf | Group


def parse_inputs(raw: Mapping[str, Any]) -> dict[str, InputSpec]:
    specs = {}
    for name, spec in raw.items():
        unit = spec["unit"]
        if unit not in UNITS:
            raise ValueError(f"input {name!r}: unknown unit {unit!r}")
        names = tuple(spec.get("names", ()))
        if unit == "enum" and not names:
            raise ValueError(f"enum input {name!r} needs 'names'")
        specs[name] = InputSpec(name=name, label=spec["label"], unit=unit, names=names)
    return specs


def parse_condition(raw: Mapping[str, Any], inputs: Mapping[str, InputSpec]) -> Condition:
    for mode in ("any", "all"):
        if mode in raw:
            children = tuple(parse_condition(c, inputs) for c in raw[mode])
            if not children:
                raise ValueError(f"empty {mode!r} group")
            return Group(mode=mode, children=children)
    name = raw["input"]
    if name not in inputs:
        raise ValueError(f"condition uses undeclared input {name!r}")
    spec, op = inputs[name], raw["op"]
    if op == "in":
        if spec.unit != "enum":
            raise ValueError(f"'in' needs an enum input, {name!r} is {spec.unit}")
        codes = tuple(spec.names.index(v) for v in raw["value"])
        return Leaf(input=name, op=op, value=codes)
    if op not in _SCALAR_OPS:
        raise ValueError(f"unknown op {op!r}")
    if "other" in raw:
        if raw["other"] not in inputs:
            raise ValueError(f"condition uses undeclared input {raw['other']!r}")
        return Leaf(input=name, op=op, other=raw["other"])
    value = raw["value"]
    if spec.unit == "enum":
        value = spec.names.index(value)
    elif spec.unit == "flag":
        value = bool(value)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"condition on {name!r} needs a number, got {value!r}")
    elif spec.unit == "fen" and not isinstance(value, int):
        raise ValueError(f"money threshold on {name!r} must be integer fen, got {value!r}")
    return Leaf(input=name, op=op, value=value)


def inputs_used(cond: Condition) -> set[str]:
    if isinstance(cond, Group):
        return set().union(*(inputs_used(c) for c in cond.children))
    return {cond.input} | ({cond.other} if cond.other else set())


def holds(cond: Condition, values: Mapping[str, Any]) -> bool:
    """Evaluate for one customer."""
    if isinstance(cond, Group):
        results = (holds(c, values) for c in cond.children)
        return any(results) if cond.mode == "any" else all(results)
    left = values[cond.input]
    if cond.op == "in":
        return int(left) in cond.value
    right = values[cond.other] if cond.other else cond.value
    return bool(_SCALAR_OPS[cond.op](left, right))


def holds_array(cond: Condition, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate for every row at once; returns a boolean array."""
    if isinstance(cond, Group):
        parts = [holds_array(c, columns) for c in cond.children]
        combine = np.logical_or if cond.mode == "any" else np.logical_and
        return combine.reduce(parts) if len(parts) > 1 else parts[0]
    left = columns[cond.input]
    if cond.op == "in":
        return np.isin(left, cond.value)
    right = columns[cond.other] if cond.other else cond.value
    return _ARRAY_OPS[cond.op](left, right)


def describe(
    cond: Condition,
    values: Mapping[str, Any],
    inputs: Mapping[str, InputSpec],
    labels: Mapping[str, str] | None = None,
) -> str:
    """The parts of a holding condition that decided it, with their numbers."""
    labels = labels or {}

    def label(name: str) -> str:
        return labels.get(name, inputs[name].label)

    def fmt(name: str, value: Any) -> str:
        return inputs[name].format(value)

    def leaf(node: Leaf, repeat: bool) -> str:
        spec = inputs[node.input]
        subject = "" if repeat else f"{label(node.input)} {fmt(node.input, values[node.input])} "
        if spec.unit == "flag" and node.op == "eq" and node.other is None:
            return f"{label(node.input)}: {fmt(node.input, values[node.input])}"
        if node.op == "in":
            options = ", ".join(spec.names[c] for c in node.value)
            return f"{subject}is one of {options}"
        if node.other:
            other = f"{label(node.other)} {fmt(node.other, values[node.other])}"
            return f"{subject}{_SYMBOLS[node.op]} {other}"
        return f"{subject}{_SYMBOLS[node.op]} {fmt(node.input, node.value)}"

    def walk(node: Condition) -> str:
        if isinstance(node, Leaf):
            return leaf(node, repeat=False)
        if node.mode == "any":
            met = [c for c in node.children if holds(c, values)]
            return walk(met[0]) if len(met) == 1 else " or ".join(nested(c) for c in met)
        parts: list[str] = []
        previous: str | None = None
        for child in node.children:
            # "N 12,000 CNY >= 10,000 CNY and < 50,000 CNY": name an input once in a run.
            repeat = isinstance(child, Leaf) and child.other is None and child.input == previous
            parts.append(leaf(child, repeat) if isinstance(child, Leaf) else nested(child))
            previous = child.input if isinstance(child, Leaf) else None
        return " and ".join(parts)

    def nested(node: Condition) -> str:
        text = walk(node)
        several = isinstance(node, Group) and (" and " in text or " or " in text)
        return f"({text})" if several else text

    return walk(cond)


def describe_values(
    names: Sequence[str],
    values: Mapping[str, Any],
    inputs: Mapping[str, InputSpec],
    labels: Mapping[str, str] | None = None,
) -> str:
    """'label value, label value' for a fallback reason."""
    labels = labels or {}
    return ", ".join(
        f"{labels.get(n, inputs[n].label)} {inputs[n].format(values[n])}" for n in names
    )
