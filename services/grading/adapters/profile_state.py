"""Keeping grading's copy of profile's state: customers, risk classes and period totals,
each event batch applied with one set-based statement (unnest), never row by row.

Profile sends quarter totals only; grading keeps each year's totals as the sum of its
quarters, refreshed for the (customer, year) pairs a batch touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
from asyncpg import Connection

from clienttier.profile.v1 import facts_pb2, profile_pb2, risk_pb2
from services.grading.domain.periods import period_codes

# The columns of profile's PeriodTotalsColumns, from the contract itself, in its order: the
# day count and sums, then the two days, then the figures of those days.
_FIELDS = [f.name for f in facts_pb2.PeriodTotalsColumns.DESCRIPTOR.fields]
_SUMS = tuple(_FIELDS[_FIELDS.index("days") : _FIELDS.index("first_day")])
_LASTS = tuple(_FIELDS[_FIELDS.index("last_day") + 1 :])
_ALL = ("customer_version", *_SUMS, "first_day", "last_day", *_LASTS)

_UPSERT_QUARTERS = f"""
    WITH u AS (
        SELECT * FROM unnest(
            $1::text[], $2::int[], $3::int8[], $4::int[], $5::int8[], $6::int8[], $7::int8[],
            $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int8[],
            $14::int8[], $15::int8[], $16::int8[], $17::int8[], $18::text[], $19::text[],
            $20::int8[], $21::int8[], $22::int8[], $23::int8[]
        ) AS u(customer_id, period, customer_version, {", ".join(_SUMS)}, first_day, last_day,
               {", ".join(_LASTS)})
    )
    INSERT INTO grading.period_totals (period, customer_no, {", ".join(_ALL)})
    SELECT DISTINCT ON (u.period, c.customer_no)
        u.period, c.customer_no, u.customer_version, {", ".join("u." + s for s in _SUMS)},
        NULLIF(u.first_day, '')::date, NULLIF(u.last_day, '')::date,
        {", ".join("u." + s for s in _LASTS)}
    FROM u JOIN grading.customers c USING (customer_id)
    ORDER BY u.period, c.customer_no, u.customer_version DESC
    ON CONFLICT (period, customer_no) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in _ALL)}
    WHERE excluded.customer_version > grading.period_totals.customer_version"""

# A year = the sum of its quarters; first/last figures from the earliest/latest quarter. Each
# (customer, year) reads its four quarter rows by primary key (period, customer_no): a range
# over period would cover every customer's quarters of that year.
_REFRESH_YEARS = f"""
    INSERT INTO grading.period_totals (period, customer_no, {", ".join(_ALL)})
    SELECT t.year * 10, q.customer_no, max(q.customer_version),
        {", ".join(f"sum(q.{s})" for s in _SUMS)},
        min(q.first_day), max(q.last_day),
        COALESCE((array_agg(q.first_total_assets_fen ORDER BY q.period)
                  FILTER (WHERE q.days > 0))[1], 0),
        COALESCE((array_agg(q.last_total_assets_fen ORDER BY q.period DESC)
                  FILTER (WHERE q.days > 0))[1], 0),
        COALESCE((array_agg(q.last_margin_debt_fen ORDER BY q.period DESC)
                  FILTER (WHERE q.days > 0))[1], 0),
        COALESCE((array_agg(q.last_collateral_fen ORDER BY q.period DESC)
                  FILTER (WHERE q.days > 0))[1], 0)
    FROM (SELECT DISTINCT c.customer_no, u.year
          FROM unnest($1::text[], $2::int[]) AS u(customer_id, year)
          JOIN grading.customers c USING (customer_id)) t
    JOIN grading.period_totals q
      ON q.customer_no = t.customer_no
     AND q.period = ANY (ARRAY[t.year * 10 + 1, t.year * 10 + 2, t.year * 10 + 3, t.year * 10 + 4])
    GROUP BY t.year, q.customer_no
    ON CONFLICT (period, customer_no) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in _ALL)}"""


async def lock_customers(conn: Connection, customer_ids: Sequence[str]) -> None:
    """Lock the customers' rows for the caller's transaction, first creating those not known
    yet (facts or an assessment can arrive before the customer's record). Concurrent applies
    touching the same customers take turns; both steps go in customer id order, so two of
    them can never wait for each other."""
    await conn.execute(
        "INSERT INTO grading.customers (customer_id) "
        "SELECT DISTINCT unnest($1::text[]) ORDER BY 1 ON CONFLICT (customer_id) DO NOTHING",
        customer_ids,
    )
    await conn.execute(
        "SELECT FROM grading.customers WHERE customer_id = ANY($1::text[]) "
        "ORDER BY customer_id FOR UPDATE",
        customer_ids,
    )


async def store_period_totals(
    conn: Connection, batches: Sequence[facts_pb2.PeriodTotalsColumns]
) -> tuple[np.ndarray, np.ndarray]:
    """Apply some batches' quarter totals together (newest version wins, so their order does
    not matter) and refresh the years they belong to: two statements however many batches.
    The caller has locked the customers (lock_customers). Returns the customer ids and each
    row's latest day with facts (numpy)."""
    columns = {name: _joined(batches, name) for name in ("customer_id", "period", *_ALL)}
    ids = np.array(columns["customer_id"], dtype=object)
    if not len(ids):
        return ids, np.zeros(0, "datetime64[D]")
    codes = period_codes(np.array(columns["period"], dtype="S6"))
    if (codes % 10 == 0).any():
        raise ValueError("profile sends quarter totals; a year period arrived")
    await conn.execute(
        _UPSERT_QUARTERS,
        columns["customer_id"],
        codes.tolist(),
        *(columns[name] for name in _ALL),
    )
    await conn.execute(_REFRESH_YEARS, columns["customer_id"], (codes // 10).tolist())
    days = np.array(columns["last_day"], dtype="datetime64[D]")
    return ids, days


def _joined(batches: Sequence[facts_pb2.PeriodTotalsColumns], name: str) -> list:
    if len(batches) == 1:
        return list(getattr(batches[0], name))
    return list(chain.from_iterable(getattr(b, name) for b in batches))


def _margin_account(customer: profile_pb2.Customer) -> bool:
    return any(a.type == profile_pb2.ACCOUNT_TYPE_MARGIN for a in customer.accounts)


async def store_customers(
    conn: Connection, changes: Sequence[profile_pb2.CustomerChanged]
) -> list[str]:
    """Newest record per customer wins. Returns the customer ids."""
    c = [change.customer for change in changes]
    await conn.execute(
        """
        INSERT INTO grading.customers
            (customer_id, version, kind, branch_id, open_date, status, margin_account)
        SELECT DISTINCT ON (id) id, v, k, b, NULLIF(o, '')::date, s, m
        FROM unnest($1::text[], $2::int8[], $3::int2[], $4::text[], $5::text[], $6::int2[],
                    $7::bool[]) AS u(id, v, k, b, o, s, m)
        ORDER BY id, v DESC
        ON CONFLICT (customer_id) DO UPDATE SET
            version = excluded.version, kind = excluded.kind, branch_id = excluded.branch_id,
            open_date = excluded.open_date, status = excluded.status,
            margin_account = excluded.margin_account
        WHERE excluded.version > grading.customers.version""",
        [x.customer_id for x in c],
        [change.version or change.customer.version for change in changes],
        [x.kind or profile_pb2.CUSTOMER_KIND_RETAIL for x in c],
        [x.branch_id for x in c],
        [x.open_date for x in c],
        [x.status or profile_pb2.CUSTOMER_STATUS_ACTIVE for x in c],
        [_margin_account(x) for x in c],
    )
    return [x.customer_id for x in c]


async def store_assessments(
    conn: Connection, recorded: Sequence[risk_pb2.AssessmentRecorded]
) -> list[str]:
    """The latest assessment per customer (stream order) becomes the risk class (the caller
    has locked the customers). Returns the customer ids."""
    a = [r.assessment for r in recorded]
    await conn.execute(
        """
        UPDATE grading.customers c SET
            risk_class = u.cls, risk_level = u.level, risk_score = u.score,
            risk_valid_until = NULLIF(u.valid, '')::date,
            risk_assessed_on = NULLIF(u.assessed, '')::date, max_product_risk = u.max_risk
        FROM (
            SELECT DISTINCT ON (id) * FROM unnest(
                $1::text[], $2::int2[], $3::text[], $4::int2[], $5::text[], $6::text[],
                $7::text[]) WITH ORDINALITY AS x(id, cls, level, score, valid, assessed,
                                                 max_risk, n)
            ORDER BY id, n DESC
        ) u
        WHERE c.customer_id = u.id""",
        [x.customer_id for x in a],
        # GalaxyRiskClass 1..3 -> RISK_ORDER index 0..2; unspecified -> no class.
        [x.galaxy_class - 1 if x.galaxy_class else -1 for x in a],
        [x.risk_level for x in a],
        [x.score for x in a],
        [x.valid_until for x in a],
        [x.assessed_on for x in a],
        [x.max_product_risk for x in a],
    )
    return [x.customer_id for x in a]
