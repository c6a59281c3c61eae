"""The inventory's event contracts: what other services may rely on.

Ids, codes and states only; a reason is staff's words about a device.
"""
from marshmallow import Schema, fields, validate

from partanum.events import contract
from services.inventory.vocabulary import Status

STATUS = fields.Enum(Status, by_value=True, required=True)
ISO_DATE = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="an ISO date")


@contract("inventory.partner_registered")
class PartnerRegistered(Schema):
    partner_id = fields.Integer(required=True)
    code = fields.String(required=True)


class SiteState(Schema):
    """A site as the inventory knows it now: consumers keep their copy from this and
    never ask back. Closures are whole days, inclusive."""

    site_id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    opening_hours = fields.Dict(keys=fields.String(), required=True)
    # [["2026-12-24", "2027-01-01"], …]: ISO dates, as every copy stores them.
    closures = fields.List(fields.List(fields.String(validate=ISO_DATE),
                                       validate=validate.Length(equal=2)), required=True)


@contract("inventory.site_registered")
class SiteRegistered(SiteState):
    partner_id = fields.Integer(required=True)


@contract("inventory.site_hours_changed")
class SiteHoursChanged(SiteState):
    """Opening hours or closures changed: bookings re-check what falls outside."""


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
    # How the device is named to people ("Lenovo ThinkPad E14"): consumers keep it.
    make = fields.String(required=True)
    model = fields.String(required=True)


@contract("inventory.item_updated")
class ItemUpdated(Schema):
    """Its description was corrected: `changed` names the fields; the name it is
    given to people comes with it."""

    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    make = fields.String(required=True)
    model = fields.String(required=True)
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
