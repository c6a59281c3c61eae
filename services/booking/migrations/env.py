"""Alembic environment shared in shape by every service: the caller hands us a
connection (partanum.migrate) and we migrate the service's tables together with
the shared outbox and inbox."""
from alembic import context

from partanum import tables
from services.booking import models

target_metadata = [models.Base.metadata, tables.metadata]

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
