"""What a caller does through the gateway, each capability once: authorise it with
the caller's Scope (api/scope.py decides), then call the service. The JSON API's
routes and the pages both call these and never a service's RPC themselves, so a
page cannot skip a check the API makes.

    loan = operations.take_back(self, who, "JV-LAP-003", "good")   # a route or a page

`service` is the gateway's service instance (its RPC proxies); a refusal raises
authz.Denied, answered 404 (or 403 for what the caller sees but may not do).
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from partanum.errors import NotFound
from services.booking.exceptions import LoanNotActive
from services.gateway import ical
from services.gateway.api.scope import Scope
from services.gateway.authz import ADMIN, MANAGER, RESIDENT, STAFF, Denied, Principal, require
from services.gateway.schemas.common import all_pages

# --- the network: everyone reads it ------------------------------------------------------


def sites(service) -> list[dict]:
    return service.inventory.list_sites()


def categories(service) -> list[dict]:
    return service.inventory.list_categories()


def own_sites(service, who) -> list[dict]:
    """The sites of the caller's partner: its desks."""
    return Scope(who, service).own_sites


# --- the front desk ------------------------------------------------------------------------


def resident_at_desk(service, who, presented: dict) -> dict:
    """The resident presenting their whole card ({"card_number": …}) or phone number
    ({"phone": …}) at the caller's desk: their partner may serve them from now on
    (the booking records it). Their details only where the partner sees them whole."""
    resident = Scope(who, service).found_at_desk(presented)
    return resident if resident["view"] == "full" else {"id": resident["id"]}


def lend(service, who, loan: dict) -> dict:
    """A loan at one of the caller's desks (the booking's check_out payload), to a
    resident its partner reaches (else 404); `accessories` None: everything that goes
    with the device."""
    scope = Scope(who, service)
    scope.require_own_site(loan["site"])
    scope.resident(loan["resident_id"])
    if loan.get("accessories") is None:
        accessories = service.inventory.get_item(loan["asset_tag"])["accessories"]
        loan = {**loan, "accessories": accessories}
    return service.booking.check_out(loan)


def take_back(service, who, asset_tag: str, condition: str, accessories=None) -> dict:
    """A device back from its loan, at the desk the loan is due back at (another
    partner's loan is answered as a device that does not exist); `accessories`
    None: everything lent with it came back."""
    return check_in(
        service, who, loan_to_take_back(service, who, asset_tag), condition, accessories
    )


def check_in(service, who, loan: dict, condition: str, accessories=None) -> dict:
    """`loan`, as loan_to_take_back found it in this request, back at the desk."""
    require(Scope(who, service).may_take_back(loan))
    returned = loan["accessories_out"] if accessories is None else accessories
    return service.booking.check_in(
        {"asset_tag": loan["asset_tag"], "condition": condition, "accessories": returned}
    )


def loan(service, who, loan_id: int) -> dict:
    found = service.booking.get_loan(loan_id)
    require(Scope(who, service).sees_loan(found))
    return found


def renew_loan(service, who, loan_id: int) -> dict:
    """The resident, or the desk, keeps the device longer."""
    loan(service, who, loan_id)
    return service.booking.renew_loan(loan_id)


def active_loans_of(service, who, resident_id: int) -> list[dict]:
    """What a resident holds, each loan with its device's make and model: for the
    resident themself, or staff acting for them."""
    require(who.is_resident(resident_id))
    loans = [
        held for held in service.booking.resident_loans(resident_id) if held["status"] == "active"
    ]
    for held in loans:
        item = service.inventory.get_item(held["asset_tag"])
        held["device"] = f"{item['make']} {item['model']}"
    return loans


# --- reservations ----------------------------------------------------------------------------


def reserve(service, who, request: dict) -> dict:
    """A reservation for the caller's own partner (the booking's reserve payload)."""
    Scope(who, service).require_own_partner(request.get("partner_id", who.partner_id))
    return service.booking.reserve({**request, "partner_id": who.partner_id})


def reservation(service, who, reservation_id: int) -> dict:
    found = service.booking.get_reservation(reservation_id)
    require(Scope(who, service).sees_reservation(found))
    return found


# --- the desk's queue and its calendars ------------------------------------------------------
# What a partner's desk has to do (its late loans, the devices kept for residents, its
# waiting lists, its notices, the messages that did not reach its residents) and its
# calendar feeds: the API's routes and the pages (/queue, the secret feed addresses)
# read them alike. How far back a calendar goes: older is history, not plans.
CALENDAR_PAST = timedelta(days=30)
# A desk's queue shows this many of each kind; more is a backlog for the API's lists.
QUEUE_LENGTH = 100


