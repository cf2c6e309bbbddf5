"""Risk assessment tables (migration 0002_risk), on profile's metadata."""

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from services.profile.adapters.tables import metadata

# Every submission is kept; the customer's current one has the highest customer_version.
risk_assessments = Table(
    "risk_assessments",
    metadata,
    Column("assessment_id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("customer_version", BigInteger, nullable=False),
    Column("questionnaire_id", Text, nullable=False),
    Column("questionnaire_version", Text, nullable=False),
    Column("answers", JSONB, nullable=False),  # {question_id: option_id}
    Column("score", Integer, nullable=False),
    Column("galaxy_class", Text, nullable=False),
    Column("risk_level", Text, nullable=False),
    Column("lowest_category", Boolean, nullable=False),
    Column("assessed_on", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("reasons", ARRAY(Text), nullable=False),
    # Set by a material change: when, what kinds (to report each kind once), and why.
    Column("renewal_flagged_on", Date),
    Column("renewal_kinds", ARRAY(Text), nullable=False, server_default="{}"),
    Column("renewal_reasons", ARRAY(Text), nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every professional-investor decision with its evidence; the newest is the customer's status.
professional_decisions = Table(
    "professional_decisions",
    metadata,
    Column("decision_id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("customer_version", BigInteger, nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("financial_assets_fen", BigInteger, nullable=False),
    Column("annual_incomes_fen", ARRAY(BigInteger), nullable=False),
    Column("investment_experience_since", Date),
    Column("related_work_since", Date),
    Column("qualified", Boolean, nullable=False),
    Column("max_product_risk", Text),
    Column("reason", Text, nullable=False),
    Column("rules_version", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
