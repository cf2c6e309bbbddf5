"""A full grading run over 1,000,000 customers on Postgres, timed.

    .venv/bin/python bench/grading_regrade.py [--customers 1000000] [--keep]

Makes a scratch database (bootstrapped and migrated like `make run`, on DATABASE_URL or the
embedded server), loads synthetic customers and their period totals into grading's own
tables by COPY (in a child process, so its memory is not counted), then times, as the
grading role, through the same RunManager the service uses:
  1. the annual run as of 2027-01-05: every customer graded for the first time (every
     grade stored, history rows, events);
  2. the same run again: nothing changed, so nothing is stored and no event is emitted;
  3. a quarterly run as of 2027-04-01 after 1% of the customers' totals changed.
Prints seconds, customers per second, rows stored, events, and this process's peak RSS."""

import argparse
import asyncio
import io
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from mesh import pgcopy  # noqa: E402
from mesh.migrations import upgrade  # noqa: E402
from ops.bootstrap_db import bootstrap, drop_database  # noqa: E402
from ops.dsn import admin_url, service_url  # noqa: E402
from ops.embedded_pg import database_url  # noqa: E402

DATABASE = "ct_bench_grading"
COLUMNS = [
    ("period", "int4"),
    ("customer_no", "int8"),
    ("customer_version", "int8"),
    ("days", "int4"),
    ("total_assets_fen_sum", "int8"),
    ("cash_fen_sum", "int8"),
    ("securities_fen_sum", "int8"),
    ("equity_fund_fen_sum", "int8"),
    ("fixed_income_fen_sum", "int8"),
    ("reits_trust_fen_sum", "int8"),
    ("margin_debt_fen_sum", "int8"),
    ("collateral_fen_sum", "int8"),
    ("net_commission_fen", "int8"),
    ("trade_count", "int8"),
    ("holding_days_sum", "int8"),
    ("fund_inflow_fen", "int8"),
    ("fund_outflow_fen", "int8"),
    ("first_day", "date"),
    ("last_day", "date"),
    ("first_total_assets_fen", "int8"),
    ("last_total_assets_fen", "int8"),
    ("last_margin_debt_fen", "int8"),
    ("last_collateral_fen", "int8"),
]


