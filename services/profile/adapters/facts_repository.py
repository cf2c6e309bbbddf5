"""Daily facts and quarter totals, written set-based, two ways.

- `store`: one statement checks the customers exist, stores a batch, and moves every touched
  customer's quarter totals by the batch's deltas (replaced days count their difference, new
  days count once). No lock is taken up front: the rare batch that raced another over a new
  day is detected and retried. Used for single days and for batches that replace days.
- Bulk: `insert_new_days` COPYs a batch of days none of which is stored yet, `queue_days`
  queues them for the roll-up (pending_totals; the column named deltas holds the days, or,
  from versions before, a batch's deltas), and later `take_queued` and `add_to_totals` move
  the totals by many batches' merged deltas, a customer's several days in one update."""

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import numpy as np

from mesh import pgcopy
from services.profile.domain.facts import VALUE_COLUMNS, FactsBatch
from services.profile.domain.quarter_deltas import (
    EPOCH,
    FIRST,
    LAST,
    SUMS,
    created_totals,
    iso_days,
)

# What the batch statement returns per touched (customer, quarter), as parallel arrays:
# DailyFactsRecorded's PeriodTotalsColumns field <- the period_totals column.
TOTALS_COLUMNS = {
    "customer_id": "customer_id",
    "period": "period",
    "customer_version": "version",
    "days": "days",
    **{c: c for c in SUMS},
    # As day numbers; iso_days makes them "YYYY-MM-DD", a distinct day once.
    "first_day": "first_day - DATE '1970-01-01'",
    "last_day": "last_day - DATE '1970-01-01'",
    "first_total_assets_fen": "first_total_assets_fen",
    "last_total_assets_fen": "last_total_assets_fen",
    "last_margin_debt_fen": "last_margin_debt_fen",
    "last_collateral_fen": "last_collateral_fen",
}

_UNNEST_TYPES = ", ".join(
    ["$1::text[]", "$2::int4[]"]
    + [f"${i + 3}::{'int4' if c in ('trade_count', 'average_holding_days') else 'int8'}[]"
       for i, c in enumerate(VALUE_COLUMNS)]
)  # fmt: skip


TOTALS_ARRAYS = ", ".join(f"array_agg({expr})" for expr in TOTALS_COLUMNS.values())
# Rows go in ordered by key, in both ways of writing, so two writers lock totals rows in the
# same order and cannot deadlock.
_ADDED = ",\n".join(f"  {t} = p.{t} + excluded.{t}" for t in SUMS)


def _merge_into_totals(wins_ties: bool) -> str:
    """ON CONFLICT clause adding a delta to a totals row. Sums add in any order; the first and
    last day's figures go to whichever side has the earlier first or later last day. On a tie
    (the same day on both sides) the newer write of that day must win: the incoming delta when
    a batch writes directly (it has just stored the day), the stored row when queued deltas are
    folded (a tie means the day was replaced directly after its delta was queued)."""
    first, last = ("<=", ">=") if wins_ties else ("<", ">")
    return f"""  ON CONFLICT (customer_id, period) DO UPDATE SET
  days = p.days + excluded.days,
{_ADDED},
  -- SET reads the old row throughout, so the order of these lines does not matter; adding
  -- deltas to the row ON CONFLICT locked keeps concurrent writers correct.
  first_total_assets_fen = CASE WHEN excluded.first_day {first} p.first_day
    THEN excluded.first_total_assets_fen ELSE p.first_total_assets_fen END,
  first_day = least(p.first_day, excluded.first_day),
  last_total_assets_fen = CASE WHEN excluded.last_day {last} p.last_day
    THEN excluded.last_total_assets_fen ELSE p.last_total_assets_fen END,
  last_margin_debt_fen = CASE WHEN excluded.last_day {last} p.last_day
    THEN excluded.last_margin_debt_fen ELSE p.last_margin_debt_fen END,
  last_collateral_fen = CASE WHEN excluded.last_day {last} p.last_day
    THEN excluded.last_collateral_fen ELSE p.last_collateral_fen END,
  last_day = greatest(p.last_day, excluded.last_day),
  version = p.version + 1"""


