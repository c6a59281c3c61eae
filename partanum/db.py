"""Engines that keep the invariants on both SQLite and PostgreSQL.

SQLite: Python's sqlite3 begins a transaction lazily, after the first SELECT, so
a check-then-insert races. We take over transaction control and begin every
transaction with BEGIN IMMEDIATE, which takes the write lock up front (the
recipe in SQLAlchemy's SQLite dialect docs). One connection per process: green
threads queue for it cooperatively instead of blocking the hub in sqlite's busy
handler.

PostgreSQL: psycopg2, a C driver (a third cheaper per statement than the pure-
Python pg8000 we used first). eventlet's monkey_patch, which every service
process runs, gives psycopg2 a wait callback: it waits for the server on the
eventlet hub, and one slow query does not stall the other workers of the process
(tests/integration/test_database_driver.py). A connection the server closed while
it lay in the pool (PostgreSQL restarted) is replaced as it is checked out.
"""

from collections.abc import Iterator, Sequence
from datetime import UTC
from functools import cache

from sqlalchemy import DateTime, Table, TypeDecorator, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

POSTGRES_DRIVER = "psycopg2"
IN_CHUNK = 500  # values per IN (…): well under every database's limit on parameters


def in_chunks(values: Sequence, size: int = IN_CHUNK) -> Iterator[list]:
    """`values` a slice at a time, each small enough for an IN (…) list."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def normalise_url(url: str) -> str:
    """`postgresql://…` (the usual form in env files) uses the cooperating driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername=f"postgresql+{POSTGRES_DRIVER}")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine, "checkout", _replaced_if_closing())
    return engine


def statement_by_statement(engine: Engine) -> Engine:
    """`engine` for work whose every statement stands alone (each is atomic): on
    PostgreSQL without the BEGIN and COMMIT around each, two round trips through the
    eventlet hub. SQLite keeps its transactions: its AUTOCOMMIT would hand them back
    to Python's sqlite3 module once the connection returns to the pool."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _replaced_if_closing():
    """A pool listener: checking out a connection the server closed, or is closing,
    takes a fresh one (the pool does so on DisconnectionError).

    SQLAlchemy's pre-ping knew it by a SELECT 1, a round trip through the eventlet hub
    for every transaction (4 % of a reservation's CPU, bench/request_cpu.py). A server
    says nothing to a connection lying idle unless it goes away (a restart, a
    terminated backend): its reason, then the end of the stream. So a connection with
    anything to read is replaced, which a select() that does not wait tells; eventlet's
    own select would take a turn of the hub."""
    import psycopg2
    from eventlet.patcher import original

    select = original("select").select

    def replace_if_closing(dbapi_connection, _record, _proxy) -> None:
        try:
            readable, _, _ = select([dbapi_connection.fileno()], [], [], 0)
        except (psycopg2.Error, OSError) as closed:
            raise DisconnectionError(f"the connection is closed: {closed}") from closed
        if readable:
            raise DisconnectionError("the server closed the connection, or is closing it")

    return replace_if_closing


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: every transaction begins so, and SQLAlchemy's
        # execution of a statement costs more CPU than the BEGIN itself.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    return engine


class UtcDateTime(TypeDecorator):
    """An aware datetime stored in UTC and read back aware, on every database.

    SQLite keeps no offset: we store UTC there so that the text comparisons its
    triggers make follow time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_for(dialect: str):
    """The dialect's insert, which can say ON CONFLICT (SQLAlchemy's generic one cannot):
    PostgreSQL's or SQLite's, the two databases a service runs on."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def insert_once(table: Table, dialect: str):
    """An insert of a row into `table` that inserts nothing (rowcount 0) where a row
    with its key is there. A row another transaction is inserting makes it wait for
    that transaction (PostgreSQL; SQLite runs one writer at a time): committed, nothing
    is inserted; rolled back, the row is."""
    keys = [column.name for column in table.primary_key.columns]
    return insert_for(dialect)(table).on_conflict_do_nothing(index_elements=keys)
