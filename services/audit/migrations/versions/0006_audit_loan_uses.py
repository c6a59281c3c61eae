"""each device's loans by their times, in one index

Revision ID: 0006_audit_loan_uses
Revises: 0005_audit_facts

The idle devices are those whose last use ended long enough ago: the last end of
each device's loans is read from this index alone, without visiting 40,000 rows of
a year's loans one by one.
"""

from alembic import op

revision = "0006_audit_loan_uses"
down_revision = "0005_audit_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_fact_loans_item_uses", "audit_fact_loans", ["item_id", "out_at", "back_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_fact_loans_item_uses", table_name="audit_fact_loans")
