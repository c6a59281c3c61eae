"""Reservations by partner staff, as plain functions over one transaction."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput, NotFound
from services.booking import domain, events  # noqa: F401 -- registers what we emit
from services.booking.allocations import busy_tags, claim, flush_claims, free_items, site_by_code
from services.booking.exceptions import NotAvailable
from services.booking.models import Item, Reservation, Site


def reserve(tx: Transaction, data: dict, buffer: timedelta, zone: ZoneInfo) -> Reservation:
    site = site_by_code(tx, data["site"])
    window = domain.Window(data["starts_at"], data["ends_at"])
    problems = domain.window_problems(window, datetime.now(timezone.utc)) or domain.opening_problems(
        window, site.opening_hours, site.closures, zone
    )
    if problems:
        raise InvalidInput(problems)
    items = _chosen_items(tx, data, site, window, buffer)
    reservation = Reservation(
        partner_id=data["partner_id"], site_id=site.id, starts_at=window.starts_at,
        ends_at=window.ends_at, status="confirmed", requested_by=tx.actor, note=data["note"],
    )
    tx.session.add(reservation)
    for item in items:
        tx.session.add(claim(item, window, buffer, reservation=reservation))
    flush_claims(tx)
    tx.emit("booking.reservation_created", {
        "reservation_id": reservation.id, "partner_id": reservation.partner_id, "site_id": site.id,
        "item_ids": [item.id for item in items], "starts_at": window.starts_at,
        "ends_at": window.ends_at,
    })
    return reservation


def _chosen_items(tx, data, site, window, buffer) -> list[Item]:
    if "asset_tags" in data:
        items = tx.session.scalars(select(Item).where(Item.asset_tag.in_(data["asset_tags"]))).all()
        unknown = sorted(set(data["asset_tags"]) - {item.asset_tag for item in items})
        if unknown:
            raise InvalidInput({"asset_tags": [f"unknown asset tag {tag}" for tag in unknown]})
        busy = busy_tags(tx, items, window, buffer)
        unusable = [item.asset_tag for item in items if item.status not in domain.BOOKABLE_STATUSES]
        if busy or unusable:
            raise NotAvailable("some items are not free in that window",
                               {"busy": busy, "out_of_service": sorted(unusable)})
        return list(items)
    free = free_items(tx, data["category_id"], site.id, window, buffer, limit=data["quantity"])
    if len(free) < data["quantity"]:
        raise NotAvailable(f"only {len(free)} of {data['quantity']} free in that window",
                           {"free": len(free), "asked": data["quantity"]})
    return free


def record_unmet_demand(tx: Transaction, data: dict, reason: str) -> None:
    site = tx.session.scalar(select(Site).where(Site.code == data.get("site")))
    tx.emit("booking.demand_unmet", {
        "partner_id": data["partner_id"], "site_id": site.id if site else None,
        "category_id": data.get("category_id"),
        "quantity": data.get("quantity") or len(data.get("asset_tags", [])),
        "starts_at": data["starts_at"], "ends_at": data["ends_at"], "reason": reason,
    })


def cancel(tx: Transaction, reservation_id: int) -> Reservation:
    reservation = tx.session.get(Reservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise NotFound("reservation", reservation_id)
    if reservation.status != "cancelled":
        reservation.status = "cancelled"
        now = datetime.now(timezone.utc)
        for allocation in reservation.allocations:
            allocation.released_at = allocation.released_at or now
        tx.emit("booking.reservation_cancelled", {"reservation_id": reservation.id})
    return reservation
