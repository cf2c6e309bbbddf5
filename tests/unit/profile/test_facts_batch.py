"""check_batch: which rows of a batch are refused, and why."""

import numpy as np
import pytest

from services.profile.domain.facts import ASSET_PARTS, VALUE_COLUMNS, check_batch


def _values(n: int) -> dict[str, list[int]]:
    values = {c: [1] * n for c in VALUE_COLUMNS}
    values["total_assets_fen"] = [len(ASSET_PARTS)] * n
    return values


@pytest.mark.parametrize(
    "customer_id",
    [
        "",
        "-starts-with-a-dash",
        "has space",
        "客户1",
        "a\x00b",
        "ab\x00",
        "tab\t",
        "a" * 65,
        "x" * 100_000,
    ],
)
def test_an_id_that_is_no_customer_id_is_refused_and_the_rest_pass(customer_id):
    ids = ["C1", customer_id, "C3"]
    batch, rejections = check_batch(ids, ["2026-01-05"] * 3, _values(3))
    assert [(r.row, r.field) for r in rejections] == [(1, "customer_id")]
    assert "is not a customer id" in rejections[0].reason
    assert batch.rows.tolist() == [0, 2]
    assert batch.customer_id.tolist() == ["C1", "C3"]
    assert batch.customer_id_bytes.tolist() == [b"C1", b"C3"]


@pytest.mark.parametrize("customer_id", ["a", "9", "a" * 64, "Ab9_.-z", "0-0"])
def test_ids_of_letters_digits_and_underscore_dot_dash_pass(customer_id):
    batch, rejections = check_batch([customer_id, "C2"], ["2026-01-05"] * 2, _values(2))
    assert rejections == []
    assert batch.customer_id_bytes.tolist() == [customer_id.encode(), b"C2"]


def test_a_bad_day_is_refused_with_the_text_given():
    batch, rejections = check_batch(
        ["C1", "C2", "C3"], ["2026-01-05", "2026-02-30", "5 Jan 2026"], _values(3)
    )
    assert [(r.row, r.field) for r in rejections] == [(1, "day"), (2, "day")]
    assert "'2026-02-30' is not a date" in rejections[0].reason
    assert batch.day.tolist() == [int(np.datetime64("2026-01-05", "D").astype(np.int64))]


def test_a_customer_day_twice_keeps_the_first_and_refuses_the_second():
    ids = ["C1", "C1", "C2", "C1"]
    days = ["2026-01-05", "2026-01-06", "2026-01-05", "2026-01-05"]
    batch, rejections = check_batch(ids, days, _values(4))
    assert [(r.row, r.field) for r in rejections] == [(3, "day")]
    assert batch.rows.tolist() == [0, 1, 2]


def test_a_clean_batch_keeps_every_row_in_order():
    ids = [f"C{i}" for i in range(500)]
    batch, rejections = check_batch(ids, ["2026-01-05"] * 500, _values(500))
    assert rejections == []
    assert batch.customer_id.tolist() == ids
    assert batch.customer_id_bytes.tolist() == [i.encode() for i in ids]
    assert len(batch) == 500
