"""Risk questionnaires: shipped data, scoring, both band schemes, overrides, validity."""

import copy
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.profile.domain.errors import DomainError, InvalidField, RuleDataError
from services.profile.domain.questionnaire import (
    GALAXY_CLASSES,
    RISK_LEVELS,
    Questionnaire,
    add_years,
    is_expired,
    list_questionnaires,
    load_questionnaire,
    max_product_risk,
    parse_questionnaire,
    read_rule_file,
    score_answers,
)

GALAXY = load_questionnaire("galaxy-2024")
CSRC = load_questionnaire("csrc-c5-2024")
ON = date(2026, 11, 21)


def spec_galaxy_class(score: int) -> str:
    """DOMAIN.md section 2, independent of the data files: 9-40, 41-71, 72-100."""
    return "CONSERVATIVE" if score <= 40 else "STEADY" if score <= 71 else "AGGRESSIVE"


def spec_risk_level(score: int) -> str:
    """Example bands C1 0-19, C2 20-39, C3 40-59, C4 60-79, C5 80-100."""
    return f"C{min(score // 20, 4) + 1}"


def answers_for(q: Questionnaire, target: int) -> dict[str, str] | None:
    """Some complete answer set without lowest-category options scoring exactly target."""
    reachable: dict[int, dict[str, str]] = {0: {}}
    for question in q.questions:
        step: dict[int, dict[str, str]] = {}
        for total, chosen in reachable.items():
            for option in question.options:
                if not option.lowest_category:
                    step.setdefault(total + option.score, {**chosen, question.id: option.id})
        reachable = step
    return reachable.get(target)


def answers_strategy(q: Questionnaire) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {question.id: st.sampled_from([o.id for o in question.options]) for question in q.questions}
    )


def expected_score(q: Questionnaire, answers: dict[str, str]) -> int:
    return sum(question.option(answers[question.id]).score for question in q.questions)


# --- shipped data ---------------------------------------------------------------------------


def test_both_questionnaires_are_shipped_and_listed():
    assert [q.id for q in list_questionnaires()] == ["csrc-c5-2024", "galaxy-2024"]
    for q in list_questionnaires():
        assert q.version and q.effective_from <= ON and q.validity_years == 2
        for question in q.questions:
            assert question.text_zh and question.help_en
            assert all(o.text_zh and o.help_en for o in question.options)


def test_galaxy_spans_exactly_9_to_100():
    assert (GALAXY.min_score, GALAXY.max_score) == (9, 100)
    assert [(b.label, b.min, b.max) for b in GALAXY.galaxy_bands] == [
        ("CONSERVATIVE", 9, 40),
        ("STEADY", 41, 71),
        ("AGGRESSIVE", 72, 100),
    ]


def test_csrc_spans_0_to_100_with_the_example_c_bands():
    assert (CSRC.min_score, CSRC.max_score) == (0, 100)
    assert [(b.label, b.min, b.max) for b in CSRC.risk_level_bands] == [
        ("C1", 0, 19),
        ("C2", 20, 39),
        ("C3", 40, 59),
        ("C4", 60, 79),
        ("C5", 80, 100),
    ]


def test_only_the_c5_questionnaire_has_lowest_category_answers():
    def flagged(q):
        return {(qu.id, o.id) for qu in q.questions for o in qu.options if o.lowest_category}

    assert flagged(CSRC) == {("q1", "B"), ("q9", "A")}
    assert flagged(GALAXY) == set()


# --- band boundaries ------------------------------------------------------------------------

GALAXY_SCORES = [9, 19, 20, 39, 40, 41, 59, 60, 71, 72, 79, 80, 100]
CSRC_SCORES = [6, 19, 20, 39, 40, 41, 59, 60, 71, 72, 79, 80, 100]


