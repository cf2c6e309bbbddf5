"""Onboarding customers in bulk: one unit of work per batch, a CustomerChanged event for each
customer created (the same event a single CreateCustomer publishes)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clienttier.profile.v1 import profile_pb2
from services.profile.adapters.import_repository import insert_new
from services.profile.domain.customer import Customer
from services.profile.service.known_customers import KnownCustomers
from services.profile.service.unit_of_work import ProfileUnitOfWork


@dataclass
class ImportResult:
    created: int
    existing: int


async def import_customers(
    uow: ProfileUnitOfWork,
    customers: Sequence[tuple[Customer, profile_pb2.Customer]],
    known: KnownCustomers | None = None,
) -> ImportResult:
    """`customers` pairs each checked customer with the record to publish for it. Once they
    are committed, created or already there, their ids go into `known`."""
    if not customers:
        return ImportResult(0, 0)
    async with uow:
        created = await insert_new(await uow.raw_connection(), [c for c, _ in customers])
        for customer, record in customers:
            if customer.customer_id in created:
                uow.publish(
                    customer.customer_id, profile_pb2.CustomerChanged(customer=record, version=1)
                )
        await uow.commit()
    if known is not None:
        known.add(np.array([c.customer_id for c, _ in customers], dtype="S"))
    return ImportResult(len(created), len(customers) - len(created))
