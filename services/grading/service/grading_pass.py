"""One grading pass: read a population, grade it with the rules in force, store what
changed. Shared by profile events (a few customers, upgrades only) and runs (everyone)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from clienttier.grading.v1 import grading_pb2
from mesh.outbox import OutgoingEvent, append
from services.grading.adapters import grade_store
from services.grading.adapters.messages import grade_to_proto, grades_changed
from services.grading.adapters.population import Population, read_population
from services.grading.adapters.tables import outbox
from services.grading.domain.explain import explain, values
from services.grading.domain.grade_policy import ACTIONS
from services.grading.domain.regrade import Graded, grade_population
from services.grading.domain.rules import RuleSet
from services.grading.domain.schedule import RunKind

# A profile-event batch changing more grades than this emits one GradesChanged per 10,000
# instead of a GradeChanged with reasons for each.
PER_CUSTOMER_EVENTS = 1_000


@dataclass
class Pass:
    rules: RuleSet
    rule_set_id: int
    as_of: date
    kind: RunKind
    population: Population
    graded: Graded
    scope: np.ndarray  # row indices the pass may change
    lines: tuple[int, ...] = ()  # the CLV star lines used between runs, for reasons

    @property
    def customer_no(self) -> np.ndarray:
        return self.population.customers.customer_no

    def rows(self, mask: np.ndarray) -> np.ndarray:
        return self.scope[mask[self.scope]]

    def counts(self) -> dict[str, int]:
        g, s = self.graded, self.scope
        actions = g.columns["action"][s]
        had = self.population.grades.tier[s] >= 0

        def moved(name: str) -> int:
            before = getattr(self.population.grades, name)[s]
            return int((had & (g.columns[name][s] != before)).sum())

        by_action = {a: int((actions == i).sum()) for i, a in enumerate(ACTIONS)}
        return {
            "graded": len(s),
            "new_grades": by_action["NEW"],
            "upgrades": by_action["UPGRADE"],
            "lateral": by_action["LATERAL"],
            "kept": by_action["KEEP"],
            "observing": by_action["OBSERVE"],
            "downgrades": by_action["DOWNGRADE"],
            "changed": int(g.changed[s].sum()),
            "star_changes": moved("stars"),
            "segment_changes": moved("segment"),
            "stage_changes": moved("stage"),
            "class_changes": moved("class_code"),
        }

    def sample(self, size: int) -> list[dict[str, Any]]:
        rows = self.rows(self.graded.changed)[:size]
        c, ids = self.graded.columns, self.population.customers.customer_id
        before = self.population.grades
        return [
            {
                "customer_id": str(ids[i]),
                "action": int(c["action"][i]) + 1,
                "previous_tier": int(before.tier[i]) + 1,
                "tier": int(c["tier"][i]) + 1,
                "previous_stars": max(int(before.stars[i]), 0),
                "stars": int(c["stars"][i]),
            }
            for i in rows
        ]

    def record(self, row: int, run_id: int) -> dict[str, Any]:
        """One row as a grade record (what grade_history stores)."""
        out: dict[str, Any] = {}
        for name, values_ in self.graded.columns.items():
            value = values_[row]
            out[name] = value.item() if hasattr(value, "item") else value
        return out | {"as_of": self.as_of, "run_id": run_id}


async def grade(
    connections: Sequence[asyncpg.Connection],
    rules: RuleSet,
    rule_set_id: int,
    as_of: date,
    kind: RunKind,
    *,
    customer_ids: Sequence[str] | None = None,
    scope_nos: np.ndarray | None = None,
    star_lines: tuple[int, ...] | None = None,
    lines_run: int = 0,
) -> Pass:
    population = await read_population(connections, as_of, customer_ids)
    p = population.periods
    graded = grade_population(
        rules,
        population.customers,
        p[0],
        p[1],
        p[2],
        p[3],
        population.grades,
        as_of,
        kind,
        star_cuts=star_lines,
        cuts_run=lines_run,
    )
    numbers = population.customers.customer_no
    in_scope = np.ones(len(numbers), bool) if scope_nos is None else np.isin(numbers, scope_nos)
    return Pass(
        rules,
        rule_set_id,
        as_of,
        kind,
        population,
        graded,
        np.flatnonzero(in_scope),
        star_lines or (),
    )


async def store(
    sa_conn: AsyncConnection,
    conn: asyncpg.Connection,
    done: Pass,
    *,
    run_id: int,
    replace_all: bool = False,
    columnar: bool | None = None,
    lap: Callable[[str], None] = lambda _phase: None,
) -> dict[str, int]:
    """History rows, current state and events for what the pass changed (`lap` is told as
    each part is done, for timings). `columnar` chooses GradesChanged over GradeChanged with
    reasons; by default runs and passes changing many grades are columnar."""
    g = done.graded
    history = done.rows(g.history)
    await grade_store.write_history(
        conn,
        g,
        done.customer_no,
        history,
        run_id=run_id,
        rule_set_id=done.rule_set_id,
        as_of=done.as_of,
    )
    lap("history")
    state = done.scope if replace_all else done.rows(g.state_changed)
    await grade_store.write_state(
        conn, g, done.customer_no, state, as_of=done.as_of, replace_all=replace_all
    )
    lap("state")
    changed = done.rows(g.changed)
    if columnar is None:
        columnar = bool(run_id) or len(changed) > PER_CUSTOMER_EVENTS
    events = _events(done, changed, run_id, columnar)
    await append(sa_conn, outbox, events)
    lap("events")
    return {"history_rows": len(history), "state_rows": len(state), "events": len(events)}


def _events(done: Pass, changed: np.ndarray, run_id: int, columnar: bool) -> list[OutgoingEvent]:
    ids = done.population.customers.customer_id
    if columnar:
        kind = grading_pb2.RunKind.Value(f"RUN_KIND_{done.kind.value}") if run_id else 0
        return [
            OutgoingEvent(aggregate, message)
            for aggregate, message in grades_changed(
                done.graded,
                ids,
                changed,
                rules=done.rules,
                run_id=run_id,
                kind=kind,
                as_of=done.as_of,
            )
        ]
    out = []
    for row in changed:
        record = done.record(row, run_id)
        customer_id = str(ids[row])
        reasons = explain(done.rules, record, star_lines=done.lines)
        grade = grade_to_proto(record, customer_id, done.rules, reasons, values(done.rules, record))
        message = grading_pb2.GradeChanged(grade=grade, previous_tier=grade.previous_tier)
        out.append(OutgoingEvent(customer_id, message))
    return out
