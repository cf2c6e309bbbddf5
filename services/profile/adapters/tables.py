"""The profile schema. Migrations are the source of truth for DDL; these tables are what the
code queries."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    MetaData,
    Table,
    Text,
    func,
)

from mesh.outbox import outbox_table

SCHEMA = "profile"
metadata = MetaData(schema=SCHEMA)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("birth_date", Date),
    Column("occupation", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("id_number", Text, nullable=False),
    Column("id_expiry_date", Date),
    Column("branch_id", Text, nullable=False),
    Column("open_date", Date, nullable=False),
    Column("status", Text, nullable=False),
    # Bumped by every change to the customer or their facts: orders their events.
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
