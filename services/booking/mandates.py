"""A resident's consent for a partner's staff to act for them (a mandate, as in
Aidants Connect), as plain functions over one transaction.

Staff record it at their desk, with the resident present, for what it covers
(vocabulary.MANDATE_SCOPES) and until when (at most a year ahead); the resident or the
partner's staff withdraw it. Staff act for a resident only under a valid one,
and each act names it (the gateway's actor "staff:12 for resident:7 under
mandate:3"). Events carry ids and scopes only.
"""

from datetime import datetime

from sqlalchemy import select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from partanum.events import require
from services.booking import events, relationships
from services.booking.domain import MANDATE_MAX_DURATION
from services.booking.models import Mandate
from services.booking.residents import get as get_resident

require(events)


def record(tx: Transaction, data: dict, now: datetime) -> Mandate:
    """Only a partner related to the resident records one (NotFound otherwise)."""
    resident = get_resident(tx, data["resident_id"])
    relationships.view(tx, resident, data["partner_id"], now)
    if not now < data["expires_at"] <= now + MANDATE_MAX_DURATION:
        raise InvalidInput(
            {"expires_at": [f"after now, and at most {MANDATE_MAX_DURATION.days} days ahead"]}
        )
    mandate = Mandate(
        resident_id=resident.id,
        partner_id=data["partner_id"],
        scopes=sorted(set(data["scopes"])),
        recorded_at=now,
        recorded_by=tx.actor,
        expires_at=data["expires_at"],
    )
    tx.session.add(mandate)
    tx.session.flush()
    tx.emit(
        "booking.mandate_recorded",
        {
            "mandate_id": mandate.id,
            "resident_id": resident.id,
            "partner_id": mandate.partner_id,
            "scopes": mandate.scopes,
            "expires_at": mandate.expires_at,
        },
    )
    return mandate


def get(tx: Transaction, mandate_id: int, lock: bool = False) -> Mandate:
    mandate = tx.session.get(Mandate, mandate_id, with_for_update=lock)
    if mandate is None:
        raise NotFound("mandate", mandate_id)
    return mandate


def of_resident(tx: Transaction, resident_id: int, partner_id: int | None = None) -> list[Mandate]:
    """The resident's mandates, latest first; only one partner's when it is given."""
    query = select(Mandate).where(Mandate.resident_id == get_resident(tx, resident_id).id)
    if partner_id is not None:
        query = query.where(Mandate.partner_id == partner_id)
    return list(tx.session.scalars(query.order_by(Mandate.recorded_at.desc(), Mandate.id.desc())))


def withdraw(tx: Transaction, mandate_id: int, now: datetime) -> Mandate:
    """Withdrawing twice changes nothing more."""
    mandate = get(tx, mandate_id, lock=True)
    if mandate.withdrawn_at is None:
        mandate.withdrawn_at = now
        tx.emit(
            "booking.mandate_withdrawn",
            {
                "mandate_id": mandate.id,
                "resident_id": mandate.resident_id,
                "partner_id": mandate.partner_id,
            },
        )
    return mandate


def valid(
    tx: Transaction, resident_id: int, partner_id: int, scopes: list[str], now: datetime
) -> Mandate | None:
    """The partner's mandate from the resident covering one of `scopes` now, if any
    (the one that lasts longest); NotFound when the partner does not reach them."""
    resident = get_resident(tx, resident_id)
    relationships.view(tx, resident, partner_id, now)
    candidates = tx.session.scalars(
        select(Mandate)
        .where(
            Mandate.resident_id == resident.id,
            Mandate.partner_id == partner_id,
            Mandate.withdrawn_at.is_(None),
            Mandate.expires_at > now,
        )
        .order_by(Mandate.expires_at.desc(), Mandate.id)
    )
    return next((m for m in candidates if set(m.scopes) & set(scopes)), None)
