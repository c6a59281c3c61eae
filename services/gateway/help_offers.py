"""Help with online procedures that each partner's staff offer at their sites, for
the public guide (pages/guide.py): what (a short French text typed by staff, shown
to anyone, never sent in an event), where (one of the partner's sites) and when
(weekly slots, as the sites' opening hours: {"monday": [["13:30", "18:30"]]}).

Each partner sees and changes its own offers only: an offer of another partner is
answered as one that does not exist (None).
"""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import inputs
from partanum.opening_hours import WEEKDAYS, hours_problems
from services.gateway.models import HelpOffer

MAX_WHAT = 200
# "9:00-12:00 13:30-18:30", "09:00–12:00, 13:30–18:30": the slots of one weekday.
_SLOT = re.compile(r"(\d{1,2})[:h.](\d{2})\s*[-–—]\s*(\d{1,2})[:h.](\d{2})")


def read_slots(typed: str) -> list[list[str]] | None:
    """One weekday's slots as typed → [["09:00", "12:00"], …]; None when they cannot be read."""
    typed = (typed or "").strip()
    if not typed:
        return []
    slots = []
    rest = typed
    for found in _SLOT.finditer(typed):
        h1, m1, h2, m2 = (int(part) for part in found.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            return None
        slots.append([f"{h1:02}:{m1:02}", f"{h2:02}:{m2:02}"])
        rest = rest.replace(found.group(0), "", 1)
    if not slots or re.sub(r"[\s,;et&+/]", "", rest):
        return None
    if hours_problems({"day": slots}):
        return None
    return sorted(slots)


def written_slots(slots: list[list[str]]) -> str:
    """The inverse of read_slots, to fill the form again: "09:00-12:00 13:30-18:30"."""
    return " ".join(f"{opens}-{closes}" for opens, closes in slots or [])


def read_what(typed: str) -> str | None:
    what = " ".join((typed or "").split())
    if not what or len(what) > MAX_WHAT or inputs.unstorable(what):
        return None
    return what


def all_offers(session: Session) -> list[HelpOffer]:
    return list(session.scalars(select(HelpOffer).order_by(HelpOffer.site_code, HelpOffer.id)))


def of_partner(session: Session, partner_id: int) -> list[HelpOffer]:
    return list(
        session.scalars(
            select(HelpOffer)
            .where(HelpOffer.partner_id == partner_id)
            .order_by(HelpOffer.site_code, HelpOffer.id)
        )
    )


def one_of_partner(session: Session, partner_id: int, offer_id: int) -> HelpOffer | None:
    offer = session.get(HelpOffer, offer_id)
    return offer if offer is not None and offer.partner_id == partner_id else None


def save(
    session: Session,
    partner_id: int,
    site_code: str,
    what: str,
    hours: dict,
    now: datetime,
    offer: HelpOffer | None = None,
) -> HelpOffer:
    """A new offer, or `offer` changed; the caller has checked the site is the partner's."""
    if offer is None:
        offer = HelpOffer(partner_id=partner_id)
        session.add(offer)
    offer.site_code, offer.what, offer.updated_at = site_code, what, now
    offer.hours = {day: hours[day] for day in WEEKDAYS if hours.get(day)}
    session.flush()
    return offer


def remove(session: Session, partner_id: int, offer_id: int) -> bool:
    offer = one_of_partner(session, partner_id, offer_id)
    if offer is None:
        return False
    session.delete(offer)
    return True
