"""The inventory follows a device into a resident's hands and back, from the
booking's loan events: on loan, awaiting its data wipe, lost; each event once."""

import pytest
from nameko.testing.services import worker_factory

from services.inventory.exceptions import StatusChangeRefused
from services.inventory.service import Service
from tests.unit.helpers import CHECKED_OUT, loan_event


@pytest.fixture
def inventory(sqlite_unit_of_work):
    db, _ = sqlite_unit_of_work("inventory")
    service = worker_factory(Service, db=db)
    service.register_partner({"code": "jean-vilar", "name": "Centre Jean Vilar"})
    service.register_site(
        {
            "code": "jean-vilar",
            "name": "Centre Jean Vilar",
            "partner": "jean-vilar",
            "address": "1 place Jean XXIII, 49100 Angers",
        }
    )
    service.register_category({"code": "laptop", "name": "Ordinateur portable"})
    service.register_item(
        {
            "asset_tag": "JV-LAP-001",
            "make": "Lenovo",
            "model": "E14",
            "category": "laptop",
            "owner": "jean-vilar",
            "home_site": "jean-vilar",
        }
    )
    return service


def test_a_lent_device_is_on_loan_and_a_redelivered_event_changes_nothing_more(inventory):
    lent = loan_event("booking.loan_checked_out", **CHECKED_OUT)

    inventory.on_booking_event(lent)
    inventory.on_booking_event(lent)

    assert inventory.get_item("JV-LAP-001")["status"] == "on_loan"
    assert [h["after"] for h in inventory.item_history("JV-LAP-001")] == ["on_loan"]


def test_a_returned_device_awaits_its_wipe_in_the_condition_the_desk_saw(inventory):
    inventory.on_booking_event(loan_event("booking.loan_checked_out", **CHECKED_OUT))

    inventory.on_booking_event(
        loan_event("booking.loan_checked_in", condition="damaged", missing_accessory_count=0)
    )

    item = inventory.get_item("JV-LAP-001")
    assert (item["status"], item["condition"]) == ("awaiting_wipe", "damaged")


def test_a_device_lost_by_a_resident_is_lost(inventory):
    inventory.on_booking_event(loan_event("booking.loan_checked_out", **CHECKED_OUT))

    inventory.on_booking_event(loan_event("booking.loan_lost"))

    assert inventory.get_item("JV-LAP-001")["status"] == "lost"


def test_a_loan_the_lifecycle_refuses_is_not_forced_through(inventory):
    inventory.change_status("JV-LAP-001", {"status": "retired", "reason": "hors d'usage"})

    with pytest.raises(StatusChangeRefused):
        inventory.on_booking_event(loan_event("booking.loan_checked_out", **CHECKED_OUT))

    assert inventory.get_item("JV-LAP-001")["status"] == "retired"
