"""The pure parts of the risk use cases: the product-risk ceiling, the dated view of a stored
assessment, and the request mapping of answers and evidence."""

from datetime import date, timedelta

import pytest

from clienttier.profile.v1 import risk_pb2
from mesh.errors import InvalidField
from services.profile.adapters.risk_messages import (
    answers_from_proto,
    assessment_to_proto,
    evidence_from_proto,
)
from services.profile.adapters.risk_repository import StoredAssessment
from services.profile.domain.questionnaire import load_questionnaire, score_answers
from services.profile.service.risk import ceiling, view

CSRC = load_questionnaire("csrc-c5-2024")
ASSESSED = date(2025, 3, 1)


# Scores 45 (C3): q3 D 12 + q4 E 15 + q9 D 18, everything else 0.
C3_ANSWERS = {"q1": "A", "q2": "E", "q3": "D", "q4": "E", "q5": "A", "q6": "A", "q7": "A"}
C3_ANSWERS |= {"q8": "A", "q9": "D"}


def stored(lowest: bool = False, flagged: bool = False) -> StoredAssessment:
    """A CSRC assessment at C3, or lowest category (q9 A: unwilling to bear any loss)."""
    answers = C3_ANSWERS | ({"q9": "A"} if lowest else {})
    return StoredAssessment(
        assessment_id="a1",
        customer_id="C1",
        customer_version=2,
        result=score_answers(CSRC, answers, ASSESSED),
        answers=answers,
        assessed_on=ASSESSED,
        renewal_flagged_on=ASSESSED if flagged else None,
        renewal_kinds=("occupation",) if flagged else (),
        renewal_reasons=("occupation changed",) if flagged else (),
    )


VALID_DAY = date(2027, 3, 1)  # the last valid day
EXPIRED_DAY = VALID_DAY + timedelta(days=1)


def test_a_valid_ordinary_assessment_allows_its_level():
    s = stored()
    assert s.result.risk_level == "C3" and not s.result.lowest_category
    assert ceiling(s, professional=False, today=VALID_DAY) == "R3"


def test_expiry_blocks_everything_above_r1_even_for_a_professional():
    s = stored()
    assert ceiling(s, professional=False, today=EXPIRED_DAY) == "R1"
    assert ceiling(s, professional=True, today=EXPIRED_DAY) == "R1"


def test_professional_gets_r5_unless_lowest_category():
    assert ceiling(stored(), professional=True, today=VALID_DAY) == "R5"
    lowest = stored(lowest=True)
    assert lowest.result.lowest_category
    assert ceiling(lowest, professional=True, today=VALID_DAY) == "R1"


def test_without_an_assessment():
    assert ceiling(None, professional=False, today=VALID_DAY) == "R1"
    assert ceiling(None, professional=True, today=VALID_DAY) == "R5"


def test_view_is_dated_and_maps_to_the_wire():
    v = view(stored(flagged=True), professional=False, today=EXPIRED_DAY, current=False)
    assert (v.expired, v.needs_renewal, v.max_product_risk, v.current) == (True, True, "R1", False)
    m = assessment_to_proto(v)
    assert (m.galaxy_class, m.risk_level, m.valid_until) == (
        risk_pb2.GALAXY_RISK_CLASS_STEADY,
        "C3",
        "2027-03-01",
    )
    assert list(m.renewal_reasons) == ["occupation changed"]
    assert {a.question_id for a in m.answers} == {q.id for q in CSRC.questions}


def _answers(*pairs: tuple[str, str]) -> list[risk_pb2.Answer]:
    return [risk_pb2.Answer(question_id=q, option_id=o) for q, o in pairs]


def test_answers_mapping_names_blank_and_repeated_questions():
    assert answers_from_proto(_answers(("q1", "A"), (" q2 ", " B "))) == {"q1": "A", "q2": "B"}
    with pytest.raises(InvalidField, match=r"^answers\[q1\]: answered more than once"):
        answers_from_proto(_answers(("q1", "A"), ("q1", "B")))
    with pytest.raises(InvalidField, match=r"^answers\[1\]\.question_id: is required"):
        answers_from_proto(_answers(("q1", "A"), ("", "B")))


def test_evidence_mapping_parses_optional_dates():
    request = risk_pb2.RecordProfessionalEvidenceRequest(
        customer_id="C1",
        financial_assets_fen=5,
        annual_incomes_fen=[1, 2, 3],
        investment_experience_since="2020-01-02",
    )
    evidence = evidence_from_proto(request)
    assert evidence.annual_incomes_fen == (1, 2, 3)
    assert (evidence.investment_experience_since, evidence.related_work_since) == (
        date(2020, 1, 2),
        None,
    )
    request.related_work_since = "2020-02-30"
    with pytest.raises(InvalidField, match=r"^related_work_since: '2020-02-30'"):
        evidence_from_proto(request)
