"""Loans of devices to residents at the front desk, as plain functions over one
transaction: check-out, renewal, check-in, loss, and the overdue job.

A loan takes its item through an allocation, like a reservation does, so that
the database's overlap guard keeps a lent device from being promised to anyone
else until it is due back (plus the buffer for its wipe).
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import selectinload

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from partanum.events import require
from services.booking import domain, events, reservations, residents, waiting_list
from services.booking.allocations import (
    OVERLAPPING,
    claim,
    flush_claims,
    site_by_code,
    window_values,
)
from services.booking.exceptions import (
    LoanNotActive,
    NoReturnDay,
    NotAtSite,
    NotAvailable,
    NotLendable,
    OverdueLoanBlocks,
    RenewalRefused,
    TooManyLoans,
)
from services.booking.models import (
    Allocation,
    CategoryPolicy,
    Item,
    Loan,
    Reservation,
    Site,
    WaitingEntry,
)
from services.booking.policies import policy_for
from services.booking.vocabulary import LoanStatus, ReservationStatus, WaitingStatus

require(events)
# A reservation whose items can still be handed over at the desk.
RESERVATION_OPEN = (ReservationStatus.CONFIRMED, ReservationStatus.PICKED_UP)
# Someone is in line for a category at a site while their entry is in these states.
STILL_WAITING = (WaitingStatus.WAITING, WaitingStatus.HELD)


# --- category policies ----------------------------------------------------------------


def set_category_policy(tx: Transaction, category_id: int, data: dict) -> CategoryPolicy:
    policy = tx.session.get(CategoryPolicy, category_id, with_for_update=True)
    if policy is None:
        policy = CategoryPolicy(category_id=category_id)
        tx.session.add(policy)
    policy.loan_days, policy.max_renewals = data["loan_days"], data["max_renewals"]
    return policy


# --- check-out ---------------------------------------------------------------------------


def check_out(
    tx: Transaction, data: dict, buffer: timedelta, zone: ZoneInfo, max_loans: int
) -> dict:
    """The loan, written with its claim of the item (or Overlap), as LoanOut shows it."""
    now = datetime.now(UTC)
    site = site_by_code(tx, data["site"])
    resident_id = _borrower(tx, data["resident_id"])
    item = _item(tx, data["asset_tag"])
    reservation = _open_reservation(tx, data["reservation_id"]) if data["reservation_id"] else None
    # A device reserved for this very hand-over may be lent, whatever the copy says.
    lendable = domain.LENDABLE_STATUSES | ({"reserved"} if reservation else set())
    if item.status not in lendable:
        raise NotLendable(
            f"{item.asset_tag} cannot be lent: it is {item.status}",
            {"asset_tag": item.asset_tag, "status": item.status},
        )
    if reservation is None and item.site_id != site.id:
        # A walk-in takes what stands at the desk; a reservation's devices were brought to it.
        raise NotAtSite(
            f"{item.asset_tag} is at another site than {site.code}",
            {"asset_tag": item.asset_tag, "current_site": _site_code(tx, item.site_id)},
        )
    overridden = _over_limits(tx, resident_id, max_loans, data["override_reason"], now)
    due = _due(now, policy_for(tx, item.category_id).loan_days, site, zone)
    window = domain.Window(now, due)

    if reservation is not None:
        _release_reserved(tx, reservation, item, now)
    # What they waited for, if they were in line: the hold gives way to the loan.
    waiting_list.fulfil_hold(tx, resident_id, item.id, now)
    _refuse_if_taken(tx, item, window, buffer, exclude=None)

    lent = {
        "item_id": item.id,
        "resident_id": resident_id,
        "reservation_id": reservation.id if reservation else None,
        "site_id": site.id,
        "return_site_id": site.id,
        "checked_out_at": now,
        "due_at": due,
        "returned_at": None,
        "status": LoanStatus.ACTIVE,
        "renewals": 0,
        "accessories_out": data["accessories"],
        "accessories_in": None,
        "condition_in": None,
        "overdue_since": None,
        "override_reason": data["override_reason"] if overridden else None,
        "checked_out_by": tx.actor,
        "anonymised_at": None,
    }
    lent["id"] = tx.session.execute(_LEND, lent).scalar_one()
    claim(tx, [item.id], window, buffer, loan_id=lent["id"])
    tx.session.execute(_ITEM_STATUS, {"item_id": item.id, "status": "on_loan"})  # see _settle
    tx.emit(
        "booking.loan_checked_out",
        {
            "loan_id": lent["id"],
            "item_id": item.id,
            "resident_id": resident_id,
            "site_id": site.id,
            "due_at": due,
            "overridden": overridden,
        },
    )
    return _shown(lent, item.asset_tag, site.partner_id)


def _shown(loan: Mapping, asset_tag: str, partner_id: int | None) -> dict:
    """A loan written without the ORM, with what LoanOut shows beside its columns (a
    Loan's properties give the same)."""
    return {
        **loan,
        "asset_tag": asset_tag,
        "partner_id": partner_id,
        "missing_accessories": domain.missing_on_return(
            loan["accessories_out"], loan["accessories_in"]
        ),
    }


def _site_code(tx: Transaction, site_id: int) -> str:
    site = tx.session.get(Site, site_id)
    return site.code if site else "?"


def _borrower(tx: Transaction, resident_id: int) -> int:
    # Locked, so that two desks lending to the same resident at once see each other's loan.
    try:
        return residents.lock(tx, resident_id)
    except NotFound:
        raise InvalidInput({"resident_id": [f"no resident {resident_id}"]}) from None


# The statements of every check-out and return, built once with their values as
# parameters: building one and computing its cache key costs about as much as
# running it (bench/request_cpu.py). They write the loan, its claim and the item's
# status at once, not through the ORM's unit of work (its flush was the largest
# cost of a loan left), and what they read is only read: plain rows (their columns
# as attributes), which cost a third of what the ORM's objects do.
_loans, _items, _allocations = Loan.__table__, Item.__table__, Allocation.__table__
_LEND = insert(_loans).returning(_loans.c.id)
_ITEM_STATUS = (
    update(_items).where(_items.c.id == bindparam("item_id")).values(status=bindparam("status"))
)
_RETURN = (
    update(_loans)
    .where(_loans.c.id == bindparam("loan_id"))
    .values(
        status=bindparam("status"),
        returned_at=bindparam("returned_at"),
        condition_in=bindparam("condition_in"),
        accessories_in=bindparam("accessories_in"),
    )
)
_RELEASE_LOANS_HOLD = (
    update(_allocations)
    .where(
        _allocations.c.loan_id == bindparam("settled_loan_id"),
        _allocations.c.released_at.is_(None),
    )
    .values(released_at=bindparam("now"))
)
_ITEM_BY_TAG = select(_items).where(_items.c.asset_tag == bindparam("asset_tag"))
_LOANS_HELD = select(func.count(), func.count().filter(_loans.c.due_at < bindparam("now"))).where(
    _loans.c.resident_id == bindparam("resident_id"), _loans.c.status == LoanStatus.ACTIVE
)
_TAKEN = select(func.min(_allocations.c.starts_at), func.max(_allocations.c.blocked_until)).where(
    _allocations.c.item_id == bindparam("item_id"), *OVERLAPPING
)
_TAKEN_BUT_BY = _TAKEN.where(_allocations.c.id != bindparam("exclude"))
_ALLOCATIONS_HELD = select(Allocation).where(
    Allocation.loan_id == bindparam("loan_id"), Allocation.released_at.is_(None)
)
# With the partner its answer names (whose desk lent it), in the same query; only
# the loan is locked.
_ACTIVE_LOAN_OF_ITEM = (
    select(_loans, Site.__table__.c.partner_id)
    .outerjoin(Site.__table__, Site.__table__.c.id == _loans.c.site_id)
    .where(_loans.c.item_id == bindparam("item_id"), _loans.c.status == LoanStatus.ACTIVE)
    .with_for_update(of=_loans)
)


def _item(tx: Transaction, asset_tag: str) -> Row:
    """The item (a row of the copy of the inventory), or InvalidInput."""
    item = tx.session.execute(_ITEM_BY_TAG, {"asset_tag": asset_tag}).one_or_none()
    if item is None:
        raise InvalidInput({"asset_tag": [f"unknown asset tag {asset_tag}"]})
    return item


def _open_reservation(tx: Transaction, reservation_id: int) -> Reservation:
    reservation = tx.session.get(Reservation, reservation_id, with_for_update=True)
    if reservation is None or reservation.status not in RESERVATION_OPEN:
        state = (
            "no such reservation"
            if reservation is None
            else f"the reservation is {reservation.status}"
        )
        raise InvalidInput({"reservation_id": [state]})
    return reservation


def _over_limits(tx: Transaction, resident_id: int, max_loans: int, override_reason, now) -> bool:
    """Whether staff lend past a limit (with their reason); refuse if they gave none."""
    count, overdue = tx.session.execute(_LOANS_HELD, {"now": now, "resident_id": resident_id}).one()
    refusal = domain.borrowing_refusal(count, overdue, max_loans)
    if refusal is None:
        return False
    if override_reason:
        return True
    if refusal == "overdue":
        raise OverdueLoanBlocks(
            f"resident {resident_id} has {overdue} loan(s) past due: settle them first, "
            "or give an override_reason",
            {"resident_id": resident_id, "overdue_loans": overdue},
        )
    raise TooManyLoans(
        f"resident {resident_id} already has {count} device(s) (at most {max_loans}); "
        "give an override_reason to lend more",
        {"resident_id": resident_id, "active_loans": count, "max_loans": max_loans},
    )


def _due(start: datetime, loan_days: int, site: Site, zone: ZoneInfo) -> datetime:
    try:
        return domain.due_date(start, loan_days, site.opening_hours, site.closures, zone)
    except domain.NoReturnDay:
        raise NoReturnDay(
            f"site {site.code} opens on no day ahead: no due date can be given", {"site": site.code}
        ) from None


def _release_reserved(tx: Transaction, reservation: Reservation, item: Item, now: datetime) -> None:
    """The loan replaces the reservation's hold on this item, or on one of the same kind
    (the desk may hand over any of the reserved tablets)."""
    held = [a for a in reservation.allocations if a.released_at is None]
    same = [a for a in held if a.item_id == item.id] or [
        a for a in held if a.item.category_id == item.category_id
    ]
    if not same:
        raise InvalidInput({"reservation_id": [f"holds no device like {item.asset_tag}"]})
    if reservation.status == ReservationStatus.CONFIRMED:
        # Handed over at the desk is picked up, the same way staff record it.
        reservations.pick_up(tx, reservation.id, now)
    same[0].released_at = now
    tx.session.flush()  # the guard must see the release before the loan's claim


def _refuse_if_taken(
    tx: Transaction, item: Item, window: domain.Window, buffer: timedelta, exclude: int | None
) -> None:
    taken_from, taken_until = tx.session.execute(
        _TAKEN if exclude is None else _TAKEN_BUT_BY,
        {
            "item_id": item.id,
            "exclude": exclude,
            **window_values(window, buffer),
        },
    ).one()
    if taken_from is not None:
        raise NotAvailable(
            f"{item.asset_tag} is taken from {taken_from:%Y-%m-%d %H:%M} until "
            f"{taken_until:%Y-%m-%d %H:%M} UTC",
            {
                "asset_tag": item.asset_tag,
                "taken_from": taken_from.isoformat(),
                "taken_until": taken_until.isoformat(),
            },
        )


# --- renewal, check-in, loss ----------------------------------------------------------------


def get(tx: Transaction, loan_id: int, lock: bool = False) -> Loan:
    # Read to be answered, it comes with the device and site its answer names; locked
    # to be changed, with nothing more than the change needs.
    shown = [] if lock else [selectinload(Loan.item), selectinload(Loan.site)]
    loan = tx.session.get(Loan, loan_id, with_for_update=lock, options=shown)
    if loan is None:
        raise NotFound("loan", loan_id)
    return loan


def _active(tx: Transaction, loan_id: int) -> Loan:
    loan = get(tx, loan_id, lock=True)
    if loan.status != LoanStatus.ACTIVE:
        raise LoanNotActive(
            f"loan {loan.id} is {loan.status}", {"loan_id": loan.id, "status": loan.status}
        )
    return loan


def _allocations(tx: Transaction, loan: Loan) -> list[Allocation]:
    return list(tx.session.scalars(_ALLOCATIONS_HELD, {"loan_id": loan.id}))


def renew(tx: Transaction, loan_id: int, buffer: timedelta, zone: ZoneInfo) -> Loan:
    loan = _active(tx, loan_id)
    policy = policy_for(tx, loan.item.category_id)
    waiting = tx.session.scalar(
        select(func.count())
        .select_from(WaitingEntry)
        .where(
            WaitingEntry.category_id == loan.item.category_id,
            WaitingEntry.site_id == loan.return_site_id,
            WaitingEntry.status.in_(STILL_WAITING),
        )
    )
    refusal = domain.renewal_refusal(loan.renewals, policy.max_renewals, waiting)
    if refusal:
        raise RenewalRefused(f"loan {loan.id} cannot be renewed: {refusal}", {"loan_id": loan.id})
    due = _due(loan.due_at, policy.loan_days, tx.session.get(Site, loan.return_site_id), zone)
    (allocation,) = _allocations(tx, loan)
    extended = domain.Window(allocation.starts_at, due)
    try:
        _refuse_if_taken(tx, loan.item, extended, buffer, exclude=allocation.id)
    except NotAvailable as taken:
        raise RenewalRefused(f"loan {loan.id} cannot be renewed: {taken}", taken.details) from None
    allocation.ends_at, allocation.blocked_until = due, extended.blocked_until(buffer)
    loan.due_at, loan.renewals = due, loan.renewals + 1
    flush_claims(tx)
    tx.emit(
        "booking.loan_renewed",
        {
            "loan_id": loan.id,
            "item_id": loan.item_id,
            "resident_id": loan.resident_id,
            "due_at": due,
            "renewals": loan.renewals,
        },
    )
    return loan


def check_in(tx: Transaction, data: dict) -> dict:
    """The loan, returned, as LoanOut shows it."""
    item = _item(tx, data["asset_tag"])
    found = tx.session.execute(_ACTIVE_LOAN_OF_ITEM, {"item_id": item.id}).one_or_none()
    if found is None:
        raise LoanNotActive(f"{item.asset_tag} is not on loan", {"asset_tag": item.asset_tag})
    loan, partner_id = found._mapping, found.partner_id
    returned = {
        "status": LoanStatus.RETURNED,
        "returned_at": datetime.now(UTC),
        "condition_in": data["condition"],
        "accessories_in": data["accessories"],
    }
    _settle(tx, loan["id"], item.id, returned["returned_at"], "awaiting_wipe")
    tx.session.execute(_RETURN, {"loan_id": loan["id"], **returned})
    tx.emit(
        "booking.loan_checked_in",
        {
            "loan_id": loan["id"],
            "item_id": item.id,
            "resident_id": loan["resident_id"],
            "condition": data["condition"],
            "site_id": loan["return_site_id"] or loan["site_id"],
            "missing_accessory_count": len(
                domain.missing_accessories(loan["accessories_out"], data["accessories"])
            ),
        },
    )
    return _shown({**loan, **returned}, item.asset_tag, partner_id)


def declare_lost(tx: Transaction, loan_id: int) -> Loan:
    loan = _active(tx, loan_id)
    _settle(tx, loan.id, loan.item_id, datetime.now(UTC), "lost")
    loan.status = LoanStatus.LOST
    tx.emit(
        "booking.loan_lost",
        {"loan_id": loan.id, "item_id": loan.item_id, "resident_id": loan.resident_id},
    )
    return loan


def _settle(tx: Transaction, loan_id: int, item_id: int, now: datetime, item_status: str) -> None:
    """The loan lets go of its item; the item's status keeps it off the shelf.

    The copy of the inventory is moved where the inventory will move the item
    on this loan's event, without waiting for it: otherwise a device returned
    before the inventory's "on_loan" came back would still read "available" here,
    and could be lent again before its wipe. The inventory's own events, when
    they arrive, bring the copy to the same state."""
    tx.session.execute(_RELEASE_LOANS_HOLD, {"settled_loan_id": loan_id, "now": now})
    tx.session.execute(_ITEM_STATUS, {"item_id": item_id, "status": item_status})


# --- a closure added after the loan ---------------------------------------------------------


def follow_closures(tx: Transaction, site_id: int, buffer: timedelta, zone: ZoneInfo) -> list[Loan]:
    """Loans due back at `site_id` on a day it is now closed are due on its next open
    day, at closing time; each is announced (booking.loan_due_moved) so the resident
    is told. A loan whose longer stay would run into the device's next booking keeps
    its date: the desk settles it (nothing is promised twice)."""
    site = tx.session.get(Site, site_id)
    if site is None or not site.closures:
        return []
    moved = []
    for loan in tx.session.scalars(
        select(Loan)
        .where(Loan.return_site_id == site_id, Loan.status == LoanStatus.ACTIVE)
        .order_by(Loan.id)
        .with_for_update()
    ):
        if not domain.closed_on(loan.due_at, site.closures, zone):
            continue
        try:
            due = domain.due_date(loan.due_at, 0, site.opening_hours, site.closures, zone)
        except domain.NoReturnDay:
            continue
        held = _allocations(tx, loan)
        if len(held) != 1:
            continue
        allocation = held[0]
        extended = domain.Window(allocation.starts_at, due)
        try:
            _refuse_if_taken(tx, loan.item, extended, buffer, exclude=allocation.id)
        except NotAvailable:
            continue
        previous = loan.due_at
        allocation.ends_at, allocation.blocked_until = due, extended.blocked_until(buffer)
        loan.due_at = due
        tx.emit(
            "booking.loan_due_moved",
            {
                "loan_id": loan.id,
                "item_id": loan.item_id,
                "resident_id": loan.resident_id,
                "site_id": site_id,
                "due_at": due,
                "previous_due_at": previous,
            },
        )
        moved.append(loan)
    flush_claims(tx)
    return moved


# --- overdue ------------------------------------------------------------------------------


def detect_overdue(tx: Transaction, now: datetime) -> list[Loan]:
    """Mark loans past due, each once, and announce them; a second run finds nothing new."""
    late = tx.session.scalars(
        select(Loan)
        .where(
            Loan.status == LoanStatus.ACTIVE,
            Loan.due_at < now,
            Loan.overdue_since.is_(None),
        )
        .order_by(Loan.id)
        .with_for_update()
    ).all()
    for loan in late:
        loan.overdue_since = now
        tx.emit(
            "booking.loan_overdue",
            {
                "loan_id": loan.id,
                "item_id": loan.item_id,
                "resident_id": loan.resident_id,
                "due_at": loan.due_at,
                "days_overdue": domain.days_overdue(loan.due_at, now),
            },
        )
    return late


def of_resident(tx: Transaction, resident_id: int) -> list[Loan]:
    residents.get(tx, resident_id)
    return list(
        tx.session.scalars(
            select(Loan).where(Loan.resident_id == resident_id).order_by(Loan.checked_out_at.desc())
        )
    )


def record_refused_check_out(tx: Transaction, data: dict, now: datetime) -> None:
    """A refused check-out is unmet demand: a device of that category, at that desk,
    from now for the category's usual loan. Ids only: not who asked."""
    site = tx.session.scalar(select(Site).where(Site.code == data["site"]))
    item = tx.session.scalar(select(Item).where(Item.asset_tag == data["asset_tag"]))
    if site is None or item is None:
        return  # a typo, not demand
    days = policy_for(tx, item.category_id).loan_days
    tx.emit(
        "booking.demand_unmet",
        {
            "partner_id": site.partner_id,
            "site_id": site.id,
            "category_id": item.category_id,
            "quantity": 1,
            "starts_at": now,
            "ends_at": now + timedelta(days=days),
            "reason_code": "refused_at_desk",
        },
    )
