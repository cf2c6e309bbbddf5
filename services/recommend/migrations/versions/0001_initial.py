"""product catalogue, loaded with seed 001's products

Revision ID: 0001
Revises:
"""

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "seed-001.json"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE recommend.products (
            product_id           text PRIMARY KEY,
            name                 text NOT NULL,
            kind                 text NOT NULL,
            risk_level           smallint NOT NULL CHECK (risk_level BETWEEN 1 AND 5),
            minimum_purchase_fen bigint NOT NULL CHECK (minimum_purchase_fen >= 0),
            channel              text NOT NULL,
            catalogue_version    text NOT NULL
        )""")
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    table = sa.table(
        "products",
        *(
            sa.column(c)
            for c in (
                "product_id",
                "name",
                "kind",
                "risk_level",
                "minimum_purchase_fen",
                "channel",
                "catalogue_version",
            )
        ),
        schema="recommend",
    )
    op.bulk_insert(
        table,
        [
            p | {"risk_level": int(p["risk_level"][1:]), "catalogue_version": catalogue["version"]}
            for p in catalogue["products"]
        ],
    )


def downgrade() -> None:
    op.execute("DROP TABLE recommend.products")
