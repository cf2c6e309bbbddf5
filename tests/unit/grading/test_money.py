from hypothesis import given
from hypothesis import strategies as st

from services.grading.domain.money import cny, format_fen


def test_whole_yuan_has_no_fen_part():
    assert format_fen(612_000_000) == "6,120,000 CNY"


def test_fen_shown_when_non_zero():
    assert format_fen(612_000_050) == "6,120,000.50 CNY"
    assert format_fen(5) == "0.05 CNY"


def test_zero_and_negative():
    assert format_fen(0) == "0 CNY"
    assert format_fen(-123_456) == "-1,234.56 CNY"


def test_cny_helper():
    assert cny(5_000_000) == 500_000_000


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_round_trip(fen):
    text = format_fen(fen).removesuffix(" CNY").replace(",", "")
    yuan, _, cents = text.partition(".")
    sign = -1 if yuan.startswith("-") else 1
    back = int(yuan) * 100 + sign * int(cents or 0)
    assert back == fen
