"""The booking's refusals."""

from nameko.exceptions import deserialize_to_instance

from partanum.errors import Conflict


@deserialize_to_instance
class NotAvailable(Conflict):
    """Someone else holds what was asked for in that window; `details` says what is free."""


@deserialize_to_instance
class NotShared(NotAvailable):
    """The items asked for belong to partners who do not share them with the
    requester, or more of them than their owner lets one reservation take."""


@deserialize_to_instance
class WrongStatus(Conflict):
    """The reservation is not in a state that allows this (e.g. returning what
    was never picked up)."""


# --- waiting lists and privacy ------------------------------------------------------


@deserialize_to_instance
class AlreadyWaiting(Conflict):
    """The resident is already in line (or holds a device) for that category at that site."""


@deserialize_to_instance
class NotWaiting(Conflict):
    """The waiting entry already ended: fulfilled, expired or cancelled."""


@deserialize_to_instance
class StillHoldsDevice(Conflict):
    """A resident who still has a device on loan cannot be erased yet."""


# --- residents and loans ---------------------------------------------------------


@deserialize_to_instance
class CardNumberTaken(Conflict):
    """Another resident already has this card number."""


@deserialize_to_instance
class NotLendable(Conflict):
    """The item is not on the shelf (`details["status"]` says where it is: awaiting_wipe, …)."""


@deserialize_to_instance
class TooManyLoans(Conflict):
    """The resident already holds the most devices allowed at once; staff may override."""


@deserialize_to_instance
class OverdueLoanBlocks(Conflict):
    """The resident has a loan past due; it must be settled first, or staff override."""


@deserialize_to_instance
class RenewalRefused(Conflict):
    """Too many renewals, someone waiting, or the item is promised to someone next."""


@deserialize_to_instance
class LoanNotActive(Conflict):
    """The loan was already returned or declared lost."""


@deserialize_to_instance
class NoReturnDay(Conflict):
    """The return site has no opening day ahead: no due date can be promised."""


@deserialize_to_instance
class NotAtSite(Conflict):
    """The device stands at another site than the desk lending it (`details["current_site"]`)."""
