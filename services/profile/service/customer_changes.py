"""What every customer-record use case does around its change: lock the customer first, and
publish the whole new record last (outbox appends serialise, so they come last)."""

from mesh.errors import NotFound
from services.profile.adapters.messages import customer_changed
from services.profile.adapters.repository import Locked
from services.profile.domain.customer import CustomerRecord
from services.profile.service.unit_of_work import ProfileUnitOfWork


async def lock_customer(uow: ProfileUnitOfWork, customer_id: str) -> Locked:
    """The customer, row-locked until commit; NOT_FOUND when unknown."""
    locked = await uow.customers.lock(customer_id)
    if locked is None:
        raise NotFound("customer", customer_id)
    return locked


async def publish_changed(uow: ProfileUnitOfWork, customer_id: str) -> CustomerRecord:
    """Publish CustomerChanged with the record as this transaction now sees it (new version,
    accounts, permissions, tags) and return that record."""
    record = await uow.customers.record(customer_id)
    assert record is not None, "the customer is locked by this transaction"
    uow.publish(customer_id, customer_changed(record))
    return record
