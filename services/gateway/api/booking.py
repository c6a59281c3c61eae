"""HTTP endpoints for reservations, availability, sharing, residents, loans and
waiting lists (the booking), and the calendar feeds of reservations and desks.

Handlers stay thin: load (the route does it), authorise the object, call the
service, answer; what the pages do too is an operation (operations.py) both
call. See api/scope.py for who sees what.
"""

from services.gateway import auth, csv_export, ical, operations, resident_codes
from services.gateway.api.accounts import AcceptedOut
from services.gateway.api.scope import Scope, wire, without_personal_data
from services.gateway.authz import require
from services.gateway.problems import invalid
from services.gateway.routing import ADMIN, MANAGER, RESIDENT, STAFF, now, route
from services.gateway.schemas import booking as schemas
from services.gateway.schemas.common import all_pages

READERS = (ADMIN, MANAGER, STAFF)
EVERYONE = (ADMIN, MANAGER, STAFF, RESIDENT)
# What staff may do for a resident under a mandate (acting_for=), by its scopes.
LOANS, DATA, CONTACT = ("loans",), ("data",), ("contact",)
ANY_MANDATE = LOANS + DATA + CONTACT


def _empty_page(query):
    return {"items": [], "total": 0, "limit": query["limit"], "offset": query["offset"]}


def _narrowed_to_own(who, query, filters) -> bool:
    """Pin a list to what the caller owns: staff to their partner's, a resident to
    their own. False when they filtered for someone else's: the answer is then an
    empty page, as if there were nothing."""
    key, own = {
        STAFF: ("partner_id", who.partner_id),
        RESIDENT: ("resident_id", who.resident_id),
    }.get(who.role, (None, None))
    if key is None:
        return True
    if query.get(key, own) != own:
        return False
    filters[key] = own
    return True


def _filters(schema, query) -> dict:
    filters = wire(schema, query)
    filters.pop("format", None)
    return filters


