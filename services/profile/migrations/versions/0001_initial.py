"""customers, daily facts (partitioned by month), year totals, outbox

Revision ID: 0001
Revises:
"""

from alembic import op

from mesh.outbox import outbox_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Monthly partitions for these years; anything outside lands in the default partition.
FIRST_YEAR, LAST_YEAR = 2023, 2027


def upgrade() -> None:
    op.execute("""
        CREATE TABLE profile.customers (
            customer_id    text PRIMARY KEY,
            kind           text NOT NULL CHECK (kind IN ('RETAIL', 'INSTITUTION')),
            name           text NOT NULL,
            birth_date     date,
            occupation     text NOT NULL DEFAULT '',
            phone          text NOT NULL DEFAULT '',
            id_number      text NOT NULL DEFAULT '',
            id_expiry_date date,
            branch_id      text NOT NULL,
            open_date      date NOT NULL,
            status         text NOT NULL
                CHECK (status IN ('ACTIVE', 'DORMANT', 'TRANSFERRED_OUT', 'CLOSED')),
            version        bigint NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now(),
            updated_at     timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX customers_branch_idx ON profile.customers (branch_id, customer_id)")
    op.execute("""
        CREATE TABLE profile.daily_facts (
            customer_id        text NOT NULL,
            day                date NOT NULL,
            total_assets_fen   bigint NOT NULL CHECK (total_assets_fen >= 0),
            net_commission_fen bigint NOT NULL CHECK (net_commission_fen >= 0),
            PRIMARY KEY (customer_id, day)
        ) PARTITION BY RANGE (day)""")
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for month in range(1, 13):
            nxt = (year + 1, 1) if month == 12 else (year, month + 1)
            op.execute(
                f"CREATE TABLE profile.daily_facts_{year}_{month:02d} "
                f"PARTITION OF profile.daily_facts "
                f"FOR VALUES FROM ('{year}-{month:02d}-01') TO ('{nxt[0]}-{nxt[1]:02d}-01')"
            )
    op.execute("CREATE TABLE profile.daily_facts_default PARTITION OF profile.daily_facts DEFAULT")
    op.execute("""
        CREATE TABLE profile.customer_year_totals (
            customer_id        text NOT NULL,
            year               smallint NOT NULL,
            days               integer NOT NULL,
            asset_sum_fen      bigint NOT NULL,
            net_commission_fen bigint NOT NULL,
            PRIMARY KEY (customer_id, year)
        )""")
    op.execute(outbox_ddl("profile"))


def downgrade() -> None:
    for table in ("outbox", "customer_year_totals", "daily_facts", "customers"):
        op.execute(f"DROP TABLE profile.{table}")
