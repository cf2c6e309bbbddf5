"""The customer record's tables beyond profile.customers' first shape: status history,
accounts, permissions, current tags and tag history. Migration 0002_customer_record holds the
DDL; these are what the code queries."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Table,
    Text,
    func,
)

from services.profile.adapters.tables import customers, metadata

# Columns 0002 adds to profile.customers. extend_existing adds them to the very Table object
# tables.py defines, so `customers` there and here are one table.
Table(
    "customers",
    metadata,
    Column("income_band", Text, nullable=False, server_default=""),
    # The current status's date and reason (the latest row of customer_status_changes, kept
    # on the customer so reads need no join).
    Column("status_since", Date),
    Column("status_reason", Text, nullable=False, server_default=""),
    extend_existing=True,
)

_customer_id = "customers.customer_id"

status_changes = Table(
    "customer_status_changes",
    metadata,
    Column("customer_id", Text, ForeignKey(_customer_id), primary_key=True),
    # The customer's version after the change: orders the history.
    Column("version", BigInteger, primary_key=True),
    Column("from_status", Text),  # NULL: the status the record was created with
    Column("to_status", Text, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

accounts = Table(
    "customer_accounts",
    metadata,
    Column("customer_id", Text, ForeignKey(_customer_id), primary_key=True),
    Column("account_type", Text, primary_key=True),
    Column("opened_date", Date, nullable=False),
)

permissions = Table(
    "customer_permissions",
    metadata,
    Column("customer_id", Text, ForeignKey(_customer_id), primary_key=True),
    Column("permission", Text, primary_key=True),
    Column("opened_date", Date, nullable=False),
)

tags = Table(
    "customer_tags",
    metadata,
    Column("customer_id", Text, ForeignKey(_customer_id), primary_key=True),
    Column("dimension", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("added_by", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tag_changes = Table(
    "customer_tag_changes",
    metadata,
    Column("customer_id", Text, ForeignKey(_customer_id), primary_key=True),
    Column("version", BigInteger, primary_key=True),
    Column("action", Text, nullable=False),
    Column("dimension", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

__all__ = ["accounts", "customers", "permissions", "status_changes", "tag_changes", "tags"]
