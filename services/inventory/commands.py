"""What the inventory does, as plain functions over one transaction.

Entrypoints (service.py) and the CSV import call these with input already
checked by a schema; each records its events with the change.
"""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from partanum.dependencies import Transaction
from partanum.errors import Conflict, InvalidInput, NotFound
from partanum.events import require
from partanum.inputs import unstorable
from services.inventory import domain, events
from services.inventory.exceptions import StatusChangeRefused
from services.inventory.models import Category, Closure, Item, ItemHistory, Kit, Partner, Site
from services.inventory.vocabulary import Reason, Status

require(events)


def by_code(tx: Transaction, model, code: str, field: str):
    """The row with this code, or InvalidInput naming the field that refers to it."""
    found = tx.session.scalar(select(model).where(model.code == code))
    if found is None:
        raise InvalidInput({field: [f"no {model.__name__.lower()} with code {code!r}"]})
    return found


def get_item(tx: Transaction, asset_tag: str, lock: bool = False) -> Item:
    if unstorable(asset_tag):  # PostgreSQL would refuse the query; no item has such a tag
        raise NotFound("item", repr(asset_tag))
    query = select(Item).where(Item.asset_tag == asset_tag)
    # Read to be answered: with what its answer names, in the same query (a lock has
    # none of that: PostgreSQL locks no row of an outer join's nullable side).
    shown = query.options(
        joinedload(Item.category),
        joinedload(Item.owner),
        joinedload(Item.home_site),
        joinedload(Item.current_site),
    )
    item = tx.session.scalar(query.with_for_update() if lock else shown)
    if item is None:
        raise NotFound("item", asset_tag)
    return item


def _unique(tx: Transaction, model, column, value, field: str) -> None:
    if tx.session.scalar(select(model.id).where(column == value)) is not None:
        raise Conflict(f"{field} {value!r} is already registered", {"field": field})


def register_partner(tx: Transaction, data: dict) -> Partner:
    _unique(tx, Partner, Partner.code, data["code"], "code")
    partner = Partner(**data)
    tx.session.add(partner)
    tx.session.flush()
    tx.emit("inventory.partner_registered", {"partner_id": partner.id, "code": partner.code})
    return partner


def get_partner(tx: Transaction, partner_id: int) -> Partner:
    # With its sites and their closures, which its answer gives, in one query: the
    # gateway asks it on nearly every staff page.
    partner = tx.session.get(
        Partner, partner_id, options=[joinedload(Partner.sites).joinedload(Site.closures)]
    )
    if partner is None:
        raise NotFound("partner", partner_id)
    return partner


def rename_partner(tx: Transaction, partner_id: int, name: str) -> Partner:
    return _rename(tx, Partner, "partner", partner_id, name)


def _rename(tx: Transaction, model, kind: str, row_id: int, name: str):
    """A partner or a category renamed, told as `inventory.<kind>_renamed` only when
    the name changes: the same name again is no news."""
    row = tx.session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFound(kind, row_id)
    if row.name != name:
        row.name = name
        tx.emit(
            f"inventory.{kind}_renamed",
            {f"{kind}_id": row.id, "code": row.code, "name": name},
        )
    return row


def register_site(tx: Transaction, data: dict) -> Site:
    _unique(tx, Site, Site.code, data["code"], "code")
    partner = by_code(tx, Partner, data.pop("partner"), "partner")
    site = Site(partner=partner, **data)
    tx.session.add(site)
    tx.session.flush()
    tx.emit("inventory.site_registered", {**site_state(site), "partner_id": partner.id})
    return site


def set_opening_hours(tx: Transaction, site_code: str, hours: dict) -> Site:
    site = get_site(tx, site_code, lock=True)
    site.opening_hours = hours
    tx.emit("inventory.site_hours_changed", site_state(site))
    return site


