"""What a caller does through the gateway, each capability once: authorise it with
the caller's Scope (api/scope.py decides), then call the service. The JSON API's
routes and the pages both call these and never a service's RPC themselves, so a
page cannot skip a check the API makes.

    loan = operations.take_back(self, who, "JV-LAP-003", "good")   # a route or a page

`service` is the gateway's service instance (its RPC proxies); a refusal raises
authz.Denied, answered 404 (or 403 for what the caller sees but may not do).
"""

from services.booking.exceptions import LoanNotActive
from services.gateway.api.scope import Scope
from services.gateway.authz import require

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
    scope = Scope(who, service)
    active = service.booking.list_loans({"asset_tag": asset_tag, "status": "active", "limit": 1})[
        "items"
    ]
    if not active:
        require(scope.sees_item(service.inventory.get_item(asset_tag)))
        raise LoanNotActive(f"{asset_tag} is not on loan", {"asset_tag": asset_tag})
    loan = active[0]
    require(scope.may_take_back(loan))
    returned = loan["accessories_out"] if accessories is None else accessories
    return service.booking.check_in(
        {"asset_tag": asset_tag, "condition": condition, "accessories": returned}
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
