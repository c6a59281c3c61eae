"""When each site's copy was last taken from the inventory's events

Revision ID: 0004_site_state_as_of
Revises: 0003_contact_changes
Create Date: 2026-12-04 22:30:00
"""

import sqlalchemy as sa
from alembic import op

from partanum.db import UtcDateTime

revision = "0004_site_state_as_of"
down_revision = "0003_contact_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_as_of", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("state_as_of")
