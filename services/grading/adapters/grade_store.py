"""Storing graded columns: history rows for changed grades, the current state, and the
events, all by binary COPY or one set-based statement."""

from __future__ import annotations

import numpy as np
from asyncpg import Connection

from mesh import pgcopy
from services.grading.adapters import grade_inputs
from services.grading.domain.regrade import Graded

# grade_history columns written by COPY (id and graded_at take their defaults).
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_no", "int8"),
    ("run_id", "int8"),
    ("as_of", "date"),
    ("rule_set_id", "int2"),
    ("action", "int2"),
    ("tier", "int2"),
    ("decided_tier", "int2"),
    ("previous_tier", "int2"),
    ("since", "date"),
    ("observation_start", "date"),
    ("kept_until", "date"),
    ("class_code", "int2"),
    ("stars", "int2"),
    ("institution_level", "int2"),
    ("segment", "int2"),
    ("stage", "int2"),
    ("inputs_format", "int2"),
    ("inputs", f"bytea:{grade_inputs.SIZE}"),
)

STATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_no", "int8"),
    ("tier", "int2"),
    ("since", "date"),
    ("observation_start", "date"),
    ("kept_until", "date"),
    ("as_of", "date"),
    ("class_code", "int2"),
    ("stars", "int2"),
    ("institution_level", "int2"),
    ("segment", "int2"),
    ("stage", "int2"),
    ("margin_risk", "int2"),
    ("margin_behaviour", "int2"),
    ("margin_size", "int2"),
    ("margin_needs", "int2"),
)

SMALL = 2_000  # up to this many state rows go in one statement instead of COPY
_NUMPY = {"int2": np.int16, "int4": np.int32, "int8": np.int64, "float8": np.float64}


def _column(
    graded: Graded,
    customer_no: np.ndarray,
    rows: np.ndarray,
    extra: dict[str, object],
    name: str,
    pg_type: str,
) -> tuple[str, str, np.ndarray]:
    if name == "customer_no":
        values = customer_no[rows]
    elif name == "inputs":
        return name, pg_type, grade_inputs.LazyPacked(graded.columns, rows)  # type: ignore[return-value]
    elif name in extra:
        value = extra[name]
        values = np.full(len(rows), value, dtype="datetime64[D]" if pg_type == "date" else None)
    else:
        values = graded.columns[name][rows]
    if pg_type == "date":
        return name, pg_type, np.asarray(values, dtype="datetime64[D]")
    return name, pg_type, np.asarray(values).astype(_NUMPY[pg_type], copy=False)


def _stream(columns: list[tuple[str, str, np.ndarray]]):  # type: ignore[no-untyped-def]
    return pgcopy.stream(pgcopy.encode_blocks(columns))


async def write_history(
    conn: Connection,
    graded: Graded,
    customer_no: np.ndarray,
    rows: np.ndarray,
    *,
    run_id: int,
    rule_set_id: int,
    as_of: object,
) -> int:
    if not len(rows):
        return 0
    extra = {
        "run_id": run_id,
        "rule_set_id": rule_set_id,
        "as_of": as_of,
        "inputs_format": grade_inputs.FORMAT,
    }
    columns = [_column(graded, customer_no, rows, extra, n, t) for n, t in HISTORY_COLUMNS]
    await conn.copy_to_table(
        "grade_history",
        schema_name="grading",
        columns=[n for n, _ in HISTORY_COLUMNS],
        source=_stream(columns),
        format="binary",
    )
    return len(rows)


async def write_state(
    conn: Connection,
    graded: Graded,
    customer_no: np.ndarray,
    rows: np.ndarray,
    *,
    as_of: object,
    replace_all: bool,
) -> int:
    """Rewrite the current state of `rows`. With replace_all (rows covers every graded
    customer) the table is emptied and reloaded, cheaper than updating most of its rows."""
    if not len(rows):
        return 0
    extra = {"as_of": as_of}
    columns = [_column(graded, customer_no, rows, extra, n, t) for n, t in STATE_COLUMNS]
    names = [n for n, _ in STATE_COLUMNS]
    if replace_all:
        await conn.execute("TRUNCATE grading.grades")
        await conn.copy_to_table(
            "grades", schema_name="grading", columns=names, source=_stream(columns), format="binary"
        )
        return len(rows)
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    upsert = f"ON CONFLICT (customer_no) DO UPDATE SET {updates}"
    if len(rows) <= SMALL:
        # A few customers (profile events): one statement, no staging table.
        arrays = ", ".join(f"${i}::{t}[]" for i, (_, t) in enumerate(STATE_COLUMNS, 1))
        await conn.execute(
            f"INSERT INTO grading.grades ({', '.join(names)}) "
            f"SELECT * FROM unnest({arrays}) {upsert}",
            *(values.tolist() for _, _, values in columns),
        )
        return len(rows)
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS grades_stage (LIKE grading.grades) ON COMMIT DELETE ROWS"
    )
    await conn.execute("TRUNCATE grades_stage")
    await conn.copy_to_table(
        "grades_stage", columns=names, source=_stream(columns), format="binary"
    )
    await conn.execute(
        f"INSERT INTO grading.grades ({', '.join(names)}) SELECT {', '.join(names)} "
        f"FROM grades_stage {upsert}"
    )
    return len(rows)
