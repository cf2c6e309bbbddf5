"""Reading and writing risk assessments and professional decisions inside a unit of work."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.profile.adapters.risk_tables import professional_decisions, risk_assessments
from services.profile.adapters.tables import customers
from services.profile.domain.professional import ProfessionalDecision, ProfessionalEvidence
from services.profile.domain.questionnaire import AssessmentResult


@dataclass(frozen=True)
class StoredAssessment:
    assessment_id: str
    customer_id: str
    customer_version: int
    result: AssessmentResult
    answers: Mapping[str, str]
    assessed_on: date
    renewal_flagged_on: date | None
    renewal_kinds: tuple[str, ...]
    renewal_reasons: tuple[str, ...]


@dataclass(frozen=True)
class AssessmentView:
    """A stored assessment as seen on a given day (see service.risk.view)."""

    stored: StoredAssessment
    expired: bool
    needs_renewal: bool
    professional: bool
    max_product_risk: str
    current: bool


class RiskRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # --- customers ----------------------------------------------------------------------

    async def bump_customer_version(self, customer_id: str) -> int | None:
        """Lock the customer for this transaction and return its next version (None: unknown).
        Every change to a customer takes this lock first, so its events stay in order."""
        stmt = (
            update(customers)
            .where(customers.c.customer_id == customer_id)
            .values(version=customers.c.version + 1, updated_at=func.now())
            .returning(customers.c.version)
        )
        return (await self.conn.execute(stmt)).scalar()

    async def customer_exists(self, customer_id: str) -> bool:
        stmt = select(customers.c.customer_id).where(customers.c.customer_id == customer_id)
        return (await self.conn.execute(stmt)).first() is not None

    # --- assessments --------------------------------------------------------------------

    async def add_assessment(
        self,
        customer_id: str,
        customer_version: int,
        result: AssessmentResult,
        answers: Mapping[str, str],
        assessed_on: date,
    ) -> StoredAssessment:
        stored = StoredAssessment(
            assessment_id=str(uuid.uuid4()),
            customer_id=customer_id,
            customer_version=customer_version,
            result=result,
            answers=dict(answers),
            assessed_on=assessed_on,
            renewal_flagged_on=None,
            renewal_kinds=(),
            renewal_reasons=(),
        )
        await self.conn.execute(
            risk_assessments.insert().values(
                assessment_id=uuid.UUID(stored.assessment_id),
                customer_id=customer_id,
                customer_version=customer_version,
                questionnaire_id=result.questionnaire_id,
                questionnaire_version=result.questionnaire_version,
                answers=stored.answers,
                score=result.score,
                galaxy_class=result.galaxy_class,
                risk_level=result.risk_level,
                lowest_category=result.lowest_category,
                assessed_on=assessed_on,
                valid_until=result.valid_until,
                reasons=list(result.reasons),
            )
        )
        return stored

    async def current_assessment(
        self, customer_id: str, *, for_update: bool = False
    ) -> StoredAssessment | None:
        t = risk_assessments
        stmt = (
            select(t)
            .where(t.c.customer_id == customer_id)
            .order_by(t.c.customer_version.desc())
            .limit(1)
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return None if row is None else _to_assessment(row)

    async def list_assessments(self, customer_id: str) -> list[StoredAssessment]:
        """Newest first."""
        t = risk_assessments
        stmt = select(t).where(t.c.customer_id == customer_id).order_by(t.c.customer_version.desc())
        return [_to_assessment(row) for row in await self.conn.execute(stmt)]

    async def flag_renewal(
        self, assessment_id: str, on: date, kinds: Sequence[str], reasons: Sequence[str]
    ) -> None:
        """Append kinds and reasons; the first flag's date is kept."""
        t = risk_assessments
        await self.conn.execute(
            update(t)
            .where(t.c.assessment_id == uuid.UUID(assessment_id))
            .values(
                renewal_flagged_on=func.coalesce(t.c.renewal_flagged_on, on),
                renewal_kinds=t.c.renewal_kinds + list(kinds),
                renewal_reasons=t.c.renewal_reasons + list(reasons),
            )
        )

    # --- professional investors ---------------------------------------------------------

    async def add_professional_decision(
        self,
        customer_id: str,
        customer_version: int,
        evidence: ProfessionalEvidence,
        decision: ProfessionalDecision,
        decided_on: date,
    ) -> None:
        await self.conn.execute(
            professional_decisions.insert().values(
                decision_id=uuid.uuid4(),
                customer_id=customer_id,
                customer_version=customer_version,
                decided_on=decided_on,
                financial_assets_fen=evidence.financial_assets_fen,
                annual_incomes_fen=list(evidence.annual_incomes_fen),
                investment_experience_since=evidence.investment_experience_since,
                related_work_since=evidence.related_work_since,
                qualified=decision.qualified,
                max_product_risk=decision.max_product_risk,
                reason=decision.reason,
                rules_version=decision.rules_version,
            )
        )

    async def is_professional(self, customer_id: str) -> bool:
        """Whether the customer's latest professional decision qualified them."""
        t = professional_decisions
        stmt = (
            select(t.c.qualified)
            .where(t.c.customer_id == customer_id)
            .order_by(t.c.customer_version.desc())
            .limit(1)
        )
        return bool((await self.conn.execute(stmt)).scalar())


def _to_assessment(row) -> StoredAssessment:  # type: ignore[no-untyped-def]
    return StoredAssessment(
        assessment_id=str(row.assessment_id),
        customer_id=row.customer_id,
        customer_version=row.customer_version,
        result=AssessmentResult(
            questionnaire_id=row.questionnaire_id,
            questionnaire_version=row.questionnaire_version,
            score=row.score,
            galaxy_class=row.galaxy_class,
            risk_level=row.risk_level,
            lowest_category=row.lowest_category,
            valid_until=row.valid_until,
            reasons=tuple(row.reasons),
        ),
        answers=dict(row.answers),
        assessed_on=row.assessed_on,
        renewal_flagged_on=row.renewal_flagged_on,
        renewal_kinds=tuple(row.renewal_kinds),
        renewal_reasons=tuple(row.renewal_reasons),
    )
