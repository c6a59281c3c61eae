"""Waiting lists: residents in line for a category of device at a site, and the
holds that keep a freed device for the first of them, as plain functions over
one transaction.

A hold takes its item through an allocation, like a loan or a reservation, so
that the database's overlap guard keeps a held device from anyone else until the
hold ends. The jobs (offer_holds, expire_holds) are idempotent: run twice, or
beside the inventory's events, they change nothing the second time.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, exists, func, or_, select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from partanum.events import require
from services.booking import domain, events
from services.booking.allocations import Overlap, claim, overlapping, site_by_code
from services.booking.exceptions import AlreadyWaiting, NotWaiting
from services.booking.models import Allocation, Item, Resident, Site, WaitingEntry
from services.booking.policies import policy_for
from services.booking.settings import Settings
from services.booking.vocabulary import WaitingStatus

require(events)

# A held device nobody came for was not used: it needs no charging or wiping after.
NO_BUFFER = timedelta(0)


@dataclass(frozen=True)
class HoldTerms:
    """How long a hold lasts (`hours`, pushed to a closing time in `zone`), and the
    buffer the loan that follows will need before the device's next use."""

    hours: int
    zone: ZoneInfo
    buffer: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "HoldTerms":
        return cls(settings.hold_hours, settings.zone, settings.buffer)


# --- the line ----------------------------------------------------------------------


def join(tx: Transaction, data: dict, now: datetime, terms: HoldTerms) -> WaitingEntry:
    """Put a resident in line; if a device is on the shelf already, the first in
    line (perhaps them) is offered it at once."""
    site, resident, category_id = _known(tx, data)
    already = tx.session.scalar(
        _in_line(category_id, site.id).where(WaitingEntry.resident_id == resident.id)
    )
    if already is not None:
        raise AlreadyWaiting(
            f"resident {resident.id} is already in line at {site.code} (entry {already.id}, "
            f"{already.status})",
            {"entry_id": already.id, "status": already.status},
        )
    entry = WaitingEntry(
        resident_id=resident.id,
        category_id=category_id,
        site_id=site.id,
        created_at=now,
        status=WaitingStatus.WAITING,
    )
    tx.session.add(entry)
    tx.session.flush()
    tx.emit(
        "booking.waiting_list_joined",
        {
            "entry_id": entry.id,
            "resident_id": resident.id,
            "category_id": category_id,
            "site_id": site.id,
        },
    )
    offer_holds(tx, now, terms, category_id=category_id, site_id=site.id)
    entry.position = position(tx, entry)
    return entry


def leave(tx: Transaction, entry_id: int, now: datetime, terms: HoldTerms) -> WaitingEntry:
    """Take an entry out of line; a device it held goes to the next in line.
    Leaving twice is harmless."""
    entry = get(tx, entry_id, lock=True)
    if entry.status == WaitingStatus.CANCELLED:
        return entry
    if entry.status not in domain.IN_LINE:
        raise NotWaiting(
            f"waiting entry {entry.id} is already {entry.status}",
            {"entry_id": entry.id, "status": entry.status},
        )
    cancel(tx, entry, now)
    offer_holds(tx, now, terms, category_id=entry.category_id, site_id=entry.site_id)
    return entry


def cancel(tx: Transaction, entry: WaitingEntry, now: datetime) -> int | None:
    """End an entry still in line, releasing what it held; returns that item's id.
    The caller offers the item to the next in line when it can."""
    released = _release_hold(tx, entry, now)
    entry.status = WaitingStatus.CANCELLED
    tx.emit(
        "booking.waiting_list_left",
        {"entry_id": entry.id, "resident_id": entry.resident_id, "released_item_id": released},
    )
    return released


def queue(tx: Transaction, data: dict) -> tuple[Site, list[WaitingEntry]]:
    """Who is in line for a category at a site: those holding a device first, then
    those waiting, each with their position (1 is offered the next device)."""
    site = site_by_code(tx, data["site"])
    entries = tx.session.scalars(
        _in_line(data["category_id"], site.id).order_by(
            WaitingEntry.status != WaitingStatus.HELD, WaitingEntry.created_at, WaitingEntry.id
        )
    ).all()
    waiting = [entry for entry in entries if entry.status == WaitingStatus.WAITING]
    for entry in entries:
        entry.position = waiting.index(entry) + 1 if entry in waiting else None
    return site, entries


def get(tx: Transaction, entry_id: int, lock: bool = False) -> WaitingEntry:
    entry = tx.session.get(WaitingEntry, entry_id, with_for_update=lock)
    if entry is None:
        raise NotFound("waiting entry", entry_id)
    return entry


def _in_line(category_id: int, site_id: int):
    return select(WaitingEntry).where(
        WaitingEntry.category_id == category_id,
        WaitingEntry.site_id == site_id,
        WaitingEntry.status.in_(domain.IN_LINE),
    )


