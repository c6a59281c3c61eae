"""The rules of an item's life, as staff and the booking service see them."""

import pytest

from services.inventory.domain import (
    Status,
    TransitionRefused,
    check_staff_transition,
    check_transition,
)


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
