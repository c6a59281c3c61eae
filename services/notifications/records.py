"""What staff may look at: the delivery log, their desk's notices, their desk's address."""

from datetime import datetime

from sqlalchemy import select

from partanum.dependencies import Transaction
from partanum.errors import NotFound
from services.notifications.models import Message, PartnerContact, StaffNotice


def delivery_log(
    tx: Transaction,
    resident_id=None,
    partner_id=None,
    status=None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[Message]:
    query = select(Message).order_by(Message.id.desc()).limit(limit)
    if resident_id is not None:
        query = query.where(Message.resident_id == resident_id)
    if partner_id is not None:
        query = query.where(Message.partner_id == partner_id)
    if status is not None:
        query = query.where(Message.status == status)
    if since is not None:
        query = query.where(Message.updated_at >= since)
    return list(tx.session.scalars(query))


def staff_notices(
    tx: Transaction, partner_id: int, include_done: bool = False
) -> list[StaffNotice]:
    query = select(StaffNotice).where(StaffNotice.partner_id == partner_id)
    if not include_done:
        query = query.where(StaffNotice.done_at.is_(None))
    return list(tx.session.scalars(query.order_by(StaffNotice.id.desc())))


def mark_notice_done(tx: Transaction, notice_id: int, now: datetime) -> StaffNotice:
    notice = tx.session.get(StaffNotice, notice_id)
    if notice is None:
        raise NotFound("staff notice", notice_id)
    notice.done_at = notice.done_at or now
    return notice


# A resident's request, from their own pages, that the desk erase their data.
ERASURE_REQUESTED = "erasure_requested"


def note_erasure_request(
    tx: Transaction, partner_id: int, resident_id: int, now: datetime
) -> StaffNotice:
    """The desk's notice that a resident asks to be erased: one open notice per
    resident, however often they ask."""
    open_one = tx.session.scalars(
        select(StaffNotice).where(
            StaffNotice.partner_id == partner_id,
            StaffNotice.resident_id == resident_id,
            StaffNotice.kind == ERASURE_REQUESTED,
            StaffNotice.done_at.is_(None),
        )
    ).first()
    if open_one is not None:
        return open_one
    notice = StaffNotice(
        partner_id=partner_id,
        kind=ERASURE_REQUESTED,
        resident_id=resident_id,
        context={},
        created_at=now,
    )
    tx.session.add(notice)
    tx.session.flush()
    return notice


def set_partner_contact(tx: Transaction, partner_id: int, data: dict) -> PartnerContact:
    contact = tx.session.get(PartnerContact, partner_id) or PartnerContact(partner_id=partner_id)
    contact.email = data["email"]
    contact.language = data["language"]
    tx.session.add(contact)
    return contact


def partner_contacts(tx: Transaction) -> list[PartnerContact]:
    """Every desk's own address, as the administrator's pages show them."""
    return list(tx.session.scalars(select(PartnerContact).order_by(PartnerContact.partner_id)))
