"""Daily facts and quarter totals, written set-based: one statement checks the customers
exist, stores a whole batch, and moves every touched customer's quarter totals by the batch's
deltas (replaced days count their difference, new days count once). No lock is taken up
front: the rare batch that raced another over a new day is detected and retried."""

from dataclasses import dataclass

import asyncpg

from services.profile.domain.facts import VALUE_COLUMNS, FactsBatch

# quarter totals column <- the daily column it sums
SUMS = {
    "total_assets_fen_sum": "total_assets_fen",
    "cash_fen_sum": "cash_fen",
    "securities_fen_sum": "securities_fen",
    "equity_fund_fen_sum": "equity_fund_fen",
    "fixed_income_fen_sum": "fixed_income_fen",
    "reits_trust_fen_sum": "reits_trust_fen",
    "margin_debt_fen_sum": "margin_debt_fen",
    "collateral_fen_sum": "collateral_fen",
    "net_commission_fen": "net_commission_fen",
    "trade_count": "trade_count",
    "holding_days_sum": "average_holding_days",
    "fund_inflow_fen": "fund_inflow_fen",
    "fund_outflow_fen": "fund_outflow_fen",
}
# What the batch statement returns per touched (customer, quarter), as parallel arrays:
# DailyFactsRecorded's PeriodTotalsColumns field <- the period_totals column.
TOTALS_COLUMNS = {
    "customer_id": "customer_id",
    "period": "period",
    "customer_version": "version",
    "days": "days",
    **{c: c for c in SUMS},
    "first_day": "first_day::text",
    "last_day": "last_day::text",
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


def _store_batch_sql() -> str:
    cols = ", ".join(VALUE_COLUMNS)
    deltas = ",\n".join(f"  sum(i.{d} - coalesce(o.{d}, 0)) AS {t}" for t, d in SUMS.items())
    added = ",\n".join(f"  {t} = p.{t} + excluded.{t}" for t in SUMS)
    last = "(array_agg(i.{c} ORDER BY i.day DESC))[1]"
    first = "(array_agg(i.{c} ORDER BY i.day))[1]"
    arrays = ", ".join(f"array_agg({expr})" for expr in TOTALS_COLUMNS.values())
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
  SELECT * FROM quarters
  ON CONFLICT (customer_id, period) DO UPDATE SET
  days = p.days + excluded.days,
{added},
  -- SET reads the old row throughout, so the order of these lines does not matter; adding
  -- deltas to the row ON CONFLICT locked keeps concurrent batches correct.
  first_total_assets_fen = CASE WHEN excluded.first_day <= p.first_day
    THEN excluded.first_total_assets_fen ELSE p.first_total_assets_fen END,
  first_day = least(p.first_day, excluded.first_day),
  last_total_assets_fen = CASE WHEN excluded.last_day >= p.last_day
    THEN excluded.last_total_assets_fen ELSE p.last_total_assets_fen END,
  last_margin_debt_fen = CASE WHEN excluded.last_day >= p.last_day
    THEN excluded.last_margin_debt_fen ELSE p.last_margin_debt_fen END,
  last_collateral_fen = CASE WHEN excluded.last_day >= p.last_day
    THEN excluded.last_collateral_fen ELSE p.last_collateral_fen END,
  last_day = greatest(p.last_day, excluded.last_day),
  version = p.version + 1
  RETURNING p.*
)
SELECT
  (SELECT count(*) FROM old) AS replaced,
  -- A day another transaction inserted after our snapshot: our deltas counted it as new.
  (SELECT count(*) FROM written w WHERE w.updated AND NOT EXISTS
     (SELECT 1 FROM old o WHERE o.customer_id = w.customer_id AND o.day = w.day)) AS raced,
  (SELECT array_agg(row_no) FROM given g WHERE NOT EXISTS
     (SELECT 1 FROM incoming i WHERE i.row_no = g.row_no)) AS unknown_rows,
  {arrays}
FROM totals"""


STORE_BATCH = _store_batch_sql()


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
        totals = {c: a or [] for c, a in zip(TOTALS_COLUMNS, arrays, strict=True)}
        return StoredBatch(replaced, unknown or [], totals)

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