def _store_batch_sql() -> str:
    cols = ", ".join(VALUE_COLUMNS)
    deltas = ",\n".join(f"  sum(i.{d} - coalesce(o.{d}, 0)) AS {t}" for t, d in SUMS.items())
    last = "(array_agg(i.{c} ORDER BY i.day DESC))[1]"
    first = "(array_agg(i.{c} ORDER BY i.day))[1]"
    return f"""
WITH given AS (
  SELECT customer_id, DATE '1970-01-01' + day_no AS day, {cols}, row_no - 1 AS row_no
  FROM unnest({_UNNEST_TYPES}) WITH ORDINALITY AS t(customer_id, day_no, {cols}, row_no)
), known AS (
  -- An index probe per id: never a scan of the whole customer book.
  SELECT customer_id FROM profile.customers WHERE customer_id = ANY($1::text[])
), incoming AS (
  SELECT g.* FROM given g JOIN known USING (customer_id)
), old AS (
  -- Row by row, so each lookup goes to one partition through the primary key; FOR UPDATE
  -- reads the latest committed version of a day being replaced.
  SELECT f.* FROM incoming i CROSS JOIN LATERAL (
    SELECT * FROM profile.daily_facts f
    WHERE f.customer_id = i.customer_id AND f.day = i.day FOR UPDATE
  ) f
), written AS (
  INSERT INTO profile.daily_facts (customer_id, day, {cols})
  SELECT customer_id, day, {cols} FROM incoming
  ON CONFLICT (customer_id, day) DO UPDATE SET
  {", ".join(f"{c} = excluded.{c}" for c in VALUE_COLUMNS)},
  recorded_times = profile.daily_facts.recorded_times + 1
  RETURNING customer_id, day, recorded_times > 1 AS updated
), quarters AS (
  SELECT i.customer_id, to_char(i.day, 'YYYY"Q"Q') AS period,
  count(*) FILTER (WHERE o.customer_id IS NULL) AS days,
{deltas},
  min(i.day) AS first_day, max(i.day) AS last_day,
  {first.format(c="total_assets_fen")} AS first_total_assets_fen,
  {last.format(c="total_assets_fen")} AS last_total_assets_fen,
  {last.format(c="margin_debt_fen")} AS last_margin_debt_fen,
  {last.format(c="collateral_fen")} AS last_collateral_fen
  FROM incoming i LEFT JOIN old o ON o.customer_id = i.customer_id AND o.day = i.day
  GROUP BY i.customer_id, period
), totals AS (
  INSERT INTO profile.period_totals AS p
    (customer_id, period, days, {", ".join(SUMS)}, first_day, last_day,
     first_total_assets_fen, last_total_assets_fen, last_margin_debt_fen, last_collateral_fen)
  -- Ordered by key here and in the fold, so two writers lock totals rows in the same order.
  SELECT * FROM quarters ORDER BY customer_id, period
{_merge_into_totals(wins_ties=True)}
  RETURNING p.*
)
SELECT
  (SELECT count(*) FROM old) AS replaced,
  -- A day another transaction inserted after our snapshot: our deltas counted it as new.
  (SELECT count(*) FROM written w WHERE w.updated AND NOT EXISTS
     (SELECT 1 FROM old o WHERE o.customer_id = w.customer_id AND o.day = w.day)) AS raced,
  (SELECT array_agg(row_no) FROM given g WHERE NOT EXISTS
     (SELECT 1 FROM incoming i WHERE i.row_no = g.row_no)) AS unknown_rows,
  {TOTALS_ARRAYS}
FROM totals"""


STORE_BATCH = _store_batch_sql()

DELTA_COLUMNS = ["customer_id", "period", "days", *SUMS, "first_day", "last_day", *FIRST, *LAST]
# Wire types of the merged deltas and of the days COPYed into daily_facts.
_DELTA_TYPES = {"customer_id": "text", "period": "text", "days": "int4"}
_DELTA_TYPES |= {"first_day": "date", "last_day": "date"}
_DAY_TYPES = {"trade_count": "int4", "average_holding_days": "int4"}


def _fold_sql() -> str:
    return f"""
WITH totals AS (
  INSERT INTO profile.period_totals AS p ({", ".join(DELTA_COLUMNS)})
  SELECT * FROM pg_temp.folding ORDER BY customer_id, period
{_merge_into_totals(wins_ties=False)}
  RETURNING p.*
)
-- Only the rows that were there before: a row the fold created (version 1) holds its delta as
-- given, which the caller has already. Handed out in chunks (one event each) through a
-- cursor: Python never holds them all.
SELECT {TOTALS_ARRAYS}
FROM (SELECT *, (row_number() OVER () - 1) / $1 AS chunk FROM totals WHERE version > 1) t
GROUP BY chunk"""


# A fold whose rows are all new (a quarter's first fold, a new book) inserts them plainly:
# ~half the cost of ON CONFLICT's speculative insert. One existing row fails it at once.
CREATE_ALL = f"""
INSERT INTO profile.period_totals ({", ".join(DELTA_COLUMNS)})
SELECT * FROM pg_temp.folding ORDER BY customer_id, period"""

FOLDING_DDL = "CREATE TEMPORARY TABLE folding ({}) ON COMMIT DROP".format(
    ", ".join(f"{c} {_DELTA_TYPES.get(c, 'int8')}" for c in DELTA_COLUMNS)
)
FOLD = _fold_sql()


