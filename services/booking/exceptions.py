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
