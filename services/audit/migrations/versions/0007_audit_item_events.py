"""each item's events beside its figures, so that a batch need not read them again

Revision ID: 0007_audit_item_events
Revises: 0006_audit_loan_uses

A batch of events adds its own to the events each item's figures were made from
(see services/audit/item_events.py). A log already there gets them, with its
figures, from a rebuild here.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0007_audit_item_events"
down_revision = "0006_audit_loan_uses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_item_events",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "n"),
    )

    from services.audit import figures  # the rules as they are now, on the log as it is

    figures.rebuild(Session(bind=op.get_bind()), figures.zone_from_environment())


def downgrade() -> None:
    op.drop_table("audit_item_events")
