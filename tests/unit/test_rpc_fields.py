"""Request fields are checked at the edge and rejected with the field's name."""

from datetime import date

import pytest

from clienttier.common.v1 import common_pb2
from clienttier.profile.v1 import profile_pb2
from mesh.errors import InvalidField
from mesh.rpc import enum_member, money_fen, parse_date, required_id


@pytest.mark.parametrize("bad", ["2026-13-01", "2026/01/01", "20260101", "2026-02-30", "x"])
def test_a_malformed_date_names_the_field(bad):
    with pytest.raises(InvalidField) as caught:
        parse_date(bad, "facts.day")
    assert caught.value.field == "facts.day"


def test_a_good_date_parses():
    assert parse_date("2024-02-29", "day") == date(2024, 2, 29)


def test_an_optional_empty_date_is_none_and_a_required_one_is_rejected():
    assert parse_date("", "birth_date", required=False) is None
    with pytest.raises(InvalidField, match="birth_date: is required"):
        parse_date("", "birth_date")


@pytest.mark.parametrize("bad", ["", " ", "a b", "x" * 65, "../etc"])
def test_ids_must_be_plain(bad):
    with pytest.raises(InvalidField) as caught:
        required_id(bad, "customer_id")
    assert caught.value.field == "customer_id"


def test_negative_money_is_rejected_unless_allowed():
    with pytest.raises(InvalidField, match="total_assets: must not be negative"):
        money_fen(common_pb2.Money(fen=-1), True, "total_assets")
    assert money_fen(common_pb2.Money(fen=-1), True, "pnl", allow_negative=True) == -1
    with pytest.raises(InvalidField, match="is required"):
        money_fen(common_pb2.Money(), False, "total_assets")


def test_unknown_and_unspecified_enum_values_are_rejected():
    with pytest.raises(InvalidField, match="kind: unknown value 42"):
        enum_member(42, profile_pb2.CustomerKind, "kind")
    with pytest.raises(InvalidField, match="kind: is required"):
        enum_member(0, profile_pb2.CustomerKind, "kind")
    assert enum_member(1, profile_pb2.CustomerKind, "kind") == "CUSTOMER_KIND_RETAIL"


def test_subscription_responses_are_split_by_payload_size():
    from google.protobuf import any_pb2

    from clienttier.common.v1 import common_pb2
    from mesh.outbox import split_by_size

    def event(size: int) -> common_pb2.Event:
        return common_pb2.Event(payload=any_pb2.Any(value=b"x" * size))

    parts = split_by_size([event(400), event(400), event(400), event(2000), event(10)], 1000)
    assert [[len(e.payload.value) for e in p] for p in parts] == [[400, 400], [400], [2000], [10]]
