"""The inventory's event contracts: what other services may rely on.

Ids, codes and states only. Staff's words about a device (why it went to
maintenance, why it moved) stay in its history here: events carry a reason code
and the id of that history entry.
"""

from marshmallow import Schema, fields, validate

from partanum.events import CLOCK, ISO_DATE, contract, public_name, reference
from services.inventory.vocabulary import Reason, Status

STATUS = fields.Enum(Status, by_value=True, required=True)
REASON = fields.Enum(Reason, by_value=True, required=True)
# An accepted rebalancing that could not move an item: unknown, already there, or its state.
SKIPPED_WHY = ("unknown_item", "already_there", "lost", "on_loan", "reserved", "retired")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@contract("inventory.partner_registered")
class PartnerRegistered(Schema):
    partner_id = fields.Integer(required=True)
    code = reference(required=True)


class SiteState(Schema):
    """A site as the inventory knows it now: consumers keep their copy from this and
    never ask back. Closures are whole days, inclusive."""

    site_id = fields.Integer(required=True)
    code = reference(required=True)
    name = public_name(required=True)
    address = public_name(required=True)
    # {"monday": [["09:00", "12:00"], ["13:30", "18:30"]], …}
    opening_hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(WEEKDAYS)),
        values=fields.List(
            fields.List(fields.String(validate=CLOCK), validate=validate.Length(equal=2))
        ),
        required=True,
    )
    # [["2026-12-24", "2027-01-01"], …]: ISO dates, as every copy stores them.
    closures = fields.List(
        fields.List(fields.String(validate=ISO_DATE), validate=validate.Length(equal=2)),
        required=True,
    )


@contract("inventory.partner_renamed")
class PartnerRenamed(Schema):
    """Its name corrected: consumers that show it keep the new one."""

    partner_id = fields.Integer(required=True)
    code = reference(required=True)
    name = public_name(required=True)


@contract("inventory.site_registered")
class SiteRegistered(SiteState):
    partner_id = fields.Integer(required=True)


@contract("inventory.site_hours_changed")
class SiteHoursChanged(SiteState):
    """Opening hours or closures changed: bookings re-check what falls outside."""


@contract("inventory.site_renamed")
class SiteRenamed(SiteState):
    """Its name or address corrected. The whole state, as every site event: a copy
    kept from them takes the newest and ignores an older one handled late."""


@contract("inventory.category_registered")
class CategoryRegistered(Schema):
    category_id = fields.Integer(required=True)
    code = reference(required=True)


@contract("inventory.category_renamed")
class CategoryRenamed(Schema):
    category_id = fields.Integer(required=True)
    code = reference(required=True)
    name = public_name(required=True)


@contract("inventory.item_registered")
class ItemRegistered(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = reference(required=True)
    category_id = fields.Integer(required=True)
    owner_partner_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    status = STATUS
    # How the device is named to people ("Lenovo ThinkPad E14"): consumers keep it.
    make = public_name(required=True)
    model = public_name(required=True)


@contract("inventory.item_updated")
class ItemUpdated(Schema):
    """Its description was corrected: `changed` names the fields; the name it is
    given to people comes with it."""

    item_id = fields.Integer(required=True)
    asset_tag = reference(required=True)
    make = public_name(required=True)
    model = public_name(required=True)
    changed = fields.List(reference(), required=True)  # names of fields


@contract("inventory.item_status_changed")
class ItemStatusChangedV1(Schema):
    """Read only, in logs and outboxes from before v2: it carried staff's words."""

    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    from_status = STATUS
    to_status = STATUS
    reason = fields.String(required=True)


@contract("inventory.item_status_changed", version=2)
class ItemStatusChanged(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = reference(required=True)
    from_status = STATUS
    to_status = STATUS
    reason_code = REASON
    history_id = fields.Integer(required=True)


@contract("inventory.item_wiped")
class ItemWiped(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = reference(required=True)


@contract("inventory.item_transferred")
class ItemTransferredV1(Schema):
    """Read only, in logs and outboxes from before v2: it carried staff's words."""

    item_id = fields.Integer(required=True)
    asset_tag = fields.String(required=True)
    from_site_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    from_partner_id = fields.Integer(required=True)
    to_partner_id = fields.Integer(required=True)
    reason = fields.String(required=True)


@contract("inventory.item_transferred", version=2)
class ItemTransferred(Schema):
    item_id = fields.Integer(required=True)
    asset_tag = reference(required=True)
    from_site_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    from_partner_id = fields.Integer(required=True)
    to_partner_id = fields.Integer(required=True)
    reason_code = REASON
    history_id = fields.Integer(required=True)


@contract("inventory.item_transfer_skipped")
class ItemTransferSkippedV1(Schema):
    """Read only, in logs and outboxes from before v2."""

    item_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    why = fields.String(required=True)
    reason = fields.String(required=True)


@contract("inventory.item_transfer_skipped", version=2)
class ItemTransferSkipped(Schema):
    """An accepted rebalancing could not move this item, and why; its history entry
    (none for an item the inventory does not know)."""

    item_id = fields.Integer(required=True)
    to_site_id = fields.Integer(required=True)
    why = fields.String(required=True, validate=validate.OneOf(SKIPPED_WHY))
    history_id = fields.Integer(required=True, allow_none=True)


@contract("inventory.kit_registered")
class KitRegistered(Schema):
    kit_id = fields.Integer(required=True)
    code = reference(required=True)
    item_ids = fields.List(fields.Integer(), required=True)
