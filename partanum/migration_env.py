"""What every service's Alembic env.py does: migrate, over the connection that
partanum.migrate hands over, the service's tables with the shared outbox and inbox."""

from alembic import context

from partanum import tables


def run_migrations(service_metadata) -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=[service_metadata, tables.metadata],
        # SQLite alters a table by copying it; Alembic's batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
