"""audit log with the outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-12-01 13:27:24.472577
"""

import sqlalchemy as sa
from alembic import op

from partanum.db import UtcDateTime
from partanum.shared_migrations import create_outbox_and_inbox, drop_outbox_and_inbox

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("producer", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entries_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_entries_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_type"), ["type"], unique=False)

    op.create_table(
        "audit_refs",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["audit_entries.seq"],
        ),
        sa.PrimaryKeyConstraint("seq", "kind", "ref_id"),
    )
    with op.batch_alter_table("audit_refs", schema=None) as batch_op:
        batch_op.create_index("ix_audit_refs_kind_ref_id", ["kind", "ref_id"], unique=False)

    create_outbox_and_inbox(op)


def downgrade() -> None:
    drop_outbox_and_inbox(op)
    with op.batch_alter_table("audit_refs", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_refs_kind_ref_id")

    op.drop_table("audit_refs")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_type"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_site_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_resident_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_partner_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_item_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_actor"))

    op.drop_table("audit_entries")
