"""Identifier builders for the demo generator: PRC ID numbers, unified social credit codes,
mobile numbers and customer ids, vectorised over numpy arrays.

Check characters follow the national standards:
- resident ID number (GB 11643-1999): ISO 7064 MOD 11-2 over the first 17 digits;
- organisation code (GB 11714-1997): weights 3,7,9,10,5,8,4,2, check 11 - sum mod 11;
- unified social credit code (GB 32100-2015): 31-character alphabet, weights 3^i mod 31.
"""

from __future__ import annotations

import numpy as np

PRC_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
PRC_ID_CHECK = "10X98765432"

ORG_CODE_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)

_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_PRC_CHECK_BYTES = np.frombuffer(PRC_ID_CHECK.encode(), dtype=np.uint8)
_USCC_BYTES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


# ---------------------------------------------------------------------------- scalar checks


def prc_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character of an 18-character resident ID number."""
    total = sum(int(c) * int(w) for c, w in zip(first17, PRC_ID_WEIGHTS, strict=True))
    return PRC_ID_CHECK[total % 11]


def is_valid_prc_id(number: str) -> bool:
    return (
        len(number) == 18 and number[:17].isdigit() and prc_id_check_char(number[:17]) == number[17]
    )


def is_valid_uscc(code: str) -> bool:
    """Check both the embedded organisation code and the overall check character."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    org = code[8:17]
    org_sum = sum(int(c, 36) * int(w) for c, w in zip(org[:8], ORG_CODE_WEIGHTS, strict=True))
    org_check = 11 - org_sum % 11
    expected_org = {10: "X", 11: "0"}.get(org_check, str(org_check))
    if org[8] != expected_org:
        return False
    total = sum(
        USCC_ALPHABET.index(c) * int(w) for c, w in zip(code[:17], USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


# ------------------------------------------------------------------------- permutations


def _mix(x: np.ndarray, key: int) -> np.ndarray:
    """A 64-bit avalanche hash of x (uint64 arithmetic wraps, which is what we want)."""
    h = x.astype(np.uint64) * _GOLDEN + np.uint64(key & 0xFFFF_FFFF_FFFF_FFFF)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return h


def permute_1e8(x: np.ndarray, key: int) -> np.ndarray:
    """A keyed bijection of [0, 10**8): a 4-round Feistel network on two 4-digit halves.

    Distinct customer indexes therefore get distinct (but random-looking) 8-digit numbers.
    """
    left, right = np.divmod(np.asarray(x, dtype=np.int64), 10_000)
    for r in range(4):
        f = (_mix(right, key * 4 + r) % np.uint64(10_000)).astype(np.int64)
        left, right = right, (left + f) % 10_000
    return left * 10_000 + right


def affine_permutation(x: np.ndarray, modulus: int, key: int) -> np.ndarray:
    """A keyed bijection of [0, modulus): x -> (a*x + c) mod modulus with gcd(a, modulus) = 1."""
    for a in (1_299_709, 104_729, 15_485_863, 7_919, 1):
        if np.gcd(a, modulus) == 1:
            break
    c = key % modulus
    return (np.asarray(x, dtype=np.int64) % modulus * a + c) % modulus


# ----------------------------------------------------------------------- string building


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of the decimal digits of non-negative integers, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10


def _to_str(ascii_matrix: np.ndarray) -> np.ndarray:
    """(n, w) uint8 ASCII matrix -> numpy unicode array of n strings of width w."""
    m = np.ascontiguousarray(ascii_matrix, dtype=np.uint8)
    width = m.shape[1]
    return m.view(f"S{width}").ravel().astype(f"U{width}")


def customer_ids(indexes: np.ndarray) -> np.ndarray:
    """Customer index i -> "C%08d" % (i + 1)."""
    n = len(indexes)
    m = np.empty((n, 9), dtype=np.uint8)
    m[:, 0] = ord("C")
    m[:, 1:] = _DIGITS[_digits(np.asarray(indexes, dtype=np.int64) + 1, 8)]
    return _to_str(m)


def mobile_numbers(prefixes: np.ndarray, suffixes: np.ndarray) -> np.ndarray:
    """3-digit prefix (130..189) and 8-digit suffix -> 11-digit mobile numbers."""
    return _to_str(_DIGITS[_digits(prefixes * 100_000_000 + suffixes, 11)])


def prc_id_numbers(
    areas: np.ndarray,
    years: np.ndarray,
    months: np.ndarray,
    days: np.ndarray,
    sequences: np.ndarray,
) -> np.ndarray:
    """18-character resident ID numbers with a correct MOD 11-2 check character."""
    body = np.concatenate(
        [
            _digits(areas, 6),
            _digits(years, 4),
            _digits(months, 2),
            _digits(days, 2),
            _digits(sequences, 3),
        ],
        axis=1,
    )
    check = (body @ PRC_ID_WEIGHTS) % 11
    m = np.empty((len(areas), 18), dtype=np.uint8)
    m[:, :17] = _DIGITS[body]
    m[:, 17] = _PRC_CHECK_BYTES[check]
    return _to_str(m)


def uscc_codes(areas: np.ndarray, org_bodies: np.ndarray) -> np.ndarray:
    """Unified social credit codes "91" + area + 8-digit organisation code body + both checks.

    "9" is the market-regulation registration authority, "1" the enterprise category.
    """
    n = len(areas)
    org = _digits(org_bodies, 8)
    org_check = 11 - (org @ ORG_CODE_WEIGHTS) % 11  # 1..11
    org_check_val = np.where(org_check == 11, 0, org_check)  # 10 stays 10 -> "X" below
    values = np.empty((n, 17), dtype=np.int64)
    values[:, 0] = 9
    values[:, 1] = 1
    values[:, 2:8] = _digits(areas, 6)
    values[:, 8:16] = org
    # "X" has value 28 in the USCC alphabet.
    values[:, 16] = np.where(org_check_val == 10, USCC_ALPHABET.index("X"), org_check_val)
    check = (31 - (values @ USCC_WEIGHTS) % 31) % 31
    m = np.empty((n, 18), dtype=np.uint8)
    m[:, :17] = _USCC_BYTES[values]
    m[:, 17] = _USCC_BYTES[check]
    return _to_str(m)
