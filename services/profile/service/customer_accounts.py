"""Opening accounts (cash, margin, option) and granting business permissions."""

from mesh.errors import AlreadyExists
from services.profile.domain.customer import (
    Account,
    CustomerRecord,
    PermissionGrant,
    check_can_open,
)
from services.profile.service.customer_changes import lock_customer, publish_changed
from services.profile.service.unit_of_work import ProfileUnitOfWork


async def open_account(
    uow: ProfileUnitOfWork, customer_id: str, account: Account
) -> CustomerRecord:
    async with uow:
        locked = await lock_customer(uow, customer_id)
        check_can_open(
            locked.customer, f"a {account.type} account", account.opened_date, "opened_date"
        )
        if not await uow.customers.add_account(customer_id, account):
            raise AlreadyExists(f"{account.type} account of customer", customer_id)
        await uow.customers.bump_version(customer_id)
        record = await publish_changed(uow, customer_id)
        await uow.commit()
    return record


async def grant_permission(
    uow: ProfileUnitOfWork, customer_id: str, grant: PermissionGrant
) -> CustomerRecord:
    async with uow:
        locked = await lock_customer(uow, customer_id)
        check_can_open(
            locked.customer, f"the {grant.permission} permission", grant.opened_date, "opened_date"
        )
        if not await uow.customers.add_permission(customer_id, grant):
            raise AlreadyExists(f"{grant.permission} permission of customer", customer_id)
        await uow.customers.bump_version(customer_id)
        record = await publish_changed(uow, customer_id)
        await uow.commit()
    return record
