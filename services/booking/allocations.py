"""Holding items for a period: the one way reservations, loans and holds take an
item, so that the database's overlap guard sees every claim."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache

from sqlalchemy import Row, bindparam, exists, insert, select
from sqlalchemy.exc import DBAPIError

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from services.booking import domain, sharing
from services.booking.models import Allocation, Item, SharingRule, Site


class Overlap(Exception):
    """The database refused an allocation: a concurrent request took the item first.
    Entry points retry the whole transaction with a fresh view (see retry_races)."""


# PostgreSQL's SQLSTATE for a deadlock it broke by failing one of the transactions.
DEADLOCK_DETECTED = "40P01"


def is_overlap(error: DBAPIError) -> bool:
    # SQLite's trigger and PostgreSQL's exclusion constraint both name the guard,
    # each raised as its own driver's error class. On PostgreSQL two claims of the
    # same items in another order can each wait for the other's guard check: the
    # one failed as a deadlock lost the race too.
    return (
        "allocations_no_overlap" in str(error.orig)
        or getattr(error.orig, "pgcode", None) == DEADLOCK_DETECTED
    )


@contextmanager
def overlap_refused() -> Iterator[None]:
    """Turn the guard's refusal of what the block writes into Overlap."""
    try:
        yield
    except DBAPIError as error:
        if is_overlap(error):
            raise Overlap() from error
        raise


def flush_claims(tx: Transaction) -> None:
    """Flush allocations changed through the ORM (a renewal's longer hold), turning
    the guard's refusal into Overlap."""
    with overlap_refused():
        tx.session.flush()


# The statements of every reservation and loan, built once with their values as
# parameters: building one and computing its cache key costs about as much as
# running it (bench/request_cpu.py). What they read is only read: plain rows (their
# columns as attributes), which cost a third of what the ORM's objects do.
_items, _sites, _allocations = Item.__table__, Site.__table__, Allocation.__table__
_SITE_BY_CODE = select(_sites).where(_sites.c.code == bindparam("code"))


def site_by_code(tx: Transaction, code: str, field: str = "site") -> Row:
    """The site (a row of the copy of the inventory), or InvalidInput naming `field`."""
    site = tx.session.execute(_SITE_BY_CODE, {"code": code}).one_or_none()
    if site is None:
        raise _no_site(code, field)
    return site


def _no_site(code: str, field: str) -> InvalidInput:
    return InvalidInput({field: [f"no site with code {code!r}"]})


# A site and the sharing rules of some categories (sharing.rules_for's) in one
# statement: a row per rule, the site's columns on each, and one row with no rule
# when none governs them. On PostgreSQL each statement is a round trip through the
# eventlet hub, about 4 % of a reservation's CPU (bench/request_cpu.py).
_rules = SharingRule.__table__
_SITE_WITH_RULES = (
    select(
        _sites,
        _rules.c.id.label("rule_id"),
        _rules.c.partner_id.label("rule_partner_id"),
        _rules.c.category_id.label("rule_category_id"),
        _rules.c.shared.label("rule_shared"),
        _rules.c.max_per_reservation.label("rule_max_per_reservation"),
    )
    .select_from(_sites.outerjoin(_rules, sharing.GOVERNING))
    .where(_sites.c.code == bindparam("code"))
)


def site_with_rules(
    tx: Transaction, code: str, category_ids, field: str = "site"
) -> tuple[Row, list[domain.Sharing]]:
    """site_by_code() and sharing.rules_for() at once. The site is a row with its
    columns as attributes (and the first rule's, prefixed rule_, to be ignored)."""
    rows = tx.session.execute(
        _SITE_WITH_RULES, {"code": code, "category_ids": list(category_ids)}
    ).all()
    if not rows:
        raise _no_site(code, field)
    rules = [
        domain.Sharing(
            row.rule_partner_id, row.rule_category_id, row.rule_shared, row.rule_max_per_reservation
        )
        for row in rows
        if row.rule_id is not None
    ]
    return rows[0], rules


def overlapping(window: domain.Window, buffer: timedelta):
    """Conditions on Allocation for those that clash with holding an item for `window`."""
    return (
        Allocation.released_at.is_(None),
        Allocation.starts_at < window.blocked_until(buffer),
        Allocation.blocked_until > window.starts_at,
    )


# overlapping()'s conditions, the window as parameters (window_values gives them):
# for statements built once.
OVERLAPPING = (
    _allocations.c.released_at.is_(None),
    _allocations.c.starts_at < bindparam("blocked_until"),
    _allocations.c.blocked_until > bindparam("starts_at"),
)


def window_values(window: domain.Window, buffer: timedelta) -> dict:
    return {"starts_at": window.starts_at, "blocked_until": window.blocked_until(buffer)}


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
    """Items of a category (at a site, or anywhere) that nothing holds during `window`,
    as rows (their columns as attributes).

    With `for_partner`, only those that partner may reserve (see sharing.py), its
    own first; `rules` are the sharing rules, read here when not given."""
    values = {
        "category_id": category_id,
        "site_id": site_id,
        "limit": limit,
        **window_values(window, buffer),
    }
    if for_partner is not None:
        rules = sharing.rules_for(tx, [category_id]) if rules is None else rules
        values.update(sharing.reservable_values(rules, for_partner, category_id))
    query = _free_items_query(for_partner is not None, site_id is not None, limit is not None)
    return tx.session.execute(query, values).all()


@cache
def _free_items_query(for_partner: bool, at_site: bool, limited: bool):
    """free_items' statement of this shape, its values as parameters."""
    clash = exists().where(_allocations.c.item_id == _items.c.id, *OVERLAPPING)
    query = select(_items).where(
        _items.c.category_id == bindparam("category_id"),
        _items.c.status.in_(domain.BOOKABLE_STATUSES),
        ~clash,
    )
    if for_partner:
        query = query.where(sharing.RESERVABLE).order_by(
            _items.c.owner_partner_id != bindparam("partner_id"), _items.c.id
        )
    else:
        query = query.order_by(_items.c.id)
    if at_site:
        query = query.where(_items.c.site_id == bindparam("site_id"))
    return query.limit(bindparam("limit")) if limited else query


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


# Every holder's column is given, None but one: the same statement for all of them.
_CLAIM = insert(_allocations)
_HOLDERS = {"reservation_id": None, "loan_id": None, "waiting_entry_id": None}


def claim(
    tx: Transaction, item_ids: Iterable[int], window: domain.Window, buffer: timedelta, **holder
) -> None:
    """Hold each of `item_ids` for `window`, or Overlap; holder is reservation_id=,
    loan_id= or waiting_entry_id=.

    Written at once in one statement, not through the ORM's unit of work (which cost
    a reservation a third of its CPU, bench/request_cpu.py). Changes still pending in
    the session (a reservation's hold released for the loan that replaces it) are
    flushed first: the guard must see them."""
    start = {
        **_HOLDERS,
        **holder,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "blocked_until": window.blocked_until(buffer),
        "released_at": None,
    }
    rows = [{**start, "item_id": item_id} for item_id in item_ids]
    with overlap_refused():
        tx.session.flush()
        if rows:  # none would be one row of nulls
            tx.session.execute(_CLAIM, rows)
