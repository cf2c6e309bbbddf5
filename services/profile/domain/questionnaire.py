"""Risk-tolerance questionnaires (风险承受能力评估问卷, seed 003 第五条) and their scoring.

Questions, options, scores, band tables and validity periods are data: one versioned JSON
file per questionnaire in services/profile/questionnaires/ ("kind": "questionnaire", file
name = id). Every file carries bands for both schemes: the Galaxy three classes and the
regulatory C1..C5 levels; see each file's "band_note" for how the example bands were fitted
to its score range. Files are validated when loaded, so a broken file fails loudly at start-up
rather than mis-scoring a customer.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from services.profile.domain.errors import InvalidField, RuleDataError

DATA_DIR = Path(__file__).resolve().parent.parent / "questionnaires"

# The vocabularies the API returns; the thresholds that pick among them live in the data.
INDICATORS = ("age", "knowledge", "experience", "finances", "risk_preference")
GALAXY_CLASSES = ("CONSERVATIVE", "STEADY", "AGGRESSIVE")
RISK_LEVELS = ("C1", "C2", "C3", "C4", "C5")
PRODUCT_RISKS = ("R1", "R2", "R3", "R4", "R5")
SUITABILITY_RULES = "suitability-2017"


@dataclass(frozen=True)
class Option:
    id: str
    text_zh: str
    help_en: str
    score: int
    lowest_category: bool = False  # choosing it makes the investor 最低类别 (forced C1)


@dataclass(frozen=True)
class Question:
    id: str
    indicator: str
    text_zh: str
    help_en: str
    options: tuple[Option, ...]

    def option(self, option_id: object) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Band:
    label: str
    name_zh: str
    min: int
    max: int


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    effective_from: date
    validity_years: int
    title_zh: str
    title_en: str
    questions: tuple[Question, ...]
    galaxy_bands: tuple[Band, ...]
    risk_level_bands: tuple[Band, ...]
    lowest_galaxy_class: str  # what a lowest-category investor is forced to
    lowest_risk_level: str

    @property
    def min_score(self) -> int:
        return sum(min(o.score for o in q.options) for q in self.questions)

    @property
    def max_score(self) -> int:
        return sum(max(o.score for o in q.options) for q in self.questions)


@dataclass(frozen=True)
class AssessmentResult:
    questionnaire_id: str
    questionnaire_version: str
    score: int
    galaxy_class: str  # CONSERVATIVE | STEADY | AGGRESSIVE
    risk_level: str  # C1..C5
    lowest_category: bool
    valid_until: date
    reasons: tuple[str, ...]


# --- loading and validation -------------------------------------------------------------


def read_rule_file(name: str) -> dict[str, Any]:
    """Read one JSON rule file shipped with the package (the only I/O this domain does)."""
    path = DATA_DIR / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuleDataError(f"{path.name}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise RuleDataError(f"{path.name}: top level must be an object")
    return raw


def rule_value(raw: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """raw[key] if it has the expected JSON type (non-empty for strings), else RuleDataError."""
    value = raw.get(key)
    # bool is an int subclass: never accept true/false as a score or a count.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RuleDataError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    if kind is str and not value.strip():
        raise RuleDataError(f"{where}.{key}: must not be empty")
    return value


def rule_date(raw: Mapping[str, Any], key: str, where: str) -> date:
    """raw[key] parsed as an ISO date, else RuleDataError."""
    text = rule_value(raw, key, str, where)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RuleDataError(f"{where}.{key}: not an ISO date: {text!r}") from exc


def check_rule_header(raw: Mapping[str, Any], kind: str, name: str) -> str:
    """Every rule file names its kind, its id (= file name), a version and effective_from."""
    if raw.get("kind") != kind:
        raise RuleDataError(f"{name}.kind: expected {kind!r}, got {raw.get('kind')!r}")
    if rule_value(raw, "id", str, name) != name:
        raise RuleDataError(f"{name}.id: must equal the file name {name!r}")
    rule_date(raw, "effective_from", name)
    return rule_value(raw, "version", str, name)


def _parse_option(raw: Any, where: str) -> Option:
    if not isinstance(raw, dict):
        raise RuleDataError(f"{where}: expected an object")
    score = rule_value(raw, "score", int, where)
    if score < 0:
        raise RuleDataError(f"{where}.score: must not be negative, got {score}")
    lowest = raw.get("lowest_category", False)
    if not isinstance(lowest, bool):
        raise RuleDataError(f"{where}.lowest_category: expected true/false, got {lowest!r}")
    return Option(
        id=rule_value(raw, "id", str, where),
        text_zh=rule_value(raw, "text_zh", str, where),
        help_en=rule_value(raw, "help_en", str, where),
        score=score,
        lowest_category=lowest,
    )


def _parse_question(raw: Any, where: str) -> Question:
    if not isinstance(raw, dict):
        raise RuleDataError(f"{where}: expected an object")
    indicator = rule_value(raw, "indicator", str, where)
    if indicator not in INDICATORS:
        raise RuleDataError(f"{where}.indicator: {indicator!r} is not one of {INDICATORS}")
    raw_options = rule_value(raw, "options", list, where)
    if len(raw_options) < 2:
        raise RuleDataError(f"{where}.options: a question needs at least 2 options")
    options = tuple(_parse_option(o, f"{where}.options[{i}]") for i, o in enumerate(raw_options))
    _require_unique([o.id for o in options], f"{where}.options")
    return Question(
        id=rule_value(raw, "id", str, where),
        indicator=indicator,
        text_zh=rule_value(raw, "text_zh", str, where),
        help_en=rule_value(raw, "help_en", str, where),
        options=options,
    )


def _require_unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise RuleDataError(f"{where}: duplicate id {item!r}")
        seen.add(item)


def _parse_bands(
    raw: Any, labels: tuple[str, ...], low: int, high: int, where: str
) -> tuple[Band, ...]:
    """Bands must list `labels` in order, contiguous, covering exactly low..high."""
    if not isinstance(raw, list):
        raise RuleDataError(f"{where}: expected a list of bands")
    bands = tuple(_parse_band(b, f"{where}[{i}]") for i, b in enumerate(raw))
    found = tuple(b.label for b in bands)
    if found != labels:
        raise RuleDataError(f"{where}: labels must be {labels} in order, got {found}")
    expected_min = low
    for i, band in enumerate(bands):
        if band.min != expected_min:
            raise RuleDataError(
                f"{where}[{i}] ({band.label}): starts at {band.min}, expected {expected_min}"
                " (bands must be contiguous from the lowest possible score)"
            )
        if band.max < band.min:
            raise RuleDataError(f"{where}[{i}] ({band.label}): max {band.max} < min {band.min}")
        expected_min = band.max + 1
    if bands[-1].max != high:
        raise RuleDataError(
            f"{where}: last band ends at {bands[-1].max}, expected the highest score {high}"
        )
    return bands


def _parse_band(raw: Any, where: str) -> Band:
    if not isinstance(raw, dict):
        raise RuleDataError(f"{where}: expected an object")
    return Band(
        label=rule_value(raw, "label", str, where),
        name_zh=rule_value(raw, "name_zh", str, where),
        min=rule_value(raw, "min", int, where),
        max=rule_value(raw, "max", int, where),
    )


def parse_questionnaire(raw: Mapping[str, Any]) -> Questionnaire:
    """Build and validate a Questionnaire from its JSON object; raises RuleDataError."""
    where = str(raw.get("id", "questionnaire"))
    if raw.get("kind") != "questionnaire":
        raise RuleDataError(f"{where}.kind: expected 'questionnaire', got {raw.get('kind')!r}")
    validity_years = rule_value(raw, "validity_years", int, where)
    if validity_years < 1:
        raise RuleDataError(f"{where}.validity_years: must be at least 1")
    raw_questions = rule_value(raw, "questions", list, where)
    questions = tuple(
        _parse_question(q, f"{where}.questions[{i}]") for i, q in enumerate(raw_questions)
    )
    if not questions:
        raise RuleDataError(f"{where}.questions: must not be empty")
    _require_unique([q.id for q in questions], f"{where}.questions")
    missing = [i for i in INDICATORS if i not in {q.indicator for q in questions}]
    if missing:
        raise RuleDataError(f"{where}.questions: no question for indicator(s) {missing}")

    low = sum(min(o.score for o in q.options) for q in questions)
    high = sum(max(o.score for o in q.options) for q in questions)
    bands = rule_value(raw, "bands", dict, where)
    override = rule_value(raw, "lowest_category_override", dict, where)
    lowest_class = rule_value(override, "galaxy_class", str, f"{where}.lowest_category_override")
    lowest_level = rule_value(override, "risk_level", str, f"{where}.lowest_category_override")
    if lowest_class not in GALAXY_CLASSES or lowest_level not in RISK_LEVELS:
        raise RuleDataError(f"{where}.lowest_category_override: unknown class or level")
    return Questionnaire(
        id=rule_value(raw, "id", str, where),
        version=rule_value(raw, "version", str, where),
        effective_from=rule_date(raw, "effective_from", where),
        validity_years=validity_years,
        title_zh=rule_value(raw, "title_zh", str, where),
        title_en=rule_value(raw, "title_en", str, where),
        questions=questions,
        galaxy_bands=_parse_bands(
            bands.get("galaxy_class"), GALAXY_CLASSES, low, high, f"{where}.bands.galaxy_class"
        ),
        risk_level_bands=_parse_bands(
            bands.get("risk_level"), RISK_LEVELS, low, high, f"{where}.bands.risk_level"
        ),
        lowest_galaxy_class=lowest_class,
        lowest_risk_level=lowest_level,
    )


@cache
def _load_file(questionnaire_id: str) -> Questionnaire:
    raw = read_rule_file(questionnaire_id)
    questionnaire = parse_questionnaire(raw)
    if questionnaire.id != questionnaire_id:
        raise RuleDataError(f"{questionnaire_id}.json: declares id {questionnaire.id!r}")
    return questionnaire


@cache
def _questionnaire_ids() -> tuple[str, ...]:
    # Rule files of other kinds (thresholds, mappings) share the directory.
    return tuple(
        path.stem
        for path in sorted(DATA_DIR.glob("*.json"))
        if read_rule_file(path.stem).get("kind") == "questionnaire"
    )


def load_questionnaire(questionnaire_id: str) -> Questionnaire:
    """The questionnaire with this id; an unknown id is the caller's mistake."""
    if questionnaire_id not in _questionnaire_ids():
        raise InvalidField(
            "questionnaire_id",
            f"unknown questionnaire {questionnaire_id!r}; known: {', '.join(_questionnaire_ids())}",
        )
    return _load_file(questionnaire_id)


