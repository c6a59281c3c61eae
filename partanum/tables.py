"""The outbox, inbox and RPC request tables, added to every service's own database.

They live on their own MetaData so that the shared code can query them whatever
service it runs in; each service's Alembic environment migrates both metadatas.
"""

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    # BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Index(
        "ix_outbox_pending",
        "id",
        postgresql_where=Column("published_at").is_(None),
        sqlite_where=Column("published_at").is_(None),
    ),
    Index("ix_outbox_published_at", "published_at"),  # for the weekly purge
)

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False),
)

# The RPC requests a service carried out, with the answer it sent (partanum.rpc_requests).
rpc_requests = Table(
    "rpc_requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("method", String(200), nullable=False),
    # JSON {"result": …, "error": …} as sent; NULL while a call of several
    # transactions has committed one and not yet answered.
    Column("answer", Text),
    Column("carried_out_at", DateTime(timezone=True), nullable=False),
    Index("ix_rpc_requests_carried_out_at", "carried_out_at"),  # for the purge
)