def _desk(who) -> int:
    """The partner whose desk the caller works at (staff only)."""
    require(who.role == STAFF and who.partner_id is not None)
    return who.partner_id


def overdue_loans(service, who) -> list[dict]:
    """The caller's desks' loans past their due date, the longest late first."""
    filters = {"partner_id": _desk(who), "overdue": True, "limit": QUEUE_LENGTH}
    return service.booking.list_loans(filters)["items"]


def desk_waiting_entries(service, who, status: str) -> list[dict]:
    """Places in line at the caller's desks: "waiting", or "held" (a device kept for them)."""
    filters = {"partner_id": _desk(who), "status": status, "limit": QUEUE_LENGTH}
    return service.booking.list_waiting_entries(filters)["items"]


def desk_notices(service, who) -> list[dict]:
    """The caller's desk's notices still to handle, latest first."""
    return service.notifications.staff_notices(_desk(who), False)


def mark_notice_done(service, who, notice_id: int) -> dict:
    """One of the caller's desk's notices handled; another desk's is not found."""
    ours = service.notifications.staff_notices(_desk(who), True)
    require(any(notice["id"] == notice_id for notice in ours))
    return service.notifications.mark_notice_done(notice_id)


def undelivered_messages(service, who, since: datetime) -> list[dict]:
    """Messages to the caller's partner's residents that could not be delivered, latest first."""
    failed = service.notifications.delivery_log(
        {"partner_id": _desk(who), "status": "failed", "since": since.isoformat(), "limit": 500}
    )
    return [message for message in failed if message["recipient"].startswith("resident:")]


def resident_seen(service, who, resident_id) -> dict | None:
    """A resident as the caller may see them (Scope.resident decides: a name, contact
    details masked or whole, "view"), or None where the caller may not."""
    if resident_id is None:
        return None
    try:
        return Scope(who, service).resident(resident_id)
    except (NotFound, Denied):
        return None


def partner_calendar(service, who, partner_id: int) -> bytes:
    """A partner's reservations as iCalendar: its staff, managers and administrators."""
    require(who.may_see_partner_record(partner_id))
    since = datetime.now(UTC) - CALENDAR_PAST
    rows = all_pages(
        service.booking.list_reservations,
        {"partner_id": partner_id, "ends_after": since.isoformat()},
    )
    # Its reservations may be at any partner's sites: the calendar names them all.
    codes = {partner["id"]: partner["code"] for partner in service.inventory.list_partners()}
    by_id = {site["id"]: site for site in sites(service)}
    name = codes.get(partner_id, str(partner_id))
    return ical.reservations_calendar(f"Réservations — {name}", rows, by_id.get)


def desk_calendar(service, who, site_code: str) -> bytes:
    """One desk's pickups, returns and devices due back: its partner's staff, managers
    and administrators."""
    seen = sites(service) if who.reads_everything else Scope(who, service).own_sites
    site = next((site for site in seen if site["code"] == site_code), None)
    require(site is not None)
    since = (datetime.now(UTC) - CALENDAR_PAST).isoformat()
    reservations = all_pages(
        service.booking.list_reservations, {"site": site_code, "ends_after": since}
    )
    loans = all_pages(service.booking.list_loans, {"site": site_code, "status": "active"})
    return ical.desk_calendar(site, reservations, loans)


# --- equipment: a partner's devices ---------------------------------------------------------


def partners(service) -> list[dict]:
    return service.inventory.list_partners()


def names_ahead(service) -> dict:
    """The sites, categories and partners asked for at once, for a page that names
    them: {"sites": answer, …}, each answer's .result() to wait for it."""
    return {
        "sites": service.inventory.list_sites.call_async(),
        "categories": service.inventory.list_categories.call_async(),
        "partners": service.inventory.list_partners.call_async(),
    }


def devices_page(service, who, filters: dict) -> dict:
    """One page of the devices the caller sees ({"items", "total", "limit", "offset"}):
    the inventory applies the caller's scope in SQL with the filters."""
    return service.inventory.list_items_page({**filters, **Scope(who, service).item_filter()})


def all_devices(service, who, filters: dict) -> list[dict]:
    """Every device the caller sees that matches the filters (for a file)."""
    from services.gateway.schemas.common import all_pages

    return all_pages(
        service.inventory.list_items_page, {**filters, **Scope(who, service).item_filter()}
    )


