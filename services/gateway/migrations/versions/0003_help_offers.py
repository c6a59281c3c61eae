"""help offered at partners' sites, kept by their staff for the public guide

Revision ID: 0003_help_offers
Revises: 0002_calendar_feeds
"""

import sqlalchemy as sa
from alembic import op

import partanum.db

revision = "0003_help_offers"
down_revision = "0002_calendar_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("updated_at", partanum.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("help_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_offers_partner_id"), ["partner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("help_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_offers_partner_id"))
    op.drop_table("help_offers")
