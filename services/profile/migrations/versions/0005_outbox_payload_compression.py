"""outbox payloads compressed with lz4 (or not at all where the server lacks it)

Revision ID: 0005_outbox_lz4
Revises: 0004_c_collation
"""

from alembic import op

from mesh.outbox import payload_compression_ddl, payload_compression_undo_ddl

revision = "0005_outbox_lz4"
down_revision = "0004_c_collation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A fold publishes its new totals as events of ~300 KB each: pglz cost ~2.4 µs of server
    # CPU per totals row on them.
    op.execute(payload_compression_ddl("profile"))


def downgrade() -> None:
    for statement in payload_compression_undo_ddl("profile"):
        op.execute(statement)