def device(service, who, asset_tag: str) -> dict:
    """A device the caller sees, or NotFound/Denied (answered 404)."""
    found = service.inventory.get_item(asset_tag)
    require(Scope(who, service).sees_item(found))
    return found


def device_rights(service, who, found: dict) -> dict:
    """What the caller may do to a device they see: change it (its owner's staff),
    record its wipe (the staff of the site where it stands)."""
    scope = Scope(who, service)
    return {"change": scope.may_change_item(found), "wipe": scope.may_wipe(found)}


def device_history(service, who, asset_tag: str) -> list[dict]:
    device(service, who, asset_tag)
    return service.inventory.item_history(asset_tag)


def register_device(service, who, data: dict) -> dict:
    """A device of the caller's own partner (the inventory's register_item payload)."""
    require(data["owner"] == Scope(who, service).partner_code, action=True)
    return service.inventory.register_item(data)


def correct_device(service, who, asset_tag: str, changes: dict) -> dict:
    Scope(who, service).require_change_item(service.inventory.get_item(asset_tag))
    return service.inventory.update_item(asset_tag, changes)


def change_device_status(service, who, asset_tag: str, status: str, reason: str) -> dict:
    """Maintenance, lost, found again, retired: the owner's staff."""
    Scope(who, service).require_change_item(service.inventory.get_item(asset_tag))
    return service.inventory.change_status(asset_tag, {"status": status, "reason": reason})


def record_device_wipe(service, who, asset_tag: str, reason: str) -> dict:
    """The staff of the site where it stands: they hold it."""
    Scope(who, service).require_wipe(service.inventory.get_item(asset_tag))
    return service.inventory.record_wipe(asset_tag, {"reason": reason})


def transfer_device(service, who, asset_tag: str, transfer: dict) -> dict:
    """To another site, or given to another partner ({"to_site", "to_partner", "reason"})."""
    Scope(who, service).require_change_item(service.inventory.get_item(asset_tag))
    return service.inventory.transfer_item(asset_tag, transfer)


def preview_device_import(service, who, csv_text: str) -> dict:
    """What the file would change in the caller's partner's fleet, changing nothing."""
    return service.inventory.preview_items_csv(own_partner_code(service, who), csv_text)


def import_devices(service, who, csv_text: str) -> dict:
    """The file imported into the caller's partner's fleet, all or nothing."""
    return service.inventory.import_items_csv(own_partner_code(service, who), csv_text)


def own_partner_code(service, who) -> str:
    code = Scope(who, service).partner_code
    require(code is not None, action=True)
    return code


def device_labels(service, who, asset_tags: list[str]) -> bytes:
    """The PDF sheet of labels of these devices, each one the caller sees (or 404) and
    may change (or 403)."""
    import base64

    scope = Scope(who, service)
    seen = service.inventory.list_items_page(
        {"asset_tags": asset_tags, "limit": 1000, **scope.item_filter()}
    )["items"]
    items = {item["asset_tag"]: item for item in seen}
    for tag in asset_tags:
        require(tag in items)
        require(scope.may_change_item(items[tag]), action=True)
    return base64.b64decode(service.inventory.labels_pdf({"asset_tags": asset_tags}))


# --- the frame: examples in the pages' hints ------------------------------------------------


def tag_example(service, who) -> str | None:
    """The asset tag of one device the caller's partner owns, to show the shape of its
    tags in a hint; None when it owns none."""
    scope = Scope(who, service)
    if scope.partner_code is None:
        return None
    found = service.inventory.list_items_page(
        {**scope.item_filter(), "owner": scope.partner_code, "limit": 1}
    )
    return found["items"][0]["asset_tag"] if found["items"] else None


# --- reservations: the staff pages' list, week and actions ------------------------------------


def kits(service, who) -> list[dict]:
    """The kits the caller's partner may reserve (made only of devices it sees)."""
    return service.inventory.list_kits(Scope(who, service).item_filter())


def reservations_at(service, who, site_code: str, **wanted) -> list:
    """The reservations at a site, as the caller sees them: all of them at one of its
    own sites, its partner's own elsewhere; soonest first. `wanted`: the booking's
    other filters (ends_after, starts_before, status)."""
    filters = {**wanted, "site": site_code}
    if not Scope(who, service).own_site(site_code):
        filters["partner_id"] = who.partner_id
    found, offset = [], 0
    while True:
        page = service.booking.list_reservations({**filters, "limit": 500, "offset": offset})
        found += page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return found


