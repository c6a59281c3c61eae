"""Fixtures for every test layer.

eventlet must patch the standard library before anything else imports it: nameko
runs its workers in green threads, and its pytest plugin no longer does this.

The browser tests (tests/browser/) drive Chromium through Playwright, whose asyncio
loop hangs on eventlet's patched modules: they run in a pytest process of their own
(`make test` starts it with PARTANUM_BROWSER_TESTS=1), which patches nothing and
collects only them; every other run leaves them out.
"""

import os

import eventlet

BROWSER_RUN = os.environ.get("PARTANUM_BROWSER_TESTS") == "1"
if not BROWSER_RUN:
    eventlet.monkey_patch()  # before the imports below: see pyproject.toml's per-file-ignores

import uuid

import pytest
from sqlalchemy import create_engine, text

from partanum import migrate
from partanum.db import make_engine

# Fixtures shared by several modules of a layer that the layer's conftest does not hold:
# the running gateway and the small network behind it (pytest's own way to share them).
pytest_plugins = ["tests.integration.gateway", "tests.integration.gateway_network"]

collect_ignore = [] if BROWSER_RUN else ["browser"]

POSTGRES_ADMIN_URL = os.environ.get(
    "PARTANUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def new_database(tmp_path):
    """Make fresh, empty databases of a kind ("sqlite" or "postgresql") for one
    test; PostgreSQL ones are dropped afterwards."""
    created = []
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def make(kind):
        name = f"partanum_test_{uuid.uuid4().hex[:12]}"
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgresql_url(new_database):
    return new_database("postgresql")


@pytest.fixture
def sqlite_url(new_database):
    return new_database("sqlite")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request):
    """Each database-backed test runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def database_url(database_kind, new_database):
    return new_database(database_kind)


@pytest.fixture
def inventory_db(database_url):
    """The inventory's database, migrated to head; yields its URL."""
    migrate.upgrade("inventory", database_url)
    return database_url


@pytest.fixture
def booking_db(database_kind, new_database):
    """The booking's own database, of the same kind as the inventory's."""
    url = new_database(database_kind)
    migrate.upgrade("booking", url)
    return url


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


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server on a free port, in its own process, keeping every message:
    `smtp_server.host`, `.port`, `.wait_for(count)` -> what it received, `.messages()`.
    Variants (STARTTLS, SSL, AUTH, refused recipients) in tests/smtp_server.py."""
    from tests.smtp_server import SmtpServer

    with SmtpServer(tmp_path / "smtp") as server:
        yield server
