"""Moving a customer between ACTIVE, DORMANT, TRANSFERRED_OUT and CLOSED, with history."""

from datetime import date

from services.profile.domain.customer import CustomerRecord, CustomerStatus, check_transition
from services.profile.service.customer_changes import lock_customer, publish_changed
from services.profile.service.unit_of_work import ProfileUnitOfWork


async def change_status(
    uow: ProfileUnitOfWork,
    customer_id: str,
    status: CustomerStatus,
    effective_date: date,
    reason: str,
) -> CustomerRecord:
    async with uow:
        locked = await lock_customer(uow, customer_id)
        change = check_transition(
            customer_id,
            locked.customer.status,
            locked.status_since,
            status,
            effective_date,
            reason,
        )
        await uow.customers.save_status(customer_id, change)
        record = await publish_changed(uow, customer_id)
        await uow.commit()
    return record
