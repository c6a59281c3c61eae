"""Partners, sites, categories, items and kits."""

import copy

from marshmallow import Schema, fields, validate

from services.gateway.schemas.common import (
    Input,
    ListOrCsvQuery,
    answer,
    number,
    page_schema,
    text,
    texts,
)
from services.inventory import schemas as inventory
from services.inventory.vocabulary import Status

# Requests, as the inventory itself checks them.
PartnerIn = inventory.PartnerIn
SiteIn = inventory.SiteIn
HoursIn = inventory.HoursIn
ClosureIn = inventory.ClosureIn
CategoryIn = inventory.CategoryIn
PartnerRename = inventory.PartnerRename
SiteChange = inventory.SiteChange
CategoryRename = inventory.CategoryRename


def _with_plain_minimum(field):
    """The same field, documented with integer bounds: apispec writes a Decimal
    field's Range as a Decimal, which the JSON document cannot hold."""
    field = copy.copy(field)
    field.metadata = {**field.metadata, "minimum": 0, "maximum": inventory.MAX_COST}
    return field


class ItemIn(inventory.ItemIn):
    purchase_cost = _with_plain_minimum(inventory.ItemIn._declared_fields["purchase_cost"])


class ItemUpdate(inventory.ItemUpdate):
    purchase_cost = _with_plain_minimum(inventory.ItemUpdate._declared_fields["purchase_cost"])


StatusChangeIn = inventory.StatusChangeIn
WipeIn = inventory.WipeIn
TransferIn = inventory.TransferIn
KitIn = inventory.KitIn
LabelsIn = inventory.LabelsIn


class ItemQuery(ListOrCsvQuery):
    category = fields.String(validate=inventory.CODE)
    owner = fields.String(validate=inventory.CODE)
    site = fields.String(validate=inventory.CODE)
    status = fields.String(validate=validate.OneOf([status.value for status in Status]))
    search = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "part of the asset tag, make, model or serial number"},
    )


class ImportIn(Input):
    """A partner's fleet as CSV text (see the inventory's csv_io for the columns)."""

    partner = fields.String(
        validate=inventory.CODE,
        metadata={"description": "the partner imported for: staff import for their own"},
    )
    csv = fields.String(required=True, validate=validate.Length(min=1, max=5_000_000))


# --- answers: the inventory's own output contracts, with the types of its computed fields ---

Partner = answer(inventory.PartnerOut)
Site = answer(
    inventory.SiteOut,
    partner=text(description="the code of the partner that runs it"),
    opening_hours=fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.List(fields.String())),
        metadata={"example": {"monday": [["13:30", "18:30"]]}},
    ),
)
Category = answer(inventory.CategoryOut)
Item = answer(
    inventory.ItemOut,
    category=text(),
    owner=text(description="the owning partner's code"),
    home_site=text(),
    current_site=text(),
)
ItemPage = page_schema(Item, "ItemPage")
Kit = answer(inventory.KitOut, asset_tags=texts())
# The entry's id is what the inventory's events point at: no route takes it.
HistoryEntry = answer(inventory.HistoryOut, "HistoryEntry", exclude=("id",))


class ImportReport(Schema):
    created = number()
    updated = number()
    unchanged = number()
