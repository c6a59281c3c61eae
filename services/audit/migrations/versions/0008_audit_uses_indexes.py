"""when each device was last used, kept; the loans' counts and ends in indexes

Revision ID: 0008_audit_uses_indexes
Revises: 0007_audit_item_events

When each device was last used is read for every device at once (the idle
devices, the suggestions): it is kept per device (audit_fact_item_uses, see
services/audit/item_uses.py), and where it cannot be yet (a reservation ahead) it
is worked out from the loans and the reserved devices, each reserved device with
its reservation's times copied beside it in one index (looking up a year's 45,000
reservations one by one took two thirds of that time). The loans of a period are
counted by week, site and resident (activity) from an index that holds those,
instead of the one by checkout time; the loans still out at a moment and those
lost in a period (overdue and lost) are found by their ends.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0008_audit_uses_indexes"
down_revision = "0007_audit_item_events"
branch_labels = None
depends_on = None

TIMES = ("created_at", "starts_at", "ends_at", "cancelled_at", "returned_at", "returned_ends_at")
ALWAYS_KNOWN = ("created_at", "starts_at", "ends_at")


def upgrade() -> None:
    for column in TIMES:
        op.add_column("audit_fact_reserved_items", sa.Column(column, sa.Float(), nullable=True))
    op.create_table(
        "audit_fact_item_uses",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("last_end", sa.Float(), nullable=True),
        sa.Column("open_since", sa.Float(), nullable=True),
        sa.Column("settled_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_audit_fact_item_uses_settled_at", "audit_fact_item_uses", ["settled_at"])
    # Every fact made again by the rules as they are now: the copies, and a log
    # already there that 0005 gave empty tables. The latest migration that changes
    # the facts' tables is the one to rebuild them.
    from services.audit import facts, figures

    session = Session(bind=op.get_bind())
    facts.rebuild(session, figures.zone_from_environment())
    session.commit()  # joined to the migration's transaction: it commits with it
    with op.batch_alter_table("audit_fact_reserved_items") as table:
        for column in ALWAYS_KNOWN:
            table.alter_column(column, existing_type=sa.Float(), nullable=False)
    op.create_index(
        "ix_audit_fact_reserved_items_uses",
        "audit_fact_reserved_items",
        [
            "item_id",
            "starts_at",
            "ends_at",
            "created_at",
            "cancelled_at",
            "returned_at",
            "returned_ends_at",
            "from_at",
            "to_at",
        ],
    )

    op.create_index(
        "ix_audit_fact_loans_activity",
        "audit_fact_loans",
        ["out_at", "week", "site_id", "resident_id"],
    )
    op.drop_index("ix_audit_fact_loans_out_at", table_name="audit_fact_loans")
    op.create_index("ix_audit_fact_loans_back_at", "audit_fact_loans", ["back_at", "out_at"])
    op.create_index("ix_audit_fact_loans_lost_at", "audit_fact_loans", ["lost_at"])


def downgrade() -> None:
    op.drop_table("audit_fact_item_uses")
    op.drop_index("ix_audit_fact_loans_lost_at", table_name="audit_fact_loans")
    op.drop_index("ix_audit_fact_loans_back_at", table_name="audit_fact_loans")
    op.create_index("ix_audit_fact_loans_out_at", "audit_fact_loans", ["out_at"])
    op.drop_index("ix_audit_fact_loans_activity", table_name="audit_fact_loans")
    op.drop_index("ix_audit_fact_reserved_items_uses", table_name="audit_fact_reserved_items")
    with op.batch_alter_table("audit_fact_reserved_items") as table:
        for column in TIMES:
            table.drop_column(column)
