"""The booking's copy of the inventory stays right when events come late or out
of order (retries and concurrent workers reorder deliveries)."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from partanum.events import Event
from services.booking import projections
from services.booking.models import Item

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def event(event_type, data, minutes):
    return Event(uuid.uuid4(), event_type, 1, T0 + timedelta(minutes=minutes), "inventory", "staff:1", data)


def status_change(before, after, minutes):
    return event("inventory.item_status_changed", {"item_id": 1, "asset_tag": "JV-PC-001",
                 "from_status": before, "to_status": after, "reason": "desk"}, minutes)


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'booking.sqlite3'}"
    migrate.upgrade("booking", url)
    engine = make_engine(url)
    with Session(engine) as session:
        projections.apply(session, event("inventory.item_registered", {
            "item_id": 1, "asset_tag": "JV-PC-001", "category_id": 1, "owner_partner_id": 1,
            "site_id": 1, "status": "available"}, 0), fetch_site=None)
        yield session
    engine.dispose()


def test_a_late_older_status_event_does_not_undo_a_newer_one(session):
    projections.apply(session, status_change("on_loan", "awaiting_wipe", 20), fetch_site=None)
    projections.apply(session, status_change("available", "on_loan", 10), fetch_site=None)

    assert session.get(Item, 1).status == "awaiting_wipe"


def test_status_events_in_order_are_all_applied(session):
    projections.apply(session, status_change("available", "maintenance", 10), fetch_site=None)
    assert session.get(Item, 1).status == "maintenance"
    projections.apply(session, status_change("maintenance", "available", 20), fetch_site=None)
    assert session.get(Item, 1).status == "available"


def test_an_on_loan_handled_after_the_device_came_back_leaves_it_waiting_for_its_wipe(session):
    # The desk lent and took back the device before the inventory's echo of the
    # loan arrived: the copy already holds it for its wipe, with no active loan.
    session.get(Item, 1).status = "awaiting_wipe"
    projections.apply(session, status_change("available", "on_loan", 10), fetch_site=None)

    assert session.get(Item, 1).status == "awaiting_wipe"
