"""Each item's events, kept beside its figures so that a batch need not read them again.

An item's figures are made from every event naming it or one of its reservations
(figures._compute): about 18 entries an item over a year, which every batch naming
the item read and parsed again. Its rows here hold those events, trimmed to what the
figures read (history.py, item_days.py), as JSON; a batch adds a row with its new
ones (History orders and deduplicates them: the order they arrive in does not
matter), with the figures, in the same transaction. So the rows are the events the
item's stored figures were made from. A row is only ever inserted (rewriting one
text holding all of them cost PostgreSQL more than the rest of the batch); once an
item has more than MAX_ROWS, the next batch naming it writes them again as one. An
item without rows (a log from before this table, an item whose entry was erased) is
read from the log again, and gets its row."""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from partanum.db import in_chunks
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


@dataclass(frozen=True)
class Kept:
    """The kept events of some items; those whose rows have become many."""

    events: dict[int, list[dict]]
    crowded: set[int]


# An item's rows beyond which the next batch naming it writes them again as one.
MAX_ROWS = 8


def load(session: Session, items: list[int]) -> Kept:
    """The kept events of those of these items that have any."""
    texts: dict[int, list[str]] = defaultdict(list)
    for item_id, events in session.execute(_LOAD, {"items": items}):
        texts[item_id].append(events)
    return Kept(
        {item_id: json.loads(f"[{''.join(parts)[1:]}]") for item_id, parts in texts.items()},
        {item_id for item_id, parts in texts.items() if len(parts) > MAX_ROWS},
    )


def store(session: Session, events_of: dict[int, Iterable[dict]]) -> None:
    """These items' events, instead of what they held: one row each."""
    if not events_of:
        return
    items = sorted(events_of)
    for chunk in in_chunks(items):
        session.execute(delete(TABLE).where(TABLE.c.item_id.in_(chunk)))
    _insert(session, events_of, 0)


def add(session: Session, events_of: dict[int, Iterable[dict]], n: int) -> None:
    """Add these events to the items' kept ones: a row each, numbered `n` (the last
    seq of the batch: greater than every row's before it)."""
    _insert(session, events_of, n)


_LOAD = select(TABLE.c.item_id, TABLE.c.events).where(
    TABLE.c.item_id.in_(bindparam("items", expanding=True))
)


def _insert(session: Session, events_of: dict[int, Iterable[dict]], n: int) -> None:
    if events_of:
        session.execute(
            TABLE.insert(),
            [
                # Each event after a comma: the rows' texts joined are read as "[" + …[1:] + "]".
                {"item_id": item_id, "n": n, "events": "".join(f",{_json(e)}" for e in events)}
                for item_id, events in sorted(events_of.items())
            ],
        )


def _json(event: dict) -> str:
    return json.dumps(event, separators=(",", ":"))
