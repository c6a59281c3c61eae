"""What the inventory's RPC accepts and returns. Inputs refuse unknown fields."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from partanum.events import PUBLIC_NAME
from partanum.inputs import Input
from partanum.opening_hours import WEEKDAYS, hours_problems
from services.inventory.vocabulary import Condition, Status

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,39}$", error="lower-case letters, digits and dashes")
ASSET_TAG = validate.Regexp(
    r"^[A-Z0-9][A-Z0-9-]{1,39}$", error="capital letters, digits and dashes"
)
# What the purchase_cost column (NUMERIC(10, 2)) holds, in whole euros.
MAX_COST = 99_999_999


def _text(max_length, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _public(max_length, **kwargs):
    """A name its events carry (a site's, a device's): public words only."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), PUBLIC_NAME], **kwargs)


class PartnerIn(Input):
    code = fields.String(required=True, validate=CODE)
    name = _public(200, required=True)


class PartnerRename(Input):
    """A partner's name corrected: its code, which others refer to, stays."""

    name = _public(200, required=True)


TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _is_span(span) -> bool:
    return (
        isinstance(span, list)
        and len(span) == 2
        and all(isinstance(t, str) and TIME_PATTERN.match(t) for t in span)
    )


class OpeningHoursField(fields.Field):
    """Per weekday, a list of ["HH:MM", "HH:MM"] spans in the site's local time."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError('weekday → [["HH:MM", "HH:MM"], …]')
        errors = {}
        for day, spans in value.items():
            if day not in WEEKDAYS:
                errors[day] = ["not a weekday (monday … sunday)"]
            elif not isinstance(spans, list) or not all(map(_is_span, spans)):
                errors[day] = ['a list of ["HH:MM", "HH:MM"] spans']
        errors = errors or hours_problems(value)
        if errors:
            raise ValidationError(errors)
        return {day: sorted(spans) for day, spans in value.items() if spans}


class SiteIn(Input):
    code = fields.String(required=True, validate=CODE)
    name = _public(200, required=True)
    partner = fields.String(required=True, validate=CODE)
    address = _public(300, required=True)
    opening_hours = OpeningHoursField(load_default=dict)


class HoursIn(Input):
    opening_hours = OpeningHoursField(required=True)


class ClosureIn(Input):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = _text(200, required=True)

    @validates_schema
    def check_order(self, data, **_kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends before it starts", "ends_on")


class SiteChange(Input):
    """A site's name or address corrected (either or both); its code stays."""

    name = _public(200)
    address = _public(300)

    @validates_schema
    def not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("give a name, an address or both")


class CategoryIn(Input):
    code = fields.String(required=True, validate=CODE)
    name = _public(100, required=True)


class CategoryRename(Input):
    name = _public(100, required=True)


class ItemIn(Input):
    asset_tag = fields.String(required=True, validate=ASSET_TAG)
    serial_number = fields.String(load_default=None, validate=validate.Length(max=100))
    make = _public(100, required=True)
    model = _public(100, required=True)
    category = fields.String(required=True, validate=CODE)
    owner = fields.String(required=True, validate=CODE)
    home_site = fields.String(required=True, validate=CODE)
    accessories = fields.List(_text(60), load_default=list)
    condition = fields.Enum(Condition, by_value=True, load_default=Condition.GOOD)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))
    purchase_date = fields.Date(load_default=None)
    purchase_cost = fields.Decimal(
        load_default=None, places=2, validate=validate.Range(min=0, max=MAX_COST)
    )


class ItemUpdate(Input):
    """The descriptive fields staff may correct; location and state have their own commands."""

    serial_number = fields.String(validate=validate.Length(max=100), allow_none=True)
    make = _public(100)
    model = _public(100)
    accessories = fields.List(_text(60))
    condition = fields.Enum(Condition, by_value=True)
    notes = fields.String(validate=validate.Length(max=2000))
    purchase_date = fields.Date(allow_none=True)
    purchase_cost = fields.Decimal(
        places=2, validate=validate.Range(min=0, max=MAX_COST), allow_none=True
    )

    @validates_schema
    def not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("give at least one field to change")


