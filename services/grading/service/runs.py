"""Grading runs: scheduled (annual, quarterly) or started by hand, for one branch or all, as
of any date, optionally dry. A run grades everyone (star ranks need the whole population)
and changes only its branch's customers; it is recorded with its progress and counts, and
applies all its changes in one transaction, so a failed run changes nothing."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import date

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.errors import FailedPrecondition, InvalidField, NotFound
from services.grading.adapters import records
from services.grading.domain.schedule import RunKind, run_kind_on
from services.grading.domain.stars import star_rules
from services.grading.domain.workdays import CalendarError
from services.grading.service import grading_pass
from services.grading.service.library import RuleLibrary

log = logging.getLogger(__name__)

MAX_SAMPLE = 1_000
# Above this share of changed states a whole-population run reloads the state table.
REPLACE_SHARE = 0.3


class RunManager:
    def __init__(self, engine: AsyncEngine, library: RuleLibrary, read_connections: int = 3):
        self.engine = engine
        self.library = library
        self.read_connections = read_connections
        self.tasks: set[asyncio.Task] = set()

    async def recover(self) -> None:
        """A run left RUNNING by a stopped process changed nothing (one transaction)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE grading.runs SET state = 'FAILED', finished_at = now(), "
                    "error = 'interrupted: the grading process stopped' WHERE state = 'RUNNING'"
                )
            )

    async def start(
        self,
        as_of: date,
        *,
        branch_id: str = "",
        dry_run: bool = False,
        sample_size: int = 0,
        scheduled: bool = False,
    ) -> int:
        rules, rule_set_id = await self.library.effective_on(as_of)
        try:
            decision = run_kind_on(rules, self.library.calendar, as_of)
        except CalendarError as exc:
            raise InvalidField("as_of_date", str(exc)) from None
        async with self.engine.begin() as conn:
            await conn.execute(text("LOCK TABLE grading.runs IN SHARE ROW EXCLUSIVE MODE"))
            busy = await conn.scalar(
                text("SELECT id FROM grading.runs WHERE state = 'RUNNING' LIMIT 1")
            )
            if busy is not None:
                raise FailedPrecondition(f"grading run {busy} is still running")
            run_id = await conn.scalar(
                text(
                    "INSERT INTO grading.runs (kind, kind_reason, as_of, branch_id, dry_run, "
                    "scheduled, rule_set_id) VALUES (:k, :r, :d, :b, :dry, :s, :rs) RETURNING id"
                ),
                {
                    "k": decision.kind.value,
                    "r": decision.reason,
                    "d": as_of,
                    "b": branch_id,
                    "dry": dry_run,
                    "s": scheduled,
                    "rs": rule_set_id,
                },
            )
        task = asyncio.create_task(
            self._execute(run_id, as_of, decision.kind, branch_id, dry_run, sample_size)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return int(run_id)

    async def wait(self, run_id: int) -> None:
        while True:
            async with self.engine.connect() as conn:
                state = await conn.scalar(
                    text("SELECT state FROM grading.runs WHERE id = :id"), {"id": run_id}
                )
            if state != "RUNNING":
                return
            await asyncio.sleep(0.05)

    async def _progress(self, run_id: int, phase: str, done: int, total: int) -> None:
        # Its own short transaction, so progress shows while the run's transaction is open.
        async with self.engine.begin() as conn:
            await conn.execute(
                text("UPDATE grading.runs SET phase = :p, done = :d, total = :t WHERE id = :id"),
                {"p": phase, "d": done, "t": total, "id": run_id},
            )

    async def _execute(
        self, run_id: int, as_of: date, kind: RunKind, branch_id: str, dry_run: bool, sample: int
    ) -> None:
        try:
            await self._run(run_id, as_of, kind, branch_id, dry_run, sample)
        except Exception as exc:
            log.exception("grading run %s failed", run_id)
            async with self.engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE grading.runs SET state = 'FAILED', error = :e, "
                        "finished_at = now() WHERE id = :id"
                    ),
                    {"e": f"{type(exc).__name__}: {exc}", "id": run_id},
                )

    async def _run(
        self, run_id: int, as_of: date, kind: RunKind, branch_id: str, dry_run: bool, sample: int
    ) -> None:
        rules, rule_set_id = await self.library.effective_on(as_of)
        clock = time.perf_counter()
        seconds: dict[str, float] = {}

        def lap(phase: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[f"{phase}_seconds"] = round(now - clock, 3)
            clock = now

        await self._progress(run_id, "reading", 0, 0)
        async with self.engine.connect() as conn, conn.begin():
            if not dry_run:
                await records.lock_grades(conn)
            apg = (await conn.get_raw_connection()).driver_connection
            scope = None
            if branch_id:
                numbers = await apg.fetchval(
                    "SELECT array_agg(customer_no) FROM grading.customers WHERE branch_id = $1",
                    branch_id,
                )
                scope = np.array(numbers or [], dtype=np.int64)
            # Side connections read in parallel; the lock keeps writers out meanwhile.
            extra = [await self.engine.connect() for _ in range(self.read_connections - 1)]
            try:
                readers = [apg] + [(await c.get_raw_connection()).driver_connection for c in extra]
                done = await grading_pass.grade(
                    readers if not dry_run else [apg],
                    rules,
                    rule_set_id,
                    as_of,
                    kind,
                    scope_nos=scope,
                )
            finally:
                for c in extra:
                    await c.close()
            lap("read_and_grade")
            total = len(done.scope)
            counts = done.counts()
            await self._progress(run_id, "storing" if not dry_run else "reporting", total, total)
            stored = {}
            if not dry_run:
                replace = (
                    scope is None
                    and counts["graded"] > 0
                    and (done.graded.state_changed.sum() >= REPLACE_SHARE * counts["graded"])
                )
                stored = await grading_pass.store(
                    conn, apg, done, run_id=run_id, replace_all=bool(replace), lap=lap
                )
            lines = done.graded.star_cuts if star_rules(rules).method == "pareto" else ()
            await conn.execute(
                text(
                    "UPDATE grading.runs SET state = 'SUCCEEDED', phase = 'finished', "
                    "done = :n, total = :n, counts = CAST(:c AS jsonb), "
                    "sample = CAST(:s AS jsonb), star_cuts = :lines, finished_at = now() "
                    "WHERE id = :id"
                ),
                {
                    "n": total,
                    "c": json.dumps(counts),
                    "s": json.dumps(done.sample(min(sample, MAX_SAMPLE)) if dry_run else []),
                    "lines": list(lines) if lines and not dry_run else None,
                    "id": run_id,
                },
            )
        lap("commit")
        log.info(
            "grading run finished",
            extra={"fields": {"run": run_id, "dry_run": dry_run, **counts, **stored, **seconds}},
        )


async def get_run(engine: AsyncEngine, run_id: int) -> dict:
    async with engine.connect() as conn:
        run = await records.run(conn, run_id)
    if run is None:
        raise NotFound("grading run", str(run_id))
    return run
