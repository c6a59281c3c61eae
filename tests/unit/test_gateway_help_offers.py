"""The help partners offer in the public guide (on a real SQLite session), the hours
staff type for it, the guide's counts of devices free today (with small fakes of the
services: counts only leave the operation), and the demo's help offer."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from services.gateway import demo, help_offers, operations
from services.gateway.models import HelpOffer

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # a Monday afternoon
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize(
    "typed, read",
    [
        ("13:30-18:30", [["13:30", "18:30"]]),
        ("9:00-12:00, 13:30–18:30", [["09:00", "12:00"], ["13:30", "18:30"]]),
        ("13h30 - 18h30 et 9h00-12h00", [["09:00", "12:00"], ["13:30", "18:30"]]),
        ("", []),
    ],
)
def test_the_hours_staff_type_are_read_as_weekly_slots(typed, read):
    assert help_offers.read_slots(typed) == read


@pytest.mark.parametrize(
    "typed", ["le matin", "18:30-13:30", "9:00-12:00 11:00-14:00", "25:00-26:00", "9:00-12:00 x"]
)
def test_hours_that_cannot_be_read_or_do_not_hold_are_refused(typed):
    assert help_offers.read_slots(typed) is None


def test_a_partner_sees_changes_and_removes_its_own_offers_only(session):
    mine = help_offers.save(session, 3, "jean-vilar", "Aide", {"monday": [["9:00", "12:00"]]}, NOW)
    theirs = help_offers.save(session, 4, "mistral", "Café", {"friday": [["14:00", "16:00"]]}, NOW)
    session.commit()

    assert [offer.id for offer in help_offers.of_partner(session, 3)] == [mine.id]
    assert help_offers.one_of_partner(session, 3, theirs.id) is None
    assert help_offers.remove(session, 3, theirs.id) is False
    assert help_offers.remove(session, 3, mine.id) is True
    session.commit()
    assert [offer.what for offer in help_offers.all_offers(session)] == ["Café"]


class FakeInventory:
    def list_items(self, filters):
        def item(tag, category, site, status="available"):
            return {"asset_tag": tag, "category": category, "current_site": site, "status": status}

        return [
            item("JV-TAB-001", "tablet", "jean-vilar"),
            item("JV-TAB-002", "tablet", "jean-vilar", "on_loan"),
            item("JV-TAB-003", "tablet", "jean-vilar", "retired"),
            item("MI-LAP-001", "laptop", "mistral"),
        ]

    def list_categories(self):
        return [
            {"id": 1, "code": "tablet", "name": "Tablette"},
            {"id": 2, "code": "laptop", "name": "Ordinateur portable"},
            {"id": 3, "code": "webcam", "name": "Webcam"},
        ]


class FakeBooking:
    def __init__(self):
        self.asked = []

    def availability(self, payload):
        self.asked.append(payload)
        free = {1: [("jean-vilar", ["JV-TAB-001"])], 2: [("mistral", ["MI-LAP-001"])]}
        sites = [
            {"site": site, "free": len(tags), "reservable": len(tags), "asset_tags": tags}
            for site, tags in free[payload["category_id"]]
        ]
        return {"free": 1, "asset_tags": ["…"], "sites": sites}


class FakeGateway:
    def __init__(self):
        self.inventory, self.booking = FakeInventory(), FakeBooking()


def test_the_guide_counts_devices_lent_and_free_until_the_end_of_the_day_and_nothing_more():
    gateway = FakeGateway()

    counts = operations.devices_free_today(gateway, NOW, PARIS)

    assert counts == {
        "jean-vilar": {"tablet": {"lent": 2, "free": 1}},
        "mistral": {"laptop": {"lent": 1, "free": 1}},
    }
    # A kind nobody lends is not asked about; the window ends at midnight, local time.
    assert [asked["category_id"] for asked in gateway.booking.asked] == [1, 2]
    assert gateway.booking.asked[0]["ends_at"] == "2026-12-08T00:00:00+01:00"
    assert "partner_id" not in gateway.booking.asked[0]


def test_the_demo_offers_the_digital_help_of_centre_jean_vilar_once(session):
    partners = [{"id": 7, "code": "jean-vilar"}, {"id": 8, "code": "mistral"}]

    demo.ensure_help_offers(session, partners)
    demo.ensure_help_offers(session, partners)

    offers = session.scalars(select(HelpOffer)).all()
    assert [(offer.partner_id, offer.site_code) for offer in offers] == [(7, "jean-vilar")]
    assert offers[0].hours["monday"] == [["13:30", "18:30"]]
    assert offers[0].hours["tuesday"] == [["09:00", "12:00"], ["13:30", "18:30"]]
    assert "saturday" not in offers[0].hours
