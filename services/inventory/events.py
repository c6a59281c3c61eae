"""The inventory's event contracts: what other services may rely on.

Ids, codes and states only; a reason is staff's words about a device.
"""
from marshmallow import Schema, fields

from partanum.events import contract
from services.inventory.vocabulary import Status

STATUS = fields.Enum(Status, by_value=True, required=True)


@contract("inventory.partner_registered")
class PartnerRegistered(Schema):
    partner_id = fields.Integer(required=True)
    code = fields.String(required=True)


@contract("inventory.site_registered")
class SiteRegistered(Schema):
    site_id = fields.Integer(required=True)
    code = fields.String(required=True)
    partner_id = fields.Integer(required=True)


@contract("inventory.site_hours_changed")
class SiteHoursChanged(Schema):
    """Opening hours or closures changed: bookings re-check what falls outside."""

    site_id = fields.Integer(required=True)


@contract("inventory.category_registered")
class CategoryRegistered(Schema):
    category_id = fields.Integer(required=True)
    code = fields.String(required=True)


@contract("inventory.item_registered")
class ItemRegistered(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    category_id = fields.Integer(required=True)
    owner_partner_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    status = STATUS


@contract("inventory.item_updated")
class ItemUpdated(Schema):
    item_id = fields.Integer(required=True)
    changed = fields.List(fields.String(), required=True)


@contract("inventory.item_status_changed")
class ItemStatusChanged(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    from_status = STATUS
    to_status = STATUS
    reason = fields.String(required=True)


@contract("inventory.item_wiped")
class ItemWiped(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)


@contract("inventory.item_transferred")
class ItemTransferred(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    from_site_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    from_partner_id = fields.Integer(required=True)
    to_partner_id = fields.Integer(required=True)
    reason = fields.String(required=True)


@contract("inventory.item_transfer_skipped")
class ItemTransferSkipped(Schema):
    """An accepted rebalancing could not move this item: `why` (lost, on loan…)."""

    item_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    why = fields.String(required=True)
    reason = fields.String(required=True)


@contract("inventory.kit_registered")
class KitRegistered(Schema):
    kit_id = fields.Integer(required=True)
    code = fields.String(required=True)
    item_ids = fields.List(fields.Integer(), required=True)