@pytest.mark.parametrize(
    ("q", "score"),
    [(GALAXY, s) for s in GALAXY_SCORES] + [(CSRC, s) for s in CSRC_SCORES],
    ids=lambda v: getattr(v, "id", str(v)),
)
def test_band_boundaries_in_both_schemes(q, score):
    answers = answers_for(q, score)
    assert answers is not None, f"no answers reach {score}"
    result = score_answers(q, answers, ON)
    assert result.score == score
    assert result.galaxy_class == spec_galaxy_class(score)
    assert result.risk_level == spec_risk_level(score)
    assert not result.lowest_category


def test_named_galaxy_boundaries():
    def classify(score):
        return score_answers(GALAXY, answers_for(GALAXY, score), ON).galaxy_class

    assert (classify(40), classify(41)) == ("CONSERVATIVE", "STEADY")
    assert (classify(71), classify(72)) == ("STEADY", "AGGRESSIVE")


def test_min_and_max_answers():
    lowest = {qu.id: min(qu.options, key=lambda o: o.score).id for qu in GALAXY.questions}
    highest = {qu.id: max(qu.options, key=lambda o: o.score).id for qu in GALAXY.questions}
    low, high = score_answers(GALAXY, lowest, ON), score_answers(GALAXY, highest, ON)
    assert (low.score, low.galaxy_class, low.risk_level) == (9, "CONSERVATIVE", "C1")
    assert (high.score, high.galaxy_class, high.risk_level) == (100, "AGGRESSIVE", "C5")


@given(answers=answers_strategy(GALAXY))
def test_galaxy_any_answers_score_and_classify_per_spec(answers):
    result = score_answers(GALAXY, answers, ON)
    assert result.score == expected_score(GALAXY, answers)
    assert 9 <= result.score <= 100
    assert result.galaxy_class == spec_galaxy_class(result.score)
    assert result.risk_level == spec_risk_level(result.score)
    assert result.lowest_category is False
    assert (result.questionnaire_id, result.questionnaire_version) == ("galaxy-2024", "2024.1")


@given(answers=answers_strategy(CSRC))
def test_csrc_any_answers_classify_per_spec_unless_lowest(answers):
    result = score_answers(CSRC, answers, ON)
    assert result.score == expected_score(CSRC, answers)
    lowest = answers["q1"] == "B" or answers["q9"] == "A"
    assert result.lowest_category is lowest
    if lowest:
        assert (result.risk_level, result.galaxy_class) == ("C1", "CONSERVATIVE")
    else:
        assert result.risk_level == spec_risk_level(result.score)
        assert result.galaxy_class == spec_galaxy_class(result.score)
    assert result.galaxy_class in GALAXY_CLASSES and result.risk_level in RISK_LEVELS


# --- lowest-category override ---------------------------------------------------------------


@pytest.mark.parametrize("trigger", [("q1", "B"), ("q9", "A")])
def test_lowest_category_forces_c1_even_on_a_high_score(trigger):
    answers = {qu.id: max(qu.options, key=lambda o: o.score).id for qu in CSRC.questions}
    answers[trigger[0]] = trigger[1]
    result = score_answers(CSRC, answers, ON)
    assert result.score >= 80  # C5 on points alone
    assert result.lowest_category
    assert (result.risk_level, result.galaxy_class) == ("C1", "CONSERVATIVE")
    reason = next(r for r in result.reasons if r.startswith("lowest category"))
    assert f"{trigger[0]}={trigger[1]}" in reason and str(result.score) in reason
    assert "C5" in reason  # what the score alone would have given


@given(answers=answers_strategy(CSRC), trigger=st.sampled_from([("q1", "B"), ("q9", "A")]))
def test_lowest_category_override_whatever_the_score(answers, trigger):
    answers = {**answers, trigger[0]: trigger[1]}
    result = score_answers(CSRC, answers, ON)
    assert result.lowest_category and result.risk_level == "C1"
    assert max_product_risk(result.risk_level, result.lowest_category, professional=True) == "R1"


