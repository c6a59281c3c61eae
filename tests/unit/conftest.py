"""Unit tests: the rules, schemas and envelope, with no broker and no database
server. Services are exercised with nameko's worker_factory, and where a fake
would lie about SQL they get a real SQLite session in a temporary file."""

import pytest
from sqlalchemy.orm import sessionmaker

from partanum import migrate
from partanum.db import make_engine
from partanum.dependencies import UnitOfWork


@pytest.fixture
def sqlite_unit_of_work(tmp_path):
    """make(service, actor, on_commit) → (UnitOfWork, engine): the service's database
    migrated in a temporary SQLite file, and the unit of work its Database dependency
    would give an entrypoint; engines disposed at the end."""
    engines = []

    def make(service: str, actor: str = "staff:7", on_commit=lambda: None):
        url = f"sqlite:///{tmp_path / f'{service}.sqlite3'}"
        migrate.upgrade(service, url)
        engine = make_engine(url)
        engines.append(engine)
        return UnitOfWork(
            sessionmaker(engine, expire_on_commit=False), service, actor, on_commit
        ), engine

    yield make
    for engine in engines:
        engine.dispose()
