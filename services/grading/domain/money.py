"""Money as integer fen (1 CNY = 100 fen) and its display in reasons."""

from __future__ import annotations

FEN_PER_CNY = 100


def format_fen(fen: int) -> str:
    """Yuan with thousands separators; fen shown only when non-zero.

    6_120_000_00 -> "6,120,000 CNY"; 6_120_000_50 -> "6,120,000.50 CNY".
    """
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), FEN_PER_CNY)
    cents = f".{rest:02d}" if rest else ""
    return f"{sign}{yuan:,}{cents} CNY"


def cny(yuan: int) -> int:
    """Whole yuan to fen, for readable thresholds in tests and callers."""
    return int(yuan) * FEN_PER_CNY
