"""Reservations, availability, sharing, residents, loans and waiting lists."""

from marshmallow import Schema, fields, validate

from services.booking import schemas as booking
from services.booking.vocabulary import LoanStatus, ReservationStatus, WaitingStatus
from services.gateway.schemas.common import (
    Input,
    ListOrCsvQuery,
    PageQuery,
    answer,
    day,
    ident,
    moment,
    number,
    page_schema,
    text,
    texts,
)

_OWN_PARTNER = {"description": "staff reserve for their own partner: leave it out"}

# --- requests --------------------------------------------------------------------------


class ReservationRequest(booking.ReservationIn):
    partner_id = fields.Integer(strict=True, metadata=_OWN_PARTNER)


class WeeklyReservationRequest(booking.WeeklyReservationIn):
    partner_id = fields.Integer(strict=True, metadata=_OWN_PARTNER)


class SharingRuleRequest(booking.SharingRuleIn):
    partner_id = fields.Integer(strict=True, metadata=_OWN_PARTNER)


class ResidentRequest(booking.ResidentIn):
    registered_by_partner_id = fields.Integer(
        strict=True, metadata={"description": "the partner of the staff who register them"}
    )


class FoundAtDeskRequest(booking.FoundAtDeskIn):
    partner_id = fields.Integer(
        strict=True,
        metadata={"description": "staff find residents at their own partner's desk: leave it out"},
    )


MandateRequest = booking.GivenMandateIn
MandateIn = booking.MandateIn


class WaitingListJoinRequest(booking.WaitingListJoinIn):
    resident_id = fields.Integer(
        strict=True, metadata={"description": "a resident joins for themself: leave it out"}
    )


class ShareableIn(Input):
    shareable = fields.Boolean(required=True)


ResidentUpdate = booking.ResidentUpdate
ContactChangeIn = booking.ContactChangeIn
ContactCodeIn = booking.ContactCodeIn
CheckOutIn = booking.CheckOutIn
CheckInIn = booking.CheckInIn
CategoryPolicyIn = booking.CategoryPolicyIn
CancelSeriesIn = booking.CancelSeriesIn


class AvailabilityQuery(Input):
    category_id = ident(required=True)
    site = fields.String(validate=validate.Length(min=1, max=40))
    partner_id = ident(
        metadata={
            "description": "managers: as that partner sees it; "
            "staff always see their own partner's view"
        }
    )
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class WaitingListQuery(Input):
    category_id = ident(required=True)
    site = fields.String(required=True, validate=validate.Length(min=1, max=40))


class ReservationQuery(ListOrCsvQuery):
    partner_id = ident()
    site = fields.String(validate=validate.Length(min=1, max=40))
    status = fields.String(validate=validate.OneOf([s.value for s in ReservationStatus]))
    series_id = ident()
    ends_after = fields.AwareDateTime()
    starts_before = fields.AwareDateTime()


class LoanQuery(ListOrCsvQuery):
    partner_id = ident()
    site = fields.String(validate=validate.Length(min=1, max=40))
    resident_id = ident()
    asset_tag = fields.String(validate=booking.ASSET_TAG)
    status = fields.String(validate=validate.OneOf([s.value for s in LoanStatus]))
    overdue = fields.Boolean(metadata={"description": "true: still out after the due date"})
    due_after = fields.AwareDateTime()
    due_before = fields.AwareDateTime()


class ResidentQuery(PageQuery):
    partner_id = ident()
    search = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "part of the name, the whole card number or phone number"},
    )


class WaitingEntryQuery(PageQuery):
    partner_id = ident()
    site = fields.String(validate=validate.Length(min=1, max=40))
    resident_id = ident()
    category_id = ident()
    status = fields.String(validate=validate.OneOf([s.value for s in WaitingStatus]))


# --- answers: the booking's own output contracts, and what only the gateway adds -----------

Reservation = answer(booking.ReservationOut)
ReservationPage = page_schema(Reservation, "ReservationPage")


class SiteAvailability(Schema):
    site = text()
    free = number()
    reservable = number(description="what one reservation may take of it (owners' caps)")
    asset_tags = texts()


class Availability(Schema):
    free = number()
    asset_tags = texts()
    sites = fields.List(fields.Nested(SiteAvailability))


Series = answer(booking.SeriesOut)


class SkippedWeek(Schema):
    date = day()
    starts_at = moment()
    ends_at = moment()
    reason = text()


class WeeklyReservation(Schema):
    series = fields.Nested(Series)
    reservations = fields.List(fields.Nested(Reservation))
    skipped = fields.List(fields.Nested(SkippedWeek))


class SeriesCancelled(Schema):
    series = fields.Nested(Series)
    cancelled = fields.List(fields.Integer(), metadata={"description": "the reservations' ids"})


SharingRule = answer(booking.SharingRuleOut)


class ItemShareable(Schema):
    asset_tag = text()
    shareable = fields.Boolean()


CategoryPolicy = answer(booking.CategoryPolicyOut)

# Managers' answers lack the name and contact details: api/scope.py removes them.
Resident = answer(
    booking.ResidentOut,
    doc="""A resident with their contact details: for themself, and for the staff of a
    partner related to them, masked unless it registered them or lends them a device
    now. Managers and administrators get neither name nor contact details.""",
    view=text(
        enum=["full", "masked"],
        description="staff: whether the contact details are shown or masked",
    ),
)
ResidentPage = page_schema(Resident, "ResidentPage")
Mandate = answer(booking.MandateOut)


class MandateList(Schema):
    items = fields.List(fields.Nested(Mandate))


ErasedResident = answer(booking.ErasedResidentOut)


class ResidentExport(Schema):
    exported_at = moment()
    resident = fields.Dict()
    loans = fields.List(fields.Dict())
    waiting_entries = fields.List(fields.Dict())


Loan = answer(booking.LoanOut)
LoanPage = page_schema(Loan, "LoanPage")
WaitingEntry = answer(booking.WaitingEntryOut)
WaitingEntryPage = page_schema(WaitingEntry, "WaitingEntryPage")


class WaitingLine(Schema):
    category_id = number()
    site_id = number()
    held = number()
    waiting = number()
    entries = fields.List(fields.Nested(WaitingEntry))