def pick_up(service, who, reservation_id: int) -> dict:
    """The reserved devices handed over, by any desk that sees the reservation."""
    reservation(service, who, reservation_id)
    return service.booking.pick_up(reservation_id)


def return_reservation(service, who, reservation_id: int) -> dict:
    reservation(service, who, reservation_id)
    return service.booking.return_reservation(reservation_id)


def cancel_reservation(service, who, reservation_id: int) -> dict:
    """Cancelled by the staff of the partner that reserved (403 for a site's desk)."""
    found = reservation(service, who, reservation_id)
    require(who.is_staff_of(found["partner_id"]), action=True)
    return service.booking.cancel_reservation(reservation_id)


def reserve_weekly(service, who, request: dict) -> dict:
    """A weekly series for the caller's own partner (the booking's reserve_weekly payload)."""
    Scope(who, service).require_own_partner(request.get("partner_id", who.partner_id))
    return service.booking.reserve_weekly({**request, "partner_id": who.partner_id})


def cancel_series(service, who, series_id: int, payload: dict) -> dict:
    """Every occurrence of a series from a date on ({"from": "2027-01-14"}, default
    today), by the staff of the partner that reserved it."""
    occurrences = service.booking.list_reservations({"series_id": series_id, "limit": 1})["items"]
    require(bool(occurrences) and Scope(who, service).sees_reservation(occurrences[0]))
    require(who.is_staff_of(occurrences[0]["partner_id"]), action=True)
    return service.booking.cancel_series(series_id, payload)


# --- residents: registering, finding, acting for them under their consent -----------------


def register_resident(service, who, resident: dict) -> dict:
    """A resident who agreed to it, registered by the caller's partner (the booking's
    register_resident payload; the partner is the caller's)."""
    scope = Scope(who, service)
    scope.require_own_partner(resident.get("registered_by_partner_id", who.partner_id))
    return service.booking.register_resident(
        {**resident, "registered_by_partner_id": who.partner_id}
    )


def own_residents(service, who, search: str | None = None, limit: int = 50) -> dict:
    """A page of the residents the caller's partner registered or lends (lent) to, by
    part of the name or the whole card or phone number, each as its staff may see them."""
    require(who.role == STAFF)
    filters = {"partner_id": who.partner_id, "limit": limit, "offset": 0}
    return service.booking.list_residents({**filters, "search": search} if search else filters)


def resident(service, who, resident_id: int) -> dict:
    """The resident as the caller may see them, or 404 (Scope.resident)."""
    return Scope(who, service).resident(resident_id)


def loans_of_resident(service, who, resident_id: int) -> list[dict]:
    """A resident's loans at the caller's partner's desks, current and past (those not
    yet anonymised), as GET /api/loans?resident_id= shows its staff."""
    require(who.role == STAFF)
    resident(service, who, resident_id)
    filters = {"partner_id": who.partner_id, "resident_id": resident_id, "limit": 200}
    return service.booking.list_loans(filters)["items"]


def waiting_entries_of_resident(service, who, resident_id: int) -> list[dict]:
    """A resident's places in line (and devices held for them) at the caller's sites."""
    require(who.role == STAFF)
    resident(service, who, resident_id)
    filters = {"partner_id": who.partner_id, "resident_id": resident_id, "limit": 200}
    return service.booking.list_waiting_entries(filters)["items"]


def acting_for(service, who, resident_id: int, scopes: tuple) -> Principal:
    """Staff acting for a resident, under the resident's valid mandate to their partner
    covering one of `scopes` (as the API's `acting_for=`): what follows is recorded as
    "staff:12 for resident:7 under mandate:3". Without one, Denied: 404."""
    require(who.role == STAFF, action=True)
    mandate_id = service.booking.valid_mandate(
        {"resident_id": resident_id, "partner_id": who.partner_id, "scopes": list(scopes)}
    )["mandate_id"]
    require(mandate_id is not None)
    acting = replace(who, acting_for=resident_id, mandate_id=mandate_id)
    service.call_context.act_as(acting.actor)
    return acting


def export_resident_data(service, who, resident_id: int) -> dict:
    """Everything held about a resident: for themself, or staff acting for them."""
    require(who.is_resident(resident_id))
    return service.booking.export_resident_data(resident_id)


def erase_resident(service, who, resident_id: int) -> dict:
    """Forget a resident on their request: themself, or staff acting for them."""
    require(who.is_resident(resident_id))
    return service.booking.erase_resident(resident_id)


