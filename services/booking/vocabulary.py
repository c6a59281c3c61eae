"""The words the booking shares with every caller: how a resident is told, the
condition a device comes back in, what a mandate covers, and the statuses of
reservations, loans and places in line. Part of its contract (like events.py,
schemas.py and exceptions.py): it imports nothing of the service. The languages
residents read are partanum.i18n's, the same for every service and page."""

from enum import StrEnum

CHANNELS = ("sms", "email", "none")
CONDITIONS = ("new", "good", "fair", "damaged")
# What a resident's mandate lets a partner's staff do for them: borrow, renew and
# wait in line (loans), export or erase their data (data), change their contact
# details (contact).
MANDATE_SCOPES = ("loans", "data", "contact")


class ReservationStatus(StrEnum):
    """confirmed → picked_up → returned, or cancelled, or released (nobody came)."""

    CONFIRMED = "confirmed"
    PICKED_UP = "picked_up"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    RELEASED = "released"


class LoanStatus(StrEnum):
    """active → returned, or lost."""

    ACTIVE = "active"
    RETURNED = "returned"
    LOST = "lost"


class WaitingStatus(StrEnum):
    """waiting → held (a device kept for them) → fulfilled, or expired, or cancelled."""

    WAITING = "waiting"
    HELD = "held"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