def change_site(tx: Transaction, site_code: str, changes: dict) -> Site:
    """Its name or address corrected; consumers get its whole state, as for its hours."""
    site = get_site(tx, site_code, lock=True)
    changed = {name: value for name, value in changes.items() if getattr(site, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(site, name, value)
        tx.emit("inventory.site_renamed", site_state(site))
    return site


def add_closure(tx: Transaction, site_code: str, data: dict) -> Site:
    site = get_site(tx, site_code, lock=True)
    site.closures.append(Closure(**data))
    tx.session.flush()
    tx.emit("inventory.site_hours_changed", site_state(site))
    return site


def remove_closure(tx: Transaction, site_code: str, closure_id: int) -> Site:
    """A closure taken back (planned by mistake, or works called off): consumers get
    the site's whole state again, as when one is added."""
    site = get_site(tx, site_code, lock=True)
    closure = next((c for c in site.closures if c.id == closure_id), None)
    if closure is None:
        raise NotFound("closure", closure_id)
    site.closures.remove(closure)
    tx.session.flush()
    tx.emit("inventory.site_hours_changed", site_state(site))
    return site


def site_state(site: Site) -> dict:
    """What a site's events tell every consumer, so that none asks back: its name,
    address, hours and closures (their dates; the reason is staff's words)."""
    return {
        "site_id": site.id,
        "code": site.code,
        "name": site.name,
        "address": site.address,
        "opening_hours": site.opening_hours or {},
        "closures": [
            [closure.starts_on.isoformat(), closure.ends_on.isoformat()]
            for closure in sorted(site.closures, key=lambda c: c.starts_on)
        ],
    }


def get_site(tx: Transaction, code: str, lock: bool = False) -> Site:
    """`lock` to change it: each change tells the site's whole state, so two changes
    at once (its hours, its name) must not each tell the state without the other."""
    if unstorable(code):  # PostgreSQL would refuse the query; no site has such a code
        raise NotFound("site", repr(code))
    query = select(Site).where(Site.code == code)
    site = tx.session.scalar(query.with_for_update() if lock else query)
    if site is None:
        raise NotFound("site", code)
    return site


def register_category(tx: Transaction, data: dict) -> Category:
    _unique(tx, Category, Category.code, data["code"], "code")
    category = Category(**data)
    tx.session.add(category)
    tx.session.flush()
    tx.emit("inventory.category_registered", {"category_id": category.id, "code": category.code})
    return category


def rename_category(tx: Transaction, category_id: int, name: str) -> Category:
    return _rename(tx, Category, "category", category_id, name)


def register_item(tx: Transaction, data: dict) -> Item:
    _unique(tx, Item, Item.asset_tag, data["asset_tag"], "asset_tag")
    data = dict(data)
    site = by_code(tx, Site, data.pop("home_site"), "home_site")
    item = Item(
        category=by_code(tx, Category, data.pop("category"), "category"),
        owner=by_code(tx, Partner, data.pop("owner"), "owner"),
        home_site=site,
        current_site=site,
        status=Status.AVAILABLE,
        **data,
    )
    tx.session.add(item)
    tx.session.flush()
    tx.emit(
        "inventory.item_registered",
        {
            "item_id": item.id,
            "asset_tag": item.asset_tag,
            "category_id": item.category_id,
            "owner_partner_id": item.owner_partner_id,
            "site_id": item.current_site_id,
            "status": item.status,
            "make": item.make,
            "model": item.model,
        },
    )
    return item


def update_item(tx: Transaction, item: Item, changes: dict) -> Item:
    changed = sorted(name for name, value in changes.items() if getattr(item, name) != value)
    for name in changed:
        setattr(item, name, changes[name])
    if changed:
        tx.emit(
            "inventory.item_updated",
            {
                "item_id": item.id,
                "asset_tag": item.asset_tag,
                "make": item.make,
                "model": item.model,
                "changed": changed,
            },
        )
    return item


def change_status(tx: Transaction, asset_tag: str, target: Status, reason: str) -> Item:
    """A change asked for by staff: maintenance, retirement, loss, found again."""
    item = get_item(tx, asset_tag, lock=True)
    _refuse_unless(domain.check_staff_transition, Status(item.status), target)
    _move(tx, item, target, Reason.STAFF, reason)
    return item


def record_wipe(tx: Transaction, asset_tag: str, reason: str) -> Item:
    """The previous borrower's data is erased: the item may be lent again."""
    item = get_item(tx, asset_tag, lock=True)
    if item.status != Status.AWAITING_WIPE:
        raise StatusChangeRefused(
            f"only an item awaiting its data wipe can be recorded as wiped (it is {item.status})",
            {"from": item.status, "to": Status.AVAILABLE.value},
        )
    _move(tx, item, Status.AVAILABLE, Reason.WIPED, reason)
    tx.emit("inventory.item_wiped", {"item_id": item.id, "asset_tag": item.asset_tag})
    return item


def _refuse_unless(check, current: Status, target: Status) -> None:
    try:
        check(current, target)
    except domain.TransitionRefused as refused:
        raise StatusChangeRefused(
            str(refused), {"from": current.value, "to": target.value}
        ) from None


def _move(tx: Transaction, item: Item, target: Status, code: Reason, words: str) -> None:
    """Staff's `words` stay in the item's history; the event says only `code`."""
    current = item.status
    item.status = target
    entry = _history(tx, item, "status", current, target, words)
    tx.emit(
        "inventory.item_status_changed",
        {
            "item_id": item.id,
            "asset_tag": item.asset_tag,
            "from_status": current,
            "to_status": target,
            "reason_code": code,
            "history_id": entry.id,
        },
    )


# What a loan event means for the device: where it goes in its lifecycle, and why.
LOAN_MOVES = {
    "booking.loan_checked_out": (
        Status.ON_LOAN,
        Reason.LENT,
        "lent to a resident (loan {loan_id})",
    ),
    # Back from a resident: their data must be wiped before anyone else has it.
    "booking.loan_checked_in": (
        Status.AWAITING_WIPE,
        Reason.RETURNED,
        "returned by a resident (loan {loan_id})",
    ),
    "booking.loan_lost": (Status.LOST, Reason.LOST_ON_LOAN, "lost by a resident (loan {loan_id})"),
}


def apply_loan_event(tx: Transaction, event) -> Item:
    """Follow a device lent by the booking service through its lifecycle.

    A move the lifecycle refuses raises StatusChangeRefused: the event is retried,
    then parked for an operator, rather than silently bending the lifecycle."""
    target, code, words = LOAN_MOVES[event.type]
    item = tx.session.get(Item, event.data["item_id"], with_for_update=True)
    if item is None:
        raise NotFound("item", event.data["item_id"])
    if item.status != target:
        _refuse_unless(domain.check_transition, Status(item.status), target)
        _move(tx, item, target, code, words.format(**event.data))
    condition = event.data.get("condition")
    if condition:
        update_item(tx, item, {"condition": condition})
    _stands_where_taken_back(tx, item, event.data.get("site_id"))
    return item


def _stands_where_taken_back(tx: Transaction, item: Item, site_id: int | None) -> None:
    """A device taken back at another site than where it stood (lent from a
    reservation's pool) now stands at the desk that took it back; its owner is kept."""
    if site_id is None or site_id == item.current_site_id:
        return
    site = tx.session.get(Site, site_id)
    if site is None:
        raise NotFound("site", site_id)  # retried: the site's event is on its way
    _transfer(tx, item, site, item.owner, Reason.RETURNED, f"taken back at {site.code}")


def transfer_item(tx: Transaction, asset_tag: str, data: dict) -> Item:
    item = get_item(tx, asset_tag, lock=True)
    site = by_code(tx, Site, data["to_site"], "to_site")
    partner = (
        by_code(tx, Partner, data["to_partner"], "to_partner") if data["to_partner"] else item.owner
    )
    if site.id == item.current_site_id and partner.id == item.owner_partner_id:
        raise Conflict("the item is already there", {"field": "to_site"})
    if item.status in (Status.ON_LOAN, Status.RESERVED):
        raise StatusChangeRefused(
            f"an item that is {item.status} cannot move", {"from": item.status}
        )
    _transfer(tx, item, site, partner, Reason.STAFF, data["reason"])
    return item


def _transfer(
    tx: Transaction, item: Item, site: Site, partner: Partner, code: Reason, words: str
) -> None:
    before = f"{item.owner.code}@{item.current_site.code}"
    from_site_id, from_partner_id = item.current_site_id, item.owner_partner_id
    item.current_site, item.owner = site, partner
    entry = _history(tx, item, "transfer", before, f"{partner.code}@{site.code}", words)
    tx.emit(
        "inventory.item_transferred",
        {
            "item_id": item.id,
            "asset_tag": item.asset_tag,
            "from_site_id": from_site_id,
            "to_site_id": site.id,
            "from_partner_id": from_partner_id,
            "to_partner_id": partner.id,
            "reason_code": code,
            "history_id": entry.id,
        },
    )


# An accepted rebalancing moves only the devices that are free to go; the others
# stay, and the skip is told (history and event) rather than failing the whole move.
CANNOT_MOVE = (Status.LOST, Status.ON_LOAN, Status.RESERVED, Status.RETIRED)


def apply_accepted_transfer(tx: Transaction, event) -> list[Item]:
    """Move each item of an accepted rebalancing (audit.transfer_accepted) to the
    target site, owner unchanged, in the name of the manager who accepted. A site
    the inventory does not know raises NotFound: the event is retried, then parked
    for an operator."""
    site = tx.session.get(Site, event.data["to_site_id"])
    if site is None:
        raise NotFound("site", event.data["to_site_id"])
    moved = []
    for item_id in event.data["item_ids"]:
        item = tx.session.get(Item, item_id, with_for_update=True)
        if item is None:
            _skipped(tx, None, item_id, site, "unknown_item")
        elif item.status in CANNOT_MOVE:
            _skipped(tx, item, item_id, site, str(item.status))
        elif item.current_site_id == site.id:
            _skipped(tx, item, item_id, site, "already_there")
        else:
            _transfer(tx, item, site, item.owner, Reason.REBALANCING, ACCEPTED_REBALANCING)
            moved.append(item)
    return moved


ACCEPTED_REBALANCING = "rebalancing suggested by the audit service, accepted by a manager"


def _skipped(tx: Transaction, item: Item | None, item_id: int, site: Site, why: str) -> None:
    entry = None
    if item is not None:
        entry = _history(
            tx,
            item,
            "transfer_skipped",
            f"{item.owner.code}@{item.current_site.code}",
            f"{item.owner.code}@{site.code}",
            f"not moved: {why} ({ACCEPTED_REBALANCING})",
        )
    tx.emit(
        "inventory.item_transfer_skipped",
        {
            "item_id": item_id,
            "to_site_id": site.id,
            "why": why,
            "history_id": entry.id if entry else None,
        },
    )


def register_kit(tx: Transaction, data: dict) -> Kit:
    _unique(tx, Kit, Kit.code, data["code"], "code")
    items = tx.session.scalars(select(Item).where(Item.asset_tag.in_(data["asset_tags"]))).all()
    missing = sorted(set(data["asset_tags"]) - {item.asset_tag for item in items})
    if missing:
        raise InvalidInput({"asset_tags": [f"unknown asset tag {tag}" for tag in missing]})
    kit = Kit(code=data["code"], name=data["name"], items=list(items))
    tx.session.add(kit)
    tx.session.flush()
    tx.emit(
        "inventory.kit_registered",
        {"kit_id": kit.id, "code": kit.code, "item_ids": [item.id for item in kit.items]},
    )
    return kit


def _history(tx: Transaction, item: Item, change: str, before, after, reason: str) -> ItemHistory:
    entry = ItemHistory(
        item_id=item.id,
        at=datetime.now(UTC),
        actor=tx.actor,
        change=change,
        before=str(before),
        after=str(after),
        reason=reason,
    )
    tx.session.add(entry)
    tx.session.flush()  # its id goes into the event
    return entry
