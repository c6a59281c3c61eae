"""What the booking's RPC accepts and returns. Inputs refuse unknown fields."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

ASSET_TAG = validate.Regexp(r"^[A-Z0-9][A-Z0-9-]{1,39}$", error="capital letters, digits and dashes")


class Input(Schema):
    class Meta:
        unknown = RAISE


class ReservationIn(Input):
    """Either `asset_tags`, or a `category` with a `quantity`, at a site for a window."""

    partner_id = fields.Integer(required=True, strict=True)
    site = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    asset_tags = fields.List(fields.String(validate=ASSET_TAG), validate=validate.Length(min=1, max=200))
    category_id = fields.Integer(strict=True)
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=200))
    note = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def what_to_reserve(self, data, **_kwargs):
        by_tag = "asset_tags" in data
        by_category = "category_id" in data or "quantity" in data
        if by_tag == by_category:
            raise ValidationError("give asset_tags, or category_id with quantity", "asset_tags")
        if by_category and not ("category_id" in data and "quantity" in data):
            missing = "quantity" if "category_id" in data else "category_id"
            raise ValidationError("needed when reserving by category", missing)


class AvailabilityIn(Input):
    category_id = fields.Integer(required=True, strict=True)
    site = fields.String(load_default=None)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class ReservationOut(Schema):
    id = fields.Integer()
    partner_id = fields.Integer()
    site_id = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String()
    asset_tags = fields.Method("tags")

    def tags(self, reservation):
        return sorted(a.item.asset_tag for a in reservation.allocations if a.released_at is None)