# --- rejections -----------------------------------------------------------------------------


def _complete(q: Questionnaire) -> dict[str, str]:
    return {qu.id: qu.options[0].id for qu in q.questions}


def test_missing_answer_names_the_question():
    answers = _complete(GALAXY)
    del answers["q3"]
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, answers, ON)
    assert err.value.field == "answers[q3]"
    assert isinstance(err.value, DomainError)
    assert str(err.value).startswith("answers[q3]: missing answer")


def test_empty_answers_name_the_first_question():
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, {}, ON)
    assert err.value.field == "answers[q1]"


def test_unknown_option_names_the_question():
    answers = {**_complete(GALAXY), "q3": "E"}  # q3 has A..D only
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, answers, ON)
    assert err.value.field == "answers[q3]"
    assert "'E'" in err.value.message and "A, B, C, D" in err.value.message


def test_non_string_option_is_rejected():
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, {**_complete(GALAXY), "q5": None}, ON)
    assert err.value.field == "answers[q5]"


def test_unknown_question_is_rejected():
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, {**_complete(GALAXY), "q99": "A"}, ON)
    assert err.value.field == "answers[q99]"


@given(answers=answers_strategy(GALAXY), drop=st.sampled_from([q.id for q in GALAXY.questions]))
def test_any_incomplete_answers_are_rejected(answers, drop):
    del answers[drop]
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, answers, ON)
    assert err.value.field == f"answers[{drop}]"


def test_answers_must_be_a_mapping():
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, ["A"] * 12, ON)  # type: ignore[arg-type]
    assert err.value.field == "answers"


def test_assessment_before_the_questionnaire_takes_effect_is_rejected():
    with pytest.raises(InvalidField) as err:
        score_answers(GALAXY, _complete(GALAXY), GALAXY.effective_from - timedelta(days=1))
    assert err.value.field == "assessed_on"


def test_unknown_questionnaire():
    with pytest.raises(InvalidField) as err:
        load_questionnaire("nope-1999")
    assert err.value.field == "questionnaire_id"
    with pytest.raises(InvalidField):
        load_questionnaire("professional-2017")  # a rule file, not a questionnaire


# --- validity -------------------------------------------------------------------------------


def test_valid_until_two_years_and_leap_day():
    assert score_answers(GALAXY, _complete(GALAXY), ON).valid_until == date(2028, 11, 21)
    leap = score_answers(GALAXY, _complete(GALAXY), date(2024, 2, 29))
    assert leap.valid_until == date(2026, 2, 28)
    assert "valid until 2026-02-28: assessed on 2024-02-29 + 2 years" in leap.reasons


@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2100, 12, 31)))
def test_valid_until_is_assessed_on_plus_two_years(day):
    valid_until = score_answers(CSRC, _complete(CSRC), day).valid_until
    assert valid_until.year == day.year + 2
    if (day.month, day.day) == (2, 29):
        assert (valid_until.month, valid_until.day) == (2, 28)
    else:
        assert (valid_until.month, valid_until.day) == (day.month, day.day)


def test_expiry_on_and_after_valid_until():
    assert not is_expired(date(2026, 11, 21), on=date(2026, 11, 21))
    assert is_expired(date(2026, 11, 21), on=date(2026, 11, 22))
    assert not is_expired(date(2026, 11, 21), on=date(2024, 11, 21))


@given(
    assessed=st.dates(min_value=date(2024, 1, 1), max_value=date(2090, 1, 1)),
    offset=st.integers(min_value=0, max_value=2000),
)
def test_expired_exactly_after_the_validity_period(assessed, offset):
    valid_until = add_years(assessed, 2)
    on = assessed + timedelta(days=offset)
    assert is_expired(valid_until, on) == (on > valid_until)


# --- reasons --------------------------------------------------------------------------------


