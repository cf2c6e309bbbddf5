"""risk assessments (every submission kept) and professional-investor decisions

Revision ID: 0002_risk
Revises: 0001
"""

from alembic import op

revision = "0002_risk"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # customer_version is the customer's version after the submission: unique per customer and
    # increasing, so "newest first" never depends on clocks or on the (backdatable) assessed_on.
    op.execute("""
        CREATE TABLE profile.risk_assessments (
            assessment_id         uuid PRIMARY KEY,
            customer_id           text NOT NULL REFERENCES profile.customers (customer_id),
            customer_version      bigint NOT NULL,
            questionnaire_id      text NOT NULL,
            questionnaire_version text NOT NULL,
            answers               jsonb NOT NULL,
            score                 integer NOT NULL,
            galaxy_class          text NOT NULL
                CHECK (galaxy_class IN ('CONSERVATIVE', 'STEADY', 'AGGRESSIVE')),
            risk_level            text NOT NULL
                CHECK (risk_level IN ('C1', 'C2', 'C3', 'C4', 'C5')),
            lowest_category       boolean NOT NULL,
            assessed_on           date NOT NULL,
            valid_until           date NOT NULL CHECK (valid_until > assessed_on),
            reasons               text[] NOT NULL,
            renewal_flagged_on    date,
            renewal_kinds         text[] NOT NULL DEFAULT '{}',
            renewal_reasons       text[] NOT NULL DEFAULT '{}',
            created_at            timestamptz NOT NULL DEFAULT now(),
            UNIQUE (customer_id, customer_version)
        )""")
    op.execute("""
        CREATE TABLE profile.professional_decisions (
            decision_id                 uuid PRIMARY KEY,
            customer_id                 text NOT NULL REFERENCES profile.customers (customer_id),
            customer_version            bigint NOT NULL,
            decided_on                  date NOT NULL,
            financial_assets_fen        bigint NOT NULL CHECK (financial_assets_fen >= 0),
            annual_incomes_fen          bigint[] NOT NULL,
            investment_experience_since date,
            related_work_since          date,
            qualified                   boolean NOT NULL,
            max_product_risk            text
                CHECK (max_product_risk IN ('R1', 'R2', 'R3', 'R4', 'R5')),
            reason                      text NOT NULL,
            rules_version               text NOT NULL,
            created_at                  timestamptz NOT NULL DEFAULT now(),
            UNIQUE (customer_id, customer_version)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE profile.professional_decisions")
    op.execute("DROP TABLE profile.risk_assessments")
