"""The inbox: a consumer's record of the events whose effect it has applied.

The record is written in the same transaction as the effect. A redelivered
event finds its record and is skipped. Two deliveries racing each other: the
second insert waits for the first transaction (PostgreSQL's unique index; SQLite
serialises writers anyway) and, once it has committed, inserts nothing.
"""

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy.orm import Session

from partanum.db import insert_once
from partanum.events import Event
from partanum.tables import inbox


def first_delivery(session: Session, consumer: str, event: Event) -> bool:
    """Record `event` as handled by `consumer`; False if it already was."""
    # One statement, not a look then an insert: this runs for every event.
    recorded = session.execute(
        insert_once(inbox, session.get_bind().dialect.name),
        {
            "consumer": consumer,
            "event_id": str(event.id),
            "event_type": event.type,
            "handled_at": datetime.now(UTC),
        },
    )
    return cast(CursorResult, recorded).rowcount == 1
