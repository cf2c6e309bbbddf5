"""Creating, reading and correcting a customer's identity. Each use case runs in one unit of
work: the change and its event commit together or not at all."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from mesh.errors import AlreadyExists, NotFound
from services.profile.adapters.repository import CustomerReader
from services.profile.domain.customer import (
    Customer,
    CustomerRecord,
    initial_status,
    unmask_unchanged,
    validate_identity,
)
from services.profile.service import risk
from services.profile.service.customer_changes import lock_customer, publish_changed
from services.profile.service.unit_of_work import ProfileUnitOfWork

# The brokerage's calendar is Beijing time (no daylight saving), whatever the host's zone.
BEIJING = timezone(timedelta(hours=8))


def today() -> date:
    return datetime.now(BEIJING).date()


async def create_customer(
    uow: ProfileUnitOfWork,
    customer: Customer,
    status_since: date | None = None,
    status_reason: str = "",
) -> CustomerRecord:
    customer = validate_identity(customer)
    start = initial_status(customer, status_since, status_reason)
    async with uow:
        if not await uow.customers.add(customer, start):
            raise AlreadyExists("customer", customer.customer_id)
        record = await publish_changed(uow, customer.customer_id)
        await uow.commit()
    return record


async def get_customer(reader: CustomerReader, customer_id: str) -> CustomerRecord:
    record = await reader.record(customer_id)
    if record is None:
        raise NotFound("customer", customer_id)
    return record


async def update_customer(
    uow: ProfileUnitOfWork, customer_id: str, changes: dict[str, object], on: date
) -> CustomerRecord:
    """Set identity fields (`changes`: field name -> parsed value). A material change (see
    risk.flag_material_changes) marks the risk assessment for renewal in the same commit."""
    async with uow:
        old = (await lock_customer(uow, customer_id)).customer
        new = validate_identity(unmask_unchanged(old, replace(old, **changes)))  # type: ignore[arg-type]
        await uow.customers.save_identity(new)
        await risk.flag_material_changes(uow, old, new, on)
        record = await publish_changed(uow, customer_id)
        await uow.commit()
    return record