def change_resident_settings(service, who, resident_id: int, language: str, channel: str) -> dict:
    """How a resident is told (channel) and in which language: the resident, staff who
    see them whole, or staff acting for them under a mandate covering "contact"
    (Scope.resident_to_change, as PATCH /api/residents/<id>)."""
    Scope(who, service).resident_to_change(resident_id)
    return service.booking.update_resident(resident_id, {"language": language, "channel": channel})


def record_mandate(service, who, resident_id: int, mandate: dict) -> dict:
    """The resident's consent, given at the caller's desk, for its staff to act for them
    ({"scopes": ["data"], "expires_at": ISO 8601}); 404 for a resident it does not reach."""
    require(who.role == STAFF, action=True)
    return service.booking.record_mandate(
        {**mandate, "resident_id": resident_id, "partner_id": who.partner_id}
    )


def mandates_of(service, who, resident_id: int) -> list[dict]:
    """A resident's mandates, latest first: all of them for themself, staff their
    partner's (of a resident it reaches)."""
    if who.role == RESIDENT:
        require(who.resident_id == resident_id)
        return service.booking.list_mandates(resident_id)
    require(who.role == STAFF)
    resident(service, who, resident_id)
    return service.booking.list_mandates(resident_id, who.partner_id)


def withdraw_mandate(service, who, mandate_id: int) -> dict:
    """The resident, or the staff of the mandate's partner, withdraw it."""
    mandate = service.booking.get_mandate(mandate_id)
    require(
        who.is_staff_of(mandate["partner_id"])
        or (who.role == RESIDENT and who.is_resident(mandate["resident_id"]))
    )
    return service.booking.withdraw_mandate(mandate_id)


# --- lending at the desk (pages) --------------------------------------------------------------


def device_at_desk(service, who, asset_tag: str) -> dict:
    """A device the caller's desk may lend or take back: one its partner owns or holds
    (else 404, as for a tag nobody has)."""
    item = service.inventory.get_item(asset_tag)
    require(Scope(who, service).sees_item(item))
    return item


def active_loan_of(service, who, asset_tag: str) -> dict | None:
    """The loan a device is on now, if the caller sees it (its partner's desk lent it);
    None when it is not lent, or lent by another partner."""
    active = service.booking.list_loans({"asset_tag": asset_tag, "status": "active", "limit": 1})
    for found in active["items"]:
        if Scope(who, service).sees_loan(found):
            return found
    return None


def loan_to_take_back(service, who, asset_tag: str) -> dict:
    """The active loan of a device, due back at one of the caller's desks: what the desk
    checks before asking which accessories came back (same rule as take_back)."""
    scope = Scope(who, service)
    active = service.booking.list_loans({"asset_tag": asset_tag, "status": "active", "limit": 1})[
        "items"
    ]
    if not active:
        require(scope.sees_item(service.inventory.get_item(asset_tag)))
        raise LoanNotActive(f"{asset_tag} is not on loan", {"asset_tag": asset_tag})
    require(scope.may_take_back(active[0]))
    return active[0]


def reservations_holding(service, who, site: str, asset_tag: str, between: tuple) -> list[dict]:
    """The caller's partner's reservations at its desk `site` that hold this device and
    overlap `between` (two ISO 8601 moments: now, and a little later)."""
    Scope(who, service).require_own_site(site)
    return service.booking.list_reservations(
        {
            "partner_id": who.partner_id,
            "site": site,
            "statuses": ["confirmed", "picked_up"],
            "asset_tag": asset_tag,
            "ends_after": between[0],
            "starts_before": between[1],
            "limit": 50,
        }
    )["items"]


def holds_of(service, who, resident_id: int) -> list[dict]:
    """The devices held for a resident from a waiting list, at the caller's desks."""
    scope = Scope(who, service)
    scope.resident(resident_id)
    entries = service.booking.list_waiting_entries(
        {"resident_id": resident_id, "status": "held", "limit": 20}
    )["items"]
    return [entry for entry in entries if scope.sees_waiting_entry(entry)]


def declare_lost(service, who, loan_id: int) -> dict:
    """The desk the loan is due back at settles it as lost (as the API's route)."""
    require(Scope(who, service).may_take_back(loan(service, who, loan_id)), action=True)
    return service.booking.declare_lost(loan_id)


def lent_device(service, who, lent: dict) -> dict:
    """The device of a loan the caller sees (its make and model, its accessories)."""
    require(Scope(who, service).sees_loan(lent))
    return service.inventory.get_item(lent["asset_tag"])


