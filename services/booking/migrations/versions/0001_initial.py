"""Booking tables, the outbox and inbox, and the guard against double allocation

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:23:37.357287
"""

import sqlalchemy as sa
from alembic import op

from partanum.shared_migrations import create_outbox_and_inbox, drop_outbox_and_inbox

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category_policies",
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("loan_days", sa.Integer(), nullable=False),
        sa.Column("max_renewals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category_id"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("asset_tag", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("owner_partner_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shareable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("asset_tag"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_site_id"), ["site_id"], unique=False)

    op.create_table(
        "kits",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "reservation_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("card_number", sa.String(length=40), nullable=True),
        sa.Column("registered_by_partner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_number"),
    )
    op.create_table(
        "sharing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("max_per_reservation", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sharing_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_rules_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("closures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attention", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["reservation_series.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservations_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reservations_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "waiting_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("held_item_id", sa.Integer(), nullable=True),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["held_item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("waiting_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waiting_entries_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "ix_waiting_queue", ["category_id", "site_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("return_site_id", sa.Integer(), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("accessories_out", sa.JSON(), nullable=False),
        sa.Column("accessories_in", sa.JSON(), nullable=True),
        sa.Column("condition_in", sa.String(length=20), nullable=True),
        sa.Column("overdue_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("checked_out_by", sa.String(length=100), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_status"), ["status"], unique=False)

    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("waiting_entry_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loans.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["waiting_entry_id"],
            ["waiting_entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_allocations_item_period",
            ["item_id", "starts_at", "blocked_until"],
            unique=False,
            postgresql_where=sa.text("released_at IS NULL"),
            sqlite_where=sa.text("released_at IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_allocations_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_allocations_reservation_id"), ["reservation_id"], unique=False
        )

    _add_overlap_guard()

    create_outbox_and_inbox(op)


OVERLAP = (
    "NEW.released_at IS NULL AND EXISTS (SELECT 1 FROM allocations a "
    "WHERE a.item_id = NEW.item_id AND a.released_at IS NULL AND a.id IS NOT NEW.id "
    "AND a.starts_at < NEW.blocked_until AND NEW.starts_at < a.blocked_until)"
)


def _add_overlap_guard() -> None:
    """No item is held twice for overlapping times, whoever asks and however fast."""
    if op.get_bind().dialect.name == "postgresql":
        # btree_gist lets the exclusion constraint compare item ids with `=`.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE allocations ADD CONSTRAINT allocations_no_overlap "
            "EXCLUDE USING gist (item_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
            "WHERE (released_at IS NULL)"
        )
    else:
        for verb in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER allocations_no_overlap_{verb.lower()} BEFORE {verb} ON allocations "
                f"WHEN {OVERLAP} BEGIN SELECT RAISE(ABORT, 'allocations_no_overlap'); END"
            )


def downgrade() -> None:
    drop_outbox_and_inbox(op)
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_reservation_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_loan_id"))
        batch_op.drop_index(
            "ix_allocations_item_period",
            postgresql_where=sa.text("released_at IS NULL"),
            sqlite_where=sa.text("released_at IS NULL"),
        )

    op.drop_table("allocations")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_status"))
        batch_op.drop_index(batch_op.f("ix_loans_resident_id"))
        batch_op.drop_index(batch_op.f("ix_loans_item_id"))
        batch_op.drop_index(batch_op.f("ix_loans_due_at"))

    op.drop_table("loans")
    with op.batch_alter_table("waiting_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_waiting_queue")
        batch_op.drop_index(batch_op.f("ix_waiting_entries_resident_id"))

    op.drop_table("waiting_entries")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservations_starts_at"))
        batch_op.drop_index(batch_op.f("ix_reservations_partner_id"))

    op.drop_table("reservations")
    op.drop_table("sites")
    with op.batch_alter_table("sharing_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_rules_partner_id"))

    op.drop_table("sharing_rules")
    op.drop_table("residents")
    op.drop_table("reservation_series")
    op.drop_table("kits")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_site_id"))
        batch_op.drop_index(batch_op.f("ix_items_category_id"))

    op.drop_table("items")
    op.drop_table("category_policies")
