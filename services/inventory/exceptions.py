"""The inventory's refusals, as the errors every service shares."""

from nameko.exceptions import deserialize_to_instance

from partanum.errors import Conflict


@deserialize_to_instance
class StatusChangeRefused(Conflict):
    """The lifecycle does not allow this move (from `details["from"]` to `details["to"]`)."""
