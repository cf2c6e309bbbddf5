"""Risk assessment (分类) over real gRPC against a running profile on Postgres: questionnaires,
band boundaries in both schemes, the lowest-category override, expiry, history, rejected
answers leaving nothing behind, professional investors, material changes."""

from dataclasses import replace
from datetime import date, timedelta

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clienttier.profile.v1 import profile_pb2, risk_pb2, risk_pb2_grpc
from ops.dsn import admin_url as admin_on
from ops.dsn import service_url
from services.profile.domain.customer import Customer, CustomerKind
from services.profile.domain.masking import id_check_char
from services.profile.domain.questionnaire import add_years
from services.profile.service.risk import flag_material_changes
from services.profile.service.unit_of_work import ProfileUnitOfWork
from tests.e2e.helpers import retail_customer

pytestmark = pytest.mark.e2e

TODAY = date.today()
GALAXY, CSRC = "galaxy-2024", "csrc-c5-2024"
ASSET_THRESHOLD_FEN = 5_000_000 * 100
INCOME_THRESHOLD_FEN = 500_000 * 100
CLASS = risk_pb2.GalaxyRiskClass


@pytest.fixture
def risk(stubs):
    return risk_pb2_grpc.RiskAssessmentServiceStub(stubs.channels["profile"])


@pytest.fixture(scope="module")
async def admin_engine(admin_url, test_database):
    engine = create_async_engine(admin_on(admin_url, test_database))
    yield engine
    await engine.dispose()


# --- helpers ----------------------------------------------------------------------------------


def prc_id(birth: date, serial: str = "001") -> str:
    first17 = f"110101{birth:%Y%m%d}{serial}"
    return first17 + id_check_char(first17)


async def new_customer(stubs, birth: date = date(1985, 6, 15), **overrides) -> str:
    customer = retail_customer(birth_date=birth.isoformat(), id_number=prc_id(birth), **overrides)
    await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    return customer.customer_id


async def questionnaire(risk, questionnaire_id: str) -> risk_pb2.Questionnaire:
    reply = await risk.GetQuestionnaire(
        risk_pb2.GetQuestionnaireRequest(questionnaire_id=questionnaire_id)
    )
    return reply.questionnaire


def answers_scoring(q: risk_pb2.Questionnaire, target: int) -> dict[str, str]:
    """Some complete answers without lowest-category options that score exactly `target`,
    worked out from the questionnaire as served."""
    reachable: dict[int, dict[str, str]] = {0: {}}
    for question in q.questions:
        step: dict[int, dict[str, str]] = {}
        for total, chosen in reachable.items():
            for option in question.options:
                if not option.lowest_category:
                    step.setdefault(
                        total + option.score, {**chosen, question.question_id: option.option_id}
                    )
        reachable = step
    assert target in reachable, f"{q.questionnaire_id} cannot score {target}"
    return reachable[target]


def highest_answers(q: risk_pb2.Questionnaire) -> dict[str, str]:
    return {
        question.question_id: max(question.options, key=lambda o: o.score).option_id
        for question in q.questions
    }


def request(customer_id: str, questionnaire_id: str, answers: dict[str, str], assessed_on=""):
    return risk_pb2.SubmitAssessmentRequest(
        customer_id=customer_id,
        questionnaire_id=questionnaire_id,
        answers=[risk_pb2.Answer(question_id=k, option_id=v) for k, v in answers.items()],
        assessed_on=assessed_on,
    )


async def submit(risk, customer_id, questionnaire_id, answers, assessed_on=""):
    reply = await risk.SubmitAssessment(
        request(customer_id, questionnaire_id, answers, assessed_on)
    )
    return reply.assessment


async def current(risk, customer_id: str) -> risk_pb2.Assessment:
    reply = await risk.GetAssessment(risk_pb2.GetAssessmentRequest(customer_id=customer_id))
    return reply.assessment


async def rejected(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


async def outbox_events(engine, customer_id: str) -> list[tuple[str, bytes]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT event_type, payload FROM profile.outbox WHERE aggregate_id = :c ORDER BY id"
            ),
            {"c": customer_id},
        )
        return [(r.event_type, r.payload) for r in rows]


async def customer_version(engine, customer_id: str) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT version FROM profile.customers WHERE customer_id = :c"),
                {"c": customer_id},
            )
        ).scalar_one()