def borrower(service, who, resident_id: int) -> dict:
    """The resident a loan of the caller's desk is for, as the caller may see them."""
    return Scope(who, service).resident(resident_id)


# --- the public guide: what anyone may read, signed in or not -------------------------------

# The devices a site lends: those the booking may promise (not retired, lost or in repair).
GUIDE_LENT_STATUSES = ("available", "reserved", "on_loan", "awaiting_wipe")


def devices_free_today(service, now: datetime, zone) -> dict[str, dict[str, dict]]:
    """For anyone, signed in or not: per site code and kind of device (category code),
    how many are lent there and how many nothing holds from `now` to the end of the
    day: {"jean-vilar": {"laptop": {"lent": 8, "free": 3}}}. Counts only: no device,
    no loan, no resident."""
    local = now.astimezone(zone)
    end_of_day = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    window = {
        "starts_at": now.isoformat(),
        "ends_at": max(end_of_day, now + timedelta(minutes=1)).isoformat(),
    }
    counts: dict[str, dict[str, dict]] = {}
    for item in service.inventory.list_items({}):
        if item["status"] in GUIDE_LENT_STATUSES:
            kind = counts.setdefault(item["current_site"], {}).setdefault(
                item["category"], {"lent": 0, "free": 0}
            )
            kind["lent"] += 1
    for category in service.inventory.list_categories():
        if not any(category["code"] in kinds for kinds in counts.values()):
            continue
        free = service.booking.availability({"category_id": category["id"], **window})
        for at_site in free["sites"]:
            kinds = counts.get(at_site["site"], {})
            if category["code"] in kinds:
                kinds[category["code"]]["free"] = at_site["free"]
    return counts


# --- a resident's own pages: home, history, details ------------------------------------------


def _own(who) -> int:
    """The resident signed in (a resident only: staff act for them on their own pages)."""
    require(who.role == RESIDENT and who.resident_id is not None)
    return who.resident_id


def reading_language_of(service, resident_id: int) -> str:
    """The language a resident who has just proven their sign-in code reads the pages
    in: theirs when the pages offer it, else French."""
    from partanum.i18n import reads_in

    return reads_in(service.booking.get_resident(resident_id).get("language"))


def own_details(service, who) -> dict:
    """The signed-in resident as they are stored: all of it, to themself."""
    return Scope(who, service).resident(_own(who))


def own_loans(service, who) -> list[dict]:
    """Every loan of the signed-in resident not yet anonymised, latest first, each with
    its device's make, model and kind (category code)."""
    loans = service.booking.resident_loans(_own(who))
    items: dict = {}
    for held in loans:
        if held["asset_tag"] not in items:
            items[held["asset_tag"]] = service.inventory.get_item(held["asset_tag"])
        item = items[held["asset_tag"]]
        held["device"] = f"{item['make']} {item['model']}"
        held["category"] = item["category"]
    return loans


def own_waiting_entries(service, who) -> list[dict]:
    """The signed-in resident's places in line and devices kept for them."""
    filters = {"resident_id": _own(who), "limit": 200}
    return service.booking.list_waiting_entries(filters)["items"]


def join_own_waiting_list(service, who, category_id: int, site_code: str) -> dict:
    """The signed-in resident waits in line for a kind of device at a site."""
    return service.booking.join_waiting_list(
        {"resident_id": _own(who), "category_id": category_id, "site": site_code}
    )


def leave_own_waiting_list(service, who, entry_id: int) -> dict:
    """The signed-in resident leaves one of their places in line; another's is not found."""
    entry = service.booking.get_waiting_entry(entry_id)
    require(entry["resident_id"] == _own(who))
    return service.booking.leave_waiting_list(entry_id)


def anonymise_after_days(service) -> int:
    """How many days after its return the booking cuts a loan from its resident."""
    return service.booking.privacy_terms()["anonymise_after_days"]


def ask_own_erasure(service, who) -> dict:
    """The signed-in resident asks the desk that registered them to erase their data:
    a notice in that desk's queue (the desk confirms with them, then erases)."""
    resident_id = _own(who)
    partner_id = Scope(who, service).resident(resident_id)["registered_by_partner_id"]
    return service.notifications.note_erasure_request(partner_id, resident_id)


def propose_own_contact(service, who, new_address: dict) -> None:
    """The signed-in resident gives a new phone or email ({"phone": …} or {"email": …}):
    a code is sent to it, as POST /api/residents/<id>/contact does."""
    from services.gateway import auth, resident_codes

    resident_id = _own(who)
    Scope(who, service).resident_to_change(resident_id)
    resident_codes.send_contact_code(
        service, resident_id, new_address, auth.settings_for(service), datetime.now(UTC)
    )