def _totals_columns(arrays: list[list]) -> dict[str, list]:
    """TOTALS_COLUMNS' arrays as PeriodTotalsColumns fields, days as text."""
    columns = dict(zip(TOTALS_COLUMNS, arrays, strict=True))
    return columns | {d: iso_days(columns[d]) for d in ("first_day", "last_day")}


class ConcurrentDayInsert(Exception):
    """Another transaction inserted one of the batch's new days first; retry the batch."""


@dataclass
class StoredBatch:
    replaced: int
    unknown_rows: list[int]  # positions in the batch of rows whose customer does not exist
    totals: dict[str, list]  # PeriodTotalsColumns field -> one list each, aligned


class FactsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def store(self, batch: FactsBatch) -> StoredBatch:
        args = [batch.customer_id.tolist(), batch.day.tolist()]
        args += [batch.values[c].tolist() for c in VALUE_COLUMNS]
        replaced, raced, unknown, *arrays = await self.conn.fetchrow(STORE_BATCH, *args)
        if raced:
            raise ConcurrentDayInsert(f"{raced} days were inserted concurrently")
        totals = _totals_columns([a or [] for a in arrays])
        return StoredBatch(replaced, unknown or [], totals)

    async def missing_customers(self, ids: list[str]) -> set[str]:
        """Those of the (distinct) ids that are no customer's."""
        if not ids:
            return set()
        found = await self.conn.fetchval(
            "SELECT count(*) FROM profile.customers WHERE customer_id = ANY($1::text[])", ids
        )
        if found == len(ids):  # the usual case: no need to bring the ids back
            return set()
        known = await self.conn.fetchval(
            "SELECT array_agg(customer_id) FROM profile.customers"
            " WHERE customer_id = ANY($1::text[])",
            ids,
        )
        return set(ids) - set(known or ())

    async def customer_ids_after(self, after: bytes, limit: int) -> np.ndarray:
        """Up to `limit` customer ids after `after`, in order, as a bytes array: a page of the
        customer book (ids sort bytewise, as numpy's bytes do)."""
        ids = await self.conn.fetchval(
            "SELECT array_agg(convert_to(customer_id, 'UTF8')) FROM ("
            " SELECT customer_id FROM profile.customers"
            " WHERE customer_id > convert_from($1, 'UTF8') ORDER BY customer_id LIMIT $2) page",
            after,
            limit,
        )
        return np.array(ids or [], dtype="S")

    async def insert_new_days(self, batch: FactsBatch) -> bool:
        """COPY the batch's days. False when one of them is stored already (or is being
        stored by another transaction, which this one waits for): the transaction has then
        failed, and the caller rolls it back. (No savepoint to carry on after the failure:
        nothing would, and a savepoint makes every row of the COPY a subtransaction's.)"""
        columns = [("customer_id", "text", batch.customer_id_bytes)]
        columns.append(("day", "date", EPOCH + batch.day.astype("timedelta64[D]")))
        columns += [(c, _DAY_TYPES.get(c, "int8"), batch.values[c]) for c in VALUE_COLUMNS]
        try:
            await self._copy("profile", "daily_facts", columns)
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def queue_days(self, batch: FactsBatch) -> None:
        """Queue a batch of new days for the roll-up, packed as the rows that were COPYed."""
        ids = batch.customer_id_bytes
        columns = [("customer_id", ids), ("day", batch.day)]
        columns += [(c, batch.values[c]) for c in VALUE_COLUMNS]
        rows = np.empty(len(ids), [(name, values.dtype) for name, values in columns])
        for name, values in columns:
            rows[name] = values
        packed = io.BytesIO()
        np.save(packed, rows)  # a header and the raw rows; np.load reads it without pickle
        await self.conn.execute(
            "INSERT INTO profile.pending_totals (first_customer, rows, deltas) VALUES ($1, $2, $3)",
            min(ids).decode(),
            len(rows),
            packed.getvalue(),
        )

    async def queue_mark(self) -> tuple[int, int]:
        """How many rows are queued, and the id of the last batch queued (0 if none)."""
        row = await self.conn.fetchrow(
            "SELECT coalesce(sum(rows), 0), coalesce(max(id), 0) FROM profile.pending_totals"
        )
        return row[0], row[1]

    async def take_queued(
        self, max_rows: int, wait: bool, up_to: int
    ) -> list[dict[str, np.ndarray]]:
        """Remove and return about max_rows queued rows (at least one batch's) of the
        batches up to id `up_to`, batches of the same customers together, so that merging
        them leaves fewer rows to update. Batches another transaction is taking are skipped,
        or with `wait` waited for (and then skipped, being gone): a waiting take that finds
        nothing proves that everything queued up to `up_to` is in the totals."""
        sizes = await self.conn.fetch(
            "SELECT rows FROM profile.pending_totals WHERE id <= $1"
            " ORDER BY first_customer, id LIMIT 1000",
            up_to,
        )
        count, total = 0, 0
        for row in sizes:
            if count and total + row["rows"] > max_rows:
                break
            count, total = count + 1, total + row["rows"]
        blobs = await self.conn.fetch(
            f"""DELETE FROM profile.pending_totals WHERE id IN (
                  SELECT id FROM profile.pending_totals WHERE id <= $2
                  ORDER BY first_customer, id
                  LIMIT $1 FOR UPDATE{"" if wait else " SKIP LOCKED"})
                RETURNING deltas""",
            max(count, 1),
            up_to,
        )
        loaded = [np.load(io.BytesIO(b["deltas"]), allow_pickle=False) for b in blobs]
        return [{c: rows[c] for c in rows.dtype.names} for rows in loaded]

    async def add_to_totals(
        self, deltas: dict[str, np.ndarray], chunk_rows: int
    ) -> AsyncIterator[dict[str, list]]:
        """Add merged deltas to period_totals; yield the new totals chunk by chunk
        (PeriodTotalsColumns field -> list): those of rows that were there from Postgres,
        those of rows the fold created from their deltas. (Returning every row cost Postgres
        ~5 µs a row in array_agg; a load's first fold creates nearly all of its rows.)"""
        await self.conn.execute(FOLDING_DDL)
        columns = [(c, _DELTA_TYPES.get(c, "int8"), deltas[c]) for c in DELTA_COLUMNS]
        await self._copy(None, "folding", columns)
        updated: list[tuple[list[str], list[str]]] = []  # keys of the rows there before
        if not await self._create_all():
            async for arrays in self.conn.cursor(FOLD, chunk_rows, prefetch=1):
                totals = _totals_columns(arrays)
                updated.append((totals["customer_id"], totals["period"]))
                yield totals
        if sum(len(ids) for ids, _ in updated) == len(deltas["customer_id"]):
            return  # every row was there before: nothing created (a long feed's usual fold)
        existed = {key for ids, periods in updated for key in zip(ids, periods, strict=True)}
        created = created_totals(deltas, existed)
        for start in range(0, len(created["customer_id"]), chunk_rows):
            yield {c: values[start : start + chunk_rows] for c, values in created.items()}

    async def _create_all(self) -> bool:
        """Insert the folding deltas as new totals rows; False, having changed nothing, when
        one of the rows exists already (or is being inserted by another transaction, which
        this one then waits for)."""
        await self.conn.execute("SAVEPOINT create_all")
        try:
            await self.conn.execute(CREATE_ALL)
        except asyncpg.UniqueViolationError:
            await self.conn.execute("ROLLBACK TO SAVEPOINT create_all")
            return False
        await self.conn.execute("RELEASE SAVEPOINT create_all")
        return True

    async def _copy(
        self, schema: str | None, table: str, columns: list[tuple[str, str, np.ndarray]]
    ) -> None:
        await self.conn.copy_to_table(
            table,
            schema_name=schema,
            columns=[name for name, _, _ in columns],
            source=pgcopy.stream(pgcopy.encode_blocks(columns)),
            format="binary",
        )

    async def customer_exists(self, customer_id: str) -> bool:
        found = await self.conn.fetchval(
            "SELECT 1 FROM profile.customers WHERE customer_id = $1", customer_id
        )
        return found is not None

    async def quarter_totals(self, customer_id: str, periods: list[str]) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM profile.period_totals WHERE customer_id = $1 AND period = ANY($2)"
            " ORDER BY period",
            customer_id,
            periods,
        )

    async def day_totals(self, customer_id: str, start: int, end: int) -> asyncpg.Record | None:
        """The same totals as a quarter row, summed straight from the days in [start, end]."""
        sums = ", ".join(f"sum({d})::int8 AS {t}" for t, d in SUMS.items())
        return await self.conn.fetchrow(
            f"""SELECT count(*)::int AS days, {sums},
                  min(day) AS first_day, max(day) AS last_day,
                  (array_agg(total_assets_fen ORDER BY day))[1] AS first_total_assets_fen,
                  (array_agg(total_assets_fen ORDER BY day DESC))[1] AS last_total_assets_fen,
                  (array_agg(margin_debt_fen ORDER BY day DESC))[1] AS last_margin_debt_fen,
                  (array_agg(collateral_fen ORDER BY day DESC))[1] AS last_collateral_fen
                FROM profile.daily_facts
                WHERE customer_id = $1
                  AND day BETWEEN DATE '1970-01-01' + $2::int4 AND DATE '1970-01-01' + $3::int4
                HAVING count(*) > 0""",
            customer_id,
            start,
            end,
        )
