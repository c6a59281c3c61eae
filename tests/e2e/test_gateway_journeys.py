"""The main journeys of the issue, over HTTP against the whole running system:
a partner reserves tablets for a workshop; a resident borrows a laptop, renews
it, returns it, it is wiped and lent again; a manager lists overdue loans.

Each journey uses its own residents and devices of the module's network
(tests/e2e/gateway_system.py), so that they do not depend on their order."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from partanum.db import make_engine
from services.booking.models import Loan
from tests.e2e.gateway_system import local_window
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


def ok(response, status=200) -> dict:
    assert response.status_code == status, (
        response.request.method,
        response.request.url,
        response.status_code,
        response.text[:800],
    )
    return response.json() if response.content else {}


def problem(response, status) -> dict:
    assert response.status_code == status, (
        response.request.method,
        response.request.url,
        response.status_code,
        response.text[:800],
    )
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def same_reservation(a: dict, b: dict) -> bool:
    """The same reservation, whichever offset its times are written with."""

    def plain(r):
        return {**r, **{k: datetime.fromisoformat(r[k]) for k in ("starts_at", "ends_at")}}

    return plain(a) == plain(b)


def register(staff, name, card) -> dict:
    return ok(
        staff.post(
            "/api/residents",
            json={
                "display_name": name,
                "email": f"{card.lower()}@residents.test",
                "channel": "email",
                "language": "fr",
                "consent": True,
                "card_number": card,
            },
        ),
        201,
    )


# --- a partner reserves tablets for a workshop -------------------------------------------


def test_a_partner_reserves_tablets_for_a_workshop_and_sees_it_in_its_calendar(system):
    staff = system.sign_in("staff@jean-vilar.test")
    tablets = system.world.categories["tablet"]
    workshop = local_window(days_ahead=7, hour=14, hours=3)

    free = ok(
        staff.get(
            "/api/availability", params={"category_id": tablets, "site": "jean-vilar", **workshop}
        )
    )
    reservation = ok(
        staff.post(
            "/api/reservations",
            json={
                "site": "jean-vilar",
                "category_id": tablets,
                "quantity": 10,
                "note": "Atelier « premiers pas sur tablette »",
                **workshop,
            },
        ),
        201,
    )

    assert free["free"] >= 10
    assert reservation["status"] == "confirmed"
    assert reservation["partner_id"] == system.world.jean_vilar.id
    assert len(reservation["asset_tags"]) == 10
    assert all(tag.startswith("JV-TAB-") for tag in reservation["asset_tags"])
    read_back = ok(staff.get(f"/api/reservations/{reservation['id']}"))
    assert same_reservation(read_back, reservation)
    listed = ok(staff.get("/api/reservations", params={"ends_after": workshop["starts_at"]}))
    assert reservation["id"] in [r["id"] for r in listed["items"]]

    calendar = staff.get(f"/api/partners/{system.world.jean_vilar.id}/reservations.ics")
    assert calendar.status_code == 200
    assert calendar.headers["Content-Type"].startswith("text/calendar")
    starts = datetime.fromisoformat(workshop["starts_at"]).astimezone(UTC)
    assert "BEGIN:VEVENT" in calendar.text
    assert starts.strftime("%Y%m%dT%H%M%S") in calendar.text.replace("Z", "")


def test_a_workshop_larger_than_the_shelf_is_refused_with_the_alternatives(system):
    staff = system.sign_in("staff@jean-vilar.test")
    tablets = system.world.categories["tablet"]
    workshop = local_window(days_ahead=8, hour=9, hours=3)
    ok(
        staff.post(
            "/api/reservations",
            json={"site": "jean-vilar", "category_id": tablets, "quantity": 10, **workshop},
        ),
        201,
    )

    refused = problem(
        staff.post(
            "/api/reservations",
            json={"site": "jean-vilar", "category_id": tablets, "quantity": 5, **workshop},
        ),
        409,
    )

    alternatives = refused["details"]["alternatives"]
    assert alternatives["other_windows"], refused  # when the 5 tablets are free at this site
    for window in alternatives["other_windows"]:
        assert window["starts_at"] != workshop["starts_at"]


def test_the_reserved_tablets_are_picked_up_and_brought_back(system):
    staff = system.sign_in("staff@jean-vilar.test")
    tablets = system.world.categories["tablet"]
    reservation = ok(
        staff.post(
            "/api/reservations",
            json={
                "site": "jean-vilar",
                "category_id": tablets,
                "quantity": 2,
                **local_window(days_ahead=9, hour=10, hours=2),
            },
        ),
        201,
    )

    picked_up = ok(staff.post(f"/api/reservations/{reservation['id']}/pick-up"))
    returned = ok(staff.post(f"/api/reservations/{reservation['id']}/return"))

    assert picked_up["status"] == "picked_up" and picked_up["picked_up_at"]
    assert returned["status"] == "returned" and returned["returned_at"]


# --- a resident borrows a laptop, renews it, returns it; wiped, it is lent again ---------


def test_a_laptop_is_lent_renewed_returned_wiped_and_lent_again(system):
    staff = system.sign_in("staff@jean-vilar.test")
    chloe = register(staff, "Chloé M.", "RS-CHLOE")
    assert ok(staff.get("/api/residents/by-card/RS-CHLOE"))["id"] == chloe["id"]

    loan = ok(
        staff.post(
            "/api/loans",
            json={
                "asset_tag": "JV-LAP-002",
                "resident_id": chloe["id"],
                "site": "jean-vilar",
                "accessories": ["chargeur", "souris"],
            },
        ),
        201,
    )
    assert loan["status"] == "active"
    due = datetime.fromisoformat(loan["due_at"])
    assert timedelta(days=13) < due - datetime.now(UTC) < timedelta(days=16)

    # Chloé signs in with the code sent to her email, and sees her loan.
    resident = system.resident_session(chloe)
    mine = ok(resident.get("/api/loans"))["items"]
    assert [(m["id"], m["asset_tag"]) for m in mine] == [(loan["id"], "JV-LAP-002")]

    renewed = ok(resident.post(f"/api/loans/{loan['id']}/renew"))
    assert renewed["renewals"] == 1
    assert datetime.fromisoformat(renewed["due_at"]) > due
    refused = problem(resident.post(f"/api/loans/{loan['id']}/renew"), 409)  # one renewal
    assert refused["code"] == "RenewalRefused"

    returned = ok(
        staff.post(
            "/api/check-ins",
            json={"asset_tag": "JV-LAP-002", "condition": "good", "accessories": ["chargeur"]},
        )
    )
    assert returned["status"] == "returned"
    assert returned["missing_accessories"] == ["souris"]

    # Not wiped yet: not lent to the next resident.
    amina = system.world.residents["jean-vilar"]
    lend_to_amina = {"asset_tag": "JV-LAP-002", "resident_id": amina["id"], "site": "jean-vilar"}
    assert problem(staff.post("/api/loans", json=lend_to_amina), 409)["code"] == "NotLendable"

    wiped = ok(staff.post("/api/items/JV-LAP-002/wipe", json={}))
    assert wiped["status"] == "available"

    # The booking learns of the wipe from the inventory's event.
    def lent_again():
        response = staff.post("/api/loans", json=lend_to_amina)
        if response.status_code == 409 and response.json()["code"] == "NotLendable":
            return None
        return ok(response, 201)

    again = wait_until(lent_again, timeout=15, what="JV-LAP-002 to be lendable after its wipe")
    assert again["resident_id"] == amina["id"] and again["status"] == "active"
    # Who did it travelled with the calls into the inventory's records.
    me = ok(staff.get("/api/me"))
    history = ok(staff.get("/api/items/JV-LAP-002/history"))
    assert [
        entry
        for entry in history
        if entry["actor"] == me["actor"] and entry["after"] == "available"
    ], history


# --- a manager lists overdue loans ---------------------------------------------------------


def test_a_manager_lists_the_overdue_loans_and_exports_them(system):
    staff = system.sign_in("staff@jean-vilar.test")
    late = register(staff, "Paul R.", "RS-PAUL")
    on_time = register(staff, "Lina D.", "RS-LINA")
    late_loan = ok(
        staff.post(
            "/api/loans",
            json={"asset_tag": "JV-LAP-003", "resident_id": late["id"], "site": "jean-vilar"},
        ),
        201,
    )
    on_time_loan = ok(
        staff.post(
            "/api/loans",
            json={"asset_tag": "JV-LAP-001", "resident_id": on_time["id"], "site": "jean-vilar"},
        ),
        201,
    )
    three_weeks_later(system, late_loan["id"])

    manager = system.sign_in("manager@angers.test")
    overdue = ok(manager.get("/api/loans", params={"overdue": "true"}))
    exported = manager.get("/api/loans", params={"overdue": "true", "format": "csv"})

    ids = [loan["id"] for loan in overdue["items"]]
    assert late_loan["id"] in ids and on_time_loan["id"] not in ids
    assert overdue["total"] == len(overdue["items"])
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["asset_tag"] for row in rows if row["id"] == str(late_loan["id"])] == ["JV-LAP-003"]
    assert str(on_time_loan["id"]) not in [row["id"] for row in rows]
    # Another partner's staff do not see Centre Jean Vilar's late loans.
    mistral = system.sign_in("staff@mistral.test")
    assert late_loan["id"] not in [
        loan["id"] for loan in ok(mistral.get("/api/loans", params={"overdue": "true"}))["items"]
    ]


def three_weeks_later(system, loan_id):
    """Time passes for one loan: its due date moves to a week ago, in the booking's
    own database (the only way to make a loan late without waiting for it)."""
    engine = make_engine(system.databases["booking"])
    try:
        with engine.begin() as connection:
            connection.execute(
                update(Loan)
                .where(Loan.id == loan_id)
                .values(due_at=datetime.now(UTC) - timedelta(days=7))
            )
    finally:
        engine.dispose()


# --- signing in and out ---------------------------------------------------------------------


def test_staff_sign_in_with_their_password_and_are_known_as_their_partners(system):
    staff = system.sign_in("staff@jean-vilar.test")

    me = ok(staff.get("/api/me"))

    assert me["role"] == "staff" and me["partner_id"] == system.world.jean_vilar.id


def test_a_signed_out_token_stops_working(system):
    staff = system.sign_in("staff@jean-vilar.test")

    ok(staff.post("/api/sign-out"), 204)

    problem(staff.get("/api/me"), 401)


# --- a service stops ------------------------------------------------------------------------


def test_while_the_booking_is_down_the_desk_is_told_to_retry_and_then_served_again(system):
    """Runs last in this module: it stops the booking and starts it again."""
    staff = system.sign_in("staff@jean-vilar.test")
    booking = system.processes["booking"]
    booking.stop()
    try:
        down = staff.get("/api/loans")  # waits the gateway's RPC deadline, then gives up

        assert problem(down, 503)["status"] == 503
        assert int(down.headers["Retry-After"]) > 0
        assert "Traceback" not in down.text
    finally:
        booking.start()

    assert wait_until(
        lambda: staff.get("/api/loans").status_code == 200,
        timeout=60,
        what="the booking to serve again",
    )
