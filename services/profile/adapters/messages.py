"""Profile's domain objects as protobuf messages (the wire and event format) and back."""

import base64
import binascii
import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from clienttier.profile.v1 import profile_pb2
from mesh.errors import InvalidField
from mesh.rpc import enum_member, parse_date, required_date, required_id, required_text
from services.profile.domain.customer import (
    IDENTITY_FIELDS,
    TAG_NAME_MAX,
    AccountType,
    BusinessPermission,
    Customer,
    CustomerFilter,
    CustomerHistory,
    CustomerKind,
    CustomerRecord,
    CustomerStatus,
    Tag,
    TagDimension,
)
from services.profile.domain.masking import mask_id_number, mask_phone

_KIND_PREFIX = "CUSTOMER_KIND_"
_STATUS_PREFIX = "CUSTOMER_STATUS_"

E = TypeVar("E", bound=StrEnum)

# Domain enum -> (proto enum, name prefix).
_PROTO_ENUMS: dict[type[StrEnum], tuple[Any, str]] = {
    CustomerKind: (profile_pb2.CustomerKind, _KIND_PREFIX),
    CustomerStatus: (profile_pb2.CustomerStatus, _STATUS_PREFIX),
    AccountType: (profile_pb2.AccountType, "ACCOUNT_TYPE_"),
    BusinessPermission: (profile_pb2.BusinessPermission, "BUSINESS_PERMISSION_"),
    TagDimension: (profile_pb2.TagDimension, "TAG_DIMENSION_"),
}


def to_enum(value: StrEnum | None) -> int:
    """A domain enum member as its proto value (None: UNSPECIFIED)."""
    if value is None:
        return 0
    proto, prefix = _PROTO_ENUMS[type(value)]
    return int(proto.Value(prefix + value.value))


def from_enum(value: int, kind: type[E], field: str) -> E:
    """A required proto enum value as the domain member; INVALID_ARGUMENT naming `field`."""
    proto, prefix = _PROTO_ENUMS[kind]
    return kind(enum_member(value, proto, field)[len(prefix) :])


def optional_enum(value: int, kind: type[E], field: str) -> E | None:
    """UNSPECIFIED (0) means 'not given'."""
    return None if value == 0 else from_enum(value, kind, field)


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _timestamp(value: datetime | None) -> Timestamp:
    stamp = Timestamp()
    if value is not None:
        stamp.FromDatetime(value)
    return stamp


# --- customers out ---------------------------------------------------------------------------


def customer_to_proto(c: Customer, *, reveal_pii: bool = True) -> profile_pb2.Customer:
    """Identity and status. PII is masked unless `reveal_pii` (compliance, events)."""
    return profile_pb2.Customer(
        customer_id=c.customer_id,
        kind=to_enum(c.kind),
        name=c.name,
        birth_date=_iso(c.birth_date),
        occupation=c.occupation,
        phone=c.phone if reveal_pii else mask_phone(c.phone),
        id_number=c.id_number if reveal_pii else mask_id_number(c.id_number),
        id_expiry_date=_iso(c.id_expiry_date),
        branch_id=c.branch_id,
        open_date=_iso(c.open_date),
        status=to_enum(c.status),
        income_band=c.income_band,
    )


def record_to_proto(r: CustomerRecord, *, reveal_pii: bool) -> profile_pb2.Customer:
    """The whole record; `reveal_pii` must be a decision (masked for anyone but compliance)."""
    message = customer_to_proto(r.customer, reveal_pii=reveal_pii)
    message.status_since = _iso(r.status_since)
    message.status_reason = r.status_reason
    message.version = r.version
    message.accounts.extend(
        profile_pb2.Account(type=to_enum(a.type), opened_date=_iso(a.opened_date))
        for a in r.accounts
    )
    message.permissions.extend(
        profile_pb2.PermissionGrant(
            permission=to_enum(p.permission), opened_date=_iso(p.opened_date)
        )
        for p in r.permissions
    )
    message.tags.extend(
        profile_pb2.CustomerTag(
            dimension=to_enum(t.tag.dimension),
            name=t.tag.name,
            added_by=t.added_by,
            added_at=_timestamp(t.added_at),
        )
        for t in r.tags
    )
    return message


def customer_changed(r: CustomerRecord) -> profile_pb2.CustomerChanged:
    """The event: the whole record, PII unmasked (a service-to-service stream)."""
    return profile_pb2.CustomerChanged(
        customer=record_to_proto(r, reveal_pii=True), version=r.version
    )


