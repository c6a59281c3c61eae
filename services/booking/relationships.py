"""Which partners reach a resident, and how much of them their staff see, as plain
functions over one transaction.

A partner reaches a resident only through a relationship: it registered them, it
lends or lent to them (until those loans are anonymised), it found them at its
desk by the whole card number or phone number they presented, or it holds a valid
mandate of theirs. An id alone opens nothing: asked with a partner, a resident it
has no relationship with is NotFound, exactly like one who does not exist.

What the partner's staff see of a related resident:
- FULL (name and contact details): the partner registered them, or lends them a
  device now (it must be able to get it back);
- MASKED otherwise: the name, with the phone, email and card number masked.
"""

from datetime import datetime

from sqlalchemy import delete, exists, select

from partanum import phones
from partanum.dependencies import Transaction
from partanum.errors import NotFound
from partanum.events import require
from services.booking import events
from services.booking.models import Loan, Mandate, Resident, ResidentFound, Site
from services.booking.residents import get as get_resident
from services.booking.residents import with_phone
from services.booking.vocabulary import LoanStatus

require(events)

FULL, MASKED = "full", "masked"
HIDDEN = "•"


def _partner_sites(partner_id: int):
    return select(Site.id).where(Site.partner_id == partner_id)


def _lends_now(partner_id: int):
    return exists().where(
        Loan.resident_id == Resident.id,
        Loan.status == LoanStatus.ACTIVE,
        Loan.site_id.in_(_partner_sites(partner_id)),
    )


def _related(partner_id: int, now: datetime):
    """Any relationship but registering them (which the resident's row says)."""
    lent = exists().where(
        Loan.resident_id == Resident.id, Loan.site_id.in_(_partner_sites(partner_id))
    )
    found = exists().where(
        ResidentFound.resident_id == Resident.id, ResidentFound.partner_id == partner_id
    )
    mandated = exists().where(
        Mandate.resident_id == Resident.id,
        Mandate.partner_id == partner_id,
        Mandate.withdrawn_at.is_(None),
        Mandate.expires_at > now,
    )
    return lent | found | mandated


def view(tx: Transaction, resident: Resident, partner_id: int, now: datetime) -> str:
    """FULL or MASKED, or NotFound when the partner has no relationship with them."""
    if resident.registered_by_partner_id == partner_id:
        return FULL
    lends_now, related = tx.session.execute(
        select(_lends_now(partner_id), _related(partner_id, now))
        .select_from(Resident)
        .where(Resident.id == resident.id)
    ).one()
    if lends_now:
        return FULL
    if related:
        return MASKED
    raise NotFound("resident", resident.id)


def views(tx: Transaction, residents: list[Resident], partner_id: int) -> dict[int, str]:
    """The view of each of a page of residents the partner is known to reach."""
    lent_to = set(
        tx.session.scalars(
            select(Resident.id).where(
                Resident.id.in_([r.id for r in residents]), _lends_now(partner_id)
            )
        )
    )
    return {
        r.id: FULL if r.registered_by_partner_id == partner_id or r.id in lent_to else MASKED
        for r in residents
    }


def partners(tx: Transaction, resident_id: int, now: datetime) -> list[int]:
    """Every partner related to the resident, by any relationship."""
    resident = get_resident(tx, resident_id)
    lenders = select(Site.partner_id).where(
        Site.id.in_(select(Loan.site_id).where(Loan.resident_id == resident.id))
    )
    finders = select(ResidentFound.partner_id).where(ResidentFound.resident_id == resident.id)
    mandated = select(Mandate.partner_id).where(
        Mandate.resident_id == resident.id, Mandate.withdrawn_at.is_(None), Mandate.expires_at > now
    )
    related = lenders.union(finders, mandated)
    return sorted({resident.registered_by_partner_id, *tx.session.scalars(related)})


def found_at_desk(tx: Transaction, partner_id: int, presented: dict, now: datetime) -> Resident:
    """The resident whose whole card number or phone number was presented at the
    partner's desk; records that the partner found them (and says so in an event)
    unless it registered them. Several residents sharing a phone: NotFound (ask
    for the card)."""
    if "card_number" in presented:
        how, presenting = "card", Resident.card_number == presented["card_number"].strip()
    else:
        how, presenting = "phone", with_phone(presented["phone"])
    # A second match is enough to know that several share it.
    matches = tx.session.scalars(
        select(Resident).where(presenting, Resident.erased_at.is_(None)).limit(2)
    ).all()
    if len(matches) != 1:
        raise NotFound("resident", f"by {how}")  # never the number itself, which logs keep
    resident = matches[0]
    if resident.registered_by_partner_id != partner_id:
        _record_found(tx, resident, partner_id, how, now)
    return resident


def _record_found(
    tx: Transaction, resident: Resident, partner_id: int, how: str, now: datetime
) -> None:
    found = tx.session.get(ResidentFound, (resident.id, partner_id), with_for_update=True)
    if found is not None:  # known already: the delay before forgetting starts again
        found.found_at = now
        return
    tx.session.add(
        ResidentFound(resident_id=resident.id, partner_id=partner_id, how=how, found_at=now)
    )
    tx.emit(
        "booking.resident_found_at_desk",
        {"resident_id": resident.id, "partner_id": partner_id, "how": how},
    )


def forget_found(tx: Transaction, cutoff: datetime) -> None:
    """A partner that has not seen a resident at its desk since `cutoff` forgets it
    found them (loans and mandates keep their own relationships)."""
    tx.session.execute(
        delete(ResidentFound)
        .where(ResidentFound.found_at <= cutoff)
        .execution_options(synchronize_session=False)
    )


def forget_resident(tx: Transaction, resident_id: int) -> None:
    """On erasure: no partner found them, nor holds their consent, any more."""
    for table in (ResidentFound, Mandate):
        tx.session.execute(
            delete(table)
            .where(table.resident_id == resident_id)
            .execution_options(synchronize_session=False)
        )


def masked(resident: dict) -> dict:
    """A resident's record with the phone, email and card number masked: enough for
    staff to check with the person in front of them, not to contact or find them."""
    shown = dict(resident)
    if shown.get("phone"):
        digits = phones.digits(shown["phone"])
        shown["phone"] = HIDDEN * max(len(digits) - 2, 2) + digits[-2:]
    if shown.get("email"):
        local, _, domain = shown["email"].partition("@")
        shown["email"] = f"{local[:1]}{HIDDEN * 3}@{domain}"
    if shown.get("card_number"):
        shown["card_number"] = HIDDEN * 4 + shown["card_number"][-2:]
    return shown
