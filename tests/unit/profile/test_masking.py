"""PII masking (total) and validation (PRC resident ID, mainland mobile)."""

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.profile.domain.errors import InvalidField
from services.profile.domain.masking import (
    id_check_char,
    mask_id_number,
    mask_phone,
    validate_id_number,
    validate_phone,
)

# --- masking --------------------------------------------------------------------------------


def test_spec_examples():
    assert mask_id_number("110101199001011234") == "110***********1234"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", ""),
        ("1", "*"),
        ("12", "**"),
        ("12345", "****5"),
        ("1234567", "1****67"),
        ("12345678", "12****78"),
        ("1234567890", "123****890"),
        ("11010519491231002X", "110***********002X"),
        ("  13812345678 ", "138****5678"),
    ],
)
def test_odd_lengths_are_masked_sensibly(value, masked):
    assert mask_id_number(value) == masked
    assert mask_phone(value) == masked


def test_masking_never_raises_on_none():
    assert mask_phone(None) == ""  # type: ignore[arg-type]
    assert mask_id_number(None) == ""  # type: ignore[arg-type]


@given(st.text())
def test_masking_is_total_and_hides_something(value):
    for mask in (mask_id_number, mask_phone):
        masked = mask(value)
        stripped = value.strip()
        assert len(masked) == len(stripped)
        if stripped and set(stripped) != {"*"}:
            assert masked != stripped
            assert masked.count("*") >= min(4, len(stripped))


@given(st.text(alphabet="0123456789X", min_size=11, max_size=30))
def test_long_values_keep_first_three_and_last_four(value):
    masked = mask_id_number(value)
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:]
    assert masked[3:-4] == "*" * (len(value) - 7)


# --- resident ID ----------------------------------------------------------------------------


@st.composite
def id_numbers(draw):
    region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 21)))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + id_check_char(first17)


def test_known_valid_numbers():
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_id_number(" 110101199001011237 ") == "110101199001011237"


@given(id_numbers())
def test_generated_numbers_validate(number):
    assert validate_id_number(number) == number


@given(id_numbers(), st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(number, position, delta):
    wrong = str((int(number[position]) + delta) % 10)
    changed = number[:position] + wrong + number[position + 1 :]
    with pytest.raises(InvalidField) as err:
        validate_id_number(changed)
    assert err.value.field == "id_number"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "110101199001011",  # 15-digit first-generation number
        "1101011990010112377",
        "11010119900101123A",
        "X10101199001011237",
        "110101199002301234",  # 30 February
        "110101199013011234",  # month 13
        "１１０１０１１９９００１０１１２３７",  # full-width digits
        "110101199001011234",  # wrong check digit (7 expected)
    ],
)
def test_invalid_id_numbers(value):
    with pytest.raises(InvalidField) as err:
        validate_id_number(value)
    assert err.value.field == "id_number"
    assert value[6:14] not in err.value.message or not value  # never echoes PII


# --- phone ----------------------------------------------------------------------------------


@given(st.from_regex(r"1[0-9]{10}", fullmatch=True))
def test_mainland_mobiles_validate(phone):
    assume(phone.isascii())
    assert validate_phone(phone) == phone


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1381234567",
        "138123456789",
        "23812345678",
        "+8613812345678",
        "138 1234 5678",
        "138-1234-5678",
        "１３８１２３４５６７８",
        "1381234567a",
    ],
)
def test_invalid_phones(value):
    with pytest.raises(InvalidField) as err:
        validate_phone(value)
    assert err.value.field == "phone"
    assert str(err.value).startswith("phone: ")
