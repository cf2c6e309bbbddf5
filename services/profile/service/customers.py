"""Profile's use cases. Each runs in one unit of work: the change and its event commit together
or not at all."""

from clienttier.profile.v1 import profile_pb2

from mesh.errors import AlreadyExists, NotFound
from services.profile.adapters.messages import customer_to_proto, year_totals_to_proto
from services.profile.domain.customer import Customer, DailyFacts, YearTotals
from services.profile.service.unit_of_work import ProfileUnitOfWork


async def create_customer(uow: ProfileUnitOfWork, customer: Customer) -> Customer:
    async with uow:
        if not await uow.customers.add(customer):
            raise AlreadyExists("customer", customer.customer_id)
        uow.publish(
            customer.customer_id,
            profile_pb2.CustomerChanged(customer=customer_to_proto(customer), version=1),
        )
        await uow.commit()
    return customer


async def get_customer(uow: ProfileUnitOfWork, customer_id: str) -> Customer:
    async with uow:
        customer = await uow.customers.get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


async def record_daily_facts(uow: ProfileUnitOfWork, facts: DailyFacts) -> tuple[bool, YearTotals]:
    """Store a day's facts (replacing a re-sent day) and keep the year's running totals, so
    period figures never need to scan the days. Returns (replaced, the year's totals)."""
    async with uow:
        version = await uow.customers.bump_version(facts.customer_id)
        if version is None:
            raise NotFound("customer", facts.customer_id)
        old = await uow.facts.replace_day(facts)
        totals = await uow.facts.add_to_year(
            facts.customer_id,
            facts.day.year,
            days=0 if old else 1,
            asset_sum_fen=facts.total_assets_fen - (old.total_assets_fen if old else 0),
            commission_fen=facts.net_commission_fen - (old.net_commission_fen if old else 0),
        )
        uow.publish(
            facts.customer_id,
            profile_pb2.CustomerFactsChanged(
                customer_id=facts.customer_id,
                version=version,
                day=facts.day.isoformat(),
                year_totals=year_totals_to_proto(totals),
            ),
        )
        await uow.commit()
    return old is not None, totals
