"""Questionnaires and assessments as protobuf messages (the wire and event format), and the
requests' answers and evidence back into domain values."""

from clienttier.profile.v1 import risk_pb2
from mesh.errors import InvalidField
from mesh.rpc import parse_date
from services.profile.adapters.risk_repository import AssessmentView
from services.profile.domain.professional import ProfessionalEvidence
from services.profile.domain.questionnaire import Band, Questionnaire

_GALAXY_PREFIX = "GALAXY_RISK_CLASS_"


def _band_to_proto(band: Band) -> risk_pb2.Band:
    return risk_pb2.Band(
        label=band.label, name_zh=band.name_zh, min_score=band.min, max_score=band.max
    )


def questionnaire_to_proto(q: Questionnaire) -> risk_pb2.Questionnaire:
    return risk_pb2.Questionnaire(
        questionnaire_id=q.id,
        version=q.version,
        effective_from=q.effective_from.isoformat(),
        validity_years=q.validity_years,
        questions=[
            risk_pb2.Question(
                question_id=question.id,
                indicator=question.indicator,
                text_zh=question.text_zh,
                help_en=question.help_en,
                options=[
                    risk_pb2.Option(
                        option_id=o.id,
                        text_zh=o.text_zh,
                        help_en=o.help_en,
                        score=o.score,
                        lowest_category=o.lowest_category,
                    )
                    for o in question.options
                ],
            )
            for question in q.questions
        ],
        title_zh=q.title_zh,
        title_en=q.title_en,
        min_score=q.min_score,
        max_score=q.max_score,
        galaxy_bands=[_band_to_proto(b) for b in q.galaxy_bands],
        risk_level_bands=[_band_to_proto(b) for b in q.risk_level_bands],
    )


def assessment_to_proto(v: AssessmentView) -> risk_pb2.Assessment:
    s, r = v.stored, v.stored.result
    return risk_pb2.Assessment(
        assessment_id=s.assessment_id,
        customer_id=s.customer_id,
        questionnaire_id=r.questionnaire_id,
        questionnaire_version=r.questionnaire_version,
        score=r.score,
        galaxy_class=risk_pb2.GalaxyRiskClass.Value(_GALAXY_PREFIX + r.galaxy_class),
        risk_level=r.risk_level,
        lowest_category=r.lowest_category,
        assessed_on=s.assessed_on.isoformat(),
        valid_until=r.valid_until.isoformat(),
        expired=v.expired,
        needs_renewal=v.needs_renewal,
        max_product_risk=v.max_product_risk,
        reasons=r.reasons,
        answers=[risk_pb2.Answer(question_id=q, option_id=o) for q, o in s.answers.items()],
        professional=v.professional,
        renewal_reasons=s.renewal_reasons,
        current=v.current,
    )


def answers_from_proto(answers: list[risk_pb2.Answer]) -> dict[str, str]:
    """{question_id: option_id}; a blank or repeated question is named in the error. Whether
    every question is answered, and with a known option, is the scoring's to say."""
    chosen: dict[str, str] = {}
    for i, answer in enumerate(answers):
        question_id = answer.question_id.strip()
        if not question_id:
            raise InvalidField(f"answers[{i}].question_id", "is required")
        if question_id in chosen:
            raise InvalidField(f"answers[{question_id}]", "answered more than once")
        chosen[question_id] = answer.option_id.strip()
    return chosen


def evidence_from_proto(m: risk_pb2.RecordProfessionalEvidenceRequest) -> ProfessionalEvidence:
    # Amounts are range-checked (non-negative, three incomes or none) by assess_professional.
    return ProfessionalEvidence(
        financial_assets_fen=m.financial_assets_fen,
        annual_incomes_fen=tuple(m.annual_incomes_fen),
        investment_experience_since=parse_date(
            m.investment_experience_since, "investment_experience_since", required=False
        ),
        related_work_since=parse_date(m.related_work_since, "related_work_since", required=False),
    )
