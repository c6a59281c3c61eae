"""The desk lends what stands at its site: a walk-in check-out of a device that is at
another site is refused, naming where it is; a device taken back stands at the desk
that took it back; a closure added on a loan's due day moves it to the next open day,
and the resident is told. The booking's and the inventory's entrypoints with
worker_factory, the notifications' rules, each over a real SQLite database."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum.events import make_event, read_event
from partanum.tables import outbox
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


# --- a closure added after the loan ---------------------------------------------------------


def closure_at_jean_vilar(first: str, last: str):
    return read_event(
        make_event(
            "inventory.site_hours_changed",
            {
                "site_id": 1,
                "code": "jean-vilar",
                "name": "Centre Jean Vilar",
                "address": "Angers",
                "opening_hours": OPEN_EVERY_DAY,
                "closures": [[first, last]],
            },
            producer="inventory",
            actor="staff:3",
        )
    )


def local_day(moment: str) -> date:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo("Europe/Paris")).date()


def moved_events(engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(outbox.c.body)).scalars().all()
    events = [read_event(json.loads(body)) for body in rows]
    return [event.data for event in events if event.type == "booking.loan_due_moved"]


@pytest.fixture
def booking_and_engine(sqlite_unit_of_work, booking):
    # The same database file the `booking` fixture migrated and filled.
    _, engine = sqlite_unit_of_work("booking")
    return booking, engine


def test_a_closure_on_the_due_day_moves_the_loan_to_the_next_open_day_and_says_so(
    booking_and_engine,
):
    booking, engine = booking_and_engine
    loan = booking.check_out(check_out("JV-LAP-002"))
    due = local_day(loan["due_at"])

    booking.on_inventory_event(
        closure_at_jean_vilar(
            (due - timedelta(days=1)).isoformat(), (due + timedelta(1)).isoformat()
        )
    )

    moved = booking.get_loan(loan["id"])
    assert local_day(moved["due_at"]) == due + timedelta(days=2)  # the day after the closure
    (told,) = moved_events(engine)
    assert (told["loan_id"], told["resident_id"], told["site_id"]) == (loan["id"], 5, 1)
    assert told["previous_due_at"] == datetime.fromisoformat(loan["due_at"])


def test_a_closure_on_other_days_leaves_the_loan_as_it_was(booking_and_engine):
    booking, engine = booking_and_engine
    loan = booking.check_out(check_out("JV-LAP-002"))
    due = local_day(loan["due_at"])

    booking.on_inventory_event(
        closure_at_jean_vilar((due + timedelta(1)).isoformat(), (due + timedelta(3)).isoformat())
    )

    assert booking.get_loan(loan["id"])["due_at"] == loan["due_at"]
    assert moved_events(engine) == []


def test_the_resident_is_told_the_new_due_date_and_the_reminders_follow_it(sqlite_unit_of_work):
    from services.notifications import intents
    from services.notifications.models import Message
    from services.notifications.settings import Settings as NotificationSettings

    db, _ = sqlite_unit_of_work("notifications", actor="test")
    settings = NotificationSettings(zone=ZoneInfo("Europe/Paris"))
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    due, moved_to = now + timedelta(days=14), now + timedelta(days=16)
    loan = {"loan_id": 7, "item_id": 3, "resident_id": 42}
    for event_type, data in (
        ("booking.loan_checked_out", {"site_id": 1, "due_at": due, "overridden": False}),
        ("booking.loan_due_moved", {"site_id": 1, "due_at": moved_to, "previous_due_at": due}),
    ):
        event = read_event(
            make_event(event_type, {**loan, **data}, producer="booking", actor="staff:1")
        )
        with db.transaction() as tx:
            intents.record(tx, event, now, settings)
            tx.commit()

    with db.transaction() as tx:
        told = tx.session.scalars(
            select(Message).where(Message.purpose == "loan_confirmed").order_by(Message.id)
        ).all()
        reminders = tx.session.scalars(
            select(Message).where(Message.purpose == "due_soon", Message.status == "pending")
        ).all()
        assert [m.context.get("due_moved") for m in told] == [None, True]
        assert max(m.send_after for m in reminders).date() == (moved_to - timedelta(days=1)).date()


# --- the loan slip ----------------------------------------------------------------------------


def characters_in(pdf: bytes) -> set[str]:
    """The characters a PDF's fonts map back to text (their ToUnicode maps)."""
    import re
    import zlib

    found = set()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream
        found |= {
            chr(int(code, 16)) for code in re.findall(rb"<[0-9A-F]{4}> <([0-9A-F]{4})>", data)
        }
    return found


SLIP_LOAN = {
    "asset_tag": "JV-LAP-001",
    "accessories_out": ["chargeur"],
    "due_at": "2026-12-18T17:30:00+00:00",
}
SLIP_SITE = {
    "name": "Centre Jean Vilar",
    "address": "1 place Jean XXIII, 49100 Angers",
    "opening_hours": {"monday": [["13:30", "18:30"]]},
}


def test_the_slip_is_one_page_in_french_beside_the_residents_language():
    from services.gateway.pages import slips

    pdf = slips.loan_slip(SLIP_LOAN, "Lenovo ThinkPad E14", SLIP_SITE, "tr")

    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") == 1
    assert {"ê", "À"} | set("Ödünç fişi") <= characters_in(pdf)


def test_an_arabic_slip_prints_its_column_in_joined_arabic_letters():
    from services.gateway.pages import slips

    pdf = slips.loan_slip(SLIP_LOAN, "Lenovo ThinkPad E14", SLIP_SITE, "ar")

    printed = characters_in(pdf)
    # Shaped: the letters' joined forms (Arabic presentation forms or the font's own
    # glyphs mapped back to the letters), and the French column beside them.
    assert {c for c in printed if "\u0600" <= c <= "\u06ff" or "\ufe70" <= c <= "\ufeff"}
    assert set("Fiche de prêt") <= printed


def test_the_slip_names_the_usual_accessories_in_the_residents_language():
    from services.gateway.pages import slips

    pdf = slips.loan_slip(
        {**SLIP_LOAN, "accessories_out": ["chargeur", "souris", "sacoche rouge"]},
        "Lenovo ThinkPad E14",
        SLIP_SITE,
        "ru",
    )

    printed = characters_in(pdf)
    # French beside Russian; an accessory nobody listed keeps the words staff typed.
    assert set("зарядное устройство") <= printed and set("мышь") <= printed
    assert set("chargeur") <= printed and set("sacoche rouge") <= printed
