"""Each item's events, kept beside its figures so that a batch need not read them again.

An item's figures are made from every event naming it or one of its reservations
(figures._compute): about 18 entries an item over a year, which every batch naming
the item read and parsed again. The item's row here holds those events, trimmed to
what the figures read (history.py, item_days.py), as JSON; a batch adds its new ones
(History orders and deduplicates them: the order they arrive in does not matter),
appending them to the row's text, with the figures, in the same transaction. So a row is the set
of events the item's stored figures were made from. An item without a row (a log
from before this table, an item whose entry was erased) is read from the log again,
and gets its row.
"""

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.audit.models import ItemEvents

TABLE = ItemEvents.__table__

# What the figures read of each kind of event (History's handlers, changed_since),
# with the reservation an event names wherever it names one: it links the item to
# that reservation's other events. Nothing else is copied (a resident, a note).
_KEPT = {
    "inventory.item_registered": (
        "item_id",
        "asset_tag",
        "category_id",
        "site_id",
        "owner_partner_id",
        "status",
    ),
    "inventory.item_status_changed": ("item_id", "to_status"),
    "inventory.item_transferred": ("item_id", "to_site_id", "to_partner_id"),
    "booking.reservation_created": (
        "reservation_id",
        "site_id",
        "partner_id",
        "item_ids",
        "starts_at",
        "ends_at",
    ),
    "booking.reservation_cancelled": ("reservation_id",),
    "booking.reservation_released": ("reservation_id",),
    "booking.reservation_item_withdrawn": ("reservation_id", "item_id", "replacement_item_id"),
    "booking.reservation_returned": ("reservation_id",),
    "booking.loan_checked_out": ("loan_id", "item_id", "site_id", "due_at", "reservation_id"),
    "booking.loan_checked_in": ("loan_id", "reservation_id"),
    "booking.loan_lost": ("loan_id", "reservation_id"),
}


# Times the figures read, kept as POSIX seconds: parsed once, not at each batch (History
# and item_days take either; a float's JSON gives it back exactly).
_TIMES = ("starts_at", "ends_at", "due_at")


def trimmed(envelope: dict) -> dict:
    """The envelope with what the figures read of it only."""
    data = envelope["data"]
    kept = {key: data[key] for key in _KEPT[envelope["type"]] if key in data}
    for key in _TIMES:
        if key in kept:
            kept[key] = _seconds(kept[key])
    if envelope["type"] == "booking.loan_checked_out":
        kept["resident_id"] = None  # History's loans name one; the figures need none
    return {
        "id": envelope["id"],
        "type": envelope["type"],
        "occurred_at": _seconds(envelope["occurred_at"]),
        "data": kept,
    }


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def load(session: Session, items: list[int]) -> dict[int, list[dict]]:
    """{item: its events} of those of these items that have a row."""
    return {
        item_id: json.loads(f"[{events[1:]}]")
        for item_id, events in session.execute(_LOAD, {"items": items})
    }


def store(session: Session, events_of: dict[int, Iterable[dict]]) -> None:
    """Write these items' rows, replacing what they held."""
    _write(session, events_of, lambda table, excluded: excluded)


def add(session: Session, events_of: dict[int, Iterable[dict]]) -> None:
    """Add these events to the items' rows (each written once: only the new ones are
    serialised, and the text appended to what the row holds)."""
    _write(session, events_of, lambda table, excluded: table.c.events + excluded)


_LOAD = select(TABLE.c.item_id, TABLE.c.events).where(
    TABLE.c.item_id.in_(bindparam("items", expanding=True))
)


def _write(session: Session, events_of: dict[int, Iterable[dict]], value) -> None:
    if not events_of:
        return
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = upsert(TABLE)
    statement = statement.on_conflict_do_update(
        index_elements=["item_id"], set_={"events": value(TABLE, statement.excluded.events)}
    )
    session.execute(
        statement,
        [
            # Each event after a comma: a row is one text, read as "[" + text[1:] + "]".
            {"item_id": item_id, "events": "".join(f",{_json(event)}" for event in events)}
            for item_id, events in sorted(events_of.items())
        ],
    )


def _json(event: dict) -> str:
    return json.dumps(event, separators=(",", ":"))
