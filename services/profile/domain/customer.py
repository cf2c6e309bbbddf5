"""Who a customer is, and what one day of their trading came to. Pure."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from mesh.errors import InvalidField


class CustomerKind(StrEnum):
    RETAIL = "RETAIL"
    INSTITUTION = "INSTITUTION"


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DORMANT = "DORMANT"
    TRANSFERRED_OUT = "TRANSFERRED_OUT"
    CLOSED = "CLOSED"


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

    def __post_init__(self) -> None:
        if self.kind is CustomerKind.RETAIL and self.birth_date is None:
            raise InvalidField("customer.birth_date", "is required for a retail customer")
        if self.birth_date is not None and self.birth_date > self.open_date:
            raise InvalidField("customer.birth_date", "is after the open date")


@dataclass(frozen=True)
class DailyFacts:
    """End-of-day facts of one customer, in fen."""

    customer_id: str
    day: date
    total_assets_fen: int
    net_commission_fen: int

    def __post_init__(self) -> None:
        if self.total_assets_fen < 0:
            raise InvalidField("facts.total_assets", "must not be negative")
        if self.net_commission_fen < 0:
            raise InvalidField("facts.net_commission", "must not be negative")


@dataclass(frozen=True)
class YearTotals:
    """Running totals of one customer's facts in one calendar year."""

    year: int
    days: int
    asset_sum_fen: int
    net_commission_fen: int
