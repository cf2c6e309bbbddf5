"""A batch of new days as additions to quarter totals: one row per (customer, quarter).

Quarter totals are sums plus the first and last day's figures, so additions commute: folding
a batch's deltas now or later, alone or merged with other batches', gives the same totals.
That is what lets bulk ingest queue days and fold their deltas in later, many days at a time."""

import numpy as np

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
# quarter totals column <- the daily column taken from the quarter's first or last day
FIRST = {"first_total_assets_fen": "total_assets_fen"}
LAST = {
    "last_total_assets_fen": "total_assets_fen",
    "last_margin_debt_fen": "margin_debt_fen",
    "last_collateral_fen": "collateral_fen",
}
EPOCH = np.datetime64("1970-01-01", "D")


def quarter_labels(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 -> b"2026Q1" labels. (Text is slow in numpy: each distinct day,
    of which a batch holds few, is labelled once.)"""
    distinct, position = np.unique(days, return_inverse=True)
    months = (EPOCH + distinct.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
    years = (months // 12 + 1970).astype("S4")
    quarters = (months % 12 // 3 + 1).astype("S1")
    return np.char.add(np.char.add(years, b"Q"), quarters)[position.ravel()]


def iso_days(days: list[int]) -> list[str]:
    """Days since 1970-01-01 -> "YYYY-MM-DD", each distinct day formatted once (numpy's own
    date-to-text conversion costs ~0.5 µs a value; Postgres's, in a query, about as much)."""
    text = {d: str(EPOCH + np.timedelta64(d, "D")) for d in set(days)}
    return list(map(text.__getitem__, days))


def quarter_deltas(batch: FactsBatch) -> dict[str, np.ndarray]:
    """Every day in the batch counted as new, one row per (customer, quarter): customer ids
    and periods as bytes, first_day and last_day as datetime64[D], the rest int64."""
    return merge(
        {
            "customer_id": batch.customer_id_bytes,
            "period": quarter_labels(batch.day),
            "days": np.ones(len(batch), dtype=np.int64),
            **{t: batch.values[d] for t, d in SUMS.items()},
            "first_day": EPOCH + batch.day.astype("timedelta64[D]"),
            "last_day": EPOCH + batch.day.astype("timedelta64[D]"),
            **{t: batch.values[d] for t, d in FIRST.items()},
            **{t: batch.values[d] for t, d in LAST.items()},
        }
    )


def queued_deltas(queued: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The merged deltas of queued batches, each given as columns: a batch's days as bulk
    ingest queues them (customer_id as bytes, day, the value columns), or a batch's deltas
    (with a period column), as versions before this one queued them. The days of all batches
    become deltas together, so a customer's days in several batches merge in one pass."""
    parts = [q for q in queued if "period" in q]
    days = [q for q in queued if "period" not in q]
    if days:
        c = {name: np.concatenate([q[name] for q in days]) for name in days[0]}
        values = {name: c[name] for name in VALUE_COLUMNS}
        parts.append(
            quarter_deltas(FactsBatch(np.arange(len(c["day"])), c["customer_id"], c["day"], values))
        )
    if len(parts) == 1:
        return parts[0]
    return merge({name: np.concatenate([p[name] for p in parts]) for name in parts[0]})


def merge(deltas: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Deltas with the same (customer, quarter) added into one. They must be of distinct days
    (as new days are), so each group has one earliest first day and one latest last day."""
    order = np.lexsort((deltas["period"], deltas["customer_id"]))
    d = {c: v[order] for c, v in deltas.items()}
    ids, periods = d["customer_id"], d["period"]
    n = len(ids)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (ids[1:] != ids[:-1]) | (periods[1:] != periods[:-1])
    starts = np.flatnonzero(new_group)
    sizes = np.diff(np.r_[starts, n])
    merged = {"customer_id": ids[starts], "period": periods[starts]}
    for column in ("days", *SUMS):
        merged[column] = np.add.reduceat(d[column], starts)
    merged["first_day"] = np.minimum.reduceat(d["first_day"], starts)
    merged["last_day"] = np.maximum.reduceat(d["last_day"], starts)
    firsts = np.flatnonzero(d["first_day"] == np.repeat(merged["first_day"], sizes))
    lasts = np.flatnonzero(d["last_day"] == np.repeat(merged["last_day"], sizes))
    merged.update({t: d[t][firsts] for t in FIRST})
    merged.update({t: d[t][lasts] for t in LAST})
    return merged


def created_totals(deltas: dict[str, np.ndarray], existed: set[tuple[str, str]]) -> dict[str, list]:
    """The totals rows that adding merged deltas created, as DailyFactsRecorded's columns: a
    created row is its delta as it was, at version 1. `existed` holds the (customer id,
    period) of the rows that were there before, which are left out."""
    if len(existed) == len(deltas["customer_id"]):
        return {"customer_id": []}
    ids = deltas["customer_id"].astype(str).tolist()
    periods = deltas["period"].astype(str).tolist()
    rows: slice | np.ndarray = slice(None)
    if existed:
        keys = zip(ids, periods, strict=True)
        rows = np.flatnonzero(np.fromiter((k not in existed for k in keys), bool, len(ids)))
        ids, periods = [ids[i] for i in rows], [periods[i] for i in rows]
    days = {
        d: (deltas[d][rows] - EPOCH).astype(np.int64).tolist() for d in ("first_day", "last_day")
    }
    return {
        "customer_id": ids,
        "period": periods,
        "customer_version": [1] * len(ids),
        **{c: deltas[c][rows].tolist() for c in ("days", *SUMS, *FIRST, *LAST)},
        **{d: iso_days(numbers) for d, numbers in days.items()},
    }
