"""year totals, grades with history, outbox, event cursors

Revision ID: 0001
Revises:
"""

from alembic import op

from mesh.outbox import cursor_ddl, outbox_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE grading.year_totals (
            customer_id        text NOT NULL,
            year               smallint NOT NULL,
            days               integer NOT NULL,
            asset_sum_fen      bigint NOT NULL,
            net_commission_fen bigint NOT NULL,
            source_version     bigint NOT NULL,
            PRIMARY KEY (customer_id, year)
        )""")
    op.execute("""
        CREATE TABLE grading.grades (
            customer_id        text PRIMARY KEY,
            tier               text NOT NULL,
            reason             text NOT NULL,
            rule_set_version   text NOT NULL,
            avg_assets_fen     bigint NOT NULL,
            net_commission_fen bigint NOT NULL,
            as_of_date         date NOT NULL,
            graded_at          timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("""
        CREATE TABLE grading.grade_history (
            id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id      text NOT NULL,
            tier             text NOT NULL,
            previous_tier    text,
            reason           text NOT NULL,
            rule_set_version text NOT NULL,
            as_of_date       date NOT NULL,
            graded_at        timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX grade_history_customer_idx ON grading.grade_history (customer_id, id)")
    op.execute(outbox_ddl("grading"))
    op.execute(cursor_ddl("grading"))


def downgrade() -> None:
    for table in ("event_cursors", "outbox", "grade_history", "grades", "year_totals"):
        op.execute(f"DROP TABLE grading.{table}")
