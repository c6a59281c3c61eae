"""The inventory's rules: an item's lifecycle. No I/O."""

from services.inventory.vocabulary import Status

S = Status
# Allowed moves. Staff record the ones on the left of the table; the booking
# service drives `reserved` and `on_loan` through its events. A device that
# comes back from a resident (or is found again) waits for a data wipe before
# anyone else can have it, to protect the previous borrower's data.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.AVAILABLE: frozenset({S.RESERVED, S.ON_LOAN, S.IN_MAINTENANCE, S.RETIRED, S.LOST}),
    S.RESERVED: frozenset({S.AVAILABLE, S.ON_LOAN, S.IN_MAINTENANCE, S.LOST}),
    S.ON_LOAN: frozenset({S.AWAITING_WIPE, S.LOST}),
    S.AWAITING_WIPE: frozenset({S.AVAILABLE, S.IN_MAINTENANCE, S.RETIRED, S.LOST}),
    S.IN_MAINTENANCE: frozenset({S.AVAILABLE, S.AWAITING_WIPE, S.RETIRED, S.LOST}),
    S.LOST: frozenset({S.AWAITING_WIPE, S.RETIRED}),
    S.RETIRED: frozenset(),
}
BOOKING_STATUSES = frozenset({S.RESERVED, S.ON_LOAN})
# Leaving awaiting_wipe for available is the wipe itself: only `record_wipe` does it.
WIPE = (S.AWAITING_WIPE, S.AVAILABLE)


class TransitionRefused(Exception):
    def __init__(self, current: Status, target: Status, why: str):
        super().__init__(current, target, why)
        self.current, self.target, self.why = current, target, why

    def __str__(self):
        return f"cannot go from {self.current} to {self.target}: {self.why}"


def check_staff_transition(current: Status, target: Status) -> None:
    """A status change asked for by staff (not by a booking event, not a wipe)."""
    if target in BOOKING_STATUSES:
        raise TransitionRefused(
            current, target, "reservations and loans are made in the booking service"
        )
    if (current, target) == WIPE:
        raise TransitionRefused(current, target, "record the data wipe instead")
    check_transition(current, target)


def check_transition(current: Status, target: Status) -> None:
    if current == target:
        raise TransitionRefused(current, target, "the item is already in that state")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (retired is final)"
        raise TransitionRefused(current, target, f"allowed from {current}: {allowed}")
