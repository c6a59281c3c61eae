"""secret calendar feed addresses of staff accounts

Revision ID: 0002_calendar_feeds
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import partanum.db

revision = "0002_calendar_feeds"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", partanum.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", partanum.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", partanum.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_account_id"))
    op.drop_table("calendar_feeds")
