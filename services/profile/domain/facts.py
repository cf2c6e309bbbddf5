"""Daily facts in columns: checking a batch row by row without a Python loop per row.

A batch whose shape is wrong (columns of different lengths) is refused whole; otherwise each
bad row is set aside with the column at fault and the reason, and the good rows go on."""

import re
import string
from dataclasses import dataclass, field

import numpy as np

from mesh.errors import InvalidField

# Money and count columns, in the order of facts.proto's DailyFactsColumns after `day`.
VALUE_COLUMNS = (
    "total_assets_fen",
    "cash_fen",
    "securities_fen",
    "equity_fund_fen",
    "fixed_income_fen",
    "reits_trust_fen",
    "margin_debt_fen",
    "collateral_fen",
    "net_commission_fen",
    "trade_count",
    "average_holding_days",
    "fund_inflow_fen",
    "fund_outflow_fen",
)
# total_assets_fen is the sum of these.
ASSET_PARTS = (
    "cash_fen",
    "securities_fen",
    "equity_fund_fen",
    "fixed_income_fen",
    "reits_trust_fen",
)

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = np.datetime64("1970-01-01", "D")


def _byte_set(chars: str) -> np.ndarray:
    allowed = np.zeros(256, dtype=bool)
    allowed[list(chars.encode())] = True
    return allowed


# A customer id: 1-64 ASCII characters, a letter or digit first, then also "_", "." or "-".
_ID_MAX = 64
_ID_FIRST = _byte_set(string.ascii_letters + string.digits)
_ID_REST = _byte_set(string.ascii_letters + string.digits + "_.-")


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str
    reason: str


@dataclass
class FactsBatch:
    """The rows that passed, as arrays: customer ids, days (days since 1970-01-01), values."""

    rows: np.ndarray  # index of each kept row in the original batch
    customer_id: np.ndarray  # object array of str
    day: np.ndarray  # int32 days since the epoch
    values: dict[str, np.ndarray]  # int64 per VALUE_COLUMNS
    # The ids as a numpy bytes array ("S"; only ASCII ids pass check_batch), as COPY, the
    # roll-up's queue and the quarter deltas take them; made from customer_id when not given.
    customer_id_bytes: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.customer_id_bytes is None:
            self.customer_id_bytes = self.customer_id.astype("S")

    def __len__(self) -> int:
        return len(self.rows)

    def keep(self, mask: np.ndarray) -> "FactsBatch":
        return FactsBatch(
            self.rows[mask],
            self.customer_id[mask],
            self.day[mask],
            {k: v[mask] for k, v in self.values.items()},
            self.customer_id_bytes[mask],
        )


def _parse_day(text: str) -> int | None:
    if not _DAY.fullmatch(text):
        return None
    try:
        return int((np.datetime64(text, "D") - _EPOCH).astype(np.int64))
    except ValueError:
        return None


class _Rejections:
    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.found: list[Rejection] = []

    def add(self, mask: np.ndarray, field: str, reason_of) -> None:  # type: ignore[no-untyped-def]
        fresh = mask & ~self.bad
        for row in np.flatnonzero(fresh):
            self.found.append(Rejection(int(row), field, reason_of(int(row))))
        self.bad |= fresh


def check_batch(
    customer_ids: list[str], days: list[str], values: dict[str, list[int]]
) -> tuple[FactsBatch, list[Rejection]]:
    n = len(customer_ids)
    for column, given in [("day", days), *values.items()]:
        if len(given) != n:
            raise InvalidField(
                f"rows.{column}", f"has {len(given)} entries but customer_id has {n}"
            )
    out = _Rejections(n)
    ids = np.array(customer_ids, dtype=object)
    id_bytes, valid_ids = _check_ids(customer_ids)
    out.add(~valid_ids, "customer_id", lambda r: f"{customer_ids[r]!r} is not a customer id")
    # Batches hold few distinct days: parse each once.
    parsed = {d: -1 if (p := _parse_day(d)) is None else p for d in set(days)}
    day_no = np.array(list(map(parsed.__getitem__, days)), dtype=np.int32).reshape(n)
    out.add(day_no < 0, "day", lambda r: f"{days[r]!r} is not a date in the format YYYY-MM-DD")

    arrays = {k: np.asarray(values[k], dtype=np.int64) for k in VALUE_COLUMNS}
    for column, array in arrays.items():
        out.add(array < 0, column, lambda r, a=array: f"must not be negative, got {a[r]}")
    parts = sum(arrays[k] for k in ASSET_PARTS)
    out.add(
        arrays["total_assets_fen"] != parts,
        "total_assets_fen",
        lambda r: (
            f"{arrays['total_assets_fen'][r]} is not cash + securities + equity fund"
            f" + fixed income + REITs/trust = {parts[r]}"
        ),
    )

    # A (customer, day) twice in one batch: the first stands, later ones are refused. (Ids
    # all distinct, the usual end-of-day batch, settle it without building the pairs.)
    if len(set(customer_ids)) < n and len(set(zip(customer_ids, days, strict=True))) < n:
        key = np.char.add(ids.astype(str), day_no.astype(str))
        _, first = np.unique(key, return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first] = False
        out.add(repeated, "day", lambda r: f"customer {customer_ids[r]} has {days[r]} twice")

    batch = FactsBatch(np.arange(n), ids, day_no, arrays, id_bytes)
    return (batch.keep(~out.bad) if out.found else batch), out.found


def _check_ids(customer_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The ids as a bytes array, and which of them are customer ids: checked as a matrix of
    bytes, not id by id. Ids that cannot be one (too long, not ASCII) become b"" first, so
    they fail too and one long id cannot widen the matrix."""
    lengths = np.fromiter(map(len, customer_ids), np.int64, len(customer_ids))
    id_bytes = _as_bytes(customer_ids) if lengths.max(initial=0) <= _ID_MAX else None
    if id_bytes is None:
        fit = [c if len(c) <= _ID_MAX and c.isascii() else "" for c in customer_ids]
        id_bytes = np.array(fit, dtype="S")
    chars = id_bytes.view(np.uint8).reshape(len(customer_ids), id_bytes.dtype.itemsize)
    # Bytes past an id's length are numpy's padding; a NUL inside an id is not allowed.
    inside = np.arange(chars.shape[1]) < lengths[:, None]
    valid = (lengths > 0) & _ID_FIRST[chars[:, 0]] & (_ID_REST[chars] | ~inside).all(axis=1)
    return id_bytes, valid


def _as_bytes(customer_ids: list[str]) -> np.ndarray | None:
    """None when one of the ids is not ASCII."""
    try:
        return np.array(customer_ids, dtype="S")
    except UnicodeEncodeError:
        return None
