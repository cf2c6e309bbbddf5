"""The inputs a grade was decided from, packed into one fixed-width field per history row.

Reasons are rendered from these numbers when a grade is read (domain/explain.py), so every
one is kept. They are never queried by SQL, and one packed field instead of thirty-odd
columns makes storing a million grades about twice as fast. The layout is versioned
(grade_history.inputs_format); a new layout gets a new number, old rows keep theirs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FORMAT = 1
LAYOUTS: dict[int, np.dtype] = {
    1: np.dtype(
        [
            ("risk_class", "<i1"),
            ("star_method", "<i1"),
            ("margin_risk", "<i1"),
            ("margin_behaviour", "<i1"),
            ("margin_size", "<i1"),
            ("margin_needs", "<i1"),
            ("status", "<i1"),
            ("assets_year", "<i2"),
            ("risk_score", "<i2"),
            ("active_days", "<i2"),
            ("avg_holding_days", "<i4"),
            ("account_age_days", "<i4"),
            ("star_rank", "<i4"),
            ("star_population", "<i4"),
            ("avg_assets_fen", "<i8"),
            ("net_commission_fen", "<i8"),
            ("cash_fen", "<i8"),
            ("securities_fen", "<i8"),
            ("equity_fund_fen", "<i8"),
            ("fixed_income_fen", "<i8"),
            ("reits_trust_fen", "<i8"),
            ("margin_debt_avg_fen", "<i8"),
            ("total_assets_fen", "<i8"),
            ("margin_debt_fen", "<i8"),
            ("clv_fen", "<i8"),
            ("turnover", "<f8"),
            ("asset_trend", "<f8"),
            ("trade_trend", "<f8"),
            ("product_trend", "<f8"),
            ("net_flow_share", "<f8"),
            ("annual_turnover", "<f8"),
            ("monthly_trades", "<f8"),
        ]
    )
}
SIZE = LAYOUTS[FORMAT].itemsize


def pack(columns: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The chosen rows' inputs as fixed-width byte strings (numpy "S" array)."""
    packed = np.empty(len(rows), dtype=LAYOUTS[FORMAT])
    for name in packed.dtype.names or ():
        packed[name] = columns[name][rows]
    return packed.view(f"S{SIZE}")


class LazyPacked:
    """pack() done block by block as a COPY stream asks for rows, so a million rows' inputs
    are never all packed in memory at once."""

    def __init__(self, columns: dict[str, np.ndarray], rows: np.ndarray) -> None:
        self.columns = columns
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, part: slice | np.ndarray) -> np.ndarray:
        return pack(self.columns, self.rows[part])


def unpack(blob: bytes, layout: int) -> dict[str, Any]:
    dtype = LAYOUTS[layout]
    # "S" arrays drop trailing zero bytes; pad them back.
    row = np.frombuffer(bytes(blob).ljust(dtype.itemsize, b"\0"), dtype=dtype)[0]
    return {name: row[name].item() for name in dtype.names or ()}
