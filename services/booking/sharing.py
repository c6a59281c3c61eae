"""Sharing between partners: each partner decides which of its items others may
reserve, and how many of them one reservation may take. Its own items are always
its own to reserve. The rules themselves are in domain.py; this module reads and
writes them."""

from sqlalchemy import Row, and_, bindparam, or_, select

from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from partanum.events import require
from services.booking import domain, events
from services.booking.models import Item, SharingRule

require(events)


def set_rule(tx: Transaction, data: dict) -> SharingRule:
    """Create or replace a partner's rule for a category (or for all of them)."""
    rule = tx.session.scalar(
        select(SharingRule)
        .where(SharingRule.partner_id == data["partner_id"], _same_category(data["category_id"]))
        .with_for_update()
    )
    if rule is None:
        rule = SharingRule(partner_id=data["partner_id"], category_id=data["category_id"])
        tx.session.add(rule)
    rule.shared, rule.max_per_reservation = data["shared"], data["max_per_reservation"]
    tx.emit(
        "booking.sharing_rule_set",
        {
            "partner_id": rule.partner_id,
            "category_id": rule.category_id,
            "shared": rule.shared,
            "max_per_reservation": rule.max_per_reservation,
        },
    )
    return rule


def rules_of(tx: Transaction, partner_id: int) -> list[SharingRule]:
    """A partner's own rules: the one for all its categories first, then by category."""
    return list(
        tx.session.scalars(
            select(SharingRule)
            .where(SharingRule.partner_id == partner_id)
            .order_by(SharingRule.category_id.is_not(None), SharingRule.category_id)
        )
    )


def set_item_shareable(tx: Transaction, asset_tag: str, shareable: bool) -> Item:
    """An owner keeps one item for itself (or shares it again), whatever its rules say."""
    item = tx.session.scalar(select(Item).where(Item.asset_tag == asset_tag).with_for_update())
    if item is None:
        raise InvalidInput({"asset_tag": [f"unknown asset tag {asset_tag}"]})
    if item.shareable != shareable:
        item.shareable = shareable
        tx.emit("booking.item_shareable_set", {"item_id": item.id, "shareable": shareable})
    return item


def _same_category(category_id):
    if category_id is None:
        return SharingRule.category_id.is_(None)
    return SharingRule.category_id == category_id


# Asked for by every reservation: built once, the categories as a parameter; the
# rules only read, as rows (their columns as attributes), cheaper than ORM objects.
_rules = SharingRule.__table__
# The rules that may govern items of the categories `category_ids` (a parameter).
GOVERNING = or_(
    _rules.c.category_id.in_(bindparam("category_ids", expanding=True)),
    _rules.c.category_id.is_(None),
)
_RULES_FOR = select(_rules).where(GOVERNING)


def rules_for(tx: Transaction, category_ids) -> list[Row]:
    """Every rule that may govern items of these categories."""
    return list(tx.session.execute(_RULES_FOR, {"category_ids": list(category_ids)}))


def reservable_by(rules, partner_id: int, category_id: int):
    """A condition on Item: what `partner_id` may reserve of a category, caps aside
    (caps limit one reservation, see domain.pick)."""
    withheld = _withheld(rules, partner_id, category_id)
    shared = Item.shareable.is_(True)
    if withheld:
        shared = and_(shared, Item.owner_partner_id.notin_(withheld))
    return or_(Item.owner_partner_id == partner_id, shared)


# reservable_by's condition in a statement built once, its values (reservable_values)
# given as parameters: no owner withholds anything, and the NOT IN is of an empty set.
_items = Item.__table__
RESERVABLE = or_(
    _items.c.owner_partner_id == bindparam("partner_id"),
    and_(
        _items.c.shareable.is_(True),
        _items.c.owner_partner_id.notin_(bindparam("withheld", expanding=True)),
    ),
)


def reservable_values(rules, partner_id: int, category_id: int) -> dict:
    return {"partner_id": partner_id, "withheld": _withheld(rules, partner_id, category_id)}


def _withheld(rules, partner_id: int, category_id: int) -> list[int]:
    """The other owners who share none of their items of this category."""
    return sorted(
        {
            rule.partner_id
            for rule in rules
            if rule.partner_id != partner_id
            and not domain.rule_for(rules, rule.partner_id, category_id).shared
        }
    )


def has_caps(rules, partner_id: int) -> bool:
    return any(
        rule.max_per_reservation is not None and rule.partner_id != partner_id for rule in rules
    )
