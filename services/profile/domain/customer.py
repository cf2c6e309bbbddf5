"""Who a customer is: identity, status and its history, accounts, permissions, tags. Pure."""

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from mesh.errors import FailedPrecondition, InvalidField
from services.profile.domain.masking import mask_id_number, mask_phone
from services.profile.domain.masking import validate_id_number as _validate_prc_id
from services.profile.domain.masking import validate_phone as _validate_phone


class CustomerKind(StrEnum):
    RETAIL = "RETAIL"
    INSTITUTION = "INSTITUTION"


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DORMANT = "DORMANT"
    TRANSFERRED_OUT = "TRANSFERRED_OUT"
    CLOSED = "CLOSED"


class AccountType(StrEnum):
    CASH = "CASH"
    MARGIN = "MARGIN"
    OPTION = "OPTION"


class BusinessPermission(StrEnum):
    MARGIN_TRADING = "MARGIN_TRADING"
    STAR_MARKET = "STAR_MARKET"
    CHINEXT = "CHINEXT"
    STOCK_CONNECT = "STOCK_CONNECT"
    NEEQ = "NEEQ"
    OPTIONS = "OPTIONS"


class TagDimension(StrEnum):
    """The six groups of customer tags in seed 000."""

    VALUE = "VALUE"
    INVESTMENT_ATTRIBUTE = "INVESTMENT_ATTRIBUTE"
    PERSONAL_ATTRIBUTE = "PERSONAL_ATTRIBUTE"
    LOYALTY = "LOYALTY"
    NEEDS = "NEEDS"
    NEWLY_ADDED = "NEWLY_ADDED"


class TagAction(StrEnum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"


@dataclass(frozen=True)
class Customer:
    customer_id: str
    kind: CustomerKind
    name: str
    birth_date: date | None
    occupation: str
    phone: str
    id_number: str
    id_expiry_date: date | None
    branch_id: str
    open_date: date
    status: CustomerStatus = CustomerStatus.ACTIVE
    income_band: str = ""

    def __post_init__(self) -> None:
        if self.kind is CustomerKind.RETAIL and self.birth_date is None:
            raise InvalidField("customer.birth_date", "is required for a retail customer")
        if self.birth_date is not None and self.birth_date > self.open_date:
            raise InvalidField("customer.birth_date", "is after the open date")


# Identity fields: what UpdateCustomer may change. Kind, branch, open date and status are not
# identity (status moves through change_status so that it keeps its history).
IDENTITY_FIELDS = (
    "name",
    "birth_date",
    "occupation",
    "income_band",
    "id_number",
    "id_expiry_date",
    "phone",
)

INCOME_BAND_MAX = 32


# GB 32100-2015 unified social credit code: 18 characters over a 31-letter alphabet (no I, O,
# S, V, Z); the last is a MOD 31 check over the first 17 with weights 3^i mod 31.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_PATTERN = re.compile(f"[{_USCC_ALPHABET}]{{18}}")


def validate_credit_code(value: str, field: str) -> str:
    """Return the normalised (upper-case) unified social credit code or raise."""
    code = value.strip().upper()
    if not _USCC_PATTERN.fullmatch(code):
        raise InvalidField(
            field,
            "expected a unified social credit code: 18 characters of digits and letters"
            f" other than I, O, S, V, Z, got {len(code)} characters",
        )
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    if code[17] != _USCC_ALPHABET[(31 - total % 31) % 31]:
        raise InvalidField(field, "check character does not match (GB 32100-2015)")
    return code


def _renamed(exc: InvalidField, field: str) -> InvalidField:
    # The masking validators name the bare attribute; the caller knows the request path.
    return InvalidField(field, exc.message)


def validate_identity(customer: Customer, prefix: str = "customer") -> Customer:
    """The customer with phone and ID normalised, or InvalidField naming `prefix.field`.

    Runs on every create and update, not in __post_init__: rows already stored (imported
    books, older data) must stay readable even if they would not pass today's checks."""
    try:
        phone = _validate_phone(customer.phone)
    except InvalidField as exc:
        raise _renamed(exc, f"{prefix}.phone") from None
    if customer.kind is CustomerKind.INSTITUTION:
        if customer.birth_date is not None:
            raise InvalidField(f"{prefix}.birth_date", "must be empty for an institution")
        id_number = validate_credit_code(customer.id_number, f"{prefix}.id_number")
    else:
        try:
            id_number = _validate_prc_id(customer.id_number)
        except InvalidField as exc:
            raise _renamed(exc, f"{prefix}.id_number") from None
        embedded = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        if embedded != customer.birth_date:
            raise InvalidField(
                f"{prefix}.birth_date", f"does not match the birth date in {prefix}.id_number"
            )
    if len(customer.income_band) > INCOME_BAND_MAX:
        raise InvalidField(f"{prefix}.income_band", f"is longer than {INCOME_BAND_MAX} characters")
    return replace(customer, phone=phone, id_number=id_number)


def unmask_unchanged(old: Customer, new: Customer) -> Customer:
    """A client that only ever saw the masked phone or ID number may send it back with other
    edits: the masked form of the stored value means 'unchanged', not a new value."""
    phone = old.phone if new.phone == mask_phone(old.phone) else new.phone
    id_number = old.id_number if new.id_number == mask_id_number(old.id_number) else new.id_number
    return replace(new, phone=phone, id_number=id_number)


# Where a customer may go from each status. Transferred-out customers may come back (转回) or
# close; nothing leaves CLOSED (销户 is final).
TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.ACTIVE: frozenset(
        {CustomerStatus.DORMANT, CustomerStatus.TRANSFERRED_OUT, CustomerStatus.CLOSED}
    ),
    CustomerStatus.DORMANT: frozenset(
        {CustomerStatus.ACTIVE, CustomerStatus.TRANSFERRED_OUT, CustomerStatus.CLOSED}
    ),
    CustomerStatus.TRANSFERRED_OUT: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CLOSED}),
    CustomerStatus.CLOSED: frozenset(),
}

