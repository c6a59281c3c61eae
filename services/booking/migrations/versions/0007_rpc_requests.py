"""The RPC requests the booking carried out, with their answers (partanum.rpc_requests)

Revision ID: 0007_rpc_requests
Revises: 0006_resident_phone_e164
Create Date: 2026-12-06 01:00:00
"""

from alembic import op

from partanum.shared_migrations import create_rpc_requests, drop_rpc_requests

revision = "0007_rpc_requests"
down_revision = "0006_resident_phone_e164"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_rpc_requests(op)


def downgrade() -> None:
    drop_rpc_requests(op)
