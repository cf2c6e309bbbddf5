"""PII masking and validation: PRC resident ID numbers and mainland mobile numbers.

PII is stored whole and shown masked to everyone but compliance (DOMAIN.md section 1).
Masking is total: it never raises, whatever it is given, because it runs on display paths
over data that may predate validation. Validation rejects with InvalidField.
"""

import re
from datetime import date

from services.profile.domain.errors import InvalidField

# GB 11643-1999: the 18th character is an ISO 7064 MOD 11-2 check over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE_PATTERN = re.compile(r"1[0-9]{10}")
_KEEP_HEAD, _KEEP_TAIL = 3, 4
_MIN_HIDDEN = 4


def _mask(value: str, head: int = _KEEP_HEAD, tail: int = _KEEP_TAIL) -> str:
    """Keep `head` and `tail` characters, one '*' per hidden character.

    At least _MIN_HIDDEN characters are always hidden (as many as a phone number hides), so a
    short or truncated value shows less rather than nearly everything.
    """
    n = len(value)
    hidden = max(n - head - tail, min(_MIN_HIDDEN, n))
    shown = n - hidden
    keep_head = min(head, shown // 2)
    keep_tail = shown - keep_head  # the tail is what people recognise a number by
    return value[:keep_head] + "*" * hidden + value[n - keep_tail :]


def mask_id_number(value: str) -> str:
    """'110101199001011234' -> '110***********1234'."""
    return _mask(str(value or "").strip())


def mask_phone(value: str) -> str:
    """'13812345678' -> '138****5678'."""
    return _mask(str(value or "").strip())


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def validate_id_number(value: str) -> str:
    """Return the normalised (upper-case X) 18-character resident ID number or raise."""
    number = str(value or "").strip().upper()
    if not _ID_PATTERN.fullmatch(number):
        raise InvalidField(
            "id_number",
            f"expected 17 digits then a digit or X (18 characters), got {len(number)} characters",
        )
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        # The message never echoes the value: it is PII and errors reach logs.
        raise InvalidField("id_number", "characters 7-14 are not a valid birth date") from None
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidField("id_number", "check character does not match (ISO 7064 MOD 11-2)")
    return number


def validate_phone(value: str) -> str:
    """Return the 11-digit mainland mobile number or raise.

    Only the bare 11 digits are accepted (no +86, spaces or dashes) so the stored form is
    unambiguous.
    """
    phone = str(value or "").strip()
    if not _MOBILE_PATTERN.fullmatch(phone):
        raise InvalidField(
            "phone",
            f"expected a mainland mobile number: 11 digits starting with 1,"
            f" got {len(phone)} characters",
        )
    return phone
