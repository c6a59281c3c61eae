"""The migrations of the shared tables (partanum/tables.py), which every service's
database holds: each service's 0001 migration calls create_outbox_and_inbox, a later
one create_rpc_requests, instead of writing the tables out again.

Frozen like any migration: a later change to partanum/tables.py comes with new
functions here and a new migration in every service, never with an edit of these.
"""

import sqlalchemy as sa

PENDING = sa.text("published_at IS NULL")


def create_outbox_and_inbox(op) -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending",
            ["id"],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.create_index("ix_outbox_published_at", ["published_at"], unique=False)


def drop_outbox_and_inbox(op) -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_published_at")
        batch_op.drop_index("ix_outbox_pending", postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_rpc_requests(op) -> None:
    """The table of the RPC requests a service carried out (partanum/tables.py), added
    by each service's migration after its outbox and inbox."""
    op.create_table(
        "rpc_requests",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("carried_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("rpc_requests", schema=None) as batch_op:
        batch_op.create_index("ix_rpc_requests_carried_out_at", ["carried_out_at"], unique=False)


def drop_rpc_requests(op) -> None:
    with op.batch_alter_table("rpc_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_rpc_requests_carried_out_at")
    op.drop_table("rpc_requests")