def position(tx: Transaction, entry: WaitingEntry) -> int | None:
    if entry.status != WaitingStatus.WAITING:
        return None
    return tx.session.scalar(
        select(func.count())
        .select_from(WaitingEntry)
        .where(
            WaitingEntry.category_id == entry.category_id,
            WaitingEntry.site_id == entry.site_id,
            WaitingEntry.status == WaitingStatus.WAITING,
            or_(
                WaitingEntry.created_at < entry.created_at,
                and_(WaitingEntry.created_at == entry.created_at, WaitingEntry.id <= entry.id),
            ),
        )
    )


def _known(tx: Transaction, data: dict) -> tuple[Site, Resident, int]:
    """The site, resident and category a request to join names, or InvalidInput
    naming each one that is unknown."""
    problems = {}
    try:
        site = site_by_code(tx, data["site"])
    except InvalidInput as unknown:
        problems.update(unknown.fields)
    # Locked, so that the same resident joining twice at once is seen by the second.
    resident = tx.session.scalar(
        select(Resident)
        .where(Resident.id == data["resident_id"], Resident.erased_at.is_(None))
        .with_for_update()
    )
    if resident is None:
        problems["resident_id"] = [f"no resident {data['resident_id']}"]
    category_id = data["category_id"]
    if not tx.session.scalar(select(exists().where(Item.category_id == category_id))):
        problems["category_id"] = [f"no device of category {category_id} is known"]
    if problems:
        raise InvalidInput(problems)
    return site, resident, category_id


# --- holds -----------------------------------------------------------------------------


def offer_holds(
    tx: Transaction,
    now: datetime,
    terms: HoldTerms,
    category_id: int | None = None,
    site_id: int | None = None,
) -> list[WaitingEntry]:
    """Offer each device on the shelf to the first in line for its category and site
    (all lines, or the one given). The periodic sweep calls it bare: it catches
    devices freed without an inventory event (a returned loan's wipe announces
    itself; a cancelled reservation does not)."""
    lines = (
        select(WaitingEntry.category_id, WaitingEntry.site_id)
        .where(WaitingEntry.status == WaitingStatus.WAITING)
        .distinct()
    )
    if category_id is not None:
        lines = lines.where(
            WaitingEntry.category_id == category_id, WaitingEntry.site_id == site_id
        )
    offered = []
    for line_category, line_site in tx.session.execute(
        lines.order_by(WaitingEntry.category_id, WaitingEntry.site_id)
    ).all():
        offered += _offer_line(tx, line_category, line_site, now, terms)
    return offered


def _offer_line(
    tx: Transaction, category_id: int, site_id: int, now: datetime, terms: HoldTerms
) -> list[WaitingEntry]:
    site = tx.session.get(Site, site_id)
    if site is None:  # the site's own event has not reached the copy yet
        return []
    expires = domain.hold_expiry(now, terms.hours, site.opening_hours, site.closures, terms.zone)
    hold = domain.Window(now, expires)
    waiting = tx.session.scalars(
        _in_line(category_id, site_id)
        .where(WaitingEntry.status == WaitingStatus.WAITING)
        .order_by(WaitingEntry.created_at, WaitingEntry.id)
        .with_for_update()
    ).all()
    if not waiting:
        return []
    # The device must stay free for the loan that follows the hold, not just the hold.
    lend = domain.Window(now, expires + timedelta(days=policy_for(tx, category_id).loan_days))
    offered = []
    for item in _holdable(tx, category_id, site_id, lend, terms.buffer, len(waiting)):
        entry = waiting[len(offered)]
        if _claim_for(tx, entry, item, hold):
            offered.append(entry)
    return offered


def _holdable(
    tx: Transaction,
    category_id: int,
    site_id: int,
    window: domain.Window,
    buffer: timedelta,
    limit: int,
) -> list[Item]:
    clash = exists().where(Allocation.item_id == Item.id, *overlapping(window, buffer))
    return tx.session.scalars(
        select(Item)
        .where(
            Item.category_id == category_id,
            Item.site_id == site_id,
            Item.status.in_(domain.HOLDABLE_STATUSES),
            ~clash,
        )
        .order_by(Item.id)
        .limit(limit)
    ).all()


def _claim_for(tx: Transaction, entry: WaitingEntry, item: Item, hold: domain.Window) -> bool:
    """Hold `item` for `entry`; False if a concurrent request took the item first
    (the entry then stays first in line for the next device)."""
    try:
        with tx.session.begin_nested():
            claim(tx, [item.id], hold, NO_BUFFER, waiting_entry_id=entry.id)
    except Overlap:
        return False
    entry.status, entry.held_item_id, entry.hold_expires_at = (
        WaitingStatus.HELD,
        item.id,
        hold.ends_at,
    )
    tx.emit(
        "booking.hold_offered",
        {
            "entry_id": entry.id,
            "resident_id": entry.resident_id,
            "item_id": item.id,
            "site_id": entry.site_id,
            "expires_at": hold.ends_at,
        },
    )
    return True


