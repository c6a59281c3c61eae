"""What a caller does through the gateway, each capability once: authorise it with
the caller's Scope (api/scope.py decides), then call the service. The JSON API's
routes and the pages both call these and never a service's RPC themselves, so a
page cannot skip a check the API makes.

    loan = operations.take_back(self, who, "JV-LAP-003", "good")   # a route or a page

`service` is the gateway's service instance (its RPC proxies); a refusal raises
authz.Denied, answered 404 (or 403 for what the caller sees but may not do).
"""

from dataclasses import replace

from services.booking.exceptions import LoanNotActive
from services.gateway.api.scope import Scope
from services.gateway.authz import RESIDENT, STAFF, Principal, require

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
