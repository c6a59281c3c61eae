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


# --- residents and loans: ids only; contact details are asked for at send time ----


@contract("booking.resident_registered")
class ResidentRegistered(Schema):
    resident_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)


@contract("booking.resident_updated")
class ResidentUpdated(Schema):
    """Which details changed (their names, never their values)."""

    resident_id = fields.Integer(required=True)
    changed = fields.List(fields.String(), required=True)


# resident_id is null once a resident has been erased: the loan's facts remain.
RESIDENT_ID = fields.Integer(required=True, allow_none=True)


@contract("booking.loan_checked_out")
class LoanCheckedOut(Schema):
    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    site_id = fields.Integer(required=True)
    due_at = fields.AwareDateTime(required=True)
    # Staff lent despite a limit or an overdue loan (their reason stays on the loan).
    overridden = fields.Boolean(required=True)


@contract("booking.loan_renewed")
class LoanRenewed(Schema):
    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    due_at = fields.AwareDateTime(required=True)
    renewals = fields.Integer(required=True)


@contract("booking.loan_checked_in")
class LoanCheckedIn(Schema):
    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    condition = fields.String(required=True)
    missing_accessories = fields.List(fields.String(), required=True)


@contract("booking.loan_lost")
class LoanLost(Schema):
    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID


@contract("booking.loan_overdue")
class LoanOverdue(Schema):
    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    due_at = fields.AwareDateTime(required=True)
    days_overdue = fields.Integer(required=True)