def test_reasons_carry_the_deciding_numbers():
    result = score_answers(GALAXY, answers_for(GALAXY, 57), ON)
    assert result.reasons[0].startswith("score 57 (range 9..100) on questionnaire galaxy-2024")
    assert "age " in result.reasons[0] and "risk_preference " in result.reasons[0]
    assert "Galaxy class STEADY (稳健型): score 57 is in 41..71" in result.reasons
    assert "risk level C3: score 57 is in 40..59" in result.reasons


# --- suitability ceiling --------------------------------------------------------------------


@pytest.mark.parametrize("level", RISK_LEVELS)
def test_max_product_risk_follows_the_level(level):
    assert max_product_risk(level, lowest_category=False, professional=False) == "R" + level[1]
    assert max_product_risk(level, lowest_category=True, professional=False) == "R1"
    assert max_product_risk(level, lowest_category=False, professional=True) == "R5"


def test_max_product_risk_rejects_unknown_level():
    with pytest.raises(InvalidField) as err:
        max_product_risk("C9", lowest_category=False, professional=False)
    assert err.value.field == "risk_level"


# --- data validation at load ----------------------------------------------------------------


def _raw():
    return copy.deepcopy(read_rule_file("galaxy-2024"))


def _broken(edit):
    raw = _raw()
    edit(raw)
    with pytest.raises(RuleDataError) as err:
        parse_questionnaire(raw)
    return str(err.value)


def test_shipped_raw_data_parses():
    assert parse_questionnaire(_raw()) == GALAXY


def test_band_gap_is_rejected():
    def gap(raw):
        raw["bands"]["galaxy_class"][1]["min"] = 42

    assert "expected 41" in _broken(gap)


def test_band_overlap_is_rejected():
    def overlap(raw):
        raw["bands"]["risk_level"][2]["min"] = 39

    assert "contiguous" in _broken(overlap)


def test_bands_must_reach_the_max_score():
    def short(raw):
        raw["bands"]["galaxy_class"][2]["max"] = 99

    assert "highest score 100" in _broken(short)


def test_bands_must_start_at_the_min_score():
    def start(raw):
        raw["bands"]["risk_level"][0]["min"] = 0  # min score is 9

    assert "expected 9" in _broken(start)


def test_band_labels_must_be_the_scheme_in_order():
    def swap(raw):
        bands = raw["bands"]["galaxy_class"]
        bands[0]["label"], bands[1]["label"] = bands[1]["label"], bands[0]["label"]

    assert "labels must be" in _broken(swap)


def test_changing_a_score_without_the_bands_is_rejected():
    def bump(raw):
        raw["questions"][0]["options"][0]["score"] = 10  # max becomes 101

    assert "101" in _broken(bump)


def test_duplicate_option_id_is_rejected():
    def dup(raw):
        raw["questions"][2]["options"][1]["id"] = "A"

    assert "duplicate id 'A'" in _broken(dup)


def test_duplicate_question_id_is_rejected():
    def dup(raw):
        raw["questions"][1]["id"] = "q1"

    assert "duplicate id 'q1'" in _broken(dup)


@pytest.mark.parametrize("score", [-1, 2.5, True, "3", None])
def test_bad_option_score_is_rejected(score):
    def bad(raw):
        raw["questions"][0]["options"][0]["score"] = score

    _broken(bad)


def test_unknown_indicator_and_missing_indicator_are_rejected():
    def unknown(raw):
        raw["questions"][0]["indicator"] = "height"

    def missing(raw):
        raw["questions"][0]["indicator"] = "knowledge"  # q1 is the only age question

    assert "height" in _broken(unknown)
    assert "age" in _broken(missing)


def test_missing_version_or_bad_effective_date_is_rejected():
    _broken(lambda raw: raw.pop("version"))
    _broken(lambda raw: raw.update(effective_from="2024-13-01"))
    _broken(lambda raw: raw.update(validity_years=0))
    _broken(lambda raw: raw.update(kind="professional_rules"))
