"""customers, daily facts (partitioned by month), quarter running totals, outbox

Revision ID: 0001
Revises:
"""

from alembic import op

from mesh.outbox import outbox_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MONEY_COLUMNS = (
    "total_assets_fen",
    "cash_fen",
    "securities_fen",
    "equity_fund_fen",
    "fixed_income_fen",
    "reits_trust_fen",
    "margin_debt_fen",
    "collateral_fen",
    "net_commission_fen",
    "fund_inflow_fen",
    "fund_outflow_fen",
)
PERIOD_SUMS = (
    "total_assets_fen_sum",
    "cash_fen_sum",
    "securities_fen_sum",
    "equity_fund_fen_sum",
    "fixed_income_fen_sum",
    "reits_trust_fen_sum",
    "margin_debt_fen_sum",
    "collateral_fen_sum",
    "net_commission_fen",
    "trade_count",
    "holding_days_sum",
    "fund_inflow_fen",
    "fund_outflow_fen",
)
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
    money = ",\n".join(f"            {c} bigint NOT NULL CHECK ({c} >= 0)" for c in MONEY_COLUMNS)
    op.execute(f"""
        CREATE TABLE profile.daily_facts (
            customer_id text NOT NULL,
            day         date NOT NULL,
{money},
            trade_count          integer NOT NULL CHECK (trade_count >= 0),
            average_holding_days integer NOT NULL CHECK (average_holding_days >= 0),
            -- 1, plus one for every time the day was sent again and replaced.
            recorded_times       smallint NOT NULL DEFAULT 1,
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
    # Running totals per customer and calendar quarter, kept at ingest (a year is 4 quarters).
    sums = ",\n".join(f"            {c} bigint NOT NULL" for c in PERIOD_SUMS)
    op.execute(f"""
        CREATE TABLE profile.period_totals (
            customer_id            text NOT NULL,
            period                 text NOT NULL,
            days                   integer NOT NULL,
{sums},
            first_day              date NOT NULL,
            last_day               date NOT NULL,
            first_total_assets_fen bigint NOT NULL,
            last_total_assets_fen  bigint NOT NULL,
            last_margin_debt_fen   bigint NOT NULL,
            last_collateral_fen    bigint NOT NULL,
            -- Increases with every change of the row: followers keep the newest.
            version                bigint NOT NULL DEFAULT 1,
            PRIMARY KEY (customer_id, period)
        ) WITH (fillfactor = 70)""")
    # Room on each page lets the daily update of a quarter's row stay there (a HOT update):
    # no index entry per update.
    op.execute(outbox_ddl("profile"))


def downgrade() -> None:
    for table in ("outbox", "period_totals", "daily_facts", "customers"):
        op.execute(f"DROP TABLE profile.{table}")
