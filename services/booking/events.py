"""The booking's event contracts: ids and windows, never a resident's personal data."""

from marshmallow import Schema, fields, validate

from partanum.events import contract, reference
from services.booking.vocabulary import CONDITIONS, MANDATE_SCOPES

# Why a request went unmet: nothing free, taken by a concurrent request, refused at the desk.
UNMET_REASONS = ("not_available", "taken_concurrently", "refused_at_desk")


@contract("booking.reservation_created")
class ReservationCreated(Schema):
    reservation_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    item_ids = fields.List(fields.Integer(), required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    # The weekly series the reservation is an occurrence of, if any.
    series_id = fields.Integer(allow_none=True)


@contract("booking.reservation_cancelled")
class ReservationCancelled(Schema):
    reservation_id = fields.Integer(required=True)


@contract("booking.demand_unmet")
class DemandUnmetV1(Schema):
    """Read only, in logs and outboxes from before v2: its reason was a sentence."""

    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(allow_none=True, required=True)
    category_id = fields.Integer(allow_none=True, required=True)
    quantity = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)


@contract("booking.demand_unmet", version=2)
class DemandUnmet(Schema):
    """A request that could not be met: what, where, when, so managers see who lacks devices."""

    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(allow_none=True, required=True)
    category_id = fields.Integer(allow_none=True, required=True)
    quantity = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    reason_code = fields.String(required=True, validate=validate.OneOf(UNMET_REASONS))


# --- residents and loans: ids only; contact details are asked for at send time ----


@contract("booking.resident_found_at_desk")
class ResidentFoundAtDesk(Schema):
    """A partner's desk found a resident by what they presented ("card" or "phone"):
    its staff may serve them from now on."""

    resident_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    how = fields.String(required=True, validate=validate.OneOf(("card", "phone")))


@contract("booking.mandate_recorded")
class MandateRecorded(Schema):
    """A resident consented, at a partner's desk, to its staff acting for them."""

    mandate_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    scopes = fields.List(fields.String(validate=validate.OneOf(MANDATE_SCOPES)), required=True)
    expires_at = fields.AwareDateTime(required=True)


@contract("booking.mandate_withdrawn")
class MandateWithdrawn(Schema):
    mandate_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)


@contract("booking.resident_registered")
class ResidentRegistered(Schema):
    resident_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)


@contract("booking.resident_updated")
class ResidentUpdated(Schema):
    """Which details changed (their names, never their values)."""

    resident_id = fields.Integer(required=True)
    changed = fields.List(reference(), required=True)


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


@contract("booking.loan_due_moved")
class LoanDueMoved(Schema):
    """A closure added at the return site after the loan fell on its due day: the
    loan is now due on the site's next open day (the resident is told)."""

    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    site_id = fields.Integer(required=True)
    due_at = fields.AwareDateTime(required=True)
    previous_due_at = fields.AwareDateTime(required=True)


@contract("booking.loan_checked_in")
class LoanCheckedInV1(Schema):
    """Read only, in logs and outboxes from before v2: it named the accessories as typed."""

    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    condition = fields.String(required=True)
    missing_accessories = fields.List(fields.String(), required=True)


@contract("booking.loan_checked_in", version=2)
class LoanCheckedIn(Schema):
    """Accessories are named in staff's words: the loan keeps them, the event counts them."""

    loan_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    resident_id = RESIDENT_ID
    condition = fields.String(required=True, validate=validate.OneOf(CONDITIONS))
    missing_accessory_count = fields.Integer(required=True)
    # Where it was taken back (the loan's return site): the device stands there now.
    # Absent from events sent before it was added.
    site_id = fields.Integer(load_default=None, allow_none=True)


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


# --- reservations: sharing, pickup and return, series, withdrawn items ------------


@contract("booking.sharing_rule_set")
class SharingRuleSet(Schema):
    """A partner changed what others may reserve of its items (category null: all)."""

    partner_id = fields.Integer(required=True)
    category_id = fields.Integer(required=True, allow_none=True)
    shared = fields.Boolean(required=True)
    max_per_reservation = fields.Integer(required=True, allow_none=True)


@contract("booking.item_shareable_set")
class ItemShareableSet(Schema):
    item_id = fields.Integer(required=True)
    shareable = fields.Boolean(required=True)


@contract("booking.reservation_picked_up")
class ReservationPickedUp(Schema):
    reservation_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    item_ids = fields.List(fields.Integer(), required=True)


@contract("booking.reservation_returned")
class ReservationReturned(Schema):
    reservation_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    item_ids = fields.List(fields.Integer(), required=True)


@contract("booking.reservation_released")
class ReservationReleased(Schema):
    """Nobody picked the reservation up in time: its items are free again."""

    reservation_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    item_ids = fields.List(fields.Integer(), required=True)


@contract("booking.series_created")
class SeriesCreated(Schema):
    series_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    reservation_ids = fields.List(fields.Integer(), required=True)
    skipped_dates = fields.List(fields.Date(), required=True)


@contract("booking.series_cancelled")
class SeriesCancelled(Schema):
    """The occurrences from `from_date` on are cancelled (each also announced on its own)."""

    series_id = fields.Integer(required=True)
    from_date = fields.Date(required=True)
    reservation_ids = fields.List(fields.Integer(), required=True)


@contract("booking.reservation_item_withdrawn")
class ReservationItemWithdrawn(Schema):
    """An item held by a future reservation went to maintenance, was retired or lost;
    the replacement claimed in its place, or null when none was free."""

    reservation_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    replacement_item_id = fields.Integer(required=True, allow_none=True)
    partner_id = fields.Integer(required=True)


# --- waiting lists and privacy: ids only, the resident is told by notifications ------


@contract("booking.waiting_list_joined")
class WaitingListJoined(Schema):
    entry_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    category_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)


@contract("booking.waiting_list_left")
class WaitingListLeft(Schema):
    """The resident left the line (or was erased); a hold they had is released."""

    entry_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    released_item_id = fields.Integer(required=True, allow_none=True)


@contract("booking.hold_offered")
class HoldOffered(Schema):
    """A device is kept for the first in line until expires_at: tell them to come."""

    entry_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)


@contract("booking.hold_expired")
class HoldExpired(Schema):
    """Nobody came for the held device in time: it passes to the next in line."""

    entry_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)


@contract("booking.hold_fulfilled")
class HoldFulfilled(Schema):
    """The resident borrowed what they waited for."""

    entry_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)


@contract("booking.resident_erased")
class ResidentErased(Schema):
    resident_id = fields.Integer(required=True)


@contract("booking.hold_withdrawn")
class HoldWithdrawn(Schema):
    """The held device left the shelf (maintenance, lost, moved): the resident is
    first in line again, and may be offered another device at once."""

    entry_id = fields.Integer(required=True)
    resident_id = fields.Integer(required=True)
    item_id = fields.Integer(required=True)


@contract("booking.reservation_outside_hours")
class ReservationOutsideHours(Schema):
    """A site's new hours or closures leave a future reservation's pickup or return
    while it is closed; staff should move or cancel it."""

    reservation_id = fields.Integer(required=True)
    partner_id = fields.Integer(required=True)
    site_id = fields.Integer(required=True)