# --- questionnaires ---------------------------------------------------------------------------


async def test_questionnaires_are_served_in_chinese_with_english_help(risk):
    listed = (await risk.ListQuestionnaires(risk_pb2.ListQuestionnairesRequest())).questionnaires
    assert [q.questionnaire_id for q in listed] == [CSRC, GALAXY]
    galaxy = next(q for q in listed if q.questionnaire_id == GALAXY)
    assert (galaxy.min_score, galaxy.max_score, galaxy.validity_years) == (9, 100, 2)
    assert [(b.label, b.min_score, b.max_score) for b in galaxy.galaxy_bands] == [
        ("CONSERVATIVE", 9, 40),
        ("STEADY", 41, 71),
        ("AGGRESSIVE", 72, 100),
    ]
    assert {q.indicator for q in galaxy.questions} == {
        "age",
        "knowledge",
        "experience",
        "finances",
        "risk_preference",
    }
    for q in listed:
        for question in q.questions:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in question.text_zh)
            assert question.help_en.isascii() and question.help_en
    csrc = await questionnaire(risk, CSRC)
    lowest = {
        (question.question_id, o.option_id)
        for question in csrc.questions
        for o in question.options
        if o.lowest_category
    }
    assert lowest == {("q1", "B"), ("q9", "A")}

    error = await rejected(
        risk.GetQuestionnaire(risk_pb2.GetQuestionnaireRequest(questionnaire_id="nope-1"))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("questionnaire_id: unknown questionnaire 'nope-1'")


# --- scoring at the band edges ----------------------------------------------------------------

GALAXY_EDGES = [
    (9, CLASS.GALAXY_RISK_CLASS_CONSERVATIVE, "C1"),
    (40, CLASS.GALAXY_RISK_CLASS_CONSERVATIVE, "C3"),
    (41, CLASS.GALAXY_RISK_CLASS_STEADY, "C3"),
    (71, CLASS.GALAXY_RISK_CLASS_STEADY, "C4"),
    (72, CLASS.GALAXY_RISK_CLASS_AGGRESSIVE, "C4"),
    (100, CLASS.GALAXY_RISK_CLASS_AGGRESSIVE, "C5"),
]

CSRC_EDGES = [
    (6, "C1"),  # the lowest score without a lowest-category answer (those force C1 anyway)
    (19, "C1"),
    (20, "C2"),
    (39, "C2"),
    (40, "C3"),
    (59, "C3"),
    (60, "C4"),
    (79, "C4"),
    (80, "C5"),
    (100, "C5"),
]


@pytest.mark.parametrize(("score", "galaxy_class", "level"), GALAXY_EDGES)
async def test_galaxy_band_edges(stubs, risk, score, galaxy_class, level):
    cid = await new_customer(stubs)
    answers = answers_scoring(await questionnaire(risk, GALAXY), score)
    a = await submit(risk, cid, GALAXY, answers)
    assert (a.score, a.galaxy_class, a.risk_level) == (score, galaxy_class, level)
    assert not a.lowest_category and not a.expired and not a.needs_renewal and a.current
    assert a.max_product_risk == "R" + level[1]
    assert (a.assessed_on, a.valid_until) == (TODAY.isoformat(), add_years(TODAY, 2).isoformat())
    assert a.questionnaire_version == "2024.1"
    assert {x.question_id: x.option_id for x in a.answers} == answers
    assert any(f"score {score} is in" in r for r in a.reasons)
    assert await current(risk, cid) == a


@pytest.mark.parametrize(("score", "level"), CSRC_EDGES)
async def test_c_band_edges(stubs, risk, score, level):
    cid = await new_customer(stubs)
    a = await submit(risk, cid, CSRC, answers_scoring(await questionnaire(risk, CSRC), score))
    assert (a.score, a.risk_level, a.lowest_category) == (score, level, False)
    expected_class = "CONSERVATIVE" if score <= 40 else "STEADY" if score <= 71 else "AGGRESSIVE"
    assert CLASS.Name(a.galaxy_class) == "GALAXY_RISK_CLASS_" + expected_class
    assert a.max_product_risk == "R" + level[1]


@pytest.mark.parametrize("trigger", [("q1", "B"), ("q9", "A")])
async def test_lowest_category_forces_c1_whatever_the_score(stubs, risk, trigger):
    cid = await new_customer(stubs)
    answers = highest_answers(await questionnaire(risk, CSRC)) | dict([trigger])
    a = await submit(risk, cid, CSRC, answers)
    assert a.score >= 80  # C5 on the score alone
    assert a.lowest_category
    assert (a.risk_level, a.galaxy_class) == ("C1", CLASS.GALAXY_RISK_CLASS_CONSERVATIVE)
    assert a.max_product_risk == "R1"
    assert any("lowest category" in r and f"{trigger[0]}={trigger[1]}" in r for r in a.reasons)


# --- validity ---------------------------------------------------------------------------------


async def test_valid_through_valid_until_and_expired_the_day_after(stubs, risk):
    q = await questionnaire(risk, GALAXY)
    answers = answers_scoring(q, 72)  # C4: R4 while valid

    cid = await new_customer(stubs)
    last_valid_day = add_years(TODAY, -2)
    a = await submit(risk, cid, GALAXY, answers, last_valid_day.isoformat())
    assert a.valid_until == TODAY.isoformat()
    assert (a.expired, a.max_product_risk) == (False, "R4")

    cid = await new_customer(stubs)
    a = await submit(risk, cid, GALAXY, answers, (last_valid_day - timedelta(days=1)).isoformat())
    assert a.valid_until == (TODAY - timedelta(days=1)).isoformat()
    assert (a.expired, a.max_product_risk) == (True, "R1")
    assert (await current(risk, cid)).expired


async def test_an_old_assessment_is_expired_and_allows_r1_only(stubs, risk):
    cid = await new_customer(stubs)
    q = await questionnaire(risk, GALAXY)
    # Three years ago, or as early as the questionnaire allows (it took effect 2024-01-01).
    assessed = max(add_years(TODAY, -3), date.fromisoformat(q.effective_from))
    await submit(risk, cid, GALAXY, highest_answers(q), assessed.isoformat())
    a = await current(risk, cid)
    assert (a.risk_level, a.expired, a.max_product_risk) == ("C5", True, "R1")


async def test_assessment_dates_are_checked(stubs, risk):
    cid = await new_customer(stubs)
    answers = answers_scoring(await questionnaire(risk, GALAXY), 50)
    cases = {
        (TODAY + timedelta(days=1)).isoformat(): "is in the future",
        "2023-12-31": "before questionnaire galaxy-2024 v2024.1 takes effect",
        "2026-02-30": "is not a valid date",
        "21/11/2026": "is not a date in the format YYYY-MM-DD",
    }
    for day, message in cases.items():
        error = await rejected(risk.SubmitAssessment(request(cid, GALAXY, answers, day)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details().startswith("assessed_on: ") and message in error.details()


# --- history ----------------------------------------------------------------------------------


async def test_every_submission_is_kept_and_the_newest_is_current(stubs, risk, admin_engine):
    cid = await new_customer(stubs)
    galaxy, csrc = await questionnaire(risk, GALAXY), await questionnaire(risk, CSRC)
    first = await submit(risk, cid, GALAXY, answers_scoring(galaxy, 30), "2025-03-01")
    second = await submit(risk, cid, CSRC, answers_scoring(csrc, 65), "2026-01-10")
    # A paper assessment entered late is still the newest submission, so it is current.
    third = await submit(risk, cid, GALAXY, answers_scoring(galaxy, 85), "2025-06-01")

    history = (
        await risk.ListAssessments(risk_pb2.ListAssessmentsRequest(customer_id=cid))
    ).assessments
    assert [a.assessment_id for a in history] == [
        third.assessment_id,
        second.assessment_id,
        first.assessment_id,
    ]
    assert [a.current for a in history] == [True, False, False]
    assert [a.score for a in history] == [85, 65, 30]
    assert [a.questionnaire_id for a in history] == [GALAXY, CSRC, GALAXY]
    assert {x.question_id: x.option_id for x in history[1].answers} == answers_scoring(csrc, 65)
    assert (await current(risk, cid)).assessment_id == third.assessment_id
    assert len({a.assessment_id for a in history}) == 3

    # Each submission bumped the customer's version and published one event carrying it.
    assert await customer_version(admin_engine, cid) == 4
    events = await outbox_events(admin_engine, cid)
    recorded = [
        risk_pb2.AssessmentRecorded.FromString(payload)
        for kind, payload in events
        if kind == "clienttier.profile.v1.AssessmentRecorded"
    ]
    assert [(e.assessment.assessment_id, e.version) for e in recorded] == [
        (first.assessment_id, 2),
        (second.assessment_id, 3),
        (third.assessment_id, 4),
    ]
    last = recorded[-1].assessment
    assert (last.customer_id, last.galaxy_class, last.risk_level, last.lowest_category) == (
        cid,
        CLASS.GALAXY_RISK_CLASS_AGGRESSIVE,
        "C5",
        False,
    )
    assert (last.valid_until, last.max_product_risk) == ("2027-06-01", "R5")


async def test_unknown_customer_and_no_assessment_are_not_found(stubs, risk):
    cid = await new_customer(stubs)
    error = await rejected(risk.GetAssessment(risk_pb2.GetAssessmentRequest(customer_id=cid)))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "assessment of customer" in error.details()
    reply = await risk.ListAssessments(risk_pb2.ListAssessmentsRequest(customer_id=cid))
    assert list(reply.assessments) == []

    for call in (
        risk.GetAssessment(risk_pb2.GetAssessmentRequest(customer_id="CNOBODY")),
        risk.ListAssessments(risk_pb2.ListAssessmentsRequest(customer_id="CNOBODY")),
    ):
        error = await rejected(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert error.details() == "customer 'CNOBODY' not found"


# --- rejected answers -------------------------------------------------------------------------


async def test_bad_answers_name_the_question_and_leave_nothing_behind(stubs, risk, admin_engine):
    cid = await new_customer(stubs)
    q = await questionnaire(risk, GALAXY)
    good = answers_scoring(q, 50)
    without_q3 = {k: v for k, v in good.items() if k != "q3"}
    cases = [
        (request(cid, GALAXY, without_q3), "answers[q3]: missing answer; choose one of A, B, C, D"),
        (request(cid, GALAXY, good | {"q3": "E"}), "answers[q3]: unknown option 'E'"),
        (request(cid, GALAXY, good | {"q99": "A"}), "answers[q99]: unknown question"),
        (request(cid, GALAXY, {}), "answers[q1]: missing answer"),
        (request(cid, "", good), "questionnaire_id: is required"),
        (request(cid, "galaxy-1999", good), "questionnaire_id: unknown questionnaire"),
        (request("", GALAXY, good), "customer_id: is required"),
    ]
    repeated = request(cid, GALAXY, good)
    repeated.answers.append(risk_pb2.Answer(question_id="q1", option_id="B"))
    cases.append((repeated, "answers[q1]: answered more than once"))
    blank = request(cid, GALAXY, good)
    blank.answers.append(risk_pb2.Answer(question_id=" ", option_id="A"))
    cases.append((blank, f"answers[{len(good)}].question_id: is required"))

    for req, message in cases:
        error = await rejected(risk.SubmitAssessment(req))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, message
        assert error.details().startswith(message), (error.details(), message)

    error = await rejected(risk.SubmitAssessment(request("CNOBODY", GALAXY, good)))
    assert error.code() == grpc.StatusCode.NOT_FOUND

    reply = await risk.ListAssessments(risk_pb2.ListAssessmentsRequest(customer_id=cid))
    assert list(reply.assessments) == []
    assert await customer_version(admin_engine, cid) == 1
    assert [kind for kind, _ in await outbox_events(admin_engine, cid)] == [
        "clienttier.profile.v1.CustomerChanged"
    ]
    assert await outbox_events(admin_engine, "CNOBODY") == []


# --- professional investors -------------------------------------------------------------------

TWO_YEARS_AGO = add_years(TODAY, -2)


def evidence(cid: str, assets=0, incomes=(), invested: date | None = None, worked=None):
    return risk_pb2.RecordProfessionalEvidenceRequest(
        customer_id=cid,
        financial_assets_fen=assets,
        annual_incomes_fen=list(incomes),
        investment_experience_since="" if invested is None else invested.isoformat(),
        related_work_since="" if worked is None else worked.isoformat(),
    )


EVIDENCE_CASES = {
    "assets at the threshold": (ASSET_THRESHOLD_FEN, (), TWO_YEARS_AGO, None, True),
    "assets one fen short": (ASSET_THRESHOLD_FEN - 1, (), TWO_YEARS_AGO, None, False),
    "average income at the threshold": (0, (INCOME_THRESHOLD_FEN,) * 3, TWO_YEARS_AGO, None, True),
    "average income one fen short": (
        0,
        (INCOME_THRESHOLD_FEN, INCOME_THRESHOLD_FEN, INCOME_THRESHOLD_FEN - 1),
        TWO_YEARS_AGO,
        None,
        False,
    ),
    "related work for exactly two years": (ASSET_THRESHOLD_FEN, (), None, TWO_YEARS_AGO, True),
    "experience a day short of two years": (
        ASSET_THRESHOLD_FEN,
        (),
        TWO_YEARS_AGO + timedelta(days=1),
        TWO_YEARS_AGO + timedelta(days=1),
        False,
    ),
    "no experience": (ASSET_THRESHOLD_FEN * 10, (), None, None, False),
}


@pytest.mark.parametrize("case", list(EVIDENCE_CASES))
async def test_professional_evidence_at_the_thresholds(stubs, risk, admin_engine, case):
    assets, incomes, invested, worked, qualified = EVIDENCE_CASES[case]
    cid = await new_customer(stubs)
    await submit(risk, cid, GALAXY, answers_scoring(await questionnaire(risk, GALAXY), 25))  # C2

    reply = await risk.RecordProfessionalEvidence(evidence(cid, assets, incomes, invested, worked))
    assert reply.qualified is qualified, reply.reason
    assert reply.reason.startswith("qualified" if qualified else "not a professional")
    assert reply.max_product_risk == ("R5" if qualified else "R2")
    assert reply.decided_on == TODAY.isoformat()

    a = await current(risk, cid)
    assert (a.professional, a.max_product_risk) == (qualified, reply.max_product_risk)

    kinds, payload = zip(*await outbox_events(admin_engine, cid), strict=True)
    assert kinds[-1] == "clienttier.profile.v1.ProfessionalStatusChanged"
    event = risk_pb2.ProfessionalStatusChanged.FromString(payload[-1])
    assert (event.customer_id, event.qualified, event.version) == (cid, qualified, 3)
    assert (event.reason, event.max_product_risk) == (reply.reason, reply.max_product_risk)


async def test_professional_status_is_the_latest_decision_and_lowest_category_still_wins(
    stubs, risk
):
    cid = await new_customer(stubs)
    reply = await risk.RecordProfessionalEvidence(
        evidence(cid, ASSET_THRESHOLD_FEN, (), TWO_YEARS_AGO)
    )
    assert (reply.qualified, reply.max_product_risk) == (True, "R5")  # no assessment needed

    csrc = await questionnaire(risk, CSRC)
    a = await submit(risk, cid, CSRC, highest_answers(csrc) | {"q9": "A"})
    assert (a.professional, a.lowest_category, a.max_product_risk) == (True, True, "R1")

    a = await submit(risk, cid, CSRC, answers_scoring(csrc, 45))  # C3, but professional
    assert (a.professional, a.max_product_risk) == (True, "R5")

    reply = await risk.RecordProfessionalEvidence(evidence(cid, 0, (), TWO_YEARS_AGO))
    assert (reply.qualified, reply.max_product_risk) == (False, "R3")
    assert (await current(risk, cid)).professional is False


async def test_bad_professional_evidence_is_rejected(stubs, risk):
    cid = await new_customer(stubs)
    cases = [
        (evidence(cid, -1), "financial_assets_fen: must not be negative"),
        (evidence(cid, 0, (1, 2)), "annual_incomes_fen: give the last 3 years' incomes or none"),
        (evidence(cid, 0, (1, -2, 3)), "annual_incomes_fen[1]: must not be negative"),
        (
            evidence(cid, 0, (), TODAY + timedelta(days=1)),
            "investment_experience_since: ",
        ),
        (evidence("", 0), "customer_id: is required"),
    ]
    bad_date = evidence(cid, 0)
    bad_date.related_work_since = "2020-13-01"
    cases.append((bad_date, "related_work_since: '2020-13-01' is not a valid date"))
    for req, message in cases:
        error = await rejected(risk.RecordProfessionalEvidence(req))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, message
        assert error.details().startswith(message), (error.details(), message)

    error = await rejected(risk.RecordProfessionalEvidence(evidence("CNOBODY", 0)))
    assert error.code() == grpc.StatusCode.NOT_FOUND


# --- material changes (the hook UpdateCustomer calls in its unit of work) ---------------------


@pytest.fixture(scope="module")
async def profile_engine(mesh, admin_url, test_database):
    """profile's own role, as UpdateCustomer would use it."""
    engine = create_async_engine(service_url(admin_url, "profile", test_database))
    yield engine
    await engine.dispose()


def domain_customer(cid: str, birth: date, **changes) -> Customer:
    customer = Customer(
        customer_id=cid,
        kind=CustomerKind.RETAIL,
        name="李四",
        birth_date=birth,
        occupation="engineer",
        phone="13812345678",
        id_number=prc_id(birth),
        id_expiry_date=None,
        branch_id="B001",
        open_date=date(2020, 3, 1),
    )
    return replace(customer, **changes)


async def flag(engine, old: Customer, new: Customer, on: date = TODAY) -> None:
    uow = ProfileUnitOfWork(engine)
    async with uow:
        await flag_material_changes(uow, old, new, on)
        await uow.commit()


async def renewal_events(engine, cid: str) -> list[risk_pb2.AssessmentNeedsRenewal]:
    return [
        risk_pb2.AssessmentNeedsRenewal.FromString(payload)
        for kind, payload in await outbox_events(engine, cid)
        if kind == "clienttier.profile.v1.AssessmentNeedsRenewal"
    ]


async def test_a_material_change_marks_the_assessment_for_renewal(
    stubs, risk, profile_engine, admin_engine
):
    birth = date(1985, 6, 15)
    cid = await new_customer(stubs, birth)
    old = domain_customer(cid, birth)

    await flag(profile_engine, old, replace(old, occupation="retired"))  # not assessed yet
    assert await renewal_events(admin_engine, cid) == []

    answers = answers_scoring(await questionnaire(risk, GALAXY), 60)
    a = await submit(risk, cid, GALAXY, answers, "2025-05-01")

    await flag(profile_engine, old, replace(old, phone="13900000000"))  # not material
    assert not (await current(risk, cid)).needs_renewal
    assert await renewal_events(admin_engine, cid) == []

    await flag(profile_engine, old, replace(old, occupation="retired", income_band="<100k"))
    now = await current(risk, cid)
    assert now.needs_renewal and now.assessment_id == a.assessment_id
    assert len(now.renewal_reasons) == 2
    assert now.renewal_reasons[0].startswith(
        "occupation changed from 'engineer' to 'retired' since the assessment on 2025-05-01"
    )
    assert now.renewal_reasons[1].startswith("income band changed from '' to '<100k'")
    assert now.max_product_risk == "R4"  # still valid: only expiry blocks above R1

    [event] = await renewal_events(admin_engine, cid)
    assert (event.customer_id, event.assessment_id) == (cid, a.assessment_id)
    assert list(event.reasons) == list(now.renewal_reasons)
    assert event.flagged_on == TODAY.isoformat()

    # A new assessment starts clean.
    again = await submit(risk, cid, GALAXY, answers)
    assert not again.needs_renewal and list(again.renewal_reasons) == []
    history = (
        await risk.ListAssessments(risk_pb2.ListAssessmentsRequest(customer_id=cid))
    ).assessments
    assert [h.needs_renewal for h in history] == [False, True]


async def test_crossing_sixty_since_the_assessment_is_flagged_once(
    stubs, risk, profile_engine, admin_engine
):
    birth = add_years(TODAY, -60)  # sixty today: 59 when assessed a year ago
    cid = await new_customer(stubs, birth)
    answers = answers_scoring(await questionnaire(risk, GALAXY), 45)
    await submit(risk, cid, GALAXY, answers, add_years(TODAY, -1).isoformat())

    old = domain_customer(cid, birth)
    await flag(profile_engine, old, replace(old, phone="13900000000"))
    await flag(profile_engine, old, replace(old, phone="13700000000"))

    now = await current(risk, cid)
    assert now.needs_renewal
    [reason] = now.renewal_reasons
    assert reason.startswith(f"age reached 60: 59 at the assessment on {add_years(TODAY, -1)}")
    assert len(await renewal_events(admin_engine, cid)) == 1
