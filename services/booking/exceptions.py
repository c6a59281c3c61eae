"""The booking's refusals."""
from nameko.exceptions import deserialize_to_instance

from partanum.errors import Conflict


@deserialize_to_instance
class NotAvailable(Conflict):
    """Someone else holds what was asked for in that window; `details` says what is free."""
