"""rebalancing suggestions managers dismissed, with their reason

Revision ID: 0004_dismissed_suggestions
Revises: 0003_help_offers
"""

import sqlalchemy as sa
from alembic import op

import partanum.db

revision = "0004_dismissed_suggestions"
down_revision = "0003_help_offers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dismissed_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("suggestion", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("dismissed_by", sa.String(length=100), nullable=False),
        sa.Column("dismissed_at", partanum.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signature"),
    )


def downgrade() -> None:
    op.drop_table("dismissed_suggestions")
