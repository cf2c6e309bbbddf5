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

from services.grading.adapters import pgcopy
from services.grading.adapters.pgcopy import to_dates
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


async def _copy_rows(
    conn: asyncpg.Connection,
    sql: str,
    args: Sequence[object],
    wire: Sequence[tuple[str, str]],
    keys: np.ndarray,
    targets: dict[str, np.ndarray],
) -> None:
    """COPY a query whose first column is customer_no; put each other column's values on
    the customers' rows of `targets` (same names) block by block as they arrive."""

    def place(rows: np.ndarray) -> None:
        pos, found = _place(keys, rows["customer_no"].astype(np.int64))
        for name, pg_type in wire[1:]:
            values = rows[name][found]
            targets[name][pos] = to_dates(values) if pg_type == "date" else values

    sink = pgcopy.RowSink(wire, place)
    await conn.copy_from_query(sql, *args, output=sink, format="binary")
    sink.finish()


async def copy_lines(conn: asyncpg.Connection, sql: str, *args: object) -> list[bytes]:
    chunks: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        chunks.append(chunk)

    await conn.copy_from_query(sql, *args, output=sink, format="text")
    data = b"".join(chunks)
    return data.split(b"\n")[:-1] if data else []


def _where(customer_nos: Sequence[int] | None, first_param: int, prefix: str = "WHERE") -> str:
    if customer_nos is None:
        return ""
    return f"{prefix} customer_no = ANY(${first_param}::bigint[])"


def _place(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `rows` (customer_no) among sorted `keys`, and which rows matched."""
    pos = np.searchsorted(keys, rows)
    pos_safe = np.minimum(pos, max(len(keys) - 1, 0))
    found = (pos < len(keys)) & (keys[pos_safe] == rows) if len(keys) else pos < 0
    return pos_safe[found], found


async def read_customers(
    conn: asyncpg.Connection, customer_ids: Sequence[str] | None
) -> tuple[CustomerColumns, np.ndarray]:
    args = () if customer_ids is None else (list(customer_ids),)
    where = "" if customer_ids is None else "WHERE customer_id = ANY($1::text[])"
    chunks: list[np.ndarray] = []
    sink = pgcopy.RowSink(_CUSTOMER_COLUMNS, lambda rows: chunks.append(rows.copy()))
    await conn.copy_from_query(
        _CUSTOMER_SQL.format(where=where), *args, output=sink, format="binary"
    )
    sink.finish()
    rows = np.concatenate(chunks) if chunks else np.zeros(0, pgcopy.row_dtype(_CUSTOMER_COLUMNS))
    cols = {
        name: to_dates(rows[name])
        if t == "date"
        else rows[name].astype(rows[name].dtype.newbyteorder("="))
        for name, t in _CUSTOMER_COLUMNS
    }
    ids = await copy_lines(
        conn, f"SELECT customer_id FROM grading.customers {where} ORDER BY customer_no", *args
    )
    customer_ids = np.array(ids) if ids else np.zeros(0, dtype="S1")
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


async def read_period(
    conn: asyncpg.Connection,
    keys: np.ndarray,
    period: int,
    wanted: Sequence[str],
    customer_nos: Sequence[int] | None,
) -> PeriodColumns:
    wire = [("customer_no", "int8")] + [
        (name, "date" if name.endswith("_day") else "int8") for name in wanted
    ]
    select = ", ".join(["customer_no"] + [_PERIOD_SOURCE[name] for name in wanted])
    args: tuple[object, ...] = (period,)
    where = "WHERE period = $1"
    if customer_nos is not None:
        args += (list(customer_nos),)
        where += " " + _where(customer_nos, 2, "AND")
    result = PeriodColumns.empty(len(keys))
    targets = {name: getattr(result, name) for name in wanted}
    sql = f"SELECT {select} FROM grading.period_totals {where}"
    await _copy_rows(conn, sql, args, wire, keys, targets)
    return result


async def read_grades(
    conn: asyncpg.Connection, keys: np.ndarray, customer_nos: Sequence[int] | None
) -> GradeState:
    names = ", ".join(
        f"COALESCE({n}, '-infinity')" if t == "date" else n for n, t in _GRADE_COLUMNS
    )
    args = () if customer_nos is None else (list(customer_nos),)
    sql = f"SELECT {names} FROM grading.grades {_where(customer_nos, 1)}"
    state = GradeState.none(len(keys))
    targets = {f.name: getattr(state, f.name) for f in fields(GradeState)}
    await _copy_rows(conn, sql, args, _GRADE_COLUMNS, keys, targets)
    return state


async def read_population(
    connections: Sequence[asyncpg.Connection],
    as_of: date,
    customer_ids: Sequence[str] | None = None,
) -> Population:
    """Everything grading needs as of `as_of`, for all customers or the given ones. With
    several connections (all seeing the same committed state) the reads run side by side."""
    customers, keys = await read_customers(connections[0], customer_ids)
    customer_nos = None if customer_ids is None else keys.tolist()
    p = grading_periods(as_of)
    jobs = [
        (p.last_year, _YEAR_FIELDS),
        (p.this_year, _YEAR_FIELDS),
        (p.recent_quarter, _RECENT_QUARTER_FIELDS),
        (p.prior_quarter, _QUARTER_FIELDS),
    ]
    free: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
    for conn in connections:
        free.put_nowait(conn)

    async def on_free_connection(make):  # type: ignore[no-untyped-def]
        conn = await free.get()
        try:
            return await make(conn)
        finally:
            free.put_nowait(conn)

    def period_job(period: int, wanted: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return lambda conn: read_period(conn, keys, period, wanted, customer_nos)

    if len(connections) == 1:
        periods = [await period_job(code, wanted)(connections[0]) for code, wanted in jobs]
        grades = await read_grades(connections[0], keys, customer_nos)
    else:
        results = await asyncio.gather(
            *(on_free_connection(period_job(code, wanted)) for code, wanted in jobs),
            on_free_connection(lambda conn: read_grades(conn, keys, customer_nos)),
        )
        periods, grades = list(results[:4]), results[4]
    return Population(customers, (periods[0], periods[1], periods[2], periods[3]), grades)
