"""Each service's migrations build exactly the schema its models describe, on
both databases, so a deployment migrated from scratch runs the code it ships."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from partanum import migrate, tables


@pytest.mark.parametrize("service", ["inventory", "booking", "notifications", "audit", "gateway"])
def test_migrations_match_the_models(service, database_url, engine_for):
    migrate.upgrade(service, database_url)
    models = importlib.import_module(f"services.{service}.models")

    with engine_for(database_url).connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, [models.Base.metadata, tables.metadata])

    assert differences == []