def confirm_own_contact(service, who, code: str) -> dict:
    """The code sent to the new phone or email comes back: the resident with it."""
    from services.gateway import auth, resident_codes

    resident_id = _own(who)
    Scope(who, service).resident_to_change(resident_id)
    return resident_codes.confirm_contact(
        service, resident_id, code, auth.settings_for(service), datetime.now(UTC)
    )


# --- the translations' review: what staff see of it ---------------------------------------


def message_catalogue_review(service, who) -> list[dict]:
    """How far the residents' messages are reviewed in each language (the pages'
    catalogues are the gateway's own); for staff, managers and administrators."""
    require(who.role in (STAFF, MANAGER, ADMIN))
    return service.notifications.catalogue_review()


# --- sharing: what the caller's partner lets others reserve --------------------------------
# Its own staff, as /api/sharing-rules allows.


def own_sharing_rules(service, who) -> list[dict]:
    return service.booking.sharing_rules(_desk(who))


def set_own_sharing_rule(service, who, rule: dict) -> dict:
    """`rule` as PUT /api/sharing-rules takes it; always for the caller's own partner."""
    return service.booking.set_sharing_rule({**rule, "partner_id": _desk(who)})


# --- the administrator's pages: accounts, partners, sites, categories ----------------------
# The city's administrators only, as the API's /api/accounts, /api/partners, /api/sites
# and /api/categories allow; accounts live in the gateway's own database.


def _administrator(who) -> None:
    from services.gateway.authz import ADMIN

    require(who.role == ADMIN)


def admin_accounts(service, who) -> list:
    from services.gateway import accounts

    _administrator(who)
    with service.db.transaction() as tx:
        found = accounts.listing(tx.session, {"limit": 500, "offset": 0})["items"]
        return [accounts.AccountOut().dump(account) for account in found]


def admin_account(service, who, account_id: int) -> dict:
    from services.gateway import accounts

    _administrator(who)
    with service.db.transaction() as tx:
        return accounts.AccountOut().dump(accounts.get(tx.session, account_id))


def admin_create_account(service, who, data: dict) -> dict:
    """`data` as /api/accounts takes it, its password included."""
    from services.gateway import accounts, auth

    _administrator(who)
    password_hash = auth.hash_password(data["password"])  # before the write lock
    with service.db.transaction() as tx:
        account = accounts.create(tx.session, data, datetime.now(UTC), password_hash)
        tx.commit()
        return accounts.AccountOut().dump(account)


def admin_change_account(service, who, account_id: int, changes: dict) -> dict:
    """As PATCH /api/accounts/<id>: nobody disables or demotes themself."""
    from partanum.errors import Conflict
    from services.gateway import accounts, auth
    from services.gateway.authz import ADMIN

    _administrator(who)
    demoted = changes.get("role") not in (None, ADMIN)
    if account_id == who.account_id and (changes.get("disabled") or demoted):
        raise Conflict(
            "administrators cannot disable or demote themselves",
            {"field": "disabled" if changes.get("disabled") else "role"},
        )
    password_hash = auth.hash_password(changes["password"]) if "password" in changes else None
    with service.db.transaction() as tx:
        account = accounts.change(tx.session, account_id, changes, datetime.now(UTC), password_hash)
        tx.commit()
        return accounts.AccountOut().dump(account)


def admin_register_partner(service, who, partner: dict) -> dict:
    _administrator(who)
    return service.inventory.register_partner(partner)


def admin_register_site(service, who, site: dict) -> dict:
    _administrator(who)
    return service.inventory.register_site(site)


def admin_rename_partner(service, who, partner_id: int, name: str) -> dict:
    _administrator(who)
    return service.inventory.rename_partner(partner_id, {"name": name})


def admin_change_site(service, who, site_code: str, changes: dict) -> dict:
    """Its name, its address, or both."""
    _administrator(who)
    return service.inventory.change_site(site_code, changes)


def admin_rename_category(service, who, category_id: int, name: str) -> dict:
    _administrator(who)
    return service.inventory.rename_category(category_id, {"name": name})


def admin_site(service, who, site_code: str) -> dict:
    _administrator(who)
    return service.inventory.get_site(site_code)


def admin_set_opening_hours(service, who, site_code: str, hours: dict) -> dict:
    _administrator(who)
    return service.inventory.set_opening_hours(site_code, {"opening_hours": hours})


