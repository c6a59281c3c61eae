"""Rebalancing suggestions a manager dismissed (pages/manage.py): kept in the gateway's
own table, known by the audit's signature of each suggestion, so that a dismissed one
is not proposed again and the reason stays readable beside it."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.gateway.models import DismissedSuggestion

MIN_REASON, MAX_REASON = 3, 500


def read_reason(typed: str) -> str | None:
    """The reason as typed, or None when it is too short or too long."""
    reason = " ".join((typed or "").split())
    return reason if MIN_REASON <= len(reason) <= MAX_REASON else None


def dismiss(session: Session, suggestion: dict, reason: str, actor: str, at: datetime) -> None:
    """Once per suggestion: dismissing it again keeps the first reason."""
    known = session.scalar(
        select(DismissedSuggestion).where(DismissedSuggestion.signature == suggestion["signature"])
    )
    if known is None:
        session.add(
            DismissedSuggestion(
                signature=suggestion["signature"],
                suggestion=suggestion,
                reason=reason,
                dismissed_by=actor,
                dismissed_at=at,
            )
        )


def recent(session: Session, limit: int = 20) -> list[DismissedSuggestion]:
    return list(
        session.scalars(
            select(DismissedSuggestion).order_by(DismissedSuggestion.id.desc()).limit(limit)
        )
    )


def signatures(session: Session) -> set[str]:
    return set(session.scalars(select(DismissedSuggestion.signature)))
