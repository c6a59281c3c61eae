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
    scope = Scope(who, service)
    scope.require_own_site(site)
    found = []
    for status in ("confirmed", "picked_up"):
        page = service.booking.list_reservations(
            {
                "partner_id": who.partner_id,
                "site": site,
                "status": status,
                "ends_after": between[0],
                "starts_before": between[1],
                "limit": 50,
            }
        )
        found += [held for held in page["items"] if asset_tag in (held.get("asset_tags") or [])]
    return found


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
