"""The booking's copy of the inventory stays right when events come late or out
of order (retries and concurrent workers reorder deliveries)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from partanum.events import Event
from services.booking import projections
from services.booking.models import Item, Site

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def event(event_type, data, minutes):
    return Event(
        uuid.uuid4(), event_type, 1, T0 + timedelta(minutes=minutes), "inventory", "staff:1", data
    )


def status_change(before, after, minutes):
    return event(
        "inventory.item_status_changed",
        {
            "item_id": 1,
            "asset_tag": "JV-PC-001",
            "from_status": before,
            "to_status": after,
            "reason": "desk",
        },
        minutes,
    )


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'booking.sqlite3'}"
    migrate.upgrade("booking", url)
    engine = make_engine(url)
    with Session(engine) as session:
        projections.apply(
            session,
            event(
                "inventory.item_registered",
                {
                    "item_id": 1,
                    "asset_tag": "JV-PC-001",
                    "category_id": 1,
                    "owner_partner_id": 1,
                    "site_id": 1,
                    "status": "available",
                },
                0,
            ),
        )
        yield session
    engine.dispose()


def test_a_late_older_status_event_does_not_undo_a_newer_one(session):
    projections.apply(session, status_change("on_loan", "awaiting_wipe", 20))
    projections.apply(session, status_change("available", "on_loan", 10))

    assert session.get(Item, 1).status == "awaiting_wipe"


def test_status_events_in_order_are_all_applied(session):
    projections.apply(session, status_change("available", "maintenance", 10))
    assert session.get(Item, 1).status == "maintenance"
    projections.apply(session, status_change("maintenance", "available", 20))
    assert session.get(Item, 1).status == "available"


def test_an_on_loan_handled_after_the_device_came_back_leaves_it_waiting_for_its_wipe(session):
    # The desk lent and took back the device before the inventory's echo of the
    # loan arrived: the copy already holds it for its wipe, with no active loan.
    session.get(Item, 1).status = "awaiting_wipe"
    projections.apply(session, status_change("available", "on_loan", 10))

    assert session.get(Item, 1).status == "awaiting_wipe"


def site_state(minutes, hours, closures=(), **extra):
    return event(
        minutes=minutes,
        event_type=extra.pop("event_type", "inventory.site_hours_changed"),
        data={
            "site_id": 1,
            "code": "jean-vilar",
            "name": "Centre Jean Vilar",
            "address": "1 place",
            "opening_hours": hours,
            "closures": list(closures),
            **extra,
        },
    )


def test_a_sites_copy_is_taken_from_its_events_and_a_late_older_one_changes_nothing(session):
    mornings = {"monday": [["09:00", "12:00"]]}
    evenings = {"monday": [["16:00", "19:00"]]}
    projections.apply(
        session, site_state(0, mornings, event_type="inventory.site_registered", partner_id=2)
    )
    projections.apply(session, site_state(20, evenings, [["2026-12-24", "2027-01-01"]]))
    projections.apply(session, site_state(10, mornings))  # delivered late, after a retry

    site = session.get(Site, 1)
    assert (site.partner_id, site.opening_hours, site.closures) == (
        2,
        evenings,
        [["2026-12-24", "2027-01-01"]],
    )


def test_hours_of_a_site_not_registered_yet_wait_for_its_registration(session):
    with pytest.raises(LookupError):
        projections.apply(session, site_state(0, {}))
