from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.grading.adapters.tables import grade_history, grades, year_totals
from services.grading.domain.tiers import Tier, TierDecision, YearTotals


@dataclass(frozen=True)
class StoredGrade:
    customer_id: str
    tier: Tier
    reason: str
    rule_set_version: str
    avg_assets_fen: int
    net_commission_fen: int
    as_of_date: date


class GradingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def store_year_totals(self, customer_id: str, totals: YearTotals, version: int) -> None:
        """Keep the newest totals per customer and year (by profile's customer version)."""
        stmt = upsert(year_totals).values(
            customer_id=customer_id,
            year=totals.year,
            days=totals.days,
            asset_sum_fen=totals.asset_sum_fen,
            net_commission_fen=totals.net_commission_fen,
            source_version=version,
        )
        await self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[year_totals.c.customer_id, year_totals.c.year],
                set_={
                    c: stmt.excluded[c]
                    for c in ("days", "asset_sum_fen", "net_commission_fen", "source_version")
                },
                where=stmt.excluded.source_version > year_totals.c.source_version,
            )
        )

    async def year_totals(self, customer_id: str, years: tuple[int, ...]) -> list[YearTotals]:
        t = year_totals.c
        rows = await self.conn.execute(
            select(t.year, t.days, t.asset_sum_fen, t.net_commission_fen).where(
                (t.customer_id == customer_id) & t.year.in_(years)
            )
        )
        return [YearTotals(r.year, r.days, r.asset_sum_fen, r.net_commission_fen) for r in rows]

    async def current_grade(self, customer_id: str) -> StoredGrade | None:
        row = (
            await self.conn.execute(select(grades).where(grades.c.customer_id == customer_id))
        ).first()
        if row is None:
            return None
        return StoredGrade(
            row.customer_id,
            Tier(row.tier),
            row.reason,
            row.rule_set_version,
            row.avg_assets_fen,
            row.net_commission_fen,
            row.as_of_date,
        )

    async def save_grade(
        self, customer_id: str, decision: TierDecision, as_of: date, previous: Tier | None
    ) -> None:
        values = {
            "tier": decision.tier.value,
            "reason": decision.reason,
            "rule_set_version": decision.rule_set_version,
            "avg_assets_fen": decision.avg_assets_fen,
            "net_commission_fen": decision.net_commission_fen,
            "as_of_date": as_of,
        }
        stmt = upsert(grades).values(customer_id=customer_id, **values)
        await self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[grades.c.customer_id],
                set_=values | {"graded_at": stmt.excluded.graded_at},
            )
        )
        if previous != decision.tier:
            await self.conn.execute(
                insert(grade_history).values(
                    customer_id=customer_id,
                    tier=decision.tier.value,
                    previous_tier=None if previous is None else previous.value,
                    reason=decision.reason,
                    rule_set_version=decision.rule_set_version,
                    as_of_date=as_of,
                )
            )
