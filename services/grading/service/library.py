"""The rule sets and calendar a grading process uses: every stored rule-set version (the
shipped files are stored on start), cached until a new version is published."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.errors import AlreadyExists, InvalidField
from services.grading.adapters import rule_store
from services.grading.domain.rule_book import RuleBook
from services.grading.domain.rules import RuleSet, RuleSetError
from services.grading.domain.workdays import WorkdayCalendar, default_calendar


class RuleLibrary:
    def __init__(self, engine: AsyncEngine, calendar: WorkdayCalendar | None = None) -> None:
        self.engine = engine
        self.calendar = calendar or default_calendar()
        self._book: RuleBook | None = None
        self._ids: dict[str, int] = {}

    async def load(self) -> None:
        """Store the shipped rule files not stored yet, then read every version."""
        async with self.engine.begin() as conn:
            for name, content in rule_store.shipped_rule_sets():
                await rule_store.add_rule_set(conn, name, content)
        await self.refresh()

    async def refresh(self) -> None:
        async with self.engine.connect() as conn:
            book, ids = await rule_store.load_book(conn)
        # Keep already-parsed rule sets: their parse caches make per-customer calls cheap.
        known = {r.version: r for r in self._book.sets} if self._book else {}
        self._book = RuleBook.of(known.get(r.version, r) for r in book.sets)
        self._ids = ids

    async def book(self) -> RuleBook:
        if self._book is None:
            await self.load()
        assert self._book is not None
        return self._book

    async def effective_on(self, day: date) -> tuple[RuleSet, int]:
        rules = (await self.book()).effective_on(day)
        return rules, self._ids[rules.version]

    async def version(self, version: str) -> RuleSet:
        try:
            return (await self.book()).version(version)
        except KeyError:
            await self.refresh()  # published by another replica
            return (await self.book()).version(version)

    async def publish(self, name: str, raw_json: str) -> tuple[RuleSet, bool]:
        try:
            content: Mapping[str, Any] = json.loads(raw_json)
        except json.JSONDecodeError as exc:
            raise InvalidField("rule_set_json", f"is not JSON: {exc}") from None
        if not isinstance(content, dict):
            raise InvalidField("rule_set_json", "must be a JSON object")
        try:
            candidate = rule_store.parse_checked(name or str(content.get("version", "")), content)
        except RuleSetError as exc:
            raise InvalidField("rule_set_json", str(exc)) from None
        async with self.engine.begin() as conn:
            rules, created, same = await rule_store.add_rule_set(conn, candidate.name, content)
        if not same:
            raise AlreadyExists("rule set version with other content", rules.version)
        await self.refresh()
        return rules, created