class StatusChangeIn(Input):
    status = fields.Enum(Status, by_value=True, required=True)
    reason = _text(500, required=True)


class WipeIn(Input):
    reason = fields.String(
        load_default="data wiped and device reset", validate=validate.Length(min=1, max=500)
    )


class TransferIn(Input):
    to_site = fields.String(required=True, validate=CODE)
    to_partner = fields.String(load_default=None, validate=CODE)
    reason = _text(500, required=True)


class KitIn(Input):
    code = fields.String(required=True, validate=CODE)
    name = _text(200, required=True)
    asset_tags = fields.List(
        fields.String(validate=ASSET_TAG), required=True, validate=validate.Length(min=1)
    )

    @validates("asset_tags")
    def distinct(self, value, **_kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("an item appears twice")


class ItemFilter(Input):
    """Every key optional. `partner_id`: the devices that partner's staff see (it
    owns them, or they stand at one of its sites); `search`: part of the asset tag,
    make, model or serial number; `asset_tags`: exactly these devices."""

    category = fields.String(validate=CODE)
    owner = fields.String(validate=CODE)
    site = fields.String(validate=CODE)
    status = fields.Enum(Status, by_value=True)
    partner_id = fields.Integer(strict=True)
    search = _text(100)
    asset_tags = fields.List(fields.String(validate=ASSET_TAG), validate=validate.Length(min=1))


class ItemPageFilter(ItemFilter):
    limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=2**31 - 1)
    )


class PartnerRef(Input):
    partner_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


class CategoryRef(Input):
    category_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


class KitFilter(Input):
    partner_id = fields.Integer(strict=True)


class LabelsIn(Input):
    asset_tags = fields.List(
        fields.String(validate=ASSET_TAG), required=True, validate=validate.Length(min=1, max=1000)
    )


# --- output -------------------------------------------------------------------


class PartnerOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ClosureOut(Schema):
    id = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.String()


class SiteOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    partner = fields.Function(lambda site: site.partner.code)
    address = fields.String()
    opening_hours = fields.Dict()
    closures = fields.List(fields.Nested(ClosureOut))


class PartnerSitesOut(PartnerOut):
    """A partner and the sites it runs: what the gateway needs to know of the partner
    of a member of staff to check what they do at a desk."""

    sites = fields.List(fields.Nested(SiteOut))


class CategoryOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ItemOut(Schema):
    id = fields.Integer()
    asset_tag = fields.String()
    serial_number = fields.String(allow_none=True)
    make = fields.String()
    model = fields.String()
    category = fields.Function(lambda item: item.category.code)
    owner = fields.Function(lambda item: item.owner.code)
    # The partners the item answers to, so that whoever checks a caller against it
    # needs nothing else: its owner changes it, the partner running the site where it
    # stands holds it (both see it).
    owner_id = fields.Integer(attribute="owner_partner_id")
    current_site_partner_id = fields.Function(lambda item: item.current_site.partner_id)
    home_site = fields.Function(lambda item: item.home_site.code)
    current_site = fields.Function(lambda item: item.current_site.code)
    accessories = fields.List(fields.String())
    condition = fields.String()
    status = fields.String()
    notes = fields.String()
    purchase_date = fields.Date(allow_none=True)
    purchase_cost = fields.Decimal(places=2, as_string=True, allow_none=True)


class KitOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    asset_tags = fields.Function(lambda kit: [item.asset_tag for item in kit.items])


class HistoryOut(Schema):
    id = fields.Integer()  # what the item's events point at (history_id)
    at = fields.AwareDateTime()
    actor = fields.String()
    change = fields.String()
    before = fields.String()
    after = fields.String()
    reason = fields.String()
