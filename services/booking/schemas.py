"""What the booking's RPC accepts and returns. Inputs refuse unknown fields."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from partanum import phones
from partanum.i18n import LANGUAGES, reads_in
from partanum.inputs import Input
from services.booking.vocabulary import (
    CHANNELS,
    CONDITIONS,
    MANDATE_SCOPES,
    LoanStatus,
    ReservationStatus,
    WaitingStatus,
)

# What a computed field answers, for those who describe it (the gateway's OpenAPI).
TEXT = {"type": "string"}
NUMBER = {"type": "integer"}


def one_of(statuses) -> dict:
    return {"enum": [status.value for status in statuses]}


ASSET_TAG = validate.Regexp(
    r"^[A-Z0-9][A-Z0-9-]{1,39}$", error="capital letters, digits and dashes"
)


class ReservationIn(Input):
    """One of `asset_tags`, a `kit`, or a `category_id` with a `quantity`, at a site for a window."""

    partner_id = fields.Integer(required=True, strict=True)
    site = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    asset_tags = fields.List(
        fields.String(validate=ASSET_TAG), validate=validate.Length(min=1, max=200)
    )
    kit = fields.String(validate=validate.Length(min=1, max=40))
    category_id = fields.Integer(strict=True)
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=200))
    note = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def what_to_reserve(self, data, **_kwargs):
        by_category = "category_id" in data or "quantity" in data
        ways = [
            way
            for way, given in (
                ("asset_tags", "asset_tags" in data),
                ("kit", "kit" in data),
                ("category_id", by_category),
            )
            if given
        ]
        if len(ways) != 1:
            message = "give asset_tags, a kit, or category_id with quantity (one of them)"
            raise ValidationError({way: [message] for way in ways or ["asset_tags"]})
        if by_category and not ("category_id" in data and "quantity" in data):
            missing = "quantity" if "category_id" in data else "category_id"
            raise ValidationError("needed when reserving by category", missing)


class AvailabilityIn(Input):
    category_id = fields.Integer(required=True, strict=True)
    site = fields.String(load_default=None)
    # Who asks: only what they may reserve counts (their own items, others' shared ones).
    partner_id = fields.Integer(load_default=None, strict=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class ReservationOut(Schema):
    id = fields.Integer()
    partner_id = fields.Integer(metadata={"description": "the partner that reserved"})
    site_id = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String(metadata=one_of(ReservationStatus))
    series_id = fields.Integer()
    picked_up_at = fields.AwareDateTime()
    returned_at = fields.AwareDateTime()
    attention = fields.String(
        metadata={"description": "why staff should look at it (an item withdrawn…)"}
    )
    note = fields.String()
    # What it holds now. Dumped from a Reservation or from a reservation just
    # written without the ORM (reservations.book): a value each gives alike.
    asset_tags = fields.List(fields.String())


# --- residents and loans -------------------------------------------------------------

PHONE = validate.Regexp(
    r"^\+?[0-9][0-9 .-]{5,30}$", error="digits, spaces, dots or dashes, with an optional leading +"
)
CARD_NUMBER = validate.Regexp(r"^[A-Za-z0-9-]{1,40}$", error="letters, digits and dashes")
ACCESSORIES = fields.List(
    fields.String(validate=validate.Length(min=1, max=100)),
    load_default=list,
    validate=validate.Length(max=20),
)


def dialable(phone: str) -> None:
    """A phone kept for a resident must be one that texts reach and a desk finds again
    (stored in E.164 beside it); presenting part of one finds nobody instead."""
    if phones.normalised(phone) is None:
        raise ValidationError("not a phone number: a French one, or another country's with its +")


KEPT_PHONE = [PHONE, dialable]


def contact_problems(phone, email, channel, served_at_desk: bool = False) -> dict:
    """SMS needs a phone and email an email; whatever the channel (even "none": staff
    will call), the desk needs a phone or an email to reach the resident, unless the
    resident, having neither, chose "none" and is served at the desk under a mandate."""
    problems = {}
    if not phone and not email and not (served_at_desk and channel == "none"):
        problems["phone"] = ["give a phone or an email"]
        problems["email"] = ["give a phone or an email"]
    if channel == "sms" and not phone:
        problems.setdefault("phone", []).append("needed to send text messages")
    if channel == "email" and not email:
        problems.setdefault("email", []).append("needed to send emails")
    return problems


class ResidentIn(Input):
    """A resident who agreed to be registered: the least personal data that works."""

    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=KEPT_PHONE)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=200))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    # Registering someone needs their agreement; consent_at records when it was given.
    consent = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="the resident must agree to be registered"),
    )
    card_number = fields.String(load_default=None, allow_none=True, validate=CARD_NUMBER)
    registered_by_partner_id = fields.Integer(required=True, strict=True)
    # Given at the desk with the registration (see MandateIn); needed by a resident
    # with neither phone nor email, who cannot sign in and is served under it.
    mandate = fields.Nested(lambda: GivenMandateIn())

    @validates_schema
    def reachable(self, data, **_kwargs):
        channel = data.get("channel") or ("sms" if data.get("phone") else "email")
        problems = contact_problems(
            data.get("phone"), data.get("email"), channel, served_at_desk="mandate" in data
        )
        if problems:
            raise ValidationError(problems)

    @post_load
    def default_channel(self, data, **_kwargs):
        data.setdefault("channel", "sms" if data["phone"] else "email")
        return data


class ResidentUpdate(Input):
    """Any of the contact details; null clears a phone or an email."""

    display_name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(allow_none=True, validate=KEPT_PHONE)
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    card_number = fields.String(allow_none=True, validate=CARD_NUMBER)


class ContactChangeIn(Input):
    """One new phone or email, proven by the code sent to it before it is kept."""

    phone = fields.String(validate=KEPT_PHONE)
    email = fields.Email(validate=validate.Length(max=200))

    @validates_schema
    def exactly_one(self, data, **_):
        if len(data) != 1:
            raise ValidationError("give one of phone or email", "_schema")


class ContactCodeIn(Input):
    code = fields.String(
        required=True, validate=validate.Regexp(r"^\s*\d{6}\s*$"), metadata={"example": "048213"}
    )


class ContactCodeOut(Schema):
    code = fields.String()
    language = fields.String()
    minutes = fields.Integer()


class ResidentOut(Schema):
    id = fields.Integer()
    display_name = fields.String()
    phone = fields.String()
    email = fields.String()
    language = fields.String()
    # The language they are written to: theirs, or French while theirs is incomplete.
    reads_in = fields.Function(lambda resident: reads_in(resident.language), metadata=TEXT)
    channel = fields.String()
    consent_at = fields.AwareDateTime()
    card_number = fields.String()
    registered_by_partner_id = fields.Integer()
    created_at = fields.AwareDateTime()


class FoundAtDeskIn(Input):
    """What a resident presents at a partner's desk: their whole card number or phone."""

    partner_id = fields.Integer(required=True, strict=True)
    card_number = fields.String(validate=CARD_NUMBER)
    phone = fields.String(validate=PHONE)

    @validates_schema
    def one_of_them(self, data, **_kwargs):
        if ("card_number" in data) == ("phone" in data):
            raise ValidationError("give card_number or phone", "_schema")