def expire_holds(tx: Transaction, now: datetime, terms: HoldTerms) -> list[WaitingEntry]:
    """End the holds nobody came for, each once, and offer their devices to the
    next in line."""
    overdue = tx.session.scalars(
        select(WaitingEntry)
        .where(
            WaitingEntry.status == WaitingStatus.HELD,
            WaitingEntry.hold_expires_at <= now,
        )
        .order_by(WaitingEntry.id)
        .with_for_update()
    ).all()
    for entry in overdue:
        item_id = _release_hold(tx, entry, now)
        entry.status = WaitingStatus.EXPIRED
        tx.emit(
            "booking.hold_expired",
            {"entry_id": entry.id, "resident_id": entry.resident_id, "item_id": item_id},
        )
    for line in sorted({(entry.category_id, entry.site_id) for entry in overdue}):
        offer_holds(tx, now, terms, *line)
    return overdue


# Every check-out asks, and almost always finds nobody in line: a plain query for
# the entry's id, built once, and an ORM object only for an entry found.
_entries, _items = WaitingEntry.__table__, Item.__table__


def _item_column(column):
    # An item unknown here gives null: nobody is in line for its kind at its site.
    return select(column).where(_items.c.id == bindparam("item_id")).scalar_subquery()


_HELD_FOR_THIS_ITEM = and_(
    _entries.c.held_item_id == bindparam("item_id"), _entries.c.status == WaitingStatus.HELD
)
# One query for both: the hold on this very item first, else the resident's place in
# line for its kind at its site.
_HOLD_OR_PLACE = (
    select(_entries.c.id)
    .where(
        _entries.c.resident_id == bindparam("resident_id"),
        or_(
            _HELD_FOR_THIS_ITEM,
            and_(
                _entries.c.category_id == _item_column(_items.c.category_id),
                _entries.c.site_id == _item_column(_items.c.site_id),
                _entries.c.status.in_(domain.IN_LINE),
            ),
        ),
    )
    .order_by(case((_HELD_FOR_THIS_ITEM, 0), else_=1), _entries.c.id)
    .limit(1)
    .with_for_update()
)


def fulfil_hold(
    tx: Transaction, resident_id: int, item_id: int, now: datetime | None = None
) -> WaitingEntry | None:
    """The resident borrows `item_id`: their hold on it (or their place in line for
    its kind at its site) is fulfilled and the hold's allocation released, before
    the loan claims the item. Check-out calls it; None when they were not in line.

    A device held for them that they did not take is offered to the next in line
    by the sweep, not here: offering now could hand over the very item being lent."""
    now = now or datetime.now(UTC)
    entry_id = tx.session.scalar(_HOLD_OR_PLACE, {"resident_id": resident_id, "item_id": item_id})
    if entry_id is None:
        return None
    entry = tx.session.get(WaitingEntry, entry_id)  # locked by the query
    _release_hold(tx, entry, now)
    entry.status = WaitingStatus.FULFILLED
    tx.emit(
        "booking.hold_fulfilled",
        {"entry_id": entry.id, "resident_id": resident_id, "item_id": item_id},
    )
    tx.session.flush()  # the guard must see the release before the loan's claim
    return entry


def _release_hold(tx: Transaction, entry: WaitingEntry, now: datetime) -> int | None:
    if entry.status != WaitingStatus.HELD:
        return None
    for allocation in tx.session.scalars(
        select(Allocation).where(
            Allocation.waiting_entry_id == entry.id, Allocation.released_at.is_(None)
        )
    ):
        allocation.released_at = now
    tx.session.flush()
    return entry.held_item_id


# --- the copy of the inventory says a device is on the shelf -----------------------------

FREEING_EVENTS = (
    "inventory.item_status_changed",
    "inventory.item_registered",
    "inventory.item_transferred",
)


def after_inventory_event(
    tx: Transaction, event, now: datetime, terms: HoldTerms
) -> list[WaitingEntry]:
    """Once the copy has applied `event`: a device now on a site's shelf (wiped,
    back from maintenance, new, or moved there) goes to the first in line there;
    a held device taken off the shelf (to maintenance, lost, moved away) gives
    its hold back, and its resident their place at the head of the line."""
    if event.type not in FREEING_EVENTS:
        return []
    item = tx.session.get(Item, event.data["item_id"])
    if item is None:
        return []
    lines = set()
    for entry in tx.session.scalars(
        select(WaitingEntry)
        .where(WaitingEntry.held_item_id == item.id, WaitingEntry.status == WaitingStatus.HELD)
        .with_for_update()
    ).all():
        if item.status not in domain.HOLDABLE_STATUSES or item.site_id != entry.site_id:
            _release_hold(tx, entry, now)
            # Back in line where they were (created_at is unchanged): first for the next device.
            entry.status, entry.held_item_id, entry.hold_expires_at = (
                WaitingStatus.WAITING,
                None,
                None,
            )
            tx.emit(
                "booking.hold_withdrawn",
                {"entry_id": entry.id, "resident_id": entry.resident_id, "item_id": item.id},
            )
            lines.add((entry.category_id, entry.site_id))
    if item.status in domain.HOLDABLE_STATUSES:
        lines.add((item.category_id, item.site_id))
    offered = []
    for line in sorted(lines):
        offered += offer_holds(tx, now, terms, *line)
    return offered
