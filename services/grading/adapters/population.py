"""Reading a population's grading inputs as numpy columns, by binary COPY.

Customers come in customer_no order; each period's totals and the stored grades are then
placed on the customers' rows by binary search on customer_no. Nothing is read per row in
Python, and each table is read once per grading, never once per rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date

import asyncpg
import numpy as np

from mesh import pgcopy
from mesh.pgcopy import to_dates
from services.grading.domain.periods import grading_periods
from services.grading.domain.regrade import CustomerColumns, GradeState, PeriodColumns

_CUSTOMER_COLUMNS = [
    ("customer_no", "int8"),
    ("kind", "int2"),
    ("status", "int2"),
    ("open_date", "date"),
    ("risk_class", "int2"),
    ("risk_valid_until", "date"),
    ("risk_score", "int2"),
    ("margin_account", "bool"),
]
_CUSTOMER_SQL = """
    SELECT customer_no, kind, status, COALESCE(open_date, '-infinity'), risk_class,
           COALESCE(risk_valid_until, 'infinity'), risk_score, margin_account
    FROM grading.customers {where} ORDER BY customer_no"""

# PeriodColumns field <- period_totals column.
_PERIOD_SOURCE = {
    "days": "days::int8",
    "total": "total_assets_fen_sum",
    "cash": "cash_fen_sum",
    "securities": "securities_fen_sum",
    "equity_fund": "equity_fund_fen_sum",
    "fixed_income": "fixed_income_fen_sum",
    "reits_trust": "reits_trust_fen_sum",
    "margin_debt": "margin_debt_fen_sum",
    "commission": "net_commission_fen",
    "trades": "trade_count",
    "holding_days": "holding_days_sum",
    "inflow": "fund_inflow_fen",
    "outflow": "fund_outflow_fen",
    "first_total": "first_total_assets_fen",
    "last_total": "last_total_assets_fen",
    "last_margin_debt": "last_margin_debt_fen",
    "last_collateral": "last_collateral_fen",
    "first_day": "COALESCE(first_day, '-infinity')",
    "last_day": "COALESCE(last_day, '-infinity')",
}
# What each period's grading needs: the years everything but flows, the trend quarters
# their averages and (the recent one) its flows.
_YEAR_FIELDS = tuple(n for n in _PERIOD_SOURCE if n not in ("inflow", "outflow", "first_total"))
_QUARTER_FIELDS = ("days", "total", "equity_fund", "fixed_income", "reits_trust", "trades")
_RECENT_QUARTER_FIELDS = (*_QUARTER_FIELDS, "inflow", "outflow", "first_total")

_GRADE_COLUMNS = [
    ("customer_no", "int8"),
    ("tier", "int2"),
    ("since", "date"),
    ("observation_start", "date"),
    ("kept_until", "date"),
    ("class_code", "int2"),
    ("stars", "int2"),
    ("institution_level", "int2"),
    ("segment", "int2"),
    ("stage", "int2"),
    ("margin_risk", "int2"),
    ("margin_behaviour", "int2"),
    ("margin_size", "int2"),
    ("margin_needs", "int2"),
]


@dataclass
class Population:
    customers: CustomerColumns
    periods: tuple[PeriodColumns, PeriodColumns, PeriodColumns, PeriodColumns]
    grades: GradeState
    branch_ids: np.ndarray | None = None  # "S" array, when asked for


async def _copy_blocks(
    conn: asyncpg.Connection, sql: str, wire: Sequence[tuple[str, str]]
) -> list[np.ndarray]:
    """A binary COPY of fixed-width NOT NULL columns, as structured blocks."""
    blocks: list[np.ndarray] = []
    sink = pgcopy.RowSink(wire, blocks.append)
    await conn.copy_from_query(sql, output=sink, format="binary")
    sink.finish()
    return blocks


def _place_blocks(
    blocks: list[np.ndarray],
    wire: Sequence[tuple[str, str]],
    keys: np.ndarray,
    targets: dict[str, np.ndarray],
) -> None:
    """Put each block's values (first column customer_no) on the customers' rows."""
    start = 0
    for rows in blocks:
        numbers = rows["customer_no"].astype(np.int64)
        end = start + len(rows)
        # Usually rows come in customer order, one per customer: plain slices then.
        if end <= len(keys) and np.array_equal(keys[start:end], numbers):
            where: slice | np.ndarray = slice(start, end)
            picked: slice | np.ndarray = slice(None)
        else:
            where, picked = _place(keys, numbers)
        for name, pg_type in wire[1:]:
            values = rows[name][picked]
            targets[name][where] = to_dates(values) if pg_type == "date" else values
        start = end


async def copy_lines(conn: asyncpg.Connection, sql: str) -> list[str]:
    """A one-column query's values (ids, dates: nothing COPY text would escape)."""
    chunks: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        chunks.append(chunk)

    await conn.copy_from_query(sql, output=sink, format="text")
    data = b"".join(chunks).decode()
    return data.split("\n")[:-1] if data else []


def _numbers(customer_nos: Sequence[int]) -> str:
    """customer_no values as an SQL array literal. The COPYs here take no bind parameters:
    asyncpg would spend a round trip having the server quote them, and a grading from
    profile's events is mostly round trips. Integers need no quoting."""
    return "'{" + ",".join(str(int(n)) for n in customer_nos) + "}'::bigint[]"


def _where(customer_nos: Sequence[int] | None, prefix: str = "WHERE") -> str:
    if customer_nos is None:
        return ""
    return f"{prefix} customer_no = ANY({_numbers(customer_nos)})"


