"""The inventory's entrypoints with nameko's worker_factory and a real SQLite
database: a change and its events are committed together, or not at all."""
import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from partanum import migrate
from partanum.db import make_engine
from partanum.dependencies import UnitOfWork
from partanum.errors import InvalidInput
from partanum.tables import outbox
from services.inventory.service import Service


@pytest.fixture
def service(tmp_path):
    url = f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    migrate.upgrade("inventory", url)
    engine = make_engine(url)
    wakes = []
    db = UnitOfWork(sessionmaker(engine, expire_on_commit=False), "inventory", "staff:7",
                    on_commit=lambda: wakes.append(1))
    yield worker_factory(Service, db=db), engine, wakes
    engine.dispose()


def pending_events(engine):
    with engine.connect() as connection:
        return connection.execute(select(outbox.c.event_type).order_by(outbox.c.id)).scalars().all()


def test_a_registered_partner_and_its_event_are_committed_together(service):
    inventory, engine, wakes = service

    inventory.register_partner({"code": "mairie", "name": "Mairie de quartier"})

    assert pending_events(engine) == ["inventory.partner_registered"]
    assert wakes == [1]  # the relay is told right after the commit


def test_refused_input_leaves_no_event_behind(service):
    inventory, engine, wakes = service

    with pytest.raises(InvalidInput):
        inventory.register_partner({"code": "Mairie!", "name": ""})
    with pytest.raises(InvalidInput):
        inventory.register_item({"asset_tag": "MQ-PC-001"})

    assert pending_events(engine) == []
    assert wakes == []
