"""alerts

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE alerts.alerts (
            alert_id    uuid PRIMARY KEY,
            customer_id text NOT NULL,
            kind        text NOT NULL,
            state       text NOT NULL CHECK (state IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
            reason      text NOT NULL,
            raised_at   timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute(
        "CREATE INDEX alerts_open_idx ON alerts.alerts (customer_id, raised_at DESC) "
        "WHERE state <> 'RESOLVED'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE alerts.alerts")
