"""Lists of reservations, loans, residents and waiting entries, filtered and one
page at a time, as plain functions over one transaction.

A partner's staff see the residents registered by that partner or who borrow
(or borrowed) at one of its sites: `partner_id` filters by that rule here, where
both the residents and the loans are, so that the gateway never has to fetch
everyone to decide.
"""

from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from partanum.dependencies import Transaction
from partanum.paging import page
from services.booking import waiting_list
from services.booking.allocations import site_by_code
from services.booking.models import (
    Allocation,
    Item,
    Loan,
    Reservation,
    Resident,
    Site,
    WaitingEntry,
)
from services.booking.residents import with_phone
from services.booking.vocabulary import LoanStatus


def _partner_sites(partner_id: int):
    return select(Site.id).where(Site.partner_id == partner_id)


# --- reservations ---------------------------------------------------------------------


def reservations(tx: Transaction, filters: dict) -> tuple[list[Reservation], int]:
    query = select(Reservation)
    if "partner_id" in filters:
        query = query.where(Reservation.partner_id == filters["partner_id"])
    if "site" in filters:
        query = query.where(Reservation.site_id == site_by_code(tx, filters["site"]).id)
    if "status" in filters:
        query = query.where(Reservation.status == filters["status"])
    if "statuses" in filters:
        query = query.where(Reservation.status.in_(filters["statuses"]))
    if "asset_tag" in filters:
        query = query.where(
            Reservation.allocations.any(
                (Allocation.released_at.is_(None))
                & Allocation.item.has(Item.asset_tag == filters["asset_tag"])
            )
        )
    if "series_id" in filters:
        query = query.where(Reservation.series_id == filters["series_id"])
    if "ends_after" in filters:
        query = query.where(Reservation.ends_at > filters["ends_after"])
    if "starts_before" in filters:
        query = query.where(Reservation.starts_at < filters["starts_before"])
    return page(tx.session, query, (Reservation.starts_at, Reservation.id), filters)


# --- loans -------------------------------------------------------------------------------


def loans(tx: Transaction, filters: dict, now: datetime) -> tuple[list[Loan], int]:
    # With the device and site each loan's answer names, a query each for the page.
    query = select(Loan).options(selectinload(Loan.item), selectinload(Loan.site))
    if "partner_id" in filters:
        query = query.where(Loan.site_id.in_(_partner_sites(filters["partner_id"])))
    if "site" in filters:
        site_id = site_by_code(tx, filters["site"]).id
        query = query.where(or_(Loan.site_id == site_id, Loan.return_site_id == site_id))
    if "resident_id" in filters:
        query = query.where(Loan.resident_id == filters["resident_id"])
    if "asset_tag" in filters:
        query = query.where(Loan.item.has(asset_tag=filters["asset_tag"]))
    if "status" in filters:
        query = query.where(Loan.status == filters["status"])
    if "overdue" in filters:
        late = (Loan.status == LoanStatus.ACTIVE) & (Loan.due_at < now)
        query = query.where(late if filters["overdue"] else ~late)
    if "due_after" in filters:
        query = query.where(Loan.due_at > filters["due_after"])
    if "due_before" in filters:
        query = query.where(Loan.due_at < filters["due_before"])
    return page(tx.session, query, (Loan.due_at, Loan.id), filters)


# --- residents ------------------------------------------------------------------------------


def _borrowed_from(partner_id: int):
    return exists().where(
        Loan.resident_id == Resident.id, Loan.site_id.in_(_partner_sites(partner_id))
    )


def residents(tx: Transaction, filters: dict) -> tuple[list[Resident], int]:
    query = select(Resident).where(Resident.erased_at.is_(None))
    if "partner_id" in filters:
        partner_id = filters["partner_id"]
        query = query.where(
            or_(Resident.registered_by_partner_id == partner_id, _borrowed_from(partner_id))
        )
    if "search" in filters:
        words = filters["search"].strip().lower()
        query = query.where(
            or_(
                func.lower(Resident.display_name).contains(words, autoescape=True),
                func.lower(Resident.card_number) == words,
                # The whole phone number, however either was written.
                with_phone(filters["search"]),
            )
        )
    return page(tx.session, query, (Resident.display_name, Resident.id), filters)


# --- waiting lists ---------------------------------------------------------------------------


def waiting_entries(tx: Transaction, filters: dict) -> tuple[list[WaitingEntry], int]:
    query = select(WaitingEntry)
    if "partner_id" in filters:
        query = query.where(WaitingEntry.site_id.in_(_partner_sites(filters["partner_id"])))
    if "site" in filters:
        query = query.where(WaitingEntry.site_id == site_by_code(tx, filters["site"]).id)
    for name in ("resident_id", "category_id", "status"):
        if name in filters:
            query = query.where(getattr(WaitingEntry, name) == filters[name])
    entries, total = page(tx.session, query, (WaitingEntry.created_at, WaitingEntry.id), filters)
    for entry in entries:
        entry.position = waiting_list.position(tx, entry)
    return entries, total
