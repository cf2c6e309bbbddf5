"""The customer record's pure rules and its proto mapping: identity checks, status transitions,
masking on the way out, page tokens."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from clienttier.profile.v1 import profile_pb2
from mesh.errors import FailedPrecondition, InvalidField
from services.profile.adapters.messages import (
    customer_changed,
    decode_page_token,
    encode_page_token,
    from_enum,
    identity_changes_from_proto,
    record_to_proto,
    to_enum,
)
from services.profile.domain.customer import (
    TRANSITIONS,
    Account,
    AccountType,
    BusinessPermission,
    Customer,
    CustomerFilter,
    CustomerKind,
    CustomerRecord,
    CustomerStatus,
    CustomerTag,
    PermissionGrant,
    Tag,
    TagDimension,
    check_can_open,
    check_transition,
    initial_status,
    unmask_unchanged,
    validate_credit_code,
    validate_identity,
)

PRC_ID = "110101198506150019"  # valid check character; born 1985-06-15
USCC = "91110108123456788E"  # valid GB 32100-2015 check character

RETAIL = Customer(
    customer_id="C1",
    kind=CustomerKind.RETAIL,
    name="李四",
    birth_date=date(1985, 6, 15),
    occupation="engineer",
    phone="13812345678",
    id_number=PRC_ID.lower(),
    id_expiry_date=date(2030, 1, 1),
    branch_id="B001",
    open_date=date(2020, 3, 1),
)
INSTITUTION = replace(
    RETAIL, customer_id="I1", kind=CustomerKind.INSTITUTION, birth_date=None, id_number=USCC
)


def field_of(call, *args):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidField) as caught:
        call(*args)
    return caught.value.field


# --- identity ---------------------------------------------------------------------------------


def test_valid_identities_pass_and_are_normalised():
    assert validate_identity(RETAIL).id_number == PRC_ID  # lower-case x/X normalised
    assert validate_identity(INSTITUTION).id_number == USCC


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "1381234567"}, "customer.phone"),
        ({"phone": "+8613812345678"}, "customer.phone"),
        ({"id_number": "110101198506150011"}, "customer.id_number"),  # bad check character
        ({"id_number": ""}, "customer.id_number"),
        ({"birth_date": date(1985, 6, 16)}, "customer.birth_date"),  # not the ID's birth date
        ({"income_band": "x" * 33}, "customer.income_band"),
    ],
)
def test_bad_retail_identity_names_the_field(change, field):
    assert field_of(validate_identity, replace(RETAIL, **change)) == field


def test_institutions_carry_a_credit_code_not_a_personal_id():
    assert field_of(validate_identity, replace(INSTITUTION, id_number=PRC_ID)) == (
        "customer.id_number"
    )
    assert field_of(validate_identity, replace(INSTITUTION, birth_date=date(1990, 1, 1))) == (
        "customer.birth_date"
    )


@pytest.mark.parametrize(
    "code",
    ["91110108123456788F", "91110108123456788", "9111010812345678OE", "I1110108123456788E"],
)
def test_bad_credit_codes(code):
    assert field_of(validate_credit_code, code, "x") == "x"


def test_a_masked_value_sent_back_means_unchanged():
    masked = replace(RETAIL, phone="138****5678", id_number="110***********0019", name="王五")
    kept = unmask_unchanged(RETAIL, masked)
    assert (kept.phone, kept.id_number, kept.name) == (RETAIL.phone, RETAIL.id_number, "王五")
    new_phone = unmask_unchanged(RETAIL, replace(RETAIL, phone="13900000000"))
    assert new_phone.phone == "13900000000"


# --- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", list(CustomerStatus))
def test_nothing_leaves_closed(target):
    with pytest.raises(FailedPrecondition):
        check_transition(
            "C1", CustomerStatus.CLOSED, date(2021, 1, 1), target, date(2022, 1, 1), "r"
        )


@pytest.mark.parametrize("status", list(CustomerStatus))
def test_a_status_never_moves_to_itself(status):
    assert status not in TRANSITIONS[status]


def test_a_transition_keeps_its_date_and_reason():
    change = check_transition(
        "C1", CustomerStatus.ACTIVE, date(2020, 3, 1), CustomerStatus.DORMANT, date(2024, 1, 2), "r"
    )
    assert (change.from_status, change.to_status) == (CustomerStatus.ACTIVE, CustomerStatus.DORMANT)
    assert (change.effective_date, change.reason) == (date(2024, 1, 2), "r")


def test_a_transition_cannot_predate_the_current_status():
    args = ("C1", CustomerStatus.DORMANT, date(2024, 1, 2), CustomerStatus.ACTIVE)
    assert field_of(check_transition, *args, date(2024, 1, 1), "r") == "effective_date"


def test_the_first_status_defaults_to_the_open_date():
    start = initial_status(RETAIL, None, "")
    assert (start.effective_date, start.from_status) == (RETAIL.open_date, None)
    assert field_of(initial_status, RETAIL, date(2020, 2, 1), "") == "customer.status_since"


@pytest.mark.parametrize("status", [CustomerStatus.CLOSED, CustomerStatus.TRANSFERRED_OUT])
def test_nothing_opens_for_a_customer_who_left(status):
    with pytest.raises(FailedPrecondition):
        check_can_open(replace(RETAIL, status=status), "x", date(2024, 1, 1), "opened_date")


def test_nothing_opens_before_the_customer_did():
    assert field_of(check_can_open, RETAIL, "x", date(2020, 2, 29), "opened_date") == "opened_date"


# --- the wire ----------------------------------------------------------------------------------

RECORD = CustomerRecord(
    customer=validate_identity(RETAIL),
    version=7,
    status_since=date(2020, 3, 1),
    status_reason="customer record created",
    accounts=(Account(AccountType.MARGIN, date(2021, 5, 6)),),
    permissions=(PermissionGrant(BusinessPermission.STAR_MARKET, date(2021, 5, 7)),),
    tags=(
        CustomerTag(
            Tag(TagDimension.LOYALTY, "十年老客户"), "advisor-7", datetime(2024, 1, 1, tzinfo=UTC)
        ),
    ),
)


def test_pii_is_masked_unless_revealed():
    masked = record_to_proto(RECORD, reveal_pii=False)
    assert (masked.phone, masked.id_number) == ("138****5678", "110***********0019")
    whole = record_to_proto(RECORD, reveal_pii=True)
    assert (whole.phone, whole.id_number) == ("13812345678", PRC_ID)


def test_the_event_carries_the_whole_unmasked_record():
    event = customer_changed(RECORD)
    assert event.version == 7 and event.customer.version == 7
    assert event.customer.id_number == PRC_ID
    assert event.customer.accounts[0].type == profile_pb2.ACCOUNT_TYPE_MARGIN
    assert event.customer.permissions[0].permission == profile_pb2.BUSINESS_PERMISSION_STAR_MARKET
    assert event.customer.tags[0].dimension == profile_pb2.TAG_DIMENSION_LOYALTY
    assert event.customer.tags[0].added_at.ToDatetime(tzinfo=UTC).year == 2024


@pytest.mark.parametrize(
    "kind", [CustomerKind, CustomerStatus, AccountType, BusinessPermission, TagDimension]
)
def test_every_domain_enum_has_its_proto_twin(kind):
    for member in kind:
        assert from_enum(to_enum(member), kind, "f") is member


def test_an_unspecified_enum_is_invalid_naming_the_field():
    assert field_of(from_enum, 0, TagDimension, "dimension") == "dimension"


def test_update_mask_paths_choose_the_fields():
    m = profile_pb2.Customer(customer_id="C1", name=" 王五 ", phone="", birth_date="")
    assert identity_changes_from_proto(m, ["name", "phone"]) == {"name": "王五", "phone": ""}
    assert identity_changes_from_proto(m, ["birth_date"]) == {"birth_date": None}


def test_no_mask_means_every_identity_field_set():
    m = profile_pb2.Customer(customer_id="C1", occupation="teacher", branch_id="B9", status=4)
    assert identity_changes_from_proto(m, []) == {"occupation": "teacher"}


@pytest.mark.parametrize("path", ["branch_id", "status", "kind", "nonsense"])
def test_only_identity_fields_are_updatable(path):
    m = profile_pb2.Customer(customer_id="C1", name="x")
    assert field_of(identity_changes_from_proto, m, [path]) == "update_mask"


def test_page_tokens_round_trip_and_belong_to_their_query():
    where = CustomerFilter(branch_id="B001", status=CustomerStatus.ACTIVE)
    token = encode_page_token("C00001234", where)
    assert decode_page_token(token, where) == "C00001234"
    assert decode_page_token("", where) == ""
    assert field_of(decode_page_token, token, CustomerFilter(branch_id="B002")) == "page_token"
    assert field_of(decode_page_token, "not a token!", where) == "page_token"
    assert field_of(decode_page_token, "bm90LWpzb24", where) == "page_token"  # "not-json"
