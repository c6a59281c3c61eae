"""The booking's entrypoints, one module per kind of user work; service.py
assembles them into the one nameko service."""
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