def admin_add_closure(service, who, site_code: str, closure: dict) -> dict:
    _administrator(who)
    return service.inventory.add_closure(site_code, closure)


def admin_register_category(service, who, category: dict) -> dict:
    _administrator(who)
    return service.inventory.register_category(category)


def admin_loan_policies(service, who, category_ids: list[int]) -> list[dict]:
    """Each kind of device's loan policy (the booking's defaults where none was set)."""
    _administrator(who)
    return service.booking.category_policies(list(category_ids))


def admin_set_loan_policy(service, who, category_id: int, policy: dict) -> dict:
    _administrator(who)
    return service.booking.set_category_policy(category_id, policy)


def admin_partner_contacts(service, who) -> dict[int, dict]:
    """Each partner desk's own address for its notices, by partner id."""
    _administrator(who)
    return {contact["partner_id"]: contact for contact in service.notifications.partner_contacts()}


def admin_set_partner_contact(service, who, partner_id: int, contact: dict) -> dict:
    _administrator(who)
    return service.notifications.set_partner_contact(partner_id, contact)


def admin_remove_closure(service, who, site_code: str, closure_id: int) -> dict:
    _administrator(who)
    return service.inventory.remove_closure(site_code, closure_id)


# --- managers and the administrator: reports, suggestions, the audit log, open data ---------
# The whole network's figures, as /api/reports/… and /api/audit-log give them: managers and
# the administrator read them (no resident in them); only managers accept a suggestion.


def _reader(who) -> None:
    from services.gateway.authz import ADMIN, MANAGER

    require(who.role in (ADMIN, MANAGER))


def manage_report(service, who, report: str, query: dict):
    """One of the audit's reports (schemas_reports.REPORTS) over its JSON-ready query."""
    _reader(who)
    return getattr(service.audit, report)(query)


def manage_reports_ahead(service, who, asked: dict[str, tuple[str, dict]]) -> dict:
    """Several of the audit's reports asked at once, {name: (report, query)}: the audit
    computes them while the caller does other work; {name: answer}, each answer's
    .result() to wait for it (no later than the request's deadline)."""
    _reader(who)
    return {
        name: getattr(service.audit, report).call_async(query)
        for name, (report, query) in asked.items()
    }


def devices_by_tag(service, who, asset_tags: list[str]) -> list[dict]:
    """These devices as they are now (those the inventory knows): managers and the
    administrator read every partner's."""
    _reader(who)
    return service.inventory.list_items({"asset_tags": asset_tags})


def manage_report_csv(service, who, report: str, query: dict) -> str:
    _reader(who)
    return service.audit.export_csv(report, query)


def manage_accept_suggestion(service, who, suggestion: dict) -> dict:
    from services.gateway.authz import MANAGER

    _reader(who)
    require(who.role == MANAGER, action=True)
    return service.audit.accept_suggestion(suggestion)


def manage_open_data(service, who, query: dict) -> str:
    _reader(who)
    return service.audit.open_data(query)


def manage_audit_log(service, who, query: dict) -> dict:
    _reader(who)
    return service.audit.query_log(query)


def manage_verify_audit_log(service, who) -> dict:
    _reader(who)
    return service.audit.verify_log()


def manage_dismiss_suggestion(service, who, suggestion: dict, period: dict, reason: str) -> None:
    """A manager sets a suggestion aside, saying why: kept in the gateway's own table
    (dismissals.py), if the audit proposes it, unchanged, over `period` (else
    InvalidInput naming "signature", as accepting a changed one)."""
    from partanum.errors import InvalidInput
    from services.gateway import dismissals
    from services.gateway.authz import MANAGER

    _reader(who)
    require(who.role == MANAGER, action=True)
    proposed = service.audit.suggestions(period)
    if not isinstance(suggestion, dict) or suggestion not in proposed:
        raise InvalidInput({"signature": ["not a suggestion the audit proposes"]})
    with service.db.transaction() as tx:
        dismissals.dismiss(tx.session, suggestion, reason, who.actor, datetime.now(UTC))
        tx.commit()


def manage_dismissed(service, who) -> tuple[set[str], list]:
    """The signatures of the dismissed suggestions, and the latest ones with their reasons."""
    from services.gateway import dismissals

    _reader(who)
    with service.db.transaction() as tx:
        found = dismissals.recent(tx.session)
        return dismissals.signatures(tx.session), [
            {
                "suggestion": row.suggestion,
                "reason": row.reason,
                "dismissed_at": row.dismissed_at,
            }
            for row in found
        ]
