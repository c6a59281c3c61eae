"""the devices, loans, reservations, waiting lists and refusals as the log tells them

Revision ID: 0005_audit_facts
Revises: 0004_audit_figures

The reports other than utilisation read these instead of the whole log (see
services/audit/facts.py). A log already there gets them from a rebuild, in 0008.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_facts"
down_revision = "0004_audit_figures"
branch_labels = None
depends_on = None


def _seconds(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Float(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "audit_fact_entries",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["audit_entries.seq"]),
        sa.PrimaryKeyConstraint("kind", "key", "seq"),
    )
    op.create_index("ix_audit_fact_entries_seq", "audit_fact_entries", ["seq"])
    op.create_table(
        "audit_fact_items",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("asset_tag", sa.String(length=100), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        _seconds("registered_at"),
        sa.Column("status", sa.String(length=30), nullable=False),
        _seconds("status_at"),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        _seconds("placed_at"),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_table(
        "audit_fact_statuses",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        _seconds("at"),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "n"),
    )
    op.create_index("ix_audit_fact_statuses_status", "audit_fact_statuses", ["status"])
    op.create_table(
        "audit_fact_places",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        _seconds("at"),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "n"),
    )
    op.create_table(
        "audit_fact_loans",
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        _seconds("out_at"),
        sa.Column("week", sa.Date(), nullable=False),
        _seconds("due_at"),
        _seconds("renewed_at", nullable=True),
        _seconds("renewed_due_at", nullable=True),
        _seconds("back_at", nullable=True),
        _seconds("lost_at", nullable=True),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    op.create_index("ix_audit_fact_loans_item_id", "audit_fact_loans", ["item_id"])
    op.create_index("ix_audit_fact_loans_out_at", "audit_fact_loans", ["out_at"])
    op.create_table(
        "audit_fact_renewals",
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        _seconds("at"),
        _seconds("due_at"),
        sa.PrimaryKeyConstraint("loan_id", "n"),
    )
    op.create_table(
        "audit_fact_reservations",
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        _seconds("created_at"),
        _seconds("starts_at"),
        sa.Column("week", sa.Date(), nullable=False),
        _seconds("ends_at"),
        _seconds("cancelled_at", nullable=True),
        _seconds("returned_at", nullable=True),
        _seconds("returned_ends_at", nullable=True),
        sa.PrimaryKeyConstraint("reservation_id"),
    )
    op.create_index(
        "ix_audit_fact_reservations_starts_at", "audit_fact_reservations", ["starts_at"]
    )
    op.create_table(
        "audit_fact_reserved_items",
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        _seconds("from_at", nullable=True),
        _seconds("to_at", nullable=True),
        sa.PrimaryKeyConstraint("reservation_id", "n"),
    )
    op.create_index(
        "ix_audit_fact_reserved_items_item_id", "audit_fact_reserved_items", ["item_id"]
    )
    op.create_table(
        "audit_fact_waiting",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        _seconds("joined_at"),
        sa.Column("week", sa.Date(), nullable=False),
        _seconds("left_at", nullable=True),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_index("ix_audit_fact_waiting_joined_at", "audit_fact_waiting", ["joined_at"])
    op.create_table(
        "audit_fact_unmet",
        sa.Column("seq", sa.Integer(), nullable=False),
        _seconds("at"),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["audit_entries.seq"]),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_audit_fact_unmet_at", "audit_fact_unmet", ["at"])
    # A log already there gets its facts in 0008, whose tables are those of the
    # rules as they are now (a rebuild here would write columns not made yet).


TABLES = (
    "audit_fact_unmet",
    "audit_fact_waiting",
    "audit_fact_reserved_items",
    "audit_fact_reservations",
    "audit_fact_renewals",
    "audit_fact_loans",
    "audit_fact_places",
    "audit_fact_statuses",
    "audit_fact_items",
    "audit_fact_entries",
)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)  # their indexes go with them
