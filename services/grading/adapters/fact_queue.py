"""grading.fact_queue: bulk DailyFactsRecorded events waiting to be applied (payloads as
profile sent them), and the notification that wakes the process applying them."""

from __future__ import annotations

from collections.abc import Sequence

from asyncpg import Connection

# LISTEN/NOTIFY channel: a notification is delivered when the queuing transaction commits.
CHANNEL = "grading_fact_queue"

# The oldest events up to a number of totals rows (at least one), skipping any that another
# replica's open transaction has taken.
_TAKE = """
    WITH free AS (
        SELECT position, rows FROM grading.fact_queue
        ORDER BY position LIMIT 100 FOR UPDATE SKIP LOCKED
    ), chunk AS (
        SELECT position FROM (
            SELECT position, sum(rows) OVER (ORDER BY position) - rows AS before FROM free
        ) q
        WHERE before < $1
    )
    DELETE FROM grading.fact_queue f USING chunk
    WHERE f.position = chunk.position
    RETURNING f.position, f.payload"""


async def add(
    conn: Connection, positions: Sequence[int], rows: Sequence[int], payloads: Sequence[bytes]
) -> None:
    """Queue events in the caller's transaction (by COPY: an ingest's worth is megabytes,
    which an unnest of a bytea array would take several times longer to insert)."""
    await conn.copy_records_to_table(
        "fact_queue",
        schema_name="grading",
        columns=["position", "rows", "payload"],
        records=zip(positions, rows, payloads, strict=True),
    )
    await conn.execute(f"NOTIFY {CHANNEL}")


async def take(conn: Connection, max_rows: int) -> list[tuple[int, bytes]]:
    """Remove and return the oldest events, in stream order, up to `max_rows` totals rows
    (always at least one event). The removal counts only if the caller's transaction
    commits, which is also where it applies them."""
    taken = await conn.fetch(_TAKE, max_rows)
    return sorted((r["position"], r["payload"]) for r in taken)


async def size(conn: Connection) -> tuple[int, int]:
    """(events, totals rows) queued."""
    row = await conn.fetchrow("SELECT count(*), COALESCE(sum(rows), 0) FROM grading.fact_queue")
    return int(row[0]), int(row[1])
