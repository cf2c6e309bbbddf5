"""customer ids and quarter labels compare as bytes (COLLATE "C")

Revision ID: 0004_c_collation
Revises: 0003_pending_totals
"""

from alembic import op

revision = "0004_c_collation"
down_revision = "0003_pending_totals"
branch_labels = None
depends_on = None

# Every profile column holding a customer id, and the quarter label beside it in the totals.
KEYS = [
    ("customers", "customer_id"),
    ("customer_status_changes", "customer_id"),
    ("customer_accounts", "customer_id"),
    ("customer_permissions", "customer_id"),
    ("customer_tags", "customer_id"),
    ("customer_tag_changes", "customer_id"),
    ("risk_assessments", "customer_id"),
    ("professional_decisions", "customer_id"),
    ("daily_facts", "customer_id"),
    ("period_totals", "customer_id"),
    ("period_totals", "period"),
    ("pending_totals", "first_customer"),
]


def upgrade() -> None:
    # Ids are ASCII codes, not words: ordering them by the database's locale (strcoll on every
    # comparison) bought nothing and cost ~20% of an index insert, which bulk ingest does for
    # every day it COPYs. Bytewise order is also the same on every server, whatever its locale,
    # and the same as Python's. The tables' rows stay as they are; every index on these
    # columns is rebuilt, under an exclusive lock: on a large book, a maintenance window.
    for table, column in KEYS:
        op.execute(f'ALTER TABLE profile.{table} ALTER COLUMN {column} TYPE text COLLATE "C"')


def downgrade() -> None:
    for table, column in KEYS:
        op.execute(
            f"ALTER TABLE profile.{table} ALTER COLUMN {column}"
            " TYPE text COLLATE pg_catalog.default"
        )
