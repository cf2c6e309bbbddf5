"""Daily facts in columns: checking a batch row by row without a Python loop per row.

A batch whose shape is wrong (columns of different lengths) is refused whole; otherwise each
bad row is set aside with the column at fault and the reason, and the good rows go on."""

import re
from dataclasses import dataclass
from functools import cached_property

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

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = np.datetime64("1970-01-01", "D")


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

    def __len__(self) -> int:
        return len(self.rows)

    @cached_property
    def customer_id_bytes(self) -> np.ndarray:
        """The ids as a numpy bytes array ("S"; check_batch lets only ASCII through), as COPY,
        the roll-up's queue and the quarter deltas take them: converted once per batch."""
        return self.customer_id.astype("S")

    def keep(self, mask: np.ndarray) -> "FactsBatch":
        return FactsBatch(
            self.rows[mask],
            self.customer_id[mask],
            self.day[mask],
            {k: v[mask] for k, v in self.values.items()},
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

    valid_ids = {c for c in set(customer_ids) if _ID.fullmatch(c)}
    out.add(
        np.fromiter((c not in valid_ids for c in customer_ids), bool, n),
        "customer_id",
        lambda r: f"{customer_ids[r]!r} is not a customer id",
    )
    # Batches hold few distinct days: parse each once.
    parsed = {d: _parse_day(d) for d in set(days)}
    day_no = np.fromiter((parsed[d] if parsed[d] is not None else -1 for d in days), np.int32, n)
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

    # A (customer, day) twice in one batch: the first stands, later ones are refused.
    if len(set(zip(customer_ids, days, strict=True))) < n:
        key = np.char.add(ids.astype(str), day_no.astype(str))
        _, first = np.unique(key, return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first] = False
        out.add(repeated, "day", lambda r: f"customer {customer_ids[r]} has {days[r]} twice")

    keep = ~out.bad
    batch = FactsBatch(
        np.flatnonzero(keep), ids[keep], day_no[keep], {k: v[keep] for k, v in arrays.items()}
    )
    return batch, out.found