def _place(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `rows` (customer_no) among sorted `keys`, and which rows matched."""
    pos = np.searchsorted(keys, rows)
    pos_safe = np.minimum(pos, max(len(keys) - 1, 0))
    found = (pos < len(keys)) & (keys[pos_safe] == rows) if len(keys) else pos < 0
    return pos_safe[found], found


async def read_customers(
    conn: asyncpg.Connection, customer_ids: Sequence[str] | None
) -> tuple[CustomerColumns, np.ndarray]:
    if customer_ids is None:
        where = ""
    else:
        numbers = await conn.fetchval(
            "SELECT array_agg(customer_no) FROM grading.customers "
            "WHERE customer_id = ANY($1::text[])",
            list(customer_ids),
        )
        where = _where(numbers or [])
    chunks = await _copy_blocks(conn, _CUSTOMER_SQL.format(where=where), _CUSTOMER_COLUMNS)
    rows = np.concatenate(chunks) if chunks else np.zeros(0, pgcopy.row_dtype(_CUSTOMER_COLUMNS))
    cols = {
        name: to_dates(rows[name])
        if t == "date"
        else rows[name].astype(rows[name].dtype.newbyteorder("="))
        for name, t in _CUSTOMER_COLUMNS
    }
    ids = await copy_lines(
        conn, f"SELECT customer_id FROM grading.customers {where} ORDER BY customer_no"
    )
    customer_ids = np.array(ids) if ids else np.zeros(0, dtype="U1")
    customers = CustomerColumns(
        customer_no=cols["customer_no"],
        customer_id=customer_ids,
        kind=cols["kind"],
        status=cols["status"],
        open_date=cols["open_date"],
        risk_class=cols["risk_class"],
        risk_valid_until=cols["risk_valid_until"],
        risk_score=cols["risk_score"],
        margin_account=cols["margin_account"],
    )
    return customers, cols["customer_no"]


def _period_query(
    period: int, wanted: Sequence[str], customer_nos: Sequence[int] | None
) -> tuple[str, list[tuple[str, str]]]:
    wire = [("customer_no", "int8")] + [
        (name, "date" if name.endswith("_day") else "int8") for name in wanted
    ]
    select = ", ".join(["customer_no"] + [_PERIOD_SOURCE[name] for name in wanted])
    where = f"WHERE period = {int(period)} {_where(customer_nos, 'AND')}"
    return f"SELECT {select} FROM grading.period_totals {where}", wire


def _grades_query(customer_nos: Sequence[int] | None) -> tuple[str, list[tuple[str, str]]]:
    names = ", ".join(
        f"COALESCE({n}, '-infinity')" if t == "date" else n for n, t in _GRADE_COLUMNS
    )
    return f"SELECT {names} FROM grading.grades {_where(customer_nos)}", _GRADE_COLUMNS


async def read_population(
    connections: Sequence[asyncpg.Connection],
    as_of: date,
    customer_ids: Sequence[str] | None = None,
) -> Population:
    """Everything grading needs as of `as_of`, for all customers or the given ones. With
    several connections (all seeing the same committed state: the caller holds the grading
    lock) the six queries run side by side, largest first."""
    customer_nos: list[int] | None = None
    if customer_ids is not None:
        # A few customers: their numbers first, so every query can filter on them.
        customers, keys = await read_customers(connections[0], customer_ids)
        customer_nos = keys.tolist()
    p = grading_periods(as_of)
    periods = [
        (p.last_year, _YEAR_FIELDS),
        (p.this_year, _YEAR_FIELDS),
        (p.recent_quarter, _RECENT_QUARTER_FIELDS),
        (p.prior_quarter, _QUARTER_FIELDS),
    ]
    queries = [_period_query(code, wanted, customer_nos) for code, wanted in periods]
    queries.append(_grades_query(customer_nos))
    free: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
    for conn in connections:
        free.put_nowait(conn)

    async def on_free_connection(make):  # type: ignore[no-untyped-def]
        conn = await free.get()
        try:
            return await make(conn)
        finally:
            free.put_nowait(conn)

    def copy_job(sql: str, wire: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
        return lambda conn: _copy_blocks(conn, sql, wire)

    jobs = [copy_job(*q) for q in queries]
    # Largest first (by columns), so the connections finish at about the same time.
    order = sorted(range(len(jobs)), key=lambda i: -len(queries[i][1]))
    if customer_ids is None:
        jobs.append(lambda conn: read_customers(conn, None))
        order.insert(2, len(jobs) - 1)
    results: list[object] = [None] * len(jobs)

    async def run(i: int) -> None:
        results[i] = await on_free_connection(jobs[i])

    await asyncio.gather(*(run(i) for i in order))
    if customer_ids is None:
        customers, keys = results[-1]  # type: ignore[misc]
    n = len(keys)
    placed: list[PeriodColumns] = []
    for (_code, wanted), (_, wire), blocks in zip(periods, queries, results, strict=False):
        columns = PeriodColumns.empty(n, wanted)
        _place_blocks(blocks, wire, keys, {name: getattr(columns, name) for name in wanted})  # type: ignore[arg-type]
        placed.append(columns)
    grades = GradeState.none(n)
    targets = {f.name: getattr(grades, f.name) for f in fields(GradeState)}
    _place_blocks(results[4], _GRADE_COLUMNS, keys, targets)  # type: ignore[arg-type]
    return Population(customers, (placed[0], placed[1], placed[2], placed[3]), grades)
