from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.db import UnitOfWork
from services.profile.adapters.repository import CustomerRepository
from services.profile.adapters.tables import outbox


class ProfileUnitOfWork(UnitOfWork):
    outbox = outbox
    customers: CustomerRepository

    def _bind(self, conn: AsyncConnection) -> None:
        self.customers = CustomerRepository(conn)
