from datetime import date

import pytest

from services.grading.domain.rules import (
    RuleSetError,
    default_rule_set,
    load_rule_set,
    parse_rule_set,
    read_rules_json,
)


def test_default_rule_set_header():
    rules = default_rule_set()
    assert rules.version == "galaxy-2025.1"
    assert rules.effective_from == date(2025, 1, 1)
    assert "tiers" in rules.sections


def test_sections_are_read_only():
    rules = load_rule_set("galaxy-2025")
    with pytest.raises(TypeError):
        rules.sections["tiers"]["fallback"] = "VIP"  # type: ignore[index]


def test_missing_version_rejected():
    data = read_rules_json("galaxy-2025")
    del data["version"]
    with pytest.raises(RuleSetError, match="version"):
        parse_rule_set("x", data)


def test_bad_effective_from_rejected():
    data = read_rules_json("galaxy-2025")
    data["effective_from"] = "first of January"
    with pytest.raises(RuleSetError, match="effective_from"):
        parse_rule_set("x", data)


def test_unknown_file_and_path_tricks_rejected():
    with pytest.raises(RuleSetError):
        load_rule_set("no-such-rules")
    with pytest.raises(RuleSetError):
        load_rule_set("../rules/galaxy-2025")


def test_missing_section_is_a_rule_set_error():
    with pytest.raises(RuleSetError, match="no section"):
        default_rule_set().section("nope")
