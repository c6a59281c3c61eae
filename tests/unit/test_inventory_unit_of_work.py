"""The inventory's entrypoints with nameko's worker_factory and a real SQLite
database: a change and its events are committed together, or not at all."""

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from partanum.errors import InvalidInput
from partanum.tables import outbox
from services.inventory.service import Service


@pytest.fixture
def service(sqlite_unit_of_work):
    wakes = []
    db, engine = sqlite_unit_of_work("inventory", on_commit=lambda: wakes.append(1))
    return worker_factory(Service, db=db), engine, wakes


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