def history_to_proto(h: CustomerHistory) -> profile_pb2.GetCustomerHistoryResponse:
    return profile_pb2.GetCustomerHistoryResponse(
        status_changes=[
            profile_pb2.StatusChange(
                from_status=to_enum(s.from_status),
                to_status=to_enum(s.to_status),
                effective_date=_iso(s.effective_date),
                reason=s.reason,
                recorded_at=_timestamp(s.recorded_at),
                version=s.version,
            )
            for s in h.status_changes
        ],
        tag_changes=[
            profile_pb2.TagChange(
                action=profile_pb2.TagAction.Value("TAG_ACTION_" + t.action.value),
                dimension=to_enum(t.tag.dimension),
                name=t.tag.name,
                actor=t.actor,
                changed_at=_timestamp(t.changed_at),
                version=t.version,
            )
            for t in h.tag_changes
        ],
    )


# --- customers in ----------------------------------------------------------------------------


def customer_from_proto(m: profile_pb2.Customer, field: str = "customer") -> Customer:
    status = optional_enum(m.status, CustomerStatus, f"{field}.status") or CustomerStatus.ACTIVE
    return Customer(
        customer_id=required_id(m.customer_id, f"{field}.customer_id"),
        kind=from_enum(m.kind, CustomerKind, f"{field}.kind"),
        name=required_text(m.name, f"{field}.name"),
        birth_date=parse_date(m.birth_date, f"{field}.birth_date", required=False),
        occupation=m.occupation.strip(),
        phone=m.phone.strip(),
        id_number=m.id_number.strip(),
        id_expiry_date=parse_date(m.id_expiry_date, f"{field}.id_expiry_date", required=False),
        branch_id=required_id(m.branch_id, f"{field}.branch_id"),
        open_date=required_date(m.open_date, f"{field}.open_date"),
        status=status,
        income_band=m.income_band.strip(),
    )


def status_start_from_proto(
    m: profile_pb2.Customer, field: str = "customer"
) -> tuple[date | None, str]:
    """The optional date and reason of the status a customer is created with."""
    since = parse_date(m.status_since, f"{field}.status_since", required=False)
    reason = m.status_reason.strip()
    if reason:
        reason = required_text(reason, f"{field}.status_reason")
    return since, reason


def identity_changes_from_proto(
    m: profile_pb2.Customer, paths: list[str], field: str = "customer"
) -> dict[str, object]:
    """The identity fields an UpdateCustomer sets, parsed. `paths` from update_mask; empty:
    every identity field that is non-empty in `m` (AIP-134's implied mask)."""
    for path in paths:
        if path not in IDENTITY_FIELDS:
            raise InvalidField(
                "update_mask",
                f"{path!r} cannot be updated here; updatable: {', '.join(IDENTITY_FIELDS)}",
            )
    chosen = list(dict.fromkeys(paths)) or [n for n in IDENTITY_FIELDS if getattr(m, n)]
    if not chosen:
        raise InvalidField("update_mask", "names no field, and customer sets no identity field")
    parsers = {
        "name": lambda v: required_text(v, f"{field}.name"),
        "birth_date": lambda v: parse_date(v, f"{field}.birth_date", required=False),
        "id_expiry_date": lambda v: parse_date(v, f"{field}.id_expiry_date", required=False),
    }
    return {n: parsers.get(n, str.strip)(getattr(m, n)) for n in chosen}


def tag_from_request(dimension: int, name: str) -> Tag:
    return Tag(
        from_enum(dimension, TagDimension, "dimension"),
        required_text(name, "name", max_length=TAG_NAME_MAX),
    )


def filter_from_request(r: profile_pb2.ListCustomersRequest) -> CustomerFilter:
    tag = None
    if r.tag_dimension or r.tag_name:
        tag = Tag(
            from_enum(r.tag_dimension, TagDimension, "tag_dimension"),
            required_text(r.tag_name, "tag_name", max_length=TAG_NAME_MAX),
        )
    return CustomerFilter(
        branch_id=required_id(r.branch_id, "branch_id") if r.branch_id else None,
        status=optional_enum(r.status, CustomerStatus, "status"),
        tag=tag,
    )


# --- page tokens -----------------------------------------------------------------------------


def _fingerprint(where: CustomerFilter) -> str:
    # A token is only good for the query that made it: same filters, or the walk is meaningless.
    return hashlib.sha256(repr(where).encode()).hexdigest()[:16]


def encode_page_token(after: str, where: CustomerFilter) -> str:
    raw = json.dumps({"after": after, "query": _fingerprint(where)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(token: str, where: CustomerFilter) -> str:
    """The customer_id the page starts after ('' for the first page)."""
    if not token:
        return ""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, query = raw["after"], raw["query"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidField("page_token", "is not a token this service issued") from None
    if not isinstance(after, str) or query != _fingerprint(where):
        raise InvalidField("page_token", "was issued for a different query (filters changed)")
    return after
