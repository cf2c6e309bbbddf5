"""RiskAssessmentService (risk.proto): questionnaires, assessments, professional investors.
Mapping and validation only; the rules are in domain/, the use cases in service/risk.py."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.profile.v1 import risk_pb2, risk_pb2_grpc
from mesh.rpc import parse_date, required_id, unary
from services.profile.adapters.risk_messages import (
    answers_from_proto,
    assessment_to_proto,
    evidence_from_proto,
    questionnaire_to_proto,
)
from services.profile.domain.questionnaire import list_questionnaires, load_questionnaire
from services.profile.service import risk
from services.profile.service.unit_of_work import ProfileUnitOfWork

SERVICE_NAME = risk_pb2.DESCRIPTOR.services_by_name["RiskAssessmentService"].full_name


class RiskAssessmentServicer(risk_pb2_grpc.RiskAssessmentServiceServicer):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def _uow(self) -> ProfileUnitOfWork:
        return ProfileUnitOfWork(self.engine)

    @unary
    async def ListQuestionnaires(self, request, context):  # type: ignore[no-untyped-def]
        return risk_pb2.ListQuestionnairesResponse(
            questionnaires=[questionnaire_to_proto(q) for q in list_questionnaires()]
        )

    @unary
    async def GetQuestionnaire(self, request, context):  # type: ignore[no-untyped-def]
        questionnaire_id = required_id(request.questionnaire_id, "questionnaire_id")
        return risk_pb2.GetQuestionnaireResponse(
            questionnaire=questionnaire_to_proto(load_questionnaire(questionnaire_id))
        )

    @unary
    async def SubmitAssessment(self, request, context):  # type: ignore[no-untyped-def]
        recorded = await risk.submit_assessment(
            self._uow(),
            customer_id=required_id(request.customer_id, "customer_id"),
            questionnaire_id=required_id(request.questionnaire_id, "questionnaire_id"),
            answers=answers_from_proto(request.answers),
            assessed_on=parse_date(request.assessed_on, "assessed_on", required=False),
            today=date.today(),
        )
        return risk_pb2.SubmitAssessmentResponse(assessment=assessment_to_proto(recorded))

    @unary
    async def GetAssessment(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        current = await risk.get_assessment(self._uow(), customer_id, date.today())
        return risk_pb2.GetAssessmentResponse(assessment=assessment_to_proto(current))

    @unary
    async def ListAssessments(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        history = await risk.list_assessments(self._uow(), customer_id, date.today())
        return risk_pb2.ListAssessmentsResponse(
            assessments=[assessment_to_proto(v) for v in history]
        )

    @unary
    async def RecordProfessionalEvidence(self, request, context):  # type: ignore[no-untyped-def]
        outcome = await risk.record_professional_evidence(
            self._uow(),
            required_id(request.customer_id, "customer_id"),
            evidence_from_proto(request),
            date.today(),
        )
        return risk_pb2.RecordProfessionalEvidenceResponse(
            qualified=outcome.decision.qualified,
            reason=outcome.decision.reason,
            max_product_risk=outcome.max_product_risk,
            decided_on=outcome.decided_on.isoformat(),
        )
