"""Reservations by partner staff, as plain functions over one transaction."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from partanum.events import require
from services.booking import domain, events, sharing
from services.booking.allocations import (
    busy_tags,
    claim,
    free_items,
    site_by_code,
    site_with_rules,
)
from services.booking.exceptions import NotAvailable, NotShared, WrongStatus
from services.booking.models import Allocation, Item, Kit, Reservation, Site
from services.booking.vocabulary import ReservationStatus

require(events)

# What an item may become in the inventory that takes it out of every future reservation.
WITHDRAWN_STATUSES = frozenset({"in_maintenance", "retired", "lost"})


def reserve(
    tx: Transaction, data: dict, buffer: timedelta, zone: ZoneInfo, now: datetime | None = None
) -> dict:
    now = now or datetime.now(UTC)
    if "category_id" in data:
        site, rules = site_with_rules(tx, data["site"], [data["category_id"]])
    else:  # the rules of the items' categories, once the items are known
        site, rules = site_by_code(tx, data["site"]), None
    window = domain.Window(data["starts_at"], data["ends_at"])
    problems = domain.window_problems(window, now) or domain.opening_problems(
        window, site.opening_hours, site.closures, zone
    )
    if problems:
        raise InvalidInput(problems)
    try:
        items = chosen_items(tx, data, site, window, buffer, rules)
    except NotAvailable as refused:
        refused.details["alternatives"] = alternatives(tx, data, site, window, buffer, zone)
        raise
    reservation = book(tx, data, site, window, items, buffer)
    announce(tx, reservation, items)
    return reservation


# Written at once, not through the ORM's unit of work: a flush cost a reservation
# about a third of its CPU (bench/request_cpu.py).
_BOOK = insert(Reservation.__table__).returning(Reservation.__table__.c.id)


def book(
    tx: Transaction,
    data: dict,
    site: Site,
    window: domain.Window,
    items,
    buffer: timedelta,
    series_id: int | None = None,
) -> dict:
    """A confirmed reservation of `items` for `window`, written with its claims
    (or Overlap); returned as ReservationOut shows it."""
    booked = {
        "partner_id": data["partner_id"],
        "site_id": site.id,
        "series_id": series_id,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "status": ReservationStatus.CONFIRMED,
        "requested_by": tx.actor,
        "note": data["note"],
        "picked_up_at": None,
        "returned_at": None,
        "attention": None,
    }
    booked["id"] = tx.session.execute(_BOOK, booked).scalar_one()
    claim(tx, [item.id for item in items], window, buffer, reservation_id=booked["id"])
    return {**booked, "asset_tags": sorted(item.asset_tag for item in items)}


def announce(tx: Transaction, reservation: dict, items) -> None:
    """`reservation` as book() returns it."""
    tx.emit(
        "booking.reservation_created",
        {
            "reservation_id": reservation["id"],
            "partner_id": reservation["partner_id"],
            "site_id": reservation["site_id"],
            "item_ids": [item.id for item in items],
            "starts_at": reservation["starts_at"],
            "ends_at": reservation["ends_at"],
            "series_id": reservation["series_id"],
        },
    )


def chosen_items(tx: Transaction, data: dict, site: Site, window, buffer, rules=None) -> list[Item]:
    """The items a request asks for, free in `window` and reservable by its partner,
    or NotAvailable (NotShared) saying why not. `rules`: the sharing rules of a
    request by category, read here when not given."""
    if "category_id" not in data:
        items = named_items(tx, data)
        rules = sharing.rules_for(tx, {item.category_id for item in items})
        refused = domain.sharing_problems(data["partner_id"], items, rules)
        if refused:
            raise NotShared(
                "some items are not shared with this partner, or beyond their "
                "owner's cap for one reservation",
                refused,
            )
        busy = busy_tags(tx, items, window, buffer)
        unusable = [item.asset_tag for item in items if item.status not in domain.BOOKABLE_STATUSES]
        if busy or unusable:
            raise NotAvailable(
                "some items are not free in that window",
                {"busy": busy, "out_of_service": sorted(unusable)},
            )
        return list(items)
    quantity, partner_id = data["quantity"], data["partner_id"]
    if rules is None:
        rules = sharing.rules_for(tx, [data["category_id"]])
    # Caps leave some free items out, so the database cannot stop at `quantity`.
    limit = None if sharing.has_caps(rules, partner_id) else quantity
    free = free_items(
        tx,
        data["category_id"],
        site.id,
        window,
        buffer,
        limit=limit,
        for_partner=partner_id,
        rules=rules,
    )
    chosen = domain.pick(partner_id, free, rules, quantity)
    if len(chosen) < quantity:
        raise NotAvailable(
            f"only {len(chosen)} of {quantity} free in that window",
            {"free": len(chosen), "asked": quantity},
        )
    return chosen


def named_items(tx: Transaction, data: dict) -> list[Item]:
    """The items of `asset_tags`, or of a `kit`, all known to the booking."""
    if "kit" in data:
        kit = tx.session.scalar(select(Kit).where(Kit.code == data["kit"]))
        if kit is None:
            raise InvalidInput({"kit": [f"no kit with code {data['kit']!r}"]})
        items = tx.session.scalars(select(Item).where(Item.id.in_(kit.item_ids))).all()
        if len(items) != len(set(kit.item_ids)):
            raise InvalidInput({"kit": ["some of its items are not known to the booking yet"]})
        return sorted(items, key=lambda item: item.asset_tag)
    items = tx.session.scalars(select(Item).where(Item.asset_tag.in_(data["asset_tags"]))).all()
    unknown = sorted(set(data["asset_tags"]) - {item.asset_tag for item in items})
    if unknown:
        raise InvalidInput({"asset_tags": [f"unknown asset tag {tag}" for tag in unknown]})
    return list(items)


# --- what to offer instead of a bare refusal ------------------------------------------


def alternatives(
    tx: Transaction,
    data: dict,
    site: Site,
    window: domain.Window,
    buffer: timedelta,
    zone: ZoneInfo,
) -> dict:
    """The same window at other sites that can meet the request, and the nearest
    later windows at the same site that can."""
    other_sites = (
        _other_sites(tx, data, site, window, buffer, zone) if "category_id" in data else []
    )
    windows = _later_windows(tx, data, site, window, buffer, zone)
    return {
        "other_sites": other_sites,
        "other_windows": [
            {"starts_at": w.starts_at.isoformat(), "ends_at": w.ends_at.isoformat()}
            for w in windows
        ],
    }


def _other_sites(tx, data, site, window, buffer, zone) -> list[dict]:
    partner_id, quantity = data["partner_id"], data["quantity"]
    rules = sharing.rules_for(tx, [data["category_id"]])
    by_site = defaultdict(list)
    for item in free_items(
        tx, data["category_id"], None, window, buffer, for_partner=partner_id, rules=rules
    ):
        if item.site_id != site.id:
            by_site[item.site_id].append(item)
    found = []
    for other in tx.session.scalars(
        select(Site).where(Site.id.in_(list(by_site))).order_by(Site.code)
    ):
        if domain.opening_problems(window, other.opening_hours, other.closures, zone):
            continue  # nobody could pick the items up or bring them back there
        takeable = len(domain.pick(partner_id, by_site[other.id], rules, len(by_site[other.id])))
        if takeable >= quantity:
            found.append({"site": other.code, "free": takeable})
    return found


def _later_windows(tx, data, site, window, buffer, zone) -> list[domain.Window]:
    partner_id = data["partner_id"]
    if "category_id" in data:
        rules = sharing.rules_for(tx, [data["category_id"]])
        candidates = tx.session.scalars(
            select(Item).where(
                Item.category_id == data["category_id"],
                Item.site_id == site.id,
                Item.status.in_(domain.BOOKABLE_STATUSES),
                sharing.reservable_by(rules, partner_id, data["category_id"]),
            )
        ).all()
        quantity = data["quantity"]
    else:
        candidates = named_items(tx, data)
        rules = sharing.rules_for(tx, {item.category_id for item in candidates})
        if any(
            item.status not in domain.BOOKABLE_STATUSES for item in candidates
        ) or domain.sharing_problems(partner_id, candidates, rules):
            return []  # no later window would change that
        quantity = len(candidates)
    horizon = window.starts_at + timedelta(days=domain.ALTERNATIVE_DAYS + 2)
    busy = defaultdict(list)
    for item_id, starts_at, blocked_until in tx.session.execute(
        select(Allocation.item_id, Allocation.starts_at, Allocation.blocked_until).where(
            Allocation.item_id.in_([item.id for item in candidates]),
            Allocation.released_at.is_(None),
            Allocation.blocked_until > window.starts_at,
            Allocation.starts_at < horizon,
        )
    ):
        busy[item_id].append((starts_at, blocked_until))

    def fits(candidate: domain.Window) -> bool:
        free = [item for item in candidates if domain.is_free(busy[item.id], candidate, buffer)]
        return len(domain.pick(partner_id, free, rules, quantity)) >= quantity

    return domain.nearest_windows(window, site.opening_hours, site.closures, zone, fits)


def free_by_site(tx: Transaction, free, partner_id: int | None, rules) -> list[dict]:
    """Free items grouped by site; "reservable" is how many of them one reservation of
    `partner_id` may take (the owners' caps), all of them when nobody in particular asks."""
    by_site = defaultdict(list)
    for item in free:
        by_site[item.site_id].append(item)
    codes = dict(
        tx.session.execute(select(Site.id, Site.code).where(Site.id.in_(list(by_site)))).all()
    )
    return sorted(
        (
            {
                "site": codes.get(site_id),
                "free": len(items),
                "reservable": len(items)
                if partner_id is None
                else len(domain.pick(partner_id, items, rules, len(items))),
                "asset_tags": [item.asset_tag for item in items],
            }
            for site_id, items in by_site.items()
        ),
        key=lambda entry: entry["site"] or "",
    )


def record_unmet_demand(tx: Transaction, data: dict, reason_code: str) -> None:
    """`reason_code`: one of events.UNMET_REASONS."""
    site = tx.session.scalar(select(Site).where(Site.code == data.get("site")))
    quantity = data.get("quantity") or len(data.get("asset_tags", []))
    if "kit" in data:
        kit = tx.session.scalar(select(Kit).where(Kit.code == data["kit"]))
        quantity = len(kit.item_ids) if kit else 0
    tx.emit(
        "booking.demand_unmet",
        {
            "partner_id": data["partner_id"],
            "site_id": site.id if site else None,
            "category_id": data.get("category_id"),
            "quantity": quantity,
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "reason_code": reason_code,
        },
    )


# --- a reservation's life: cancel, pick up, return, released when nobody comes ----------


def get(tx: Transaction, reservation_id: int) -> Reservation:
    reservation = tx.session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound("reservation", reservation_id)
    return reservation


def _get(tx: Transaction, reservation_id: int) -> Reservation:
    reservation = tx.session.get(Reservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise NotFound("reservation", reservation_id)
    return reservation


def _held(reservation: Reservation) -> list[Allocation]:
    return [a for a in reservation.allocations if a.released_at is None]


def cancel(tx: Transaction, reservation_id: int) -> Reservation:
    reservation = _get(tx, reservation_id)
    if reservation.status == ReservationStatus.CANCELLED:
        return reservation
    if reservation.status != ReservationStatus.CONFIRMED:
        raise WrongStatus(
            f"a {reservation.status} reservation cannot be cancelled",
            {"status": reservation.status},
        )
    _cancel(tx, reservation, datetime.now(UTC))
    return reservation


def _cancel(tx: Transaction, reservation: Reservation, now: datetime) -> None:
    reservation.status = ReservationStatus.CANCELLED
    for allocation in _held(reservation):
        allocation.released_at = now
    tx.emit("booking.reservation_cancelled", {"reservation_id": reservation.id})


def pick_up(tx: Transaction, reservation_id: int, now: datetime) -> Reservation:
    """Staff hand the items over. The window was checked against opening hours when
    it was reserved, so pickup at its start is inside them."""
    reservation = _get(tx, reservation_id)
    if reservation.status != ReservationStatus.CONFIRMED:
        raise WrongStatus(
            f"a {reservation.status} reservation cannot be picked up",
            {"status": reservation.status},
        )
    reservation.status, reservation.picked_up_at = ReservationStatus.PICKED_UP, now
    tx.emit(
        "booking.reservation_picked_up",
        {
            "reservation_id": reservation.id,
            "partner_id": reservation.partner_id,
            "item_ids": [a.item_id for a in _held(reservation)],
        },
    )
    return reservation


def return_reservation(
    tx: Transaction, reservation_id: int, now: datetime, buffer: timedelta
) -> Reservation:
    """The items come back: their hold ends at the real return (within the window),
    and the buffer (charging, wiping) runs from there, so an early return frees
    the items early."""
    reservation = _get(tx, reservation_id)
    if reservation.status != ReservationStatus.PICKED_UP:
        raise WrongStatus(
            f"a {reservation.status} reservation cannot be returned", {"status": reservation.status}
        )
    reservation.status, reservation.returned_at = ReservationStatus.RETURNED, now
    held = _held(reservation)
    for allocation in held:
        # Only ever shortened, so the overlap guard can never refuse it.
        allocation.ends_at = domain.real_end(allocation.starts_at, allocation.ends_at, now)
        allocation.blocked_until = min(allocation.blocked_until, allocation.ends_at + buffer)
    tx.emit(
        "booking.reservation_returned",
        {
            "reservation_id": reservation.id,
            "partner_id": reservation.partner_id,
            "item_ids": [a.item_id for a in held],
        },
    )
    return reservation


def release_no_shows(tx: Transaction, now: datetime, grace: timedelta) -> list[int]:
    """Release the confirmed reservations nobody picked up `grace` after their start.
    Idempotent: a released reservation is no longer confirmed."""
    due = tx.session.scalars(
        select(Reservation)
        .where(
            Reservation.status == ReservationStatus.CONFIRMED, Reservation.starts_at <= now - grace
        )
        .order_by(Reservation.id)
        .with_for_update()
    ).all()
    for reservation in due:
        held = _held(reservation)
        reservation.status = ReservationStatus.RELEASED
        for allocation in held:
            allocation.released_at = now
        tx.emit(
            "booking.reservation_released",
            {
                "reservation_id": reservation.id,
                "partner_id": reservation.partner_id,
                "item_ids": [a.item_id for a in held],
            },
        )
    return [reservation.id for reservation in due]


# --- items the inventory takes out of service ------------------------------------------


def withdraw_item(
    tx: Transaction, item_id: int, to_status: str, now: datetime, buffer: timedelta
) -> list[Reservation]:
    """An item went to maintenance, was retired or lost: every future confirmed
    reservation holding it lets it go, gets a free item of the same category at
    the same site in its place if there is one, and is flagged for staff."""
    if to_status not in WITHDRAWN_STATUSES:
        return []
    item = tx.session.get(Item, item_id)
    withdrawn = tx.session.scalars(
        select(Allocation)
        .join(Reservation, Allocation.reservation_id == Reservation.id)
        .where(
            Allocation.item_id == item_id,
            Allocation.released_at.is_(None),
            Reservation.status == ReservationStatus.CONFIRMED,
            Reservation.ends_at > now,
        )
        .order_by(Reservation.starts_at)
    ).all()
    rules = sharing.rules_for(tx, [item.category_id]) if withdrawn else []
    for allocation in withdrawn:
        reservation = allocation.reservation
        allocation.released_at = now
        window = domain.Window(allocation.starts_at, allocation.ends_at)
        held = [a.item for a in _held(reservation)]
        free = free_items(
            tx,
            item.category_id,
            reservation.site_id,
            window,
            buffer,
            for_partner=reservation.partner_id,
            rules=rules,
        )
        replacement = next(
            iter(domain.pick(reservation.partner_id, free, rules, 1, held=held)), None
        )
        if replacement is not None:
            claim(tx, [replacement.id], window, buffer, reservation_id=reservation.id)
            # Written without the ORM: the reservation's answer reads its holds again.
            tx.session.expire(reservation, ["allocations"])
            note = f"{item.asset_tag} is {to_status}: replaced by {replacement.asset_tag}"
        else:
            note = f"{item.asset_tag} is {to_status}: no replacement was free"
        reservation.attention = (
            f"{reservation.attention}\n{note}" if reservation.attention else note
        )
        tx.emit(
            "booking.reservation_item_withdrawn",
            {
                "reservation_id": reservation.id,
                "item_id": item.id,
                "replacement_item_id": replacement.id if replacement else None,
                "partner_id": reservation.partner_id,
            },
        )
    return [allocation.reservation for allocation in withdrawn]


# --- a site's hours or closures change -------------------------------------------------


def recheck_site_hours(
    tx: Transaction, site_id: int, now: datetime, zone: ZoneInfo
) -> list[Reservation]:
    """Future confirmed reservations at a site whose pickup or return now falls
    while it is closed (a new closure, shorter hours) are flagged for staff, who
    decide whether to move or cancel them: nothing is cancelled behind their back."""
    site = tx.session.get(Site, site_id)
    flagged = []
    for reservation in tx.session.scalars(
        select(Reservation).where(
            Reservation.site_id == site_id,
            Reservation.status == ReservationStatus.CONFIRMED,
            Reservation.starts_at > now,
        )
    ):
        window = domain.Window(reservation.starts_at, reservation.ends_at)
        problems = domain.opening_problems(window, site.opening_hours, site.closures, zone)
        if not problems:
            continue
        note = "the site's hours changed: " + "; ".join(m for ms in problems.values() for m in ms)
        if reservation.attention and note in reservation.attention:
            continue  # already told
        reservation.attention = (
            f"{reservation.attention}\n{note}" if reservation.attention else note
        )
        tx.emit(
            "booking.reservation_outside_hours",
            {
                "reservation_id": reservation.id,
                "partner_id": reservation.partner_id,
                "site_id": site_id,
            },
        )
        flagged.append(reservation)
    return flagged
