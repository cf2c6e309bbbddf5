"""Quarter deltas of a batch of new days, and merging queued deltas (domain/quarter_deltas.py)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.profile.domain.facts import VALUE_COLUMNS, FactsBatch
from services.profile.domain.quarter_deltas import (
    iso_days,
    merge,
    quarter_deltas,
    quarter_labels,
    queued_deltas,
)

EPOCH = np.datetime64("1970-01-01", "D")
# (customer, day offset, total assets) rows of new days: one row per customer and day.
NEW_DAYS = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 200), st.integers(0, 10**9)),
    min_size=1,
    max_size=60,
    unique_by=lambda r: (r[0], r[1]),
)


def _day(text: str) -> int:
    return int((np.datetime64(text, "D") - EPOCH).astype(np.int64))


def _batch(rows: list[tuple[str, str, int]]) -> FactsBatch:
    """rows of (customer id, day, total assets); every other value 1."""
    n = len(rows)
    values = {c: np.ones(n, dtype=np.int64) for c in VALUE_COLUMNS}
    values["total_assets_fen"] = np.array([t for _, _, t in rows], dtype=np.int64)
    return FactsBatch(
        np.arange(n),
        np.array([c for c, _, _ in rows], dtype=object),
        np.array([_day(d) for _, d, _ in rows], dtype=np.int32),
        values,
    )


def test_iso_days_writes_each_day_as_yyyy_mm_dd_in_the_order_given():
    days = [_day(d) for d in ("2026-03-31", "1999-12-31", "2026-03-31", "2028-02-29")]
    assert iso_days(days) == ["2026-03-31", "1999-12-31", "2026-03-31", "2028-02-29"]
    assert iso_days([]) == []


def test_quarter_labels_change_on_the_first_day_of_a_quarter():
    days = np.array([_day(d) for d in ("2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01")])
    assert quarter_labels(days).tolist() == [b"2025Q4", b"2026Q1", b"2026Q1", b"2026Q2"]


def test_a_batch_becomes_one_delta_per_customer_and_quarter():
    deltas = quarter_deltas(
        _batch([("B", "2026-02-03", 30), ("A", "2026-01-05", 10), ("B", "2026-01-02", 20),
                ("B", "2026-04-01", 40)])
    )  # fmt: skip
    got = list(zip(deltas["customer_id"].tolist(), deltas["period"].tolist(),
                   deltas["days"].tolist(), deltas["total_assets_fen_sum"].tolist(),
                   deltas["first_total_assets_fen"].tolist(),
                   deltas["last_total_assets_fen"].tolist(), strict=True))  # fmt: skip
    assert got == [
        (b"A", b"2026Q1", 1, 10, 10, 10),
        (b"B", b"2026Q1", 2, 50, 20, 30),
        (b"B", b"2026Q2", 1, 40, 40, 40),
    ]


@settings(max_examples=60, deadline=None)
@given(
    NEW_DAYS,
    st.integers(1, 5),
)
def test_merging_batches_in_any_split_equals_one_batch(rows, parts):
    """Deltas folded later, batch by batch, must give what one batch of all days gives."""
    as_rows = [(c, str(np.datetime64("2026-01-01") + d), t) for c, d, t in rows]
    whole = quarter_deltas(_batch(as_rows))
    pieces = [quarter_deltas(_batch(as_rows[i::parts])) for i in range(parts) if as_rows[i::parts]]
    merged = merge({c: np.concatenate([p[c] for p in pieces]) for c in whole})
    for column, values in whole.items():
        assert merged[column].tolist() == values.tolist(), column


def _queued_days(batch: FactsBatch) -> dict[str, np.ndarray]:
    """A batch's days as bulk ingest queues them."""
    return {"customer_id": batch.customer_id.astype("S"), "day": batch.day, **batch.values}


@settings(max_examples=60, deadline=None)
@given(
    NEW_DAYS,
    st.integers(1, 5),
    st.booleans(),
)
def test_queued_batches_fold_to_the_deltas_of_all_their_days(rows, parts, one_queued_as_deltas):
    """However the days were split into queued batches, and with one batch queued as deltas
    (as versions before queued them), the roll-up gets the deltas of all the days at once."""
    as_rows = [(c, str(np.datetime64("2026-01-01") + d), t) for c, d, t in rows]
    whole = quarter_deltas(_batch(as_rows))
    batches = [_batch(as_rows[i::parts]) for i in range(parts) if as_rows[i::parts]]
    queued = [_queued_days(b) for b in batches]
    if one_queued_as_deltas:
        queued[0] = quarter_deltas(batches[0])
    folded = queued_deltas(queued)
    for column, values in whole.items():
        assert folded[column].tolist() == values.tolist(), column
