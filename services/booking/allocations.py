"""Holding items for a period: the one way reservations, loans and holds take an
item, so that the database's overlap guard sees every claim."""

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import DBAPIError

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from services.booking import domain
from services.booking.models import Allocation, Item, Site


class Overlap(Exception):
    """The database refused an allocation: a concurrent request took the item first.
    Entry points retry the whole transaction with a fresh view (see retry_races)."""


def is_overlap(error: DBAPIError) -> bool:
    # SQLite's trigger and PostgreSQL's exclusion constraint both name the guard,
    # each raised as its own driver's error class.
    return "allocations_no_overlap" in str(error.orig)


def flush_claims(tx: Transaction) -> None:
    """Flush pending allocations, turning the guard's refusal into Overlap."""
    try:
        tx.session.flush()
    except DBAPIError as error:
        if is_overlap(error):
            raise Overlap() from error
        raise


def site_by_code(tx: Transaction, code: str, field: str = "site") -> Site:
    site = tx.session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise InvalidInput({field: [f"no site with code {code!r}"]})
    return site


def overlapping(window: domain.Window, buffer: timedelta):
    """Conditions on Allocation for those that clash with holding an item for `window`."""
    return (
        Allocation.released_at.is_(None),
        Allocation.starts_at < window.blocked_until(buffer),
        Allocation.blocked_until > window.starts_at,
    )


def free_items(
    tx: Transaction,
    category_id: int,
    site_id: int | None,
    window,
    buffer,
    limit=None,
    for_partner: int | None = None,
    rules=None,
):
    """Items of a category (at a site, or anywhere) that nothing holds during `window`.

    With `for_partner`, only those that partner may reserve (see sharing.py), its
    own first; `rules` are the sharing rules, read here when not given."""
    from services.booking import sharing

    clash = exists().where(Allocation.item_id == Item.id, *overlapping(window, buffer))
    query = select(Item).where(
        Item.category_id == category_id, Item.status.in_(domain.BOOKABLE_STATUSES), ~clash
    )
    if for_partner is None:
        query = query.order_by(Item.id)
    else:
        rules = sharing.rules_for(tx, [category_id]) if rules is None else rules
        query = query.where(sharing.reservable_by(rules, for_partner, category_id)).order_by(
            Item.owner_partner_id != for_partner, Item.id
        )
    if site_id is not None:
        query = query.where(Item.site_id == site_id)
    return tx.session.scalars(query.limit(limit)).all()


def busy_tags(tx: Transaction, items, window, buffer) -> list[str]:
    return sorted(
        set(
            tx.session.scalars(
                select(Item.asset_tag)
                .join(Allocation, Allocation.item_id == Item.id)
                .where(Item.id.in_([item.id for item in items]), *overlapping(window, buffer))
            )
        )
    )


def claim(item: Item, window: domain.Window, buffer: timedelta, **holder) -> Allocation:
    """A new allocation of `item` for `window`; holder is reservation=, loan= or waiting_entry_id=."""
    return Allocation(
        item=item,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        blocked_until=window.blocked_until(buffer),
        **holder,
    )
