"""The booking's entrypoints, one module per kind of user work; service.py
assembles them into the one nameko service."""

from datetime import UTC

from services.booking.allocations import Overlap

# Concurrent requests for the same items: the loser of a race retries with a
# fresh view, and is refused only if nothing is left.
RACE_RETRIES = 5


def retry_races(attempt):
    """Run `attempt()` (one whole transaction) again while it loses a race."""
    for _ in range(RACE_RETRIES - 1):
        try:
            return attempt()
        except Overlap:
            continue
    return attempt()


def now():
    """The time an entrypoint acts at; plain functions take it as an argument so
    that tests (and jobs) can run them at any moment."""
    from datetime import datetime

    return datetime.now(UTC)


def integer_id(field: str, value) -> int:
    """An RPC's bare id argument, or InvalidInput naming it."""
    from partanum.errors import InvalidInput
    from partanum.inputs import unstorable

    if not isinstance(value, int) or isinstance(value, bool) or unstorable(value):
        raise InvalidInput({field: ["an integer id"]})
    return value
