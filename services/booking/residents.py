"""Residents who borrow devices, as plain functions over one transaction.

This table is the only place their name, phone and email live: events carry the
resident's id, and other services ask for contact details when they need them.
"""

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, bindparam, false, select

from partanum import phones
from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from partanum.events import require
from services.booking import events
from services.booking.exceptions import CardNumberTaken
from services.booking.models import Resident
from services.booking.schemas import contact_problems

require(events)


def register(tx: Transaction, data: dict) -> Resident:
    _card_number_free(tx, data["card_number"])
    now = datetime.now(UTC)
    resident = Resident(
        display_name=data["display_name"],
        phone=data["phone"],
        email=data["email"],
        language=data["language"],
        channel=data["channel"],
        consent_at=now,
        card_number=data["card_number"],
        registered_by_partner_id=data["registered_by_partner_id"],
        created_at=now,
    )
    tx.session.add(resident)
    tx.session.flush()
    tx.emit(
        "booking.resident_registered",
        {"resident_id": resident.id, "partner_id": resident.registered_by_partner_id},
    )
    return resident


# get's statements (by id or card number; locked or not), built once: every check-out
# runs one.
_REGISTERED = select(Resident).where(Resident.erased_at.is_(None))
_BY_ID = _REGISTERED.where(Resident.id == bindparam("key"))
_BY_CARD = _REGISTERED.where(Resident.card_number == bindparam("key"))
_GET = {
    (int, False): _BY_ID,
    (int, True): _BY_ID.with_for_update(),
    (str, False): _BY_CARD,
    (str, True): _BY_CARD.with_for_update(),
}


def get(tx: Transaction, key: int | str, lock: bool = False) -> Resident:
    """By id (an int) or by the card number scanned at the desk (a string)."""
    if isinstance(key, int) and not isinstance(key, bool):
        query = _GET[int, lock]
    elif isinstance(key, str):
        query = _GET[str, lock]
    else:
        raise InvalidInput({"resident": ["an id or a card number"]})
    resident = tx.session.scalar(query, {"key": key})
    if resident is None:
        raise NotFound("resident", key)
    return resident


# A check-out needs the resident registered and locked, nothing of their row: no ORM
# object for it (an object costs three times its query, bench/request_cpu.py).
_residents = Resident.__table__
_LOCK_REGISTERED = (
    select(_residents.c.id)
    .where(_residents.c.id == bindparam("resident_id"), _residents.c.erased_at.is_(None))
    .with_for_update()
)


def lock(tx: Transaction, resident_id: int) -> int:
    """Lock a registered resident's row, or NotFound; their id."""
    if tx.session.scalar(_LOCK_REGISTERED, {"resident_id": resident_id}) is None:
        raise NotFound("resident", resident_id)
    return resident_id


def get_many(tx: Transaction, resident_ids: list[int]) -> list[Resident]:
    """Those of `resident_ids` who are still registered (the erased are left out)."""
    if not all(isinstance(key, int) and not isinstance(key, bool) for key in resident_ids):
        raise InvalidInput({"resident_ids": ["a list of resident ids"]})
    return list(
        tx.session.scalars(
            select(Resident)
            .where(Resident.id.in_(set(resident_ids)), Resident.erased_at.is_(None))
            .order_by(Resident.id)
        )
    )


def with_phone(phone: str) -> ColumnElement[bool]:
    """Where the resident's phone is `phone`, however either was written ("06 12 34 56 78",
    "+33 6 12…", "0033 6…"): compared in E.164, through the index. Something that cannot
    be a phone matches nobody (rather than every resident without one)."""
    e164 = phones.normalised(phone)
    return Resident.phone_e164 == e164 if e164 else false()


def update(tx: Transaction, resident_id: int, changes: dict) -> Resident:
    resident = get(tx, resident_id, lock=True)
    merged = {
        name: changes.get(name, getattr(resident, name)) for name in ("phone", "email", "channel")
    }
    # Registered with neither phone nor email, they may stay so (served under a mandate).
    served_at_desk = resident.phone is None and resident.email is None
    problems = contact_problems(merged["phone"], merged["email"], merged["channel"], served_at_desk)
    if problems:
        raise InvalidInput(problems)
    if changes.get("card_number") not in (None, resident.card_number):
        _card_number_free(tx, changes["card_number"])
    changed = sorted(name for name, value in changes.items() if getattr(resident, name) != value)
    for name in changed:
        setattr(resident, name, changes[name])
    if changed:
        tx.emit("booking.resident_updated", {"resident_id": resident.id, "changed": changed})
    return resident


def _card_number_free(tx: Transaction, card_number: str | None) -> None:
    if card_number and tx.session.scalar(
        select(Resident.id).where(Resident.card_number == card_number)
    ):
        raise CardNumberTaken(
            f"card number {card_number!r} is already someone's", {"field": "card_number"}
        )