class GivenMandateIn(Input):
    """What a mandate covers (any of MANDATE_SCOPES) and until when (at most a year)."""

    scopes = fields.List(
        fields.String(validate=validate.OneOf(MANDATE_SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(MANDATE_SCOPES)),
    )
    expires_at = fields.AwareDateTime(required=True)


class MandateIn(GivenMandateIn):
    resident_id = fields.Integer(required=True, strict=True)
    partner_id = fields.Integer(required=True, strict=True)


class ValidMandateIn(Input):
    resident_id = fields.Integer(required=True, strict=True)
    partner_id = fields.Integer(required=True, strict=True)
    scopes = fields.List(fields.String(validate=validate.OneOf(MANDATE_SCOPES)), required=True)


class MandateOut(Schema):
    """A resident's consent for a partner's staff to act for them."""

    id = fields.Integer()
    resident_id = fields.Integer()
    partner_id = fields.Integer()
    scopes = fields.List(fields.String())
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.String(metadata={"description": "who recorded it at the desk"})
    expires_at = fields.AwareDateTime()
    withdrawn_at = fields.AwareDateTime()


class ContactDetailsOut(Schema):
    """What a notification needs at the moment it is sent, and nothing more."""

    resident_id = fields.Integer(attribute="id")
    display_name = fields.String()
    phone = fields.String()
    email = fields.String()
    language = fields.String()
    channel = fields.String()


class CategoryPolicyIn(Input):
    loan_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=365))
    max_renewals = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=20)
    )


