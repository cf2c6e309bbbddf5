"""Shared fixtures for the grading domain tests."""

from __future__ import annotations

import pytest

from services.grading.domain.rules import RuleSet, default_rule_set


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return default_rule_set()
