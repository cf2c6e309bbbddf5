"""customer record: income band, status history, accounts, permissions, tags; list indexes

Revision ID: 0002_customer_record
Revises: 0001
"""

from alembic import op

revision = "0002_customer_record"
down_revision = "0001"
branch_labels = None
depends_on = None

_STATUS = "('ACTIVE', 'DORMANT', 'TRANSFERRED_OUT', 'CLOSED')"
_DIMENSION = (
    "('VALUE', 'INVESTMENT_ATTRIBUTE', 'PERSONAL_ATTRIBUTE', 'LOYALTY', 'NEEDS', 'NEWLY_ADDED')"
)


def upgrade() -> None:
    op.execute("""
        ALTER TABLE profile.customers
            ADD COLUMN income_band   text NOT NULL DEFAULT '',
            ADD COLUMN status_since  date,
            ADD COLUMN status_reason text NOT NULL DEFAULT ''""")
    # ListCustomers walks customer_id in order under any mix of filters (keyset, no OFFSET).
    # 0001 has (branch_id, customer_id); these cover status alone and branch with status.
    op.execute("CREATE INDEX customers_status_idx ON profile.customers (status, customer_id)")
    op.execute(
        "CREATE INDEX customers_branch_status_idx"
        " ON profile.customers (branch_id, status, customer_id)"
    )
    op.execute(f"""
        CREATE TABLE profile.customer_status_changes (
            customer_id    text NOT NULL REFERENCES profile.customers,
            version        bigint NOT NULL,
            from_status    text CHECK (from_status IN {_STATUS}),
            to_status      text NOT NULL CHECK (to_status IN {_STATUS}),
            effective_date date NOT NULL,
            reason         text NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (customer_id, version)
        )""")
    op.execute("""
        CREATE TABLE profile.customer_accounts (
            customer_id  text NOT NULL REFERENCES profile.customers,
            account_type text NOT NULL CHECK (account_type IN ('CASH', 'MARGIN', 'OPTION')),
            opened_date  date NOT NULL,
            PRIMARY KEY (customer_id, account_type)
        )""")
    op.execute("""
        CREATE TABLE profile.customer_permissions (
            customer_id text NOT NULL REFERENCES profile.customers,
            permission  text NOT NULL CHECK (permission IN ('MARGIN_TRADING', 'STAR_MARKET',
                            'CHINEXT', 'STOCK_CONNECT', 'NEEQ', 'OPTIONS')),
            opened_date date NOT NULL,
            PRIMARY KEY (customer_id, permission)
        )""")
    op.execute(f"""
        CREATE TABLE profile.customer_tags (
            customer_id text NOT NULL REFERENCES profile.customers,
            dimension   text NOT NULL CHECK (dimension IN {_DIMENSION}),
            name        text NOT NULL,
            added_by    text NOT NULL,
            added_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (customer_id, dimension, name)
        )""")
    # The tag filter of ListCustomers: members of one tag in customer_id order.
    op.execute(
        "CREATE INDEX customer_tags_tag_idx ON profile.customer_tags (dimension, name, customer_id)"
    )
    op.execute(f"""
        CREATE TABLE profile.customer_tag_changes (
            customer_id text NOT NULL REFERENCES profile.customers,
            version     bigint NOT NULL,
            action      text NOT NULL CHECK (action IN ('ADDED', 'REMOVED')),
            dimension   text NOT NULL CHECK (dimension IN {_DIMENSION}),
            name        text NOT NULL,
            actor       text NOT NULL,
            changed_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (customer_id, version)
        )""")


def downgrade() -> None:
    for table in (
        "customer_tag_changes",
        "customer_tags",
        "customer_permissions",
        "customer_accounts",
        "customer_status_changes",
    ):
        op.execute(f"DROP TABLE profile.{table}")
    op.execute("DROP INDEX profile.customers_branch_status_idx")
    op.execute("DROP INDEX profile.customers_status_idx")
    op.execute("""
        ALTER TABLE profile.customers
            DROP COLUMN status_reason,
            DROP COLUMN status_since,
            DROP COLUMN income_band""")
