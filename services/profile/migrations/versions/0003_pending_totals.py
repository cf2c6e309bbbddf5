"""quarter deltas queued by bulk ingest, folded into period_totals later

Revision ID: 0003_pending_totals
Revises: 0002_customer_record, 0002_risk
"""

from alembic import op

revision = "0003_pending_totals"
down_revision = ("0002_customer_record", "0002_risk")
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A queue: one row per bulk batch, its quarter deltas as numpy rows (.npy). Appending one
    # value per batch costs next to nothing; the roll-up unpacks and merges them in numpy.
    # first_customer lets the roll-up take batches of the same customers together (a day-major
    # feed repeats the same ranges every day). Stored as is (EXTERNAL): binary numbers barely
    # compress.
    op.execute("""
        CREATE TABLE profile.pending_totals (
            id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            first_customer text NOT NULL,
            rows           integer NOT NULL,
            deltas         bytea NOT NULL
        )""")
    op.execute("ALTER TABLE profile.pending_totals ALTER COLUMN deltas SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("DROP TABLE profile.pending_totals")