def period_rows(rng, n: int, period: int, days: int, first: str, last: str, scale: np.ndarray):
    """One period's totals for customers 1..n: a lognormal wealth, a random mix."""
    assets = (scale * rng.lognormal(0, 0.3, n)).astype(np.int64)
    mix = rng.dirichlet([4, 3, 1, 1, 0.5], n)
    sums = assets * days
    parts = (mix * sums[:, None]).astype(np.int64)
    margin = rng.random(n) < 0.05
    debt = np.where(margin, assets // 4, 0)
    trades = rng.poisson(0.3 * days, n)
    commission = (assets * rng.random(n) * 0.0005 * days / 60).astype(np.int64)
    flow = (assets * rng.normal(0, 0.05, n)).astype(np.int64)
    values = {
        "period": np.full(n, period),
        "customer_no": np.arange(1, n + 1),
        "customer_version": np.ones(n, dtype=np.int64),
        "days": np.full(n, days),
        "total_assets_fen_sum": parts.sum(axis=1),
        "cash_fen_sum": parts[:, 0],
        "securities_fen_sum": parts[:, 1],
        "equity_fund_fen_sum": parts[:, 2],
        "fixed_income_fen_sum": parts[:, 3],
        "reits_trust_fen_sum": parts[:, 4],
        "margin_debt_fen_sum": debt * days,
        "collateral_fen_sum": np.where(margin, assets, 0) * days,
        "net_commission_fen": commission,
        "trade_count": trades,
        "holding_days_sum": rng.integers(1, 2000, n) * days,
        "fund_inflow_fen": np.maximum(flow, 0),
        "fund_outflow_fen": np.maximum(-flow, 0),
        "first_day": np.full(n, np.datetime64(first)),
        "last_day": np.full(n, np.datetime64(last)),
        "first_total_assets_fen": assets,
        "last_total_assets_fen": assets,
        "last_margin_debt_fen": debt,
        "last_collateral_fen": np.where(margin, assets, 0),
    }
    return pgcopy.encode([(name, t, values[name]) for name, t in COLUMNS])


async def load(admin: str, n: int) -> None:
    import asyncpg

    url = service_url(admin, "grading", DATABASE).replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    await conn.execute(
        """
        INSERT INTO grading.customers (customer_no, customer_id, kind, branch_id, open_date,
            status, risk_class, risk_score, risk_valid_until, margin_account)
        SELECT i, 'C' || lpad(i::text, 8, '0'), CASE WHEN i % 100 = 0 THEN 2 ELSE 1 END,
            'B' || lpad((i % 40)::text, 3, '0'), date '2012-01-01' + (i % 5000),
            CASE WHEN i % 97 = 0 THEN 2 ELSE 1 END, (i % 4) - 1, 10 + i % 90,
            date '2029-06-30', i % 20 = 0
        FROM generate_series(1, $1::int) AS i""",
        n,
    )
    rng = np.random.default_rng(7)
    scale = rng.lognormal(11.5, 1.6, n) * 100  # daily assets in fen, median ~100k CNY
    periods = [
        (20263, 64, "2026-07-01", "2026-09-30"),
        (20264, 58, "2026-10-08", "2026-12-31"),
        (20260, 242, "2026-01-05", "2026-12-31"),
        (20271, 3, "2027-01-04", "2027-01-06"),
        (20270, 3, "2027-01-04", "2027-01-06"),
    ]
    for period, days, first, last in periods:
        data = period_rows(rng, n, period, days, first, last, scale)
        await conn.copy_to_table(
            "period_totals",
            schema_name="grading",
            columns=[c for c, _ in COLUMNS],
            source=io.BytesIO(data),
            format="binary",
        )
    await conn.execute("VACUUM ANALYZE grading.period_totals")
    await conn.execute("VACUUM ANALYZE grading.customers")
    await conn.close()
    rows = n * len(periods)
    elapsed = time.perf_counter() - started
    print(f"loaded {n:,} customers and {rows:,} period rows in {elapsed:.1f} s")


async def change_one_percent(url: str, n: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    await conn.execute(
        "UPDATE grading.period_totals SET total_assets_fen_sum = total_assets_fen_sum * 30, "
        "cash_fen_sum = cash_fen_sum * 30 WHERE period IN (20270, 20271) AND customer_no % 100 = 7"
    )
    await conn.close()


async def timed_runs(admin: str, n: int) -> None:
    import logging

    from sqlalchemy.ext.asyncio import create_async_engine

    from services.grading.service.library import RuleLibrary
    from services.grading.service.runs import RunManager, get_run

    # The run's own log line has the seconds of each phase.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("   %(fields)s"))
    runs_log = logging.getLogger("services.grading.service.runs")
    runs_log.addHandler(handler)
    runs_log.setLevel(logging.INFO)
    url = service_url(admin, "grading", DATABASE)
    engine = create_async_engine(url, pool_size=4)
    library = RuleLibrary(engine)
    await library.load()
    manager = RunManager(engine, library)

    async def timed(label: str, as_of: date) -> None:
        async with engine.connect() as conn:
            from sqlalchemy import text

            before = await conn.scalar(text("SELECT count(*) FROM grading.outbox"))
        started = time.perf_counter()
        run_id = await manager.start(as_of)
        await manager.wait(run_id)
        seconds = time.perf_counter() - started
        run = await get_run(engine, run_id)
        async with engine.connect() as conn:
            from sqlalchemy import text

            events = (
                await conn.scalar(text("SELECT count(*) FROM grading.outbox WHERE id > 0")) - before
            )
            history = await conn.scalar(
                text("SELECT count(*) FROM grading.grade_history WHERE run_id = :r"), {"r": run_id}
            )
        c = run["counts"]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{label}: {run['state']} in {seconds:.2f} s, {n / seconds:,.0f} customers/s; "
            f"changed {c.get('changed', 0):,}, history rows {history:,}, "
            f"events {events:,} (GradesChanged of up to 10,000); peak RSS {peak:,.0f} MiB"
        )
        if run["state"] != "SUCCEEDED":
            print(run["error"])

    await timed("1. annual run 2027-01-05, all customers new", date(2027, 1, 5))
    await timed("2. the same run again, nothing changed    ", date(2027, 1, 5))
    await change_one_percent(url.replace("postgresql+asyncpg", "postgresql"), n)
    await timed("3. quarterly run 2027-04-01 after 1% of totals changed", date(2027, 4, 1))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    admin = database_url()
    if args.load:
        asyncio.run(drop_database(admin, DATABASE))
        asyncio.run(bootstrap(admin, DATABASE))
        upgrade("grading", service_url(admin, "grading", DATABASE))
        asyncio.run(load(admin, args.customers))
        return
    subprocess.run(
        [sys.executable, __file__, "--load", "--customers", str(args.customers)], check=True
    )
    try:
        asyncio.run(timed_runs(admin, args.customers))
    finally:
        if not args.keep:
            asyncio.run(drop_database(admin, DATABASE))
    _ = admin_url


if __name__ == "__main__":
    main()
