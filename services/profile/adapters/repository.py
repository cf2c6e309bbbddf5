"""Reading and writing profile's tables inside a unit of work."""

from dataclasses import asdict

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.profile.adapters.tables import customers, daily_facts, year_totals
from services.profile.domain.customer import (
    Customer,
    CustomerKind,
    CustomerStatus,
    DailyFacts,
    YearTotals,
)


class CustomerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, customer: Customer) -> bool:
        """Insert at version 1; False when the id is taken."""
        row = asdict(customer) | {"kind": customer.kind.value, "status": customer.status.value}
        stmt = insert(customers).values(**row, version=1).on_conflict_do_nothing()
        result = await self.conn.execute(stmt.returning(customers.c.customer_id))
        return result.first() is not None

    async def get(self, customer_id: str) -> Customer | None:
        row = (
            await self.conn.execute(select(customers).where(customers.c.customer_id == customer_id))
        ).first()
        return None if row is None else _to_customer(row)

    async def bump_version(self, customer_id: str) -> int | None:
        """Lock the customer for this transaction and return its next version (None: unknown)."""
        stmt = (
            update(customers)
            .where(customers.c.customer_id == customer_id)
            .values(version=customers.c.version + 1, updated_at=func.now())
            .returning(customers.c.version)
        )
        return (await self.conn.execute(stmt)).scalar()


class FactsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def replace_day(self, facts: DailyFacts) -> DailyFacts | None:
        """Store the day's facts; return what they replace (None when the day is new)."""
        key = (daily_facts.c.customer_id == facts.customer_id) & (daily_facts.c.day == facts.day)
        old = (await self.conn.execute(select(daily_facts).where(key).with_for_update())).first()
        values = {
            "total_assets_fen": facts.total_assets_fen,
            "net_commission_fen": facts.net_commission_fen,
        }
        if old is None:
            await self.conn.execute(
                insert(daily_facts).values(customer_id=facts.customer_id, day=facts.day, **values)
            )
            return None
        await self.conn.execute(update(daily_facts).where(key).values(**values))
        return DailyFacts(
            facts.customer_id, facts.day, old.total_assets_fen, old.net_commission_fen
        )

    async def add_to_year(
        self, customer_id: str, year: int, days: int, asset_sum_fen: int, commission_fen: int
    ) -> YearTotals:
        """Add deltas to the customer's totals for the year; return the new totals."""
        stmt = insert(year_totals).values(
            customer_id=customer_id,
            year=year,
            days=days,
            asset_sum_fen=asset_sum_fen,
            net_commission_fen=commission_fen,
        )
        t = year_totals.c
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.customer_id, t.year],
            set_={
                "days": t.days + days,
                "asset_sum_fen": t.asset_sum_fen + asset_sum_fen,
                "net_commission_fen": t.net_commission_fen + commission_fen,
            },
        ).returning(t.year, t.days, t.asset_sum_fen, t.net_commission_fen)
        row = (await self.conn.execute(stmt)).one()
        return YearTotals(row.year, row.days, row.asset_sum_fen, row.net_commission_fen)


def _to_customer(row) -> Customer:  # type: ignore[no-untyped-def]
    return Customer(
        customer_id=row.customer_id,
        kind=CustomerKind(row.kind),
        name=row.name,
        birth_date=row.birth_date,
        occupation=row.occupation,
        phone=row.phone,
        id_number=row.id_number,
        id_expiry_date=row.id_expiry_date,
        branch_id=row.branch_id,
        open_date=row.open_date,
        status=CustomerStatus(row.status),
    )
