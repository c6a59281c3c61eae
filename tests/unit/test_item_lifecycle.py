"""The rules of an item's life, as staff and the booking service see them."""
from datetime import date, datetime

import pytest

from services.inventory.domain import (
    Status,
    TransitionRefused,
    check_staff_transition,
    check_transition,
    hours_problems,
    is_open,
)

JEAN_VILAR = {
    "monday": [["13:30", "18:30"]],
    "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "thursday": [["13:30", "18:30"]],
    "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
}


def test_a_returned_device_waits_for_its_wipe_before_it_can_be_lent_again():
    check_transition(Status.ON_LOAN, Status.AWAITING_WIPE)
    with pytest.raises(TransitionRefused):
        check_transition(Status.ON_LOAN, Status.AVAILABLE)
    with pytest.raises(TransitionRefused, match="record the data wipe"):
        check_staff_transition(Status.AWAITING_WIPE, Status.AVAILABLE)


def test_staff_cannot_put_an_item_on_loan_by_hand():
    with pytest.raises(TransitionRefused, match="booking service"):
        check_staff_transition(Status.AVAILABLE, Status.ON_LOAN)


def test_a_found_device_is_wiped_before_reuse():
    check_staff_transition(Status.LOST, Status.AWAITING_WIPE)
    with pytest.raises(TransitionRefused):
        check_staff_transition(Status.LOST, Status.AVAILABLE)


@pytest.mark.parametrize("target", list(Status))
def test_retired_is_final(target):
    with pytest.raises(TransitionRefused):
        check_transition(Status.RETIRED, target)


def test_a_move_to_the_same_state_is_refused_with_a_reason():
    with pytest.raises(TransitionRefused, match="already"):
        check_staff_transition(Status.IN_MAINTENANCE, Status.IN_MAINTENANCE)


def test_jean_vilar_is_closed_on_monday_morning_and_open_in_the_afternoon():
    monday = date(2026, 11, 23)
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 23, 10, 0))
    assert is_open(JEAN_VILAR, [], datetime(2026, 11, 23, 13, 30))
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 23, 18, 30))  # closing time is closed
    assert not is_open(JEAN_VILAR, [(monday, monday)], datetime(2026, 11, 23, 14, 0))


def test_jean_vilar_closes_for_lunch_on_tuesdays():
    assert is_open(JEAN_VILAR, [], datetime(2026, 11, 24, 11, 59))
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 24, 12, 30))
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 29, 15, 0))  # Sunday


def test_opening_spans_must_run_forwards_and_not_overlap():
    assert hours_problems(JEAN_VILAR) == {}
    assert hours_problems({"monday": [["18:00", "09:00"]]}) == {"monday": ["18:00 is not before 09:00"]}
    assert hours_problems({"friday": [["13:00", "17:00"], ["09:00", "14:00"]]}) == {
        "friday": ["spans overlap at 13:00"]
    }
