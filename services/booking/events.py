"""The booking's event contracts: ids and windows, never a resident's personal data."""
from marshmallow import Schema, fields

from partanum.events import contract


@contract("booking.reservation_created")
class ReservationCreated(Schema):
    reservation_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    item_ids = fields.List(fields.Integer(), required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


@contract("booking.reservation_cancelled")
class ReservationCancelled(Schema):
    reservation_id = fields.Integer(required=True)


@contract("booking.demand_unmet")
class DemandUnmet(Schema):
    """A request that could not be met: what, where, when, so managers see who lacks devices."""

    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(allow_none=True, required=True)
    category_id = fields.Integer(allow_none=True, required=True)
    quantity = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