class CategoryPolicyOut(Schema):
    category_id = fields.Integer()
    loan_days = fields.Integer()
    max_renewals = fields.Integer()


class CheckOutIn(Input):
    asset_tag = fields.String(required=True, validate=ASSET_TAG)
    resident_id = fields.Integer(required=True, strict=True)
    site = fields.String(required=True)
    reservation_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    accessories = ACCESSORIES
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=3, max=500)
    )


class CheckInIn(Input):
    asset_tag = fields.String(required=True, validate=ASSET_TAG)
    condition = fields.String(required=True, validate=validate.OneOf(CONDITIONS))
    accessories = ACCESSORIES


class LoanOut(Schema):
    """Dumped from a Loan or from a loan just written without the ORM (loans.py): a
    value each gives alike."""

    id = fields.Integer()
    item_id = fields.Integer()
    asset_tag = fields.String()
    resident_id = fields.Integer(metadata={"description": "null once the loan is anonymised"})
    reservation_id = fields.Integer()
    # The partner whose desk lent it: its staff look after the loan (and, in this
    # place, the gateway's loans.csv keeps its columns).
    partner_id = fields.Integer(metadata={"description": "the partner whose desk lent it"})
    site_id = fields.Integer()
    return_site_id = fields.Integer()
    checked_out_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    returned_at = fields.AwareDateTime()
    status = fields.String(metadata=one_of(LoanStatus))
    renewals = fields.Integer()
    accessories_out = fields.List(fields.String())
    accessories_in = fields.List(fields.String())
    missing_accessories = fields.List(fields.String())
    condition_in = fields.String()
    overdue_since = fields.AwareDateTime()
    override_reason = fields.String()


# --- reservations: sharing and weekly series -------------------------------------------


class SharingRuleIn(Input):
    """What a partner lets others reserve: of one category, or of all (category_id absent)."""

    partner_id = fields.Integer(required=True, strict=True)
    category_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    shared = fields.Boolean(required=True)
    max_per_reservation = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1)
    )


class SharingRulesOf(Input):
    partner_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


class SharingRuleOut(Schema):
    partner_id = fields.Integer()
    category_id = fields.Integer()
    shared = fields.Boolean()
    max_per_reservation = fields.Integer()


class ItemShareableIn(Input):
    asset_tag = fields.String(required=True, validate=ASSET_TAG)
    shareable = fields.Boolean(required=True)


class WeeklyReservationIn(ReservationIn):
    """The first occurrence's window, repeated each week up to `until` (inclusive)."""

    until = fields.Date(required=True)
    # Book the weeks that can be met and report the others, instead of all or nothing.
    skip_unavailable = fields.Boolean(load_default=False)


class CancelSeriesIn(Input):
    from_date = fields.Date(data_key="from", load_default=None)


class SeriesOut(Schema):
    id = fields.Integer()
    partner_id = fields.Integer()
    site_id = fields.Integer()
    weekday = fields.Integer(metadata={"description": "0 is Monday"})
    first_day = fields.Date()
    last_day = fields.Date()
    cancelled_at = fields.AwareDateTime()


# --- waiting lists and privacy ------------------------------------------------------------


class WaitingListJoinIn(Input):
    resident_id = fields.Integer(required=True, strict=True)
    category_id = fields.Integer(required=True, strict=True)
    site = fields.String(required=True, validate=validate.Length(min=1, max=40))


