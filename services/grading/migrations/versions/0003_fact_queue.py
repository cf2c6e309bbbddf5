"""fact_queue: profile's bulk fact batches, queued by the consumer and applied behind it

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per queued DailyFactsRecorded event, keyed by its position in profile's stream
    # (applied in that order). `rows` (its totals rows) lets a chunk be cut without reading
    # payloads; payloads are written once and read once, so they are stored uncompressed.
    op.execute("""
        CREATE TABLE grading.fact_queue (
            position bigint PRIMARY KEY,
            rows     integer NOT NULL,
            payload  bytea NOT NULL
        )""")
    op.execute("ALTER TABLE grading.fact_queue ALTER payload SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("DROP TABLE grading.fact_queue")