class BookingApi:
    # --- availability and reservations ------------------------------------------------------

    @route(
        "GET",
        "/api/availability",
        query=schemas.AvailabilityQuery,
        response=schemas.Availability,
        allow=READERS,
        summary="What is free for a window: how many, where, which",
        tag="reservations",
    )
    def availability(self, request, who, query):
        """?category_id=1&site=jean-vilar&starts_at=…&ends_at=… — staff see what their
        partner may reserve (its own devices, others' shared ones)."""
        if who.role == STAFF:
            query["partner_id"] = who.partner_id
        return self.booking.availability(wire(schemas.AvailabilityQuery(), query))

    @route(
        "POST",
        "/api/reservations",
        body=schemas.ReservationRequest,
        response=schemas.Reservation,
        status=201,
        allow=(STAFF,),
        summary="Reserve equipment for a workshop",
        tag="reservations",
    )
    def reserve(self, request, who, body):
        """{"site": "jean-vilar", "category_id": 1, "quantity": 10,
        "starts_at": "2026-12-01T14:00:00+01:00", "ends_at": "2026-12-01T17:00:00+01:00"}
        (or "asset_tags", or a "kit"). Refused (409): `details` names what is free
        instead: {"alternatives": {"other_sites": […], "other_windows": […]}}."""
        return operations.reserve(self, who, wire(schemas.ReservationRequest(), body))

    def _for_own_partner(self, who, schema, body, field="partner_id") -> dict:
        Scope(who, self).require_own_partner(body.get(field, who.partner_id))
        return wire(schema, {**body, field: who.partner_id})

    @route(
        "GET",
        "/api/reservations",
        query=schemas.ReservationQuery,
        response=schemas.ReservationPage,
        allow=READERS,
        produces=("text/csv",),
        summary="Reservations, filtered, a page at a time (or ?format=csv)",
        tag="reservations",
    )
    def list_reservations(self, request, who, query):
        """Staff see their partner's reservations, and all those at its sites (?site=)."""
        filters = _filters(schemas.ReservationQuery(), query)
        at_own_site = (
            who.role == STAFF and "site" in query and Scope(who, self).own_site(query["site"])
        )
        if not at_own_site and not _narrowed_to_own(who, query, filters):
            return _empty_page(query)
        if query["format"] == "csv":
            rows = all_pages(self.booking.list_reservations, filters)
            return csv_export.csv_response(
                rows, csv_export.columns_of(schemas.Reservation), "reservations.csv"
            )
        return self.booking.list_reservations(filters)

    @route(
        "GET",
        "/api/reservations/<int:reservation_id>",
        response=schemas.Reservation,
        allow=READERS,
        summary="A reservation, its devices and what needs attention",
        tag="reservations",
    )
    def get_reservation(self, request, who, reservation_id):
        return operations.reservation(self, who, reservation_id)

    @route(
        "POST",
        "/api/reservations/<int:reservation_id>/cancel",
        response=schemas.Reservation,
        allow=(STAFF,),
        summary="Cancel a reservation (its partner's staff)",
        tag="reservations",
    )
    def cancel_reservation(self, request, who, reservation_id):
        return operations.cancel_reservation(self, who, reservation_id)

    @route(
        "POST",
        "/api/reservations/<int:reservation_id>/pick-up",
        response=schemas.Reservation,
        allow=(STAFF,),
        summary="Hand the reserved devices over",
        tag="reservations",
    )
    def pick_up(self, request, who, reservation_id):
        return operations.pick_up(self, who, reservation_id)

    @route(
        "POST",
        "/api/reservations/<int:reservation_id>/return",
        response=schemas.Reservation,
        allow=(STAFF,),
        summary="Take the reserved devices back",
        tag="reservations",
    )
    def return_reservation(self, request, who, reservation_id):
        return operations.return_reservation(self, who, reservation_id)

    @route(
        "POST",
        "/api/reservation-series",
        body=schemas.WeeklyReservationRequest,
        response=schemas.WeeklyReservation,
        status=201,
        allow=(STAFF,),
        summary="Reserve the same devices every week until a date",
        tag="reservations",
    )
    def reserve_weekly(self, request, who, body):
        """The first week's window and "until": "2027-03-25"; all or nothing unless
        "skip_unavailable": true (then the weeks that could not be met are listed)."""
        return operations.reserve_weekly(self, who, wire(schemas.WeeklyReservationRequest(), body))

    @route(
        "POST",
        "/api/reservation-series/<int:series_id>/cancel",
        body=schemas.CancelSeriesIn,
        response=schemas.SeriesCancelled,
        allow=(STAFF,),
        summary="Cancel a weekly series from a date on",
        tag="reservations",
    )
    def cancel_series(self, request, who, series_id, body):
        """{"from": "2027-01-14"} (optional: from today)"""
        return operations.cancel_series(self, who, series_id, wire(schemas.CancelSeriesIn(), body))

    # --- sharing and loan rules -----------------------------------------------------------

    @route(
        "GET",
        "/api/sharing-rules",
        response=schemas.SharingRule(many=True),
        allow=(STAFF,),
        summary="What the caller's partner lets others reserve (no rule: all of it, no cap)",
        tag="sharing",
    )
    def list_sharing_rules(self, request, who):
        return operations.own_sharing_rules(self, who)

    @route(
        "PUT",
        "/api/sharing-rules",
        body=schemas.SharingRuleRequest,
        response=schemas.SharingRule,
        allow=(STAFF,),
        summary="What the caller's partner lets others reserve",
        tag="sharing",
    )
    def set_sharing_rule(self, request, who, body):
        """{"category_id": 1 (or null: every category), "shared": true,
        "max_per_reservation": 5 (or null)}"""
        rule = self._for_own_partner(who, schemas.SharingRuleRequest(), body)
        return operations.set_own_sharing_rule(self, who, rule)

    @route(
        "PUT",
        "/api/items/<asset_tag>/shareable",
        body=schemas.ShareableIn,
        response=schemas.ItemShareable,
        allow=(STAFF,),
        summary="Keep one device for the owner's own use, or share it again",
        tag="sharing",
    )
    def set_item_shareable(self, request, who, asset_tag, body):
        Scope(who, self).require_change_item(self.inventory.get_item(asset_tag))
        return self.booking.set_item_shareable(
            {"asset_tag": asset_tag, "shareable": body["shareable"]}
        )

    @route(
        "PUT",
        "/api/categories/<int:category_id>/loan-policy",
        body=schemas.CategoryPolicyIn,
        response=schemas.CategoryPolicy,
        allow=(ADMIN,),
        summary="How long residents keep a kind of device, and how often they renew",
        tag="sharing",
    )
    def set_category_policy(self, request, who, category_id, body):
        return self.booking.set_category_policy(category_id, wire(schemas.CategoryPolicyIn(), body))

    # --- residents --------------------------------------------------------------------------

    @route(
        "POST",
        "/api/residents",
        body=schemas.ResidentRequest,
        response=schemas.Resident,
        status=201,
        allow=(STAFF,),
        summary="Register a resident who agreed to it",
        tag="residents",
    )
    def register_resident(self, request, who, body):
        """{"display_name": "Amina B.", "phone": "06 12 34 56 78", "language": "ar",
        "consent": true, "card_number": "RS-0042"}"""
        return self.booking.register_resident(
            self._for_own_partner(
                who, schemas.ResidentRequest(), body, field="registered_by_partner_id"
            )
        )

    @route(
        "GET",
        "/api/residents",
        query=schemas.ResidentQuery,
        response=schemas.ResidentPage,
        allow=READERS,
        summary="Residents, by name, a page at a time",
        tag="residents",
    )
    def list_residents(self, request, who, query):
        """Staff see those their partner registered or lends (lent) to; managers see
        no names nor contact details, and have no names to search."""
        filters = wire(schemas.ResidentQuery(), query)
        if who.role != STAFF and "search" in query:
            return _empty_page(query)
        if not _narrowed_to_own(who, query, filters):
            return _empty_page(query)
        page = self.booking.list_residents(filters)
        if who.role != STAFF:
            page["items"] = [without_personal_data(resident) for resident in page["items"]]
        return page

    @route(
        "GET",
        "/api/residents/<int:resident_id>",
        response=schemas.Resident,
        allow=EVERYONE,
        acting=ANY_MANDATE,
        tag="residents",
        summary="A resident (themself; their partners' staff, contact details masked "
        "unless they registered them or lend to them; managers: no name)",
    )
    def get_resident(self, request, who, resident_id):
        if who.role == RESIDENT:
            require(who.resident_id == resident_id)
        return Scope(who, self).resident(resident_id)

    @route(
        "GET",
        "/api/residents/by-card/<card_number>",
        response=schemas.Resident,
        allow=(STAFF,),
        summary="The resident whose card is scanned at the desk",
        tag="residents",
    )
    def resident_by_card(self, request, who, card_number):
        """Holding the card, the resident is at the desk: staff of any partner learn their
        id, to lend to them (their partner may serve them from now on); their details
        only where they are already known."""
        return operations.resident_at_desk(self, who, {"card_number": card_number})

    @route(
        "POST",
        "/api/residents/at-desk",
        body=schemas.FoundAtDeskRequest,
        response=schemas.Resident,
        allow=(STAFF,),
        summary="The resident presenting their whole card or phone number at the desk",
        tag="residents",
    )
    def resident_at_desk(self, request, who, body):
        """{"card_number": "RS-0042"} or {"phone": "06 12 34 56 78"}: as by-card."""
        presented = self._for_own_partner(who, schemas.FoundAtDeskRequest(), body)
        presented.pop("partner_id", None)
        return operations.resident_at_desk(self, who, presented)

    @route(
        "PATCH",
        "/api/residents/<int:resident_id>",
        body=schemas.ResidentUpdate,
        response=schemas.Resident,
        allow=(STAFF, RESIDENT),
        acting=CONTACT,
        summary="Change a resident's contact details or language",
        tag="residents",
    )
    def update_resident(self, request, who, resident_id, body):
        """{"language": "fr", "channel": "email"}: the resident, their registering
        partner's staff, or staff acting for them under a mandate covering "contact";
        details one cannot see are not there. A new phone or email is proven first
        (POST …/contact); null clears one. Card numbers are given by staff at the desk."""
        current = Scope(who, self).resident_to_change(resident_id)
        if who.role == RESIDENT and "card_number" in body:
            raise invalid({"card_number": ["Cards are given at the desk: ask staff."]})
        unproven = {
            name: ["Prove a new one first with the code sent to it (…/contact)."]
            for name in ("phone", "email")
            if body.get(name) and body[name] != current.get(name)
        }
        if unproven:
            raise invalid(unproven)
        return self.booking.update_resident(resident_id, wire(schemas.ResidentUpdate(), body))

    @route(
        "POST",
        "/api/residents/<int:resident_id>/contact",
        body=schemas.ContactChangeIn,
        response=AcceptedOut,
        status=202,
        allow=(STAFF, RESIDENT),
        acting=CONTACT,
        tag="residents",
        summary="Give a resident a new phone or email: a code is sent to it",
    )
    def propose_contact_change(self, request, who, resident_id, body):
        """{"phone": "07 11 22 33 44"} (or {"email": …}). The old one stays until the code
        sent to the new one comes back to …/contact/confirm; the answer is the same
        whether or not someone else gave that phone or email."""
        Scope(who, self).resident_to_change(resident_id)
        resident_codes.send_contact_code(
            self, resident_id, wire(schemas.ContactChangeIn(), body), auth.settings_for(self), now()
        )
        return {"detail": "A code is on its way to the new phone or email."}

    @route(
        "POST",
        "/api/residents/<int:resident_id>/contact/confirm",
        body=schemas.ContactCodeIn,
        response=schemas.Resident,
        allow=(STAFF, RESIDENT),
        acting=CONTACT,
        tag="residents",
        summary="Confirm a new phone or email with the code sent to it",
    )
    def confirm_contact_change(self, request, who, resident_id, body):
        """{"code": "048213"} → the resident with the new phone or email. Five wrong codes
        void the change."""
        Scope(who, self).resident_to_change(resident_id)
        return resident_codes.confirm_contact(
            self, resident_id, body["code"], auth.settings_for(self), now()
        )

    @route(
        "GET",
        "/api/residents/<int:resident_id>/export",
        response=schemas.ResidentExport,
        allow=(RESIDENT, STAFF),
        acting=DATA,
        summary="Everything held about a resident (themself, or staff acting for them)",
        tag="residents",
    )
    def export_resident_data(self, request, who, resident_id):
        return operations.export_resident_data(self, who, resident_id)

    @route(
        "POST",
        "/api/residents/<int:resident_id>/erase",
        response=schemas.ErasedResident,
        allow=(RESIDENT, STAFF),
        acting=DATA,
        summary="Forget a resident on their request (themself, or staff acting for them)",
        tag="residents",
    )
    def erase_resident(self, request, who, resident_id):
        return operations.erase_resident(self, who, resident_id)

    # --- mandates: a resident's consent for the desk to act for them ------------------------

    @route(
        "POST",
        "/api/residents/<int:resident_id>/mandates",
        body=schemas.MandateRequest,
        response=schemas.Mandate,
        status=201,
        allow=(STAFF,),
        tag="residents",
        summary="Record, with the resident present, what the desk may do for them",
    )
    def record_mandate(self, request, who, resident_id, body):
        """{"scopes": ["loans", "data", "contact"], "expires_at": "2027-06-30T18:00:00+02:00"}
        (at most a year ahead). Then `?acting_for=<resident id>` works for what it covers
        (loans: borrow, renew, wait in line; data: export, erase; contact: change
        details), and every act names the mandate."""
        return self.booking.record_mandate(
            wire(
                schemas.MandateIn(),
                {**body, "resident_id": resident_id, "partner_id": who.partner_id},
            )
        )

    @route(
        "GET",
        "/api/residents/<int:resident_id>/mandates",
        response=schemas.MandateList,
        allow=(STAFF, RESIDENT),
        tag="residents",
        summary="A resident's mandates (staff: their partner's), latest first",
    )
    def list_mandates(self, request, who, resident_id):
        return {"items": operations.mandates_of(self, who, resident_id)}

    @route(
        "POST",
        "/api/mandates/<int:mandate_id>/withdraw",
        response=schemas.Mandate,
        allow=(STAFF, RESIDENT),
        tag="residents",
        summary="Withdraw a mandate (the resident, or the staff of its partner)",
    )
    def withdraw_mandate(self, request, who, mandate_id):
        return operations.withdraw_mandate(self, who, mandate_id)

    # --- loans ------------------------------------------------------------------------------

    @route(
        "POST",
        "/api/loans",
        body=schemas.CheckOutIn,
        response=schemas.Loan,
        status=201,
        allow=(STAFF,),
        acting=LOANS,
        summary="Lend a device to a resident at the caller's desk",
        tag="loans",
    )
    def check_out(self, request, who, body):
        """{"asset_tag": "JV-LAP-003", "resident_id": 42, "site": "jean-vilar",
        "accessories": ["chargeur"]}; past a limit, "override_reason" says why. Only to
        a resident the partner reaches (registered, found at its desk…): else 404."""
        return operations.lend(self, who, wire(schemas.CheckOutIn(), body))

    @route(
        "GET",
        "/api/loans",
        query=schemas.LoanQuery,
        response=schemas.LoanPage,
        allow=EVERYONE,
        produces=("text/csv",),
        acting=LOANS,
        summary="Loans, soonest due first (?overdue=true: the late ones; ?format=csv)",
        tag="loans",
    )
    def list_loans(self, request, who, query):
        """Staff see the loans of their partner's desks; a resident their own."""
        filters = _filters(schemas.LoanQuery(), query)
        if not _narrowed_to_own(who, query, filters):
            return _empty_page(query)
        if query["format"] == "csv":
            rows = all_pages(self.booking.list_loans, filters)
            return csv_export.csv_response(rows, csv_export.columns_of(schemas.Loan), "loans.csv")
        return self.booking.list_loans(filters)

    @route(
        "GET",
        "/api/loans/<int:loan_id>",
        response=schemas.Loan,
        allow=EVERYONE,
        acting=LOANS,
        summary="A loan: what, when it is due back, where",
        tag="loans",
    )
    def get_loan(self, request, who, loan_id):
        return operations.loan(self, who, loan_id)

    @route(
        "POST",
        "/api/loans/<int:loan_id>/renew",
        response=schemas.Loan,
        allow=(STAFF, RESIDENT),
        acting=LOANS,
        summary="Keep the device longer (the resident or the desk)",
        tag="loans",
    )
    def renew_loan(self, request, who, loan_id):
        return operations.renew_loan(self, who, loan_id)

    @route(
        "POST",
        "/api/loans/<int:loan_id>/lost",
        response=schemas.Loan,
        allow=(STAFF,),
        summary="Declare the device lent lost (settles the loan)",
        tag="loans",
    )
    def declare_lost(self, request, who, loan_id):
        """The desk the loan is due back at settles it."""
        require(Scope(who, self).may_take_back(operations.loan(self, who, loan_id)), action=True)
        return self.booking.declare_lost(loan_id)

    @route(
        "POST",
        "/api/check-ins",
        body=schemas.CheckInIn,
        response=schemas.Loan,
        allow=(STAFF,),
        summary="Take a lent device back at the desk (by its asset tag)",
        tag="loans",
    )
    def check_in(self, request, who, body):
        """{"asset_tag": "JV-LAP-003", "condition": "good", "accessories": ["chargeur"]}
        → the loan, with "missing_accessories"."""
        return operations.take_back(
            self, who, body["asset_tag"], body["condition"], body["accessories"]
        )

    # --- waiting lists ------------------------------------------------------------------------

    @route(
        "POST",
        "/api/waiting-entries",
        body=schemas.WaitingListJoinRequest,
        response=schemas.WaitingEntry,
        status=201,
        allow=(STAFF, RESIDENT),
        acting=LOANS,
        summary="Wait in line for a kind of device at a site",
        tag="waiting-lists",
    )
    def join_waiting_list(self, request, who, body):
        """{"category_id": 3, "site": "jean-vilar"} (and "resident_id" when staff add
        someone at their desk)."""
        scope = Scope(who, self)
        resident_id = scope.for_resident(body.get("resident_id"))
        if who.role == STAFF:
            scope.require_own_site(body["site"])
        if resident_id is None:
            raise invalid({"resident_id": ["Missing data for required field."]})
        scope.resident(resident_id)  # staff: only a resident their partner reaches
        return self.booking.join_waiting_list(
            wire(schemas.WaitingListJoinRequest(), {**body, "resident_id": resident_id})
        )

    @route(
        "GET",
        "/api/waiting-entries",
        query=schemas.WaitingEntryQuery,
        response=schemas.WaitingEntryPage,
        allow=EVERYONE,
        acting=LOANS,
        summary="Places in line, oldest first",
        tag="waiting-lists",
    )
    def list_waiting_entries(self, request, who, query):
        filters = wire(schemas.WaitingEntryQuery(), query)
        if not _narrowed_to_own(who, query, filters):
            return _empty_page(query)
        return self.booking.list_waiting_entries(filters)

    @route(
        "POST",
        "/api/waiting-entries/<int:entry_id>/leave",
        response=schemas.WaitingEntry,
        allow=(STAFF, RESIDENT),
        acting=LOANS,
        summary="Leave the line (a device held goes to the next)",
        tag="waiting-lists",
    )
    def leave_waiting_list(self, request, who, entry_id):
        require(Scope(who, self).sees_waiting_entry(self.booking.get_waiting_entry(entry_id)))
        return self.booking.leave_waiting_list(entry_id)

    @route(
        "GET",
        "/api/waiting-lists",
        query=schemas.WaitingListQuery,
        response=schemas.WaitingLine,
        allow=READERS,
        summary="Who is in line for a kind of device at a site",
        tag="waiting-lists",
    )
    def waiting_list(self, request, who, query):
        """?category_id=3&site=jean-vilar — staff, for their own sites."""
        if who.role == STAFF:
            require(Scope(who, self).own_site(query["site"]))
        return self.booking.waiting_list(wire(schemas.WaitingListQuery(), query))

    # --- calendar feeds ---------------------------------------------------------------------

    @route(
        "GET",
        "/api/partners/<int:partner_id>/reservations.ics",
        allow=READERS,
        produces=("text/calendar",),
        summary="A partner's reservations as a calendar to subscribe to",
        tag="calendars",
    )
    def partner_calendar(self, request, who, partner_id):
        body = operations.partner_calendar(self, who, partner_id)
        return ical.ics_response(body, f"reservations-{partner_id}.ics")

    @route(
        "GET",
        "/api/sites/<site_code>/desk.ics",
        allow=READERS,
        produces=("text/calendar",),
        summary="A desk's pickups, returns and devices due back, as a calendar",
        tag="calendars",
    )
    def desk_calendar(self, request, who, site_code):
        body = operations.desk_calendar(self, who, site_code)
        return ical.ics_response(body, f"desk-{site_code}.ics")
