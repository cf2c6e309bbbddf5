"""Reading single grades, histories, runs and distributions (small, indexed queries)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.grading.adapters import grade_inputs

_GRADE = """
    SELECT h.*, COALESCE(r.kind, '') AS run_kind, rs.version AS rule_set_version
    FROM grading.grade_history h
    LEFT JOIN grading.runs r ON r.id = h.run_id
    JOIN grading.rule_sets rs ON rs.id = h.rule_set_id
    WHERE h.customer_no = :no {extra}"""


def _record(row: Any) -> dict[str, Any]:
    record = dict(row)
    return record | grade_inputs.unpack(record.pop("inputs"), record["inputs_format"])


async def customer_no(conn: AsyncConnection, customer_id: str) -> int | None:
    return (
        await conn.execute(
            text("SELECT customer_no FROM grading.customers WHERE customer_id = :id"),
            {"id": customer_id},
        )
    ).scalar()


async def latest_grade(
    conn: AsyncConnection, number: int, as_of: date | None
) -> dict[str, Any] | None:
    """The grade in force: the newest history row (on a date: the newest as of it). The
    current one carries today's keep period, which an annual run renews without a new row."""
    if as_of is None:
        sql = _GRADE.format(extra="ORDER BY h.id DESC LIMIT 1")
        row = (await conn.execute(text(sql), {"no": number})).mappings().first()
        if row is None:
            return None
        kept = (
            await conn.execute(
                text("SELECT kept_until FROM grading.grades WHERE customer_no = :no"),
                {"no": number},
            )
        ).scalar()
        return _record(row) | {"kept_until": kept}
    sql = _GRADE.format(extra="AND h.as_of <= :d ORDER BY h.as_of DESC, h.id DESC LIMIT 1")
    row = (await conn.execute(text(sql), {"no": number, "d": as_of})).mappings().first()
    return None if row is None else _record(row)


async def grade_history(conn: AsyncConnection, number: int) -> list[dict[str, Any]]:
    sql = _GRADE.format(extra="ORDER BY h.as_of, h.id")
    return [_record(r) for r in (await conn.execute(text(sql), {"no": number})).mappings()]


async def star_lines(conn: AsyncConnection, run_id: int) -> list[int]:
    value = (
        await conn.execute(
            text("SELECT star_cuts FROM grading.runs WHERE id = :id"), {"id": run_id}
        )
    ).scalar()
    return list(value or [])


_RUN = """
    SELECT r.*, rs.version FROM grading.runs r JOIN grading.rule_sets rs ON rs.id = r.rule_set_id
"""


async def run(conn: AsyncConnection, run_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(text(_RUN + " WHERE r.id = :id"), {"id": run_id})).mappings().first()
    return None if row is None else dict(row)


async def runs(conn: AsyncConnection, limit: int) -> list[dict[str, Any]]:
    sql = _RUN + " ORDER BY r.id DESC LIMIT :n"
    return [dict(r) for r in (await conn.execute(text(sql), {"n": limit})).mappings()]


def _grades_on(day: date | None) -> str:
    """SQL for each customer's grade figures on a day (None: the current state)."""
    figures = "customer_no, tier, stars, segment, stage, class_code, institution_level"
    if day is None:
        return f"SELECT {figures} FROM grading.grades"
    return (
        f"SELECT DISTINCT ON (customer_no) {figures} FROM grading.grade_history "
        f"WHERE as_of <= :day ORDER BY customer_no, as_of DESC, id DESC"
    )


DIMENSIONS = ("tier", "stars", "segment", "stage", "class_code", "institution_level")


async def distribution(
    conn: AsyncConnection, day: date | None, branch_id: str
) -> dict[str, list[tuple[str, int, int]]]:
    """Per dimension: (branch, code, count) rows."""
    where = "WHERE c.branch_id = :branch" if branch_id else ""
    out = {}
    for dim in DIMENSIONS:
        sql = (
            f"SELECT c.branch_id, g.{dim} AS code, count(*) AS n FROM ({_grades_on(day)}) g "
            f"JOIN grading.customers c USING (customer_no) {where} GROUP BY 1, 2 ORDER BY 1, 2"
        )
        rows = await conn.execute(text(sql), {"day": day, "branch": branch_id})
        out[dim] = [(r.branch_id, r.code, r.n) for r in rows]
    return out


async def moves(
    conn: AsyncConnection, before: date, after: date | None, branch_id: str, dim: str
) -> list[tuple[int, int, int]]:
    """(code before or -1, code after, count) for customers whose `dim` differs."""
    where = "AND c.branch_id = :branch" if branch_id else ""
    sql = (
        f"SELECT COALESCE(a.{dim}, -1) AS before, b.{dim} AS after, count(*) AS n "
        f"FROM ({_grades_on(after).replace(':day', ':after')}) b "
        f"LEFT JOIN ({_grades_on(before).replace(':day', ':before')}) a USING (customer_no) "
        f"JOIN grading.customers c USING (customer_no) "
        f"WHERE a.{dim} IS DISTINCT FROM b.{dim} {where} GROUP BY 1, 2 ORDER BY 1, 2"
    )
    rows = await conn.execute(text(sql), {"before": before, "after": after, "branch": branch_id})
    return [(r.before, r.after, r.n) for r in rows]


async def latest_star_lines(conn: AsyncConnection) -> tuple[int, tuple[int, ...]]:
    """(run id, CLV lines) of the last applied run that ranked stars; (0, ()) before any."""
    row = (
        await conn.execute(
            text(
                "SELECT id, star_cuts FROM grading.runs WHERE star_cuts IS NOT NULL "
                "AND state = 'SUCCEEDED' AND NOT dry_run ORDER BY id DESC LIMIT 1"
            )
        )
    ).first()
    return (0, ()) if row is None else (row.id, tuple(row.star_cuts))


# Runs hold the grading lock alone; event applies share it (and lock their customers' rows).
_GRADING_LOCK = "hashtext('grading.grades')"


async def lock_grades(conn: AsyncConnection) -> None:
    """A run changes everyone's grade: it waits for the event applies in progress and keeps
    new ones out until it commits (held until commit)."""
    await conn.execute(text(f"SELECT pg_advisory_xact_lock({_GRADING_LOCK})"))


async def share_grades(conn: AsyncConnection) -> None:
    """An event apply changes only its own customers' grades: applies share the lock with
    each other (each locks its customers' rows, profile_state.lock_customers) and wait only
    for runs (held until commit)."""
    await conn.execute(text(f"SELECT pg_advisory_xact_lock_shared({_GRADING_LOCK})"))
