"""The RPC requests the inventory carried out, with their answers (partanum.rpc_requests)

Revision ID: 0002_rpc_requests
Revises: 0001
Create Date: 2026-12-06 01:00:00
"""

from alembic import op

from partanum.shared_migrations import create_rpc_requests, drop_rpc_requests

revision = "0002_rpc_requests"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_rpc_requests(op)


def downgrade() -> None:
    drop_rpc_requests(op)
