"""Reading customers in bulk and their history: no change, no event."""

from mesh.errors import NotFound
from services.profile.domain.customer import CustomerFilter, CustomerHistory, CustomerRecord
from services.profile.service.unit_of_work import ProfileUnitOfWork


async def list_customers(
    uow: ProfileUnitOfWork, where: CustomerFilter, after: str, page_size: int
) -> tuple[list[CustomerRecord], str | None]:
    """One page after `after`, and the id the next page starts after (None: this is the last
    page). Reads one row more than the page to know whether another page exists."""
    async with uow:
        rows = await uow.customers.page(where, after, page_size + 1)
    if len(rows) <= page_size:
        return rows, None
    page = rows[:page_size]
    return page, page[-1].customer.customer_id


async def get_history(uow: ProfileUnitOfWork, customer_id: str) -> CustomerHistory:
    async with uow:
        if await uow.customers.get(customer_id) is None:
            raise NotFound("customer", customer_id)
        return await uow.customers.history(customer_id)