# Statuses in which nothing new (accounts, permissions) may be opened.
_GONE = frozenset({CustomerStatus.TRANSFERRED_OUT, CustomerStatus.CLOSED})


@dataclass(frozen=True)
class StatusChange:
    from_status: CustomerStatus | None  # None: the status the record was created with
    to_status: CustomerStatus
    effective_date: date
    reason: str
    version: int = 0
    recorded_at: datetime | None = None


def initial_status(customer: Customer, since: date | None, reason: str) -> StatusChange:
    """The status a record starts with: by default in effect from the open date (an imported
    book may say since when a customer has been dormant or closed)."""
    since = since or customer.open_date
    if since < customer.open_date:
        raise InvalidField(
            "customer.status_since", f"{since} is before the open date {customer.open_date}"
        )
    return StatusChange(None, customer.status, since, reason or "customer record created")


def check_transition(
    customer_id: str,
    current: CustomerStatus,
    since: date,
    new: CustomerStatus,
    effective_date: date,
    reason: str,
) -> StatusChange:
    """The change from `current` (in effect since `since`) to `new`, or why it cannot be."""
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing"
        raise FailedPrecondition(
            f"customer {customer_id!r} cannot go from {current} to {new}"
            f" (from {current}: {allowed})"
        )
    if effective_date < since:
        raise InvalidField(
            "effective_date", f"{effective_date} is before the current status's date {since}"
        )
    return StatusChange(current, new, effective_date, reason)


def check_can_open(customer: Customer, what: str, opened: date, field: str) -> None:
    """Accounts and permissions open only for customers still with the firm, on or after the
    day the customer opened."""
    if customer.status in _GONE:
        raise FailedPrecondition(
            f"customer {customer.customer_id!r} is {customer.status}: cannot open {what}"
        )
    if opened < customer.open_date:
        raise InvalidField(
            field, f"{opened} is before the customer's open date {customer.open_date}"
        )


@dataclass(frozen=True)
class Account:
    type: AccountType
    opened_date: date


@dataclass(frozen=True)
class PermissionGrant:
    permission: BusinessPermission
    opened_date: date


@dataclass(frozen=True)
class Tag:
    dimension: TagDimension
    name: str


TAG_NAME_MAX = 64


@dataclass(frozen=True)
class CustomerTag:
    tag: Tag
    added_by: str
    added_at: datetime


@dataclass(frozen=True)
class TagChange:
    action: TagAction
    tag: Tag
    actor: str
    changed_at: datetime
    version: int


@dataclass(frozen=True)
class CustomerRecord:
    """A customer with everything hung on them: what GetCustomer returns and CustomerChanged
    carries."""

    customer: Customer
    version: int
    status_since: date
    status_reason: str
    accounts: tuple[Account, ...] = ()
    permissions: tuple[PermissionGrant, ...] = ()
    tags: tuple[CustomerTag, ...] = ()


@dataclass(frozen=True)
class CustomerHistory:
    status_changes: tuple[StatusChange, ...]
    tag_changes: tuple[TagChange, ...]


@dataclass(frozen=True)
class CustomerFilter:
    """ListCustomers' filters; None means any."""

    branch_id: str | None = None
    status: CustomerStatus | None = None
    tag: Tag | None = None
