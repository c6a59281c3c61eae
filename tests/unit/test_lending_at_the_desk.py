"""The desk lends what stands at its site: a walk-in check-out of a device that is at
another site is refused, naming where it is; and a device taken back stands at the
desk that took it back. The booking's check_out and the inventory's handling of the
booking's events, with worker_factory and a real SQLite database."""

from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from services.booking.exceptions import NotAtSite
from services.booking.models import Item, Resident, Site
from services.booking.service import Service
from services.booking.settings import Settings
from tests.unit.helpers import CHECKED_OUT, loan_event

OPEN_EVERY_DAY = {
    day: [["08:00", "20:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


@pytest.fixture
def booking(sqlite_unit_of_work):
    db, engine = sqlite_unit_of_work("booking")
    with Session(engine) as session:
        session.add_all(
            [
                Site(id=1, code="jean-vilar", partner_id=1, opening_hours=OPEN_EVERY_DAY),
                Site(id=2, code="mistral", partner_id=2, opening_hours=OPEN_EVERY_DAY),
                Item(
                    id=10,
                    asset_tag="JV-LAP-001",
                    category_id=1,
                    owner_partner_id=1,
                    site_id=2,  # lent to Mistral's site, standing there now
                    status="available",
                ),
                Item(
                    id=11,
                    asset_tag="JV-LAP-002",
                    category_id=1,
                    owner_partner_id=1,
                    site_id=1,
                    status="available",
                ),
                Resident(
                    id=5,
                    display_name="Amina",
                    language="fr",
                    channel="none",
                    consent_at=datetime.now(UTC),
                    card_number="RS-0005",
                    registered_by_partner_id=1,
                    created_at=datetime.now(UTC),
                ),
            ]
        )
        session.commit()
    return worker_factory(Service, db=db, settings=Settings())


def check_out(tag):
    return {"asset_tag": tag, "resident_id": 5, "site": "jean-vilar", "accessories": ["chargeur"]}


def test_a_device_standing_at_another_site_is_not_lent_and_the_refusal_says_where_it_is(booking):
    with pytest.raises(NotAtSite) as refused:
        booking.check_out(check_out("JV-LAP-001"))

    assert refused.value.details == {"asset_tag": "JV-LAP-001", "current_site": "mistral"}


def test_a_device_standing_at_the_desk_is_lent(booking):
    loan = booking.check_out(check_out("JV-LAP-002"))

    assert (loan["asset_tag"], loan["status"], loan["accessories_out"]) == (
        "JV-LAP-002",
        "active",
        ["chargeur"],
    )


# --- where a device stands once taken back --------------------------------------------------


@pytest.fixture
def inventory(sqlite_unit_of_work):
    from services.inventory.service import Service as Inventory

    db, _ = sqlite_unit_of_work("inventory")
    service = worker_factory(Inventory, db=db)
    for code, name in (("jean-vilar", "Centre Jean Vilar"), ("mistral", "Espace Mistral")):
        service.register_partner({"code": code, "name": name})
        service.register_site({"code": code, "name": name, "partner": code, "address": "Angers"})
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


def test_a_device_taken_back_at_another_desk_stands_there_now_with_the_same_owner(inventory):
    mistral = inventory.get_site("mistral")["id"]
    inventory.on_booking_event(loan_event("booking.loan_checked_out", **CHECKED_OUT))
    back = loan_event(
        "booking.loan_checked_in", condition="good", missing_accessory_count=0, site_id=mistral
    )

    inventory.on_booking_event(back)
    inventory.on_booking_event(back)  # delivered twice: moved once

    item = inventory.get_item("JV-LAP-001")
    assert (item["current_site"], item["owner"], item["status"]) == (
        "mistral",
        "jean-vilar",
        "awaiting_wipe",
    )
    moves = [h for h in inventory.item_history("JV-LAP-001") if h["change"] == "transfer"]
    assert [(h["before"], h["after"]) for h in moves] == [
        ("jean-vilar@jean-vilar", "jean-vilar@mistral")
    ]


def test_a_device_taken_back_where_it_stood_does_not_move(inventory):
    jean_vilar = inventory.get_site("jean-vilar")["id"]
    inventory.on_booking_event(loan_event("booking.loan_checked_out", **CHECKED_OUT))

    inventory.on_booking_event(
        loan_event(
            "booking.loan_checked_in",
            condition="good",
            missing_accessory_count=0,
            site_id=jean_vilar,
        )
    )

    assert inventory.get_item("JV-LAP-001")["current_site"] == "jean-vilar"
    assert [h["change"] for h in inventory.item_history("JV-LAP-001")] == ["status", "status"]
