"""figures per item and day, and each site's hours as its events gave them

Revision ID: 0004_audit_figures
Revises: 0003_rpc_requests

The reports read these instead of the whole log (see services/audit/figures.py).
A log already there gets its figures from a rebuild, in this migration.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0004_audit_figures"
down_revision = "0003_rpc_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_site_hours",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("from_day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opening_hours", sa.Text(), nullable=False),
        sa.Column("closures", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "from_day"),
    )
    op.create_table(
        "audit_reservation_entries",
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["audit_entries.seq"]),
        sa.PrimaryKeyConstraint("reservation_id", "seq"),
    )
    op.create_table(
        "audit_item_runs",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("busy", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "first_day"),
    )
    op.create_index("ix_audit_item_runs_site_id", "audit_item_runs", ["site_id"])
    op.create_table(
        "audit_item_days",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("open_seconds", sa.Float(), nullable=False),
        sa.Column("occupied_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "day", "site_id", "partner_id"),
    )
    op.create_index("ix_audit_item_days_day", "audit_item_days", ["day"])
    op.create_index("ix_audit_item_days_site_id", "audit_item_days", ["site_id"])

    op.create_table(
        "audit_daily_figures",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("free_starts", sa.Integer(), nullable=False),
        sa.Column("free_ends", sa.Integer(), nullable=False),
        sa.Column("busy_starts", sa.Integer(), nullable=False),
        sa.Column("busy_ends", sa.Integer(), nullable=False),
        sa.Column("open_us", sa.BigInteger(), nullable=False),
        sa.Column("occupied_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "partner_id", "category_id", "day"),
    )
    op.create_index("ix_audit_daily_figures_day", "audit_daily_figures", ["day"])
    op.create_table(
        "audit_item_stints",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "first_day", "site_id", "partner_id"),
    )

    from services.audit import figures  # the rules as they are now, on the log as it is

    figures.rebuild(
        Session(bind=op.get_bind()),
        figures.zone_from_environment(),
        item_events_too=False,  # their table comes with 0007, which rebuilds again
    )


def downgrade() -> None:
    op.drop_table("audit_item_stints")
    op.drop_index("ix_audit_daily_figures_day", table_name="audit_daily_figures")
    op.drop_table("audit_daily_figures")
    op.drop_index("ix_audit_item_days_site_id", table_name="audit_item_days")
    op.drop_index("ix_audit_item_days_day", table_name="audit_item_days")
    op.drop_table("audit_item_days")
    op.drop_index("ix_audit_item_runs_site_id", table_name="audit_item_runs")
    op.drop_table("audit_item_runs")
    op.drop_table("audit_reservation_entries")
    op.drop_table("audit_site_hours")
