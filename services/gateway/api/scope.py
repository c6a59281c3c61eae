"""What a caller may see and do among the services' objects: the per-object rules
of the JSON API, beside the Principal's own (authz.py).

Partner staff see their partner's records: the items it owns or that stand at one
of its sites, the reservations it made or that are picked up at its sites, the
loans lent at its desks, and the residents it has a relationship with (it
registered them, lends or lent to them, found them at its desk, holds their
mandate: the booking applies it, see services/booking/relationships.py). Managers
and administrators read everything but residents' names and contact details;
residents see their own loans, places in line and data.

Seeing is not changing. A device is changed (status, description, notes,
transfers, sharing, kits, labels) only by its owner's staff; the staff of the
site where it stands take it back from a loan there and record its wipe, since
they hold it. Each `sees_…`/`may_…` answers a question; each `require_…` turns
it into the answer a caller gets (404 for what they may not see, 403 for what
they see but may not do). Routes and pages reach the services through
operations.py, which asks these.

Each check asks only what it needs, of the service that owns it: a device comes
from the inventory with the ids of its owner and of the partner running the site
where it stands, so the device rules need nothing more; the checks of a desk (a
site, a loan, a reservation, a place in line) ask the inventory once per request
for the caller's partner and the sites it runs (`Scope.partner`), never for the
whole network. Lists of devices and kits pass the caller's scope (`item_filter`) to
the inventory instead. Nothing is kept between requests: gateway processes share
one queue per consumer, so an event would refresh one process's copy only.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from partanum.errors import NotFound
from services.gateway.authz import RESIDENT, STAFF, require

# The partner of a member of staff whose partner the inventory does not know (an
# account made before its partner was registered): it runs no site.
NO_PARTNER = {"id": None, "code": None, "name": None, "sites": []}


class Scope:
    """One caller's view: `Scope(who, service)` in a handler."""

    def __init__(self, who, service):
        self.who = who
        self.service = service
        self._partner: dict | None = None

    @property
    def staff(self) -> bool:
        return self.who.role == STAFF

    @property
    def partner(self) -> dict:
        """The caller's partner and the sites it runs, as the inventory's get_partner
        answers, asked on first use and kept for the rest of the request; NO_PARTNER
        for anyone but staff."""
        if self._partner is None:
            # Kept on the service instance, which nameko makes for one request alone:
            # every Scope of the request (a page makes several) asks the inventory once.
            kept = vars(self.service).setdefault("_partners_of_this_request", {})
            caller = (self.who.role, self.who.partner_id)
            if caller not in kept:
                kept[caller] = self._partner_of_caller()
            self._partner = kept[caller]
        return self._partner

    def _partner_of_caller(self) -> dict:
        if self.staff:
            try:
                return self.service.inventory.get_partner(self.who.partner_id)
            except NotFound:
                pass
        return NO_PARTNER

    @property
    def partner_code(self) -> str | None:
        return self.partner["code"]

    @property
    def own_sites(self) -> list[dict]:
        """The sites run by the caller's partner: its desks."""
        return self.partner["sites"]

    def own_site(self, code) -> bool:
        """A site run by the caller's partner (its desk)."""
        return any(site["code"] == code for site in self.own_sites)

    def own_site_id(self, site_id) -> bool:
        return any(site["id"] == site_id for site in self.own_sites)

    # --- seeing, and doing to what is seen ------------------------------------------------

    def item_filter(self) -> dict:
        """The devices the caller sees, as a filter of the inventory's lists, which
        applies the same rule as `sees_item` in SQL: staff, their partner's devices
        and those standing at its sites; managers and administrators, all."""
        if self.who.reads_everything:
            return {}
        require(self.staff)
        return {"partner_id": self.who.partner_id}

    def sees_item(self, item: dict) -> bool:
        """Staff see the devices their partner owns or holds at one of its sites."""
        if self.who.reads_everything:
            return True
        return self.may_change_item(item) or self.may_wipe(item)

    def may_change_item(self, item: dict) -> bool:
        """Its status, description, notes, site, owner, sharing, kits and labels:
        the owner's staff, wherever the device stands."""
        return self.who.is_staff_of(item["owner_id"])

    def may_wipe(self, item: dict) -> bool:
        """The staff of the site where it stands: they hold it."""
        return self.who.is_staff_of(item["current_site_partner_id"])

    def may_take_back(self, loan: dict) -> bool:
        """The desk the loan is to come back to, whoever owns the device."""
        return self.own_site_id(loan["return_site_id"] or loan["site_id"])

    def sees_reservation(self, reservation: dict) -> bool:
        return self.who.may_see_reservation(reservation) or self.own_site_id(reservation["site_id"])

    def sees_loan(self, loan: dict) -> bool:
        return (
            self.who.reads_everything
            or self.who.is_staff_of(loan["partner_id"])
            or self.who.is_resident(loan["resident_id"])
        )

    def resident(self, resident_id: int) -> dict:
        """The resident as this caller may see them, or 404:
        - the resident themself, and staff acting for them under their mandate: all;
        - staff: through their partner's relationship with them, the contact details
          masked unless it registered them or lends them a device now ("view");
        - managers and administrators: the record, without name or contact details."""
        if self.who.is_resident(resident_id):
            return self.service.booking.get_resident(resident_id)
        if self.staff:  # an id alone opens nothing: NotFound without a relationship
            return self.service.booking.get_resident(resident_id, self.who.partner_id)
        require(self.who.reads_everything)
        return without_personal_data(self.service.booking.get_resident(resident_id))

    def resident_to_change(self, resident_id: int) -> dict:
        """The resident whose contact details the caller changes, or 404: the resident
        themself, staff acting for them under a mandate covering "contact", or staff
        who see them whole (their registering partner, the one lending them a device)."""
        shown = self.resident(resident_id)
        require(self.who.is_resident(resident_id) or shown.get("view") == "full")
        return shown

    def found_at_desk(self, presented: dict) -> dict:
        """The resident presenting their whole card or phone number at the caller's
        desk; their partner may serve them from now on."""
        return self.service.booking.find_resident_at_desk(
            {**presented, "partner_id": self.who.partner_id}
        )

    def sees_waiting_entry(self, entry: dict) -> bool:
        return (
            self.who.reads_everything
            or self.own_site_id(entry["site_id"])
            or self.who.is_resident(entry["resident_id"])
        )

    # --- requiring ------------------------------------------------------------------------

    def require_own_partner(self, partner_id) -> None:
        """Staff act for their own partner only (403: they know the partner exists)."""
        require(self.who.is_staff_of(partner_id), action=True)

    def require_own_site(self, code) -> None:
        """Front-desk work happens at one of the caller's own sites."""
        require(self.own_site(code), action=True)

    def require_change_item(self, item: dict) -> None:
        """Seen (or 404), then changed only by its owner's staff (or 403)."""
        require(self.sees_item(item))
        require(self.may_change_item(item), action=True)

    def require_wipe(self, item: dict) -> None:
        """Seen (or 404), then its wipe recorded only where it stands (or 403)."""
        require(self.sees_item(item))
        require(self.may_wipe(item), action=True)

    def for_resident(self, resident_id: int | None) -> int:
        """The resident a request is about: a resident's own id, or the one named."""
        if self.who.role == RESIDENT:
            require(resident_id in (None, self.who.resident_id), action=True)
            return self.who.resident_id
        return resident_id


# What managers and administrators never read of a resident: the rules count names
# among contact details.
PERSONAL_FIELDS = ("display_name", "phone", "email", "card_number")


def without_personal_data(resident: dict) -> dict:
    return {key: value for key, value in resident.items() if key not in PERSONAL_FIELDS}


def wire(schema, data: dict) -> dict:
    """Loaded request data back into JSON for an RPC (times and dates as ISO 8601):
    the service loads it again with its own schema."""
    return _plain(schema.dump(data))


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value
