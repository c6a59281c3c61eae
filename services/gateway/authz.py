"""Who is asking, and what they may see and do.

Every route gets a `Principal` (`who`). Routes check their objects with

    authz.require(who.may_see_reservation(reservation))        # 404 when not
    authz.require(who.is_staff_of(partner_id), action=True)     # 403 when not

A refused object answers 404, exactly as if it did not exist, so that nobody
learns what another partner holds; a refused action on something the caller may
see answers 403.
"""

from dataclasses import dataclass

ADMIN, MANAGER, STAFF, RESIDENT = "admin", "manager", "staff", "resident"
STAFF_ROLES = (ADMIN, MANAGER, STAFF)
ROLES = (ADMIN, MANAGER, STAFF, RESIDENT)


class Denied(Exception):
    """`action=False`: the object is not theirs to see (404). `action=True`: they
    may see it but not do this (403)."""

    def __init__(self, action: bool = False):
        super().__init__("action refused" if action else "not found")
        self.action = action


def require(allowed: bool, action: bool = False) -> None:
    if not allowed:
        raise Denied(action)


@dataclass(frozen=True)
class Principal:
    """The caller. `role` is None for someone who has not signed in."""

    role: str | None = None
    account_id: int | None = None
    partner_id: int | None = None
    resident_id: int | None = None
    # Staff acting for a resident at the desk: that resident's id, and the mandate
    # of theirs that allows it.
    acting_for: int | None = None
    mandate_id: int | None = None
    token_id: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.role is not None

    @property
    def actor(self) -> str:
        """Who did it, as the events record it: "staff:12", "resident:7",
        "staff:12 for resident:7 under mandate:3"."""
        if self.role is None:
            return "anonymous"
        if self.role == RESIDENT:
            return f"resident:{self.resident_id}"
        actor = f"{self.role}:{self.account_id}"
        if self.acting_for is not None:
            actor += f" for resident:{self.acting_for}"
        if self.mandate_id is not None:
            actor += f" under mandate:{self.mandate_id}"
        return actor

    # --- what kind of caller -------------------------------------------------------

    @property
    def reads_everything(self) -> bool:
        """Managers (and the city's administrators) read every partner's records."""
        return self.role in (ADMIN, MANAGER)

    def is_staff_of(self, partner_id) -> bool:
        return self.role == STAFF and partner_id is not None and self.partner_id == partner_id

    def is_resident(self, resident_id) -> bool:
        """The resident themself, or staff acting for them at the desk."""
        if resident_id is None:
            return False
        if self.role == RESIDENT:
            return self.resident_id == resident_id
        return self.role == STAFF and self.acting_for == resident_id

    # --- objects ------------------------------------------------------------------

    def may_see_partner_record(self, partner_id) -> bool:
        """A partner's items, reservations, sharing rules, desk notices."""
        return self.reads_everything or self.is_staff_of(partner_id)

    def may_see_reservation(self, reservation: dict) -> bool:
        return self.may_see_partner_record(reservation.get("partner_id"))

    def may_see_contact_details(self, resident_partner_ids, resident_id) -> bool:
        """Names, phones, emails: the resident, and staff of a partner the resident
        is registered with or borrows from. Managers read records, not contacts.
        (The booking masks them further for staff: see Scope.resident.)"""
        if self.is_resident(resident_id):
            return True
        return self.role == STAFF and self.partner_id in set(resident_partner_ids or ())
