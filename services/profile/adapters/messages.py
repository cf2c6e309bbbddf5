"""Profile's domain objects as protobuf messages (the wire and event format) and back."""

from datetime import date

from clienttier.common.v1 import common_pb2
from clienttier.profile.v1 import profile_pb2

from mesh.rpc import enum_member, money_fen, parse_date, required_date, required_id, required_text
from services.profile.domain.customer import (
    Customer,
    CustomerKind,
    CustomerStatus,
    DailyFacts,
    YearTotals,
)

_KIND_PREFIX = "CUSTOMER_KIND_"
_STATUS_PREFIX = "CUSTOMER_STATUS_"


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def customer_to_proto(c: Customer) -> profile_pb2.Customer:
    return profile_pb2.Customer(
        customer_id=c.customer_id,
        kind=profile_pb2.CustomerKind.Value(_KIND_PREFIX + c.kind.value),
        name=c.name,
        birth_date=_iso(c.birth_date),
        occupation=c.occupation,
        phone=c.phone,
        id_number=c.id_number,
        id_expiry_date=_iso(c.id_expiry_date),
        branch_id=c.branch_id,
        open_date=_iso(c.open_date),
        status=profile_pb2.CustomerStatus.Value(_STATUS_PREFIX + c.status.value),
    )


def customer_from_proto(m: profile_pb2.Customer, field: str = "customer") -> Customer:
    kind = enum_member(m.kind, profile_pb2.CustomerKind, f"{field}.kind")
    status = (
        CustomerStatus.ACTIVE
        if m.status == profile_pb2.CUSTOMER_STATUS_UNSPECIFIED
        else CustomerStatus(
            enum_member(m.status, profile_pb2.CustomerStatus, f"{field}.status")[
                len(_STATUS_PREFIX) :
            ]
        )
    )
    return Customer(
        customer_id=required_id(m.customer_id, f"{field}.customer_id"),
        kind=CustomerKind(kind[len(_KIND_PREFIX) :]),
        name=required_text(m.name, f"{field}.name"),
        birth_date=parse_date(m.birth_date, f"{field}.birth_date", required=False),
        occupation=m.occupation.strip(),
        phone=m.phone.strip(),
        id_number=m.id_number.strip(),
        id_expiry_date=parse_date(m.id_expiry_date, f"{field}.id_expiry_date", required=False),
        branch_id=required_id(m.branch_id, f"{field}.branch_id"),
        open_date=required_date(m.open_date, f"{field}.open_date"),
        status=status,
    )


def facts_from_proto(m: profile_pb2.DailyFacts, field: str = "facts") -> DailyFacts:
    return DailyFacts(
        customer_id=required_id(m.customer_id, f"{field}.customer_id"),
        day=required_date(m.day, f"{field}.day"),
        total_assets_fen=money_fen(
            m.total_assets, m.HasField("total_assets"), f"{field}.total_assets"
        ),
        net_commission_fen=money_fen(
            m.net_commission, m.HasField("net_commission"), f"{field}.net_commission"
        ),
    )


def year_totals_to_proto(t: YearTotals) -> profile_pb2.YearTotals:
    return profile_pb2.YearTotals(
        year=t.year,
        days=t.days,
        asset_sum=common_pb2.Money(fen=t.asset_sum_fen),
        net_commission=common_pb2.Money(fen=t.net_commission_fen),
    )
