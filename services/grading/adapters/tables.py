"""The grading schema."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Identity,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    func,
)

from mesh.outbox import cursor_table, outbox_table

SCHEMA = "grading"
metadata = MetaData(schema=SCHEMA)

# Profile's year totals, as last received by event.
year_totals = Table(
    "year_totals",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("days", Integer, nullable=False),
    Column("asset_sum_fen", BigInteger, nullable=False),
    Column("net_commission_fen", BigInteger, nullable=False),
    Column("source_version", BigInteger, nullable=False),
)

grades = Table(
    "grades",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("tier", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("rule_set_version", Text, nullable=False),
    Column("avg_assets_fen", BigInteger, nullable=False),
    Column("net_commission_fen", BigInteger, nullable=False),
    Column("as_of_date", Date, nullable=False),
    Column("graded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

grade_history = Table(
    "grade_history",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("previous_tier", Text),
    Column("reason", Text, nullable=False),
    Column("rule_set_version", Text, nullable=False),
    Column("as_of_date", Date, nullable=False),
    Column("graded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
event_cursors = cursor_table(metadata)
