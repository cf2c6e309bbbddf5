from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.db import UnitOfWork
from services.profile.adapters.repository import CustomerRepository, FactsRepository
from services.profile.adapters.tables import outbox


class ProfileUnitOfWork(UnitOfWork):
    outbox = outbox
    customers: CustomerRepository
    facts: FactsRepository

    def _bind(self, conn: AsyncConnection) -> None:
        self.customers = CustomerRepository(conn)
        self.facts = FactsRepository(conn)
