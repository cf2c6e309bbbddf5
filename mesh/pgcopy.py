"""Postgres binary COPY to and from numpy columns, without a Python object per row.

A binary COPY row is a 16-bit field count, then per field a 32-bit length (-1 = NULL) and
the value, all big-endian. With fixed-width fields every row has the same layout, so a numpy
structured dtype reads or writes many rows at once. Both directions stream in blocks of a
few megabytes: a million-row table never sits in memory as one more copy of itself.
Writing supports NULL dates: each block is split by NULL pattern (a few at most), and each
pattern is fixed-width again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH = np.datetime64("2000-01-01", "D")
NAT = np.datetime64("NaT", "D")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
BLOCK_BYTES = 4 << 20

# Postgres type -> big-endian wire dtype ("bytea:N": fixed-width N bytes).
WIRE = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "date": ">i4",
    "bool": "?",
}


def _wire(pg_type: str) -> str:
    if pg_type.startswith("bytea:"):
        return f"S{int(pg_type[6:])}"
    return WIRE[pg_type]


def row_dtype(columns: Sequence[tuple[str, str]], nulls: frozenset[str] = frozenset()) -> np.dtype:
    parts: list[tuple[str, str]] = [("_count", ">i2")]
    for name, pg_type in columns:
        if name in nulls:
            parts.append((f"_null_{name}", ">i4"))
        else:
            parts += [(f"_len_{name}", ">i4"), (name, _wire(pg_type))]
    return np.dtype(parts)


def to_dates(days: np.ndarray) -> np.ndarray:
    """Postgres day numbers -> datetime64[D]; +-infinity (COALESCE NULLs to it) -> NaT."""
    days = days.astype(np.int64)
    dates = PG_EPOCH + days.astype("timedelta64[D]")
    return np.where((days == _INT32_MIN) | (days == _INT32_MAX), NAT, dates)


class RowSink:
    """The `output` of asyncpg's copy_from_query(format='binary'): gathers the small chunks
    the socket delivers, and every few megabytes hands the complete rows so far to `on_rows`
    as a structured array (a read-only view on bytes of its own: keep it as it is). Fields
    must be NOT NULL and fixed-width."""

    def __init__(
        self, columns: Sequence[tuple[str, str]], on_rows: Callable[[np.ndarray], None]
    ) -> None:
        self.dtype = row_dtype(columns)
        self.on_rows = on_rows
        self.chunks: list[bytes] = []
        self.pending = 0
        self.skip = len(HEADER)

    async def __call__(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.pending += len(chunk)
        if self.pending >= BLOCK_BYTES:
            self._drain(final=False)

    def _drain(self, final: bool) -> None:
        data = b"".join(self.chunks)
        end = len(data) - len(TRAILER) if final and len(data) >= len(TRAILER) else len(data)
        size = self.dtype.itemsize
        count = max(end - self.skip, 0) // size
        if count:
            self.on_rows(np.frombuffer(data, dtype=self.dtype, count=count, offset=self.skip))
        rest = data[self.skip + count * size : end]
        if final and rest:
            raise ValueError("COPY data is not fixed-width: a NULL or variable-width field?")
        self.chunks = [rest] if rest else []
        self.pending = len(rest)
        self.skip = 0

    def finish(self) -> None:
        self._drain(final=True)


def _block(
    columns: Sequence[tuple[str, str, np.ndarray]],
    rows: slice | np.ndarray,
    text_widths: dict[str, int],
) -> bytes:
    nulls = frozenset(
        name
        for name, pg_type, values in columns
        if pg_type == "date" and np.isnat(values[rows][:1]).all()
    )
    wire_types = [(n, f"bytea:{text_widths[n]}" if t == "text" else t) for n, t, _ in columns]
    block = np.empty(len(columns[0][2][rows]), dtype=row_dtype(wire_types, nulls))
    block["_count"] = len(columns)
    for (name, wire_type), (_, pg_type, values) in zip(wire_types, columns, strict=True):
        if name in nulls:
            block[f"_null_{name}"] = -1
            continue
        block[f"_len_{name}"] = np.dtype(_wire(wire_type)).itemsize
        picked = values[rows]
        if pg_type == "date":
            picked = (picked - PG_EPOCH).astype(np.int64)
        block[name] = picked
    return block.tobytes()


def encode_blocks(
    columns: Sequence[tuple[str, str, np.ndarray]], block_bytes: int = 1 << 20
) -> Iterator[bytes]:
    """A binary COPY stream of (name, pg type, values) columns, block by block; NaT dates
    are NULL. "text" columns are numpy bytes arrays ("S"): a block is split by their
    lengths (an id column has one length or a few), so each part is fixed-width again.
    A block costs a fixed few tens of microseconds (its dtype, a socket write): an ingest
    batch of 2,000 days fits in one (0.40 µs a row to encode, against 0.54-0.67 in 64 KiB
    blocks), and a block is still small beside the rows it encodes."""
    yield HEADER
    n = len(columns[0][2])
    date_columns = [values for _, pg_type, values in columns if pg_type == "date"]
    text_columns = [(name, values) for name, pg_type, values in columns if pg_type == "text"]
    widest = {name: values.dtype.itemsize for name, values in text_columns}
    row_bytes = row_dtype(
        [(n_, f"bytea:{widest[n_]}" if t == "text" else t) for n_, t, _ in columns]
    ).itemsize
    block_rows = max(1, block_bytes // row_bytes)
    for start in range(0, n, block_rows):
        part = slice(start, min(start + block_rows, n))
        nulls = np.zeros(part.stop - part.start, dtype=np.int64)
        for bit, values in enumerate(date_columns):
            nulls |= np.isnat(values[part]).astype(np.int64) << bit
        lengths = [np.char.str_len(v[part]) for _, v in text_columns]
        if not nulls.any() and all(len(w) == 0 or w.min() == w.max() for w in lengths):
            widths = {
                name: int(w[0])
                for (name, _), w in zip(text_columns, lengths, strict=True)
                if len(w)
            }
            yield _block(columns, part, widths)
            continue
        keys, which = np.unique(np.stack([nulls, *lengths], 1), axis=0, return_inverse=True)
        for k, key in enumerate(keys):
            rows = start + np.flatnonzero(which.ravel() == k)
            widths = {name: int(w) for (name, _), w in zip(text_columns, key[1:], strict=True)}
            yield _block(columns, rows, widths)
    yield TRAILER


def encode(columns: Sequence[tuple[str, str, np.ndarray]]) -> bytes:
    return b"".join(encode_blocks(columns))


async def stream(blocks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """asyncpg's copy_to_table takes an async iterable source."""
    for block in blocks:
        yield block
