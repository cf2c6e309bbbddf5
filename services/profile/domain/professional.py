"""Professional-investor qualification of a natural person (适当性管理办法 art. 8(5)).

Qualified = (financial assets >= threshold OR average annual income over the last N years
>= threshold) AND experience >= M years (investment experience or related financial work).
Thresholds live in services/profile/questionnaires/professional-2017.json. Money is integer
fen throughout; the income average is compared as sum >= threshold * N so nothing rounds.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from services.profile.domain.errors import InvalidField, RuleDataError
from services.profile.domain.questionnaire import (
    PRODUCT_RISKS,
    add_years,
    check_rule_header,
    full_years,
    read_rule_file,
    rule_value,
)

RULES = "professional-2017"


@dataclass(frozen=True)
class ProfessionalRules:
    version: str
    min_financial_assets_fen: int
    min_average_annual_income_fen: int
    income_years: int
    min_experience_years: int
    max_product_risk: str


@dataclass(frozen=True)
class ProfessionalEvidence:
    financial_assets_fen: int  # 金融资产 on the assessment date
    annual_incomes_fen: Sequence[int] = ()  # one per year for the last income_years years
    investment_experience_since: date | None = None  # first securities/futures/fund investment
    related_work_since: date | None = None  # start of financial product/investment/risk work


@dataclass(frozen=True)
class ProfessionalDecision:
    qualified: bool
    reason: str
    max_product_risk: str | None  # set only when qualified
    rules_version: str


@cache
def load_professional_rules() -> ProfessionalRules:
    raw = read_rule_file(RULES)
    version = check_rule_header(raw, "professional_rules", RULES)
    rules = ProfessionalRules(
        version=version,
        min_financial_assets_fen=rule_value(raw, "min_financial_assets_fen", int, RULES),
        min_average_annual_income_fen=rule_value(raw, "min_average_annual_income_fen", int, RULES),
        income_years=rule_value(raw, "income_years", int, RULES),
        min_experience_years=rule_value(raw, "min_experience_years", int, RULES),
        max_product_risk=rule_value(raw, "max_product_risk", str, RULES),
    )
    if min(rules.income_years, rules.min_experience_years) < 1:
        raise RuleDataError(f"{RULES}: income_years and min_experience_years must be >= 1")
    if rules.max_product_risk not in PRODUCT_RISKS:
        raise RuleDataError(f"{RULES}.max_product_risk: not one of {PRODUCT_RISKS}")
    return rules


def cny(fen: int) -> str:
    """12345678 fen -> '123,456.78 CNY' (integer arithmetic only)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d} CNY"


def _require_fen(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidField(field, f"must be an integer amount in fen, got {type(value).__name__}")
    if value < 0:
        raise InvalidField(field, f"must not be negative, got {value}")
    return value


def _validate(evidence: ProfessionalEvidence, rules: ProfessionalRules, on: date) -> None:
    _require_fen(evidence.financial_assets_fen, "financial_assets_fen")
    incomes = evidence.annual_incomes_fen
    if len(incomes) not in (0, rules.income_years):
        raise InvalidField(
            "annual_incomes_fen",
            f"give the last {rules.income_years} years' incomes or none, got {len(incomes)}",
        )
    for i, income in enumerate(incomes):
        _require_fen(income, f"annual_incomes_fen[{i}]")
    for field in ("investment_experience_since", "related_work_since"):
        since = getattr(evidence, field)
        if since is not None and since > on:
            raise InvalidField(field, f"{since} is after the assessment date {on}")


def _years(n: int) -> str:
    return f"{n} full year" if n == 1 else f"{n} full years"


def _experience(
    evidence: ProfessionalEvidence, rules: ProfessionalRules, on: date
) -> tuple[bool, str]:
    """Whether either kind of experience is long enough, and the numbers that say so."""
    kinds = (
        ("investment experience", evidence.investment_experience_since),
        ("related financial work", evidence.related_work_since),
    )
    texts = []
    for label, since in kinds:
        if since is None:
            continue
        ok = add_years(since, rules.min_experience_years) <= on
        text = (
            f"{label} since {since}: {_years(full_years(since, on))}"
            f" {'>=' if ok else '<'} {rules.min_experience_years}"
        )
        if ok:
            return True, text
        texts.append(text)
    return False, " and ".join(texts) or "no investment or related work experience given"


def assess_professional(evidence: ProfessionalEvidence, on: date) -> ProfessionalDecision:
    """Decide whether the evidence qualifies the customer as a professional investor on `on`."""
    rules = load_professional_rules()
    _validate(evidence, rules, on)

    assets = evidence.financial_assets_fen
    assets_ok = assets >= rules.min_financial_assets_fen
    assets_text = (
        f"financial assets {cny(assets)} {'>=' if assets_ok else '<'}"
        f" {cny(rules.min_financial_assets_fen)}"
    )
    incomes = evidence.annual_incomes_fen
    income_ok = bool(incomes) and sum(incomes) >= rules.min_average_annual_income_fen * len(incomes)
    if incomes:
        income_text = (
            f"{rules.income_years}-year average income {cny(sum(incomes) // len(incomes))}"
            f" {'>=' if income_ok else '<'} {cny(rules.min_average_annual_income_fen)}"
        )
    else:
        income_text = "no income evidence"
    experience_ok, experience_text = _experience(evidence, rules, on)
    qualified = (assets_ok or income_ok) and experience_ok

    if assets_ok or income_ok:
        wealth_text = assets_text if assets_ok else income_text
    else:
        wealth_text = f"{assets_text} and {income_text}"
    if qualified:
        reason = (
            f"qualified as a professional investor: {wealth_text}; {experience_text};"
            f" may take up to {rules.max_product_risk}"
        )
    else:
        reason = f"not a professional investor: {wealth_text}; {experience_text}"
    return ProfessionalDecision(
        qualified=qualified,
        reason=f"{reason} (rules {RULES} v{rules.version})",
        max_product_risk=rules.max_product_risk if qualified else None,
        rules_version=rules.version,
    )
