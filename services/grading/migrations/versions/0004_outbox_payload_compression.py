"""outbox payloads compressed with lz4 (or not at all where the server lacks it)

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from mesh.outbox import payload_compression_ddl, payload_compression_undo_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A regrade publishes its changes as columnar events of up to 10,000 grades each.
    op.execute(payload_compression_ddl("grading"))


def downgrade() -> None:
    for statement in payload_compression_undo_ddl("grading"):
        op.execute(statement)