def list_questionnaires() -> list[Questionnaire]:
    """Every shipped questionnaire, sorted by id."""
    return [_load_file(qid) for qid in _questionnaire_ids()]


# --- scoring ------------------------------------------------------------------------------


def add_years(start: date, years: int) -> date:
    """Same day `years` later; 29 Feb falls back to 28 Feb (never extends validity)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def full_years(start: date, on: date) -> int:
    """Whole years from start to on, consistent with add_years (ages, experience)."""
    years = on.year - start.year
    return years - 1 if add_years(start, years) > on else years


def _band_for(bands: tuple[Band, ...], score: int) -> Band:
    # Bands were validated to cover min..max, and a score is always within that range.
    return next(b for b in bands if b.min <= score <= b.max)


def _chosen_options(q: Questionnaire, answers: Mapping[str, str]) -> list[tuple[Question, Option]]:
    """Each question with its chosen option, rejecting unknown, missing or invalid answers."""
    if not isinstance(answers, Mapping):
        raise InvalidField("answers", "must map each question id to an option id")
    known = {question.id for question in q.questions}
    unknown = sorted(str(key) for key in answers if key not in known)
    if unknown:
        raise InvalidField(
            f"answers[{unknown[0]}]",
            f"unknown question; questionnaire {q.id} has {', '.join(sorted(known))}",
        )
    chosen = []
    for question in q.questions:
        choices = ", ".join(o.id for o in question.options)
        if question.id not in answers:
            raise InvalidField(
                f"answers[{question.id}]", f"missing answer; choose one of {choices}"
            )
        option = question.option(answers[question.id])
        if option is None:
            raise InvalidField(
                f"answers[{question.id}]",
                f"unknown option {answers[question.id]!r}; choose one of {choices}",
            )
        chosen.append((question, option))
    return chosen


def score_answers(
    q: Questionnaire, answers: Mapping[str, str], assessed_on: date
) -> AssessmentResult:
    """Score a complete set of answers and classify it in both schemes."""
    if assessed_on < q.effective_from:
        raise InvalidField(
            "assessed_on",
            f"{assessed_on} is before questionnaire {q.id} v{q.version} takes effect"
            f" ({q.effective_from})",
        )
    chosen = _chosen_options(q, answers)
    score = sum(option.score for _, option in chosen)
    subtotals = {
        indicator: sum(o.score for question, o in chosen if question.indicator == indicator)
        for indicator in INDICATORS
    }
    galaxy = _band_for(q.galaxy_bands, score)
    level = _band_for(q.risk_level_bands, score)
    reasons = [
        f"score {score} (range {q.min_score}..{q.max_score}) on questionnaire {q.id}"
        f" v{q.version}: " + ", ".join(f"{k} {v}" for k, v in subtotals.items()),
        f"Galaxy class {galaxy.label} ({galaxy.name_zh}): score {score} is in"
        f" {galaxy.min}..{galaxy.max}",
        f"risk level {level.label}: score {score} is in {level.min}..{level.max}",
    ]
    galaxy_class, risk_level = galaxy.label, level.label

    triggers = [(question, o) for question, o in chosen if o.lowest_category]
    if triggers:
        galaxy_class, risk_level = q.lowest_galaxy_class, q.lowest_risk_level
        answered = "; ".join(f"{question.id}={o.id} ({o.help_en})" for question, o in triggers)
        reasons.append(
            f"lowest category (最低类别): answer {answered} forces {risk_level} and"
            f" {galaxy_class} whatever the score ({score} alone gives {level.label} and"
            f" {galaxy.label})"
        )

    valid_until = add_years(assessed_on, q.validity_years)
    reasons.append(
        f"valid until {valid_until}: assessed on {assessed_on} + {q.validity_years} years"
    )
    return AssessmentResult(
        questionnaire_id=q.id,
        questionnaire_version=q.version,
        score=score,
        galaxy_class=galaxy_class,
        risk_level=risk_level,
        lowest_category=bool(triggers),
        valid_until=valid_until,
        reasons=tuple(reasons),
    )


def is_expired(valid_until: date, on: date) -> bool:
    """An assessment is valid through its valid_until day and expired from the day after."""
    return on > valid_until


# --- suitability ceiling ------------------------------------------------------------------


@cache
def _suitability_rules() -> tuple[dict[str, str], str, str]:
    raw = read_rule_file(SUITABILITY_RULES)
    where = SUITABILITY_RULES
    check_rule_header(raw, "suitability_rules", where)
    mapping = rule_value(raw, "risk_level_max_product", dict, where)
    lowest = rule_value(raw, "lowest_category_max_product", str, where)
    professional = rule_value(raw, "professional_max_product", str, where)
    if set(mapping) != set(RISK_LEVELS):
        raise RuleDataError(f"{where}.risk_level_max_product: must map exactly {RISK_LEVELS}")
    if not set(mapping.values()) | {lowest, professional} <= set(PRODUCT_RISKS):
        raise RuleDataError(f"{where}: product risks must be among {PRODUCT_RISKS}")
    return mapping, lowest, professional


def max_product_risk(risk_level: str, lowest_category: bool, professional: bool) -> str:
    """Highest product risk (R1..R5) that may be recommended to this investor.

    Lowest category wins over professional status: a 最低类别 investor gets R1 only.
    """
    mapping, lowest, professional_max = _suitability_rules()
    if risk_level not in mapping:
        raise InvalidField("risk_level", f"{risk_level!r} is not one of {', '.join(RISK_LEVELS)}")
    if lowest_category:
        return lowest
    if professional:
        return professional_max
    return mapping[risk_level]
