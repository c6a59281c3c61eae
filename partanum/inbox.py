"""The inbox: a consumer's record of the events whose effect it has applied.

The record is written in the same transaction as the effect. A redelivered
event finds its record and is skipped; two deliveries racing each other collide
on the primary key, the loser rolls back and, retried, finds the record.
"""
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from partanum.events import Event
from partanum.tables import inbox


def first_delivery(session: Session, consumer: str, event: Event) -> bool:
    """Record `event` as handled by `consumer`; False if it already was."""
    seen = session.execute(
        select(inbox.c.event_id).where(
            inbox.c.consumer == consumer, inbox.c.event_id == str(event.id)
        )
    ).first()
    if seen:
        return False
    session.execute(
        insert(inbox).values(
            consumer=consumer,
            event_id=str(event.id),
            event_type=event.type,
            handled_at=datetime.now(timezone.utc),
        )
    )
    return True
