"""Helpers shared by the unit test modules: events as another service would send them."""

from partanum.events import Event, make_event, read_event, require
from services.booking import events as booking_events

require(booking_events)

CHECKED_OUT = dict(site_id=1, due_at="2026-12-15T17:30:00+00:00", overridden=False)


def loan_event(event_type, item_id=1, **data) -> Event:
    """A booking's loan event, checked against its contract as the inventory reads it."""
    body = make_event(
        event_type,
        {"loan_id": 12, "item_id": item_id, "resident_id": 42, **data},
        producer="booking",
        actor="staff:3",
    )
    return read_event(body)
