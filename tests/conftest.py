"""Fixtures for every test layer.

eventlet must patch the standard library before anything else imports it: nameko
runs its workers in green threads, and its pytest plugin no longer does this.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from partanum import migrate  # noqa: E402
from partanum.db import make_engine  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "PARTANUM_TEST_POSTGRES_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def postgresql_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"partanum_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """Each database-backed test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def inventory_db(database_url):
    """The inventory's database, migrated to head; yields its URL."""
    migrate.upgrade("inventory", database_url)
    return database_url


@pytest.fixture
def engine_for():
    """Make engines the test may use directly; all disposed at the end."""
    engines = []

    def make(url):
        engine = make_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
