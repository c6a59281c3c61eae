"""The booking's copy of the inventory, kept from the inventory's events.

Each handler is idempotent on its own (upserts), and the inbox makes a
redelivered event a no-op anyway.
"""

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from partanum.events import Event, require
from services.booking.models import Item, Kit, Loan, Site
from services.booking.vocabulary import LoanStatus
from services.inventory import events as inventory_contracts

require(inventory_contracts)


def apply(session: Session, event: Event) -> None:
    """Bring the copy up to date with `event`: each event says all this copy keeps."""
    data = event.data
    if event.type in ("inventory.site_registered", "inventory.site_hours_changed"):
        site = session.get(Site, data["site_id"])
        if site is None:
            if "partner_id" not in data:
                raise LookupError(f"site {data['site_id']} not known yet")  # retried later
            site = Site(id=data["site_id"])
            session.add(site)
        # A site's events carry its whole state: an older one handled late is ignored.
        if site.state_as_of is not None and event.occurred_at < site.state_as_of:
            return
        site.code = data["code"]
        site.partner_id = data.get("partner_id", site.partner_id)
        site.opening_hours = data["opening_hours"]
        site.closures = data["closures"]
        site.state_as_of = event.occurred_at
    elif event.type == "inventory.item_registered":
        session.merge(
            Item(
                id=data["item_id"],
                asset_tag=data["asset_tag"],
                category_id=data["category_id"],
                owner_partner_id=data["owner_partner_id"],
                site_id=data["site_id"],
                status=data["status"],
                status_changed_at=event.occurred_at,
            )
        )
    elif event.type == "inventory.kit_registered":
        session.merge(Kit(id=data["kit_id"], code=data["code"], item_ids=list(data["item_ids"])))
    elif event.type == "inventory.item_status_changed":
        item = _item(session, data)
        # The inventory changes an item's status under a row lock, so occurred_at
        # orders one item's status events; an older one handled late is ignored.
        newer = item.status_changed_at is None or event.occurred_at > item.status_changed_at
        if newer and not _echo_of_an_ended_loan(session, item, data["to_status"]):
            item.status, item.status_changed_at = data["to_status"], event.occurred_at
    elif event.type == "inventory.item_transferred":
        item = _item(session, data)
        item.site_id, item.owner_partner_id = data["to_site_id"], data["to_partner_id"]


def _echo_of_an_ended_loan(session: Session, item: Item, to_status: str) -> bool:
    """The inventory's "on_loan" follows our loan event; when it is handled after
    the device already came back, it must not put back on loan a device this
    copy already holds for its wipe (the inventory's next event says so too)."""
    if to_status != "on_loan":
        return False
    lent_now = session.scalar(
        select(exists().where(Loan.item_id == item.id, Loan.status == LoanStatus.ACTIVE))
    )
    return not lent_now


def _item(session: Session, data: dict) -> Item:
    item = session.get(Item, data["item_id"])
    if item is None:
        raise LookupError(f"item {data['item_id']} not known yet")  # retried later
    return item
