"""Devices and kits, filtered and one page at a time, as plain functions over one
transaction.

`partner_id` is the caller's scope, decided by the gateway: the devices a
partner's staff see are those it owns and those standing at one of its sites.
It is applied here, in SQL, with the other filters, so that the gateway never
fetches the whole fleet to decide.
"""

from sqlalchemy import exists, func, not_, or_, select
from sqlalchemy.orm import joinedload

from partanum.dependencies import Transaction
from partanum.paging import page
from services.inventory.commands import by_code
from services.inventory.models import Category, Item, Kit, Partner, Site, kit_items

# What an item's answer names (its category, owner and sites, by code): joined to the
# page of items, one query in all (each of these is one row per item; on PostgreSQL
# every further query is one more round trip, which a busy process waits for).
ITEM_NAMES = (
    joinedload(Item.category),
    joinedload(Item.owner),
    joinedload(Item.home_site),
    joinedload(Item.current_site),
)


def seen_by(partner_id: int):
    """The condition on Item: owned by the partner, or standing at one of its sites."""
    return or_(
        Item.owner_partner_id == partner_id,
        Item.current_site_id.in_(select(Site.id).where(Site.partner_id == partner_id)),
    )


def items_query(tx: Transaction, filters: dict):
    """The items matching every filter given (codes of category, owner and site,
    status, asset tags, words of the tag, make, model or serial number), within the
    scope if one is given, in asset tag order."""
    query = select(Item).options(*ITEM_NAMES).order_by(Item.asset_tag)
    if "category" in filters:
        query = query.where(
            Item.category_id == by_code(tx, Category, filters["category"], "category").id
        )
    if "owner" in filters:
        query = query.where(
            Item.owner_partner_id == by_code(tx, Partner, filters["owner"], "owner").id
        )
    if "site" in filters:
        query = query.where(Item.current_site_id == by_code(tx, Site, filters["site"], "site").id)
    if "status" in filters:
        query = query.where(Item.status == filters["status"])
    if "partner_id" in filters:
        query = query.where(seen_by(filters["partner_id"]))
    if "asset_tags" in filters:
        query = query.where(Item.asset_tag.in_(filters["asset_tags"]))
    if "search" in filters:
        words = filters["search"].strip().lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(words, autoescape=True)
                    for column in (Item.asset_tag, Item.make, Item.model, Item.serial_number)
                )
            )
        )
    return query


def items(tx: Transaction, filters: dict) -> tuple[list[Item], int]:
    return page(tx.session, items_query(tx, filters), (Item.asset_tag,), filters)


def kits(tx: Transaction, filters: dict) -> list[Kit]:
    """Every kit, or with `partner_id` those made only of devices the partner sees."""
    query = select(Kit).order_by(Kit.code)
    if "partner_id" in filters:
        unseen = (
            select(kit_items.c.item_id)
            .join(Item, Item.id == kit_items.c.item_id)
            .where(kit_items.c.kit_id == Kit.id, not_(seen_by(filters["partner_id"])))
        )
        query = query.where(not_(exists(unseen)))
    return list(tx.session.scalars(query))
