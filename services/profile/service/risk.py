"""Risk assessment use cases (分类). Each runs in one unit of work: the change, the customer's
version bump and the event commit together or not at all."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from clienttier.profile.v1 import risk_pb2
from mesh.errors import InvalidField, NotFound
from services.profile.adapters.risk_messages import assessment_to_proto
from services.profile.adapters.risk_repository import (
    AssessmentView,
    RiskRepository,
    StoredAssessment,
)
from services.profile.domain.customer import Customer
from services.profile.domain.material_change import CustomerAttributes, detect_material_changes
from services.profile.domain.professional import (
    ProfessionalDecision,
    ProfessionalEvidence,
    assess_professional,
)
from services.profile.domain.questionnaire import (
    PRODUCT_RISKS,
    is_expired,
    load_questionnaire,
    max_product_risk,
    score_answers,
)
from services.profile.service.unit_of_work import ProfileUnitOfWork

# Nothing above R1 without a valid assessment (DOMAIN.md 2: an expired one blocks the rest).
FLOOR = PRODUCT_RISKS[0]


def ceiling(stored: StoredAssessment | None, professional: bool, today: date) -> str:
    """The highest product risk the customer may be offered today.

    An expired assessment allows R1 only, even for a professional (it has to be redone);
    lowest category allows R1 only, whatever else; a professional gets R5 otherwise, with or
    without an assessment; an ordinary investor gets what their level maps to, and R1 with no
    assessment at all."""
    if stored is None:
        # The professional ceiling comes from the suitability rules; the level plays no part.
        return max_product_risk("C1", False, True) if professional else FLOOR
    result = stored.result
    if is_expired(result.valid_until, today):
        return FLOOR
    return max_product_risk(result.risk_level, result.lowest_category, professional)


def view(
    stored: StoredAssessment, professional: bool, today: date, current: bool = True
) -> AssessmentView:
    return AssessmentView(
        stored=stored,
        expired=is_expired(stored.result.valid_until, today),
        needs_renewal=stored.renewal_flagged_on is not None,
        professional=professional,
        max_product_risk=ceiling(stored, professional, today),
        current=current,
    )


async def submit_assessment(
    uow: ProfileUnitOfWork,
    customer_id: str,
    questionnaire_id: str,
    answers: Mapping[str, str],
    assessed_on: date | None,
    today: date,
) -> AssessmentView:
    assessed_on = assessed_on or today
    if assessed_on > today:
        raise InvalidField("assessed_on", f"{assessed_on} is in the future (today is {today})")
    # Scored before any write: bad answers are rejected with nothing touched.
    result = score_answers(load_questionnaire(questionnaire_id), answers, assessed_on)
    async with uow:
        risk = RiskRepository(uow.conn)
        version = await risk.bump_customer_version(customer_id)
        if version is None:
            raise NotFound("customer", customer_id)
        stored = await risk.add_assessment(customer_id, version, result, answers, assessed_on)
        recorded = view(stored, await risk.is_professional(customer_id), today)
        uow.publish(
            customer_id,
            risk_pb2.AssessmentRecorded(assessment=assessment_to_proto(recorded), version=version),
        )
        await uow.commit()
    return recorded


async def get_assessment(uow: ProfileUnitOfWork, customer_id: str, today: date) -> AssessmentView:
    async with uow:
        risk = RiskRepository(uow.conn)
        stored = await risk.current_assessment(customer_id)
        if stored is None:
            if await risk.customer_exists(customer_id):
                raise NotFound("assessment of customer", customer_id)
            raise NotFound("customer", customer_id)
        return view(stored, await risk.is_professional(customer_id), today)


async def list_assessments(
    uow: ProfileUnitOfWork, customer_id: str, today: date
) -> list[AssessmentView]:
    """Newest first; the first is the current one."""
    async with uow:
        risk = RiskRepository(uow.conn)
        if not await risk.customer_exists(customer_id):
            raise NotFound("customer", customer_id)
        history = await risk.list_assessments(customer_id)
        professional = await risk.is_professional(customer_id)
    return [view(s, professional, today, current=i == 0) for i, s in enumerate(history)]


@dataclass(frozen=True)
class ProfessionalOutcome:
    decision: ProfessionalDecision
    max_product_risk: str
    decided_on: date
    version: int


async def record_professional_evidence(
    uow: ProfileUnitOfWork, customer_id: str, evidence: ProfessionalEvidence, today: date
) -> ProfessionalOutcome:
    decision = assess_professional(evidence, today)  # rejects bad evidence before any write
    async with uow:
        risk = RiskRepository(uow.conn)
        version = await risk.bump_customer_version(customer_id)
        if version is None:
            raise NotFound("customer", customer_id)
        await risk.add_professional_decision(customer_id, version, evidence, decision, today)
        current = await risk.current_assessment(customer_id)
        outcome = ProfessionalOutcome(
            decision, ceiling(current, decision.qualified, today), today, version
        )
        uow.publish(
            customer_id,
            risk_pb2.ProfessionalStatusChanged(
                customer_id=customer_id,
                qualified=decision.qualified,
                reason=decision.reason,
                max_product_risk=outcome.max_product_risk,
                version=version,
                decided_on=today.isoformat(),
            ),
        )
        await uow.commit()
    return outcome


# --- material changes (called from UpdateCustomer's unit of work) ---------------------------


def _attributes(customer: Customer, birth_date: date) -> CustomerAttributes:
    return CustomerAttributes(
        occupation=customer.occupation,
        income_band=customer.income_band,
        birth_date=birth_date,
    )


async def flag_material_changes(
    uow: ProfileUnitOfWork, old: Customer, new: Customer, on: date
) -> None:
    """Inside the caller's unit of work: when the change from `old` to `new` is material
    (occupation, income band, age crossing 60/70 since the assessment), mark the customer's
    current assessment as needing renewal and publish AssessmentNeedsRenewal."""
    risk = RiskRepository(uow.conn)
    stored = await risk.current_assessment(new.customer_id, for_update=True)
    if stored is None:
        return
    # An institution has no birth date: no age to cross, and a missing date is not a change.
    birth = new.birth_date or old.birth_date or stored.assessed_on
    on = max(on, stored.assessed_on)  # a backdated change cannot predate the assessment
    changes = detect_material_changes(
        _attributes(old, old.birth_date or birth),
        _attributes(new, new.birth_date or birth),
        stored.assessed_on,
        on,
    )
    # Field changes are real changes in this update; an age crossing is a state since the
    # assessment that every later update would see again, so it is reported once.
    changes = [
        c for c in changes if c.kind != "age_threshold" or c.kind not in stored.renewal_kinds
    ]
    if not changes:
        return
    reasons = [c.reason for c in changes]
    await risk.flag_renewal(stored.assessment_id, on, [c.kind for c in changes], reasons)
    uow.publish(
        new.customer_id,
        risk_pb2.AssessmentNeedsRenewal(
            customer_id=new.customer_id,
            assessment_id=stored.assessment_id,
            reasons=reasons,
            flagged_on=on.isoformat(),
        ),
    )
