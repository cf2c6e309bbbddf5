"""Binary COPY encoding and decoding of numpy columns (mesh/pgcopy.py)."""

import asyncio

import numpy as np

from mesh import pgcopy


def test_round_trip_with_null_dates_in_several_blocks():
    n = 10
    days = np.array(["2026-01-05", "NaT"] * 5, dtype="datetime64[D]")
    columns = [
        ("customer_no", "int8", np.arange(n, dtype=np.int64)),
        ("day", "date", days),
        ("share", "float8", np.linspace(0, 1, n)),
        ("code", "int2", np.arange(n, dtype=np.int16) - 1),
    ]
    full = pgcopy.row_dtype([(c, t) for c, t, _ in columns]).itemsize
    data = b"".join(pgcopy.encode_blocks(columns, block_bytes=4 * full))
    assert data.startswith(pgcopy.HEADER) and data.endswith(pgcopy.TRAILER)
    # A NULL is a length of -1 with no value: the NULL rows are 4 bytes shorter.
    assert len(data) == len(pgcopy.HEADER) + 2 + n * full - 5 * 4


def test_row_sink_reassembles_rows_split_across_chunks():
    wire = [("customer_no", "int8"), ("day", "date"), ("amount", "int8")]
    rows = np.zeros(3, dtype=pgcopy.row_dtype(wire))
    rows["_count"] = 3
    for name, t in wire:
        rows[f"_len_{name}"] = np.dtype(pgcopy.WIRE[t]).itemsize
    rows["customer_no"] = [1, 2, 3]
    rows["day"] = [9500, -(2**31), 0]  # a day, -infinity (NULL coalesced), 2000-01-01
    rows["amount"] = [10, 20, 30]
    data = pgcopy.HEADER + rows.tobytes() + pgcopy.TRAILER
    got: list[np.ndarray] = []
    sink = pgcopy.RowSink(wire, got.append)
    for start in range(0, len(data), 7):  # awkward chunk sizes
        asyncio.run(sink(data[start : start + 7]))
    sink.finish()
    out = np.concatenate(got)
    assert out["customer_no"].tolist() == [1, 2, 3]
    assert out["amount"].tolist() == [10, 20, 30]
    dates = pgcopy.to_dates(out["day"])
    assert dates[0] == np.datetime64("2026-01-04")
    assert np.isnat(dates[1])
    assert dates[2] == np.datetime64("2000-01-01")


def test_text_columns_of_several_lengths_keep_every_row_once():
    ids = np.array([b"C1", b"C22", b"C1", b"C4444", b"C22"], dtype="S")
    amounts = np.arange(5, dtype=np.int64)
    data = b"".join(pgcopy.encode_blocks([("id", "text", ids), ("amount", "int8", amounts)]))
    body = data[len(pgcopy.HEADER) : -len(pgcopy.TRAILER)]
    seen, at = [], 0
    while at < len(body):
        assert int.from_bytes(body[at : at + 2], "big") == 2
        width = int.from_bytes(body[at + 2 : at + 6], "big")
        text = body[at + 6 : at + 6 + width]
        amount = int.from_bytes(body[at + 10 + width : at + 18 + width], "big")
        seen.append((text, amount))
        at += 18 + width
    assert sorted(seen) == sorted(zip(ids.tolist(), amounts.tolist(), strict=True))