class WaitingListIn(Input):
    category_id = fields.Integer(required=True, strict=True)
    site = fields.String(required=True, validate=validate.Length(min=1, max=40))


class WaitingEntryOut(Schema):
    """An entry in line: ids and times only. `position` is 1 for the next to be
    offered a device; null once the entry holds one or has ended."""

    id = fields.Integer()
    resident_id = fields.Integer()
    category_id = fields.Integer()
    site_id = fields.Integer()
    created_at = fields.AwareDateTime()
    status = fields.String(metadata=one_of(WaitingStatus))
    held_item_id = fields.Integer()
    hold_expires_at = fields.AwareDateTime()
    position = fields.Function(
        lambda entry: getattr(entry, "position", None),
        metadata={**NUMBER, "description": "1 is offered the next device; null unless waiting"},
    )


class ErasedResidentOut(Schema):
    """What remains of a resident after erasure: their id and when they were erased."""

    id = fields.Integer()
    display_name = fields.String()
    phone = fields.String()
    email = fields.String()
    card_number = fields.String()
    erased_at = fields.AwareDateTime()


# --- lists, one page at a time ----------------------------------------------------------


class PageIn(Input):
    limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=2**31 - 1)
    )


class ReservationFilters(PageIn):
    """Every key optional; `ends_after` and `starts_before` keep the reservations
    that overlap that span (a calendar's weeks); `statuses`, those in any of them;
    `asset_tag`, those holding that device."""

    partner_id = fields.Integer(strict=True)
    site = fields.String(validate=validate.Length(min=1, max=40))
    status = fields.String(validate=validate.OneOf([s.value for s in ReservationStatus]))
    statuses = fields.List(
        fields.String(validate=validate.OneOf([s.value for s in ReservationStatus])),
        validate=validate.Length(min=1, max=len(ReservationStatus)),
    )
    asset_tag = fields.String(validate=ASSET_TAG)
    series_id = fields.Integer(strict=True)
    ends_after = fields.AwareDateTime()
    starts_before = fields.AwareDateTime()


class LoanFilters(PageIn):
    """Every key optional. `partner_id`: lent at one of that partner's sites; `site`:
    lent or due back there; `overdue`: still out after its due date (or not)."""

    partner_id = fields.Integer(strict=True)
    site = fields.String(validate=validate.Length(min=1, max=40))
    resident_id = fields.Integer(strict=True)
    asset_tag = fields.String(validate=ASSET_TAG)
    status = fields.String(validate=validate.OneOf([s.value for s in LoanStatus]))
    overdue = fields.Boolean()
    due_after = fields.AwareDateTime()
    due_before = fields.AwareDateTime()


class ResidentFilters(PageIn):
    """`partner_id`: registered by that partner or borrowing (or having borrowed) at
    one of its sites; `search`: part of the name, the whole card number or the whole
    phone number."""

    partner_id = fields.Integer(strict=True)
    search = fields.String(validate=validate.Length(min=1, max=100))


class WaitingEntryFilters(PageIn):
    partner_id = fields.Integer(strict=True)
    site = fields.String(validate=validate.Length(min=1, max=40))
    resident_id = fields.Integer(strict=True)
    category_id = fields.Integer(strict=True)
    status = fields.String(validate=validate.OneOf([s.value for s in WaitingStatus]))


def page_out(schema: Schema, rows, total: int, filters: dict) -> dict:
    """{"items": [...], "total": 120, "limit": 50, "offset": 0}"""
    return {
        "items": schema.dump(rows, many=True),
        "total": total,
        "limit": filters["limit"],
        "offset": filters["offset"],
    }


# --- sign-in ---------------------------------------------------------------------------


class SignInLookup(Schema):
    card_number = fields.String(validate=validate.Length(min=1, max=40))
    phone = fields.String(validate=validate.Length(min=4, max=40))
    email = fields.String(validate=validate.Length(min=3, max=200))

    @validates_schema
    def exactly_one(self, data, **_):
        if len([name for name in ("card_number", "phone", "email") if name in data]) != 1:
            raise ValidationError("give one of card_number, phone or email", "_schema")
