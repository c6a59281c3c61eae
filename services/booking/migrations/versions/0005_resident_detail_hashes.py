"""keyed hashes of every phone, email and card number a resident ever had

Revision ID: 0005_resident_detail_hashes
Revises: 0004_site_state_as_of

Residents' current details are hashed here at their next change or erasure;
those they had before this migration are gone and cannot be.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_resident_detail_hashes"
down_revision = "0004_site_state_as_of"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_detail_hashes",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
        ),
        sa.PrimaryKeyConstraint("resident_id", "kind", "digest"),
    )


def downgrade() -> None:
    op.drop_table("resident_detail_hashes")
