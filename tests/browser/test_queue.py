"""The desk's queue in a real browser: what a front desk has to do today on one page
(late loans, residents to call, …), a call marked done, and a desk with nothing to
do told so; the walls between partners for each of its routes."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import update

from partanum.db import make_engine
from services.booking.models import Loan
from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR, STAFF_MISTRAL, Fresh
from tests.browser.helpers import assert_accessible, sign_in, word
from tests.e2e import gateway_system
from tests.waiting import wait_until

QUEUE_SECTIONS = 6
CSRF = "c" * 43


def lend_and_make_late(system, tag: str, resident_id: int, days_late: int = 3) -> dict:
    """A loan at Centre Jean Vilar's desk, then time passes for it: its due date moves
    back in the booking's own database (a loan cannot be made with a past due date)."""
    with system.rpc() as rpc:
        loan = rpc.booking.check_out(
            {
                "asset_tag": tag,
                "resident_id": resident_id,
                "site": "jean-vilar",
                "accessories": ["chargeur"],
            }
        )
    engine = make_engine(system.databases["booking"])
    try:
        with engine.begin() as connection:
            connection.execute(
                update(Loan)
                .where(Loan.id == loan["id"])
                .values(due_at=datetime.now(UTC) - timedelta(days=days_late))
            )
    finally:
        engine.dispose()
    return loan


@pytest.fixture(scope="module")
def late_loan_to_call(system):
    """A late loan of this module's own, to a resident who chose to get no messages:
    the desk gets a task to call them (to tell them of the loan)."""
    fresh = Fresh(system)
    tag = fresh.device("laptop")
    resident = fresh.resident(channel="none")
    loan = lend_and_make_late(system, tag, resident["id"])
    partner_id = system.world.jean_vilar.id

    def call_task():
        with system.rpc() as rpc:
            notices = rpc.notifications.staff_notices(partner_id, True)
        return next(
            (
                notice
                for notice in notices
                if notice["kind"] == "call_to_tell" and notice["resident_id"] == resident["id"]
            ),
            None,
        )

    notice = wait_until(call_task, timeout=30, what="the desk's task to call the resident")
    return {"tag": tag, "resident": resident, "loan": loan, "notice": notice}


@pytest.fixture(scope="module")
def a_hold_and_a_place_in_line(system):
    """A kind of device of this module's own with one device at Centre Jean Vilar, and
    two residents in line for it: the first is offered the device (a hold), the
    second waits."""
    fresh = Fresh(system)
    code = f"queue-{word()}"
    tag = f"JV-Q-{uuid.uuid4().hex[:6].upper()}"
    with system.rpc() as rpc:
        category_id = rpc.inventory.register_category({"code": code, "name": f"Liseuse {code}"})[
            "id"
        ]
        rpc.inventory.register_item(gateway_system.device(tag, code, "jean-vilar"))
        window = gateway_system.local_window(days_ahead=300, hour=10, hours=1)
        wait_until(
            lambda: (
                tag
                in rpc.booking.availability({"category_id": category_id, **window})["asset_tags"]
            ),
            timeout=30,
            what=f"the booking to know {tag}",
        )
        held, waiting = fresh.resident(), fresh.resident()
        for resident in (held, waiting):
            rpc.booking.join_waiting_list(
                {"resident_id": resident["id"], "category_id": category_id, "site": "jean-vilar"}
            )
    return {"category": f"Liseuse {code}", "held": held, "waiting": waiting}


def test_the_queue_shows_a_hold_to_pick_up_and_who_waits_in_line(
    staff_page, a_hold_and_a_place_in_line
):
    page = staff_page
    page.goto("/queue")
    held = page.locator("section", has=page.get_by_role("heading", name="Appareils gardés"))
    line = page.locator("section", has=page.get_by_role("heading", name="Listes d'attente"))
    kept = held.locator("li", has_text=a_hold_and_a_place_in_line["held"]["display_name"])
    assert a_hold_and_a_place_in_line["category"] in kept.inner_text()
    assert "Gardé jusqu'au" in kept.inner_text()
    waits = line.locator("li", has_text=a_hold_and_a_place_in_line["waiting"]["display_name"])
    assert "Place dans la file : 1." in waits.inner_text()
    assert_accessible(page, "queue, a hold and a waiting list")


def test_the_queue_shows_a_late_loan_and_a_call_is_marked_done(staff_page, late_loan_to_call):
    page = staff_page
    name = late_loan_to_call["resident"]["display_name"]
    page.goto("/queue")
    late = page.locator("section", has=page.get_by_role("heading", name="Prêts en retard"))
    assert late.get_by_text(late_loan_to_call["tag"]).count() == 1
    assert name in late.inner_text() and "Jours de retard : 3." in late.inner_text()
    calls = page.locator("section", has=page.get_by_role("heading", name="Habitants à appeler"))
    call = calls.locator("li", has_text=name)
    assert "Dites-lui : la confirmation du prêt." in call.inner_text()
    assert_accessible(page, "queue, with work to do")

    with page.expect_navigation():
        call.get_by_role("button", name="C'est fait").click()

    assert "C'est noté : cette tâche est faite." in page.get_by_role("status").inner_text()
    assert calls.locator("li", has_text=name).count() == 0
    assert_accessible(page, "queue, a task done")


@pytest.fixture(scope="module")
def quiet_desk(system):
    """A partner of this module's own, with a desk and a member of staff, and nothing
    to do yet."""
    code = f"calme-{word()}"
    with system.rpc() as rpc:
        partner = rpc.inventory.register_partner({"code": code, "name": "Maison calme"})
        rpc.inventory.register_site(
            {
                "code": code,
                "name": "Maison calme",
                "partner": code,
                "address": "49100 Angers",
                "opening_hours": gateway_system.ALWAYS_OPEN,
            }
        )
    email = f"staff@{code}.test"
    system.add_account(email, "staff", partner["id"])
    return email


def test_a_desk_with_nothing_to_do_is_told_so_in_each_section(open_page, quiet_desk):
    page = open_page()
    sign_in(page, quiet_desk)
    page.goto("/queue")
    assert page.get_by_text("Rien à faire.").count() == QUEUE_SECTIONS
    assert_accessible(page, "queue, nothing to do")


def test_the_queue_fits_a_phone_in_arabic_right_to_left(open_page, quiet_desk):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, quiet_desk)
    page.goto("/queue?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".queue-empty").count() == QUEUE_SECTIONS
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "queue, arabic, phone")


def test_the_queue_in_arabic_on_a_phone_with_work_fits_too(open_page, late_loan_to_call):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    page.goto("/queue?lang=ar")
    assert late_loan_to_call["tag"] in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "queue, arabic, phone, with work")


# --- walls, with plain requests ------------------------------------------------------------


def session_of(system, email=None, resident=None) -> requests.Session:
    """A browser-like session: signed in (staff, or a resident), or nobody; with its
    CSRF cookie."""
    if email:
        session = system.sign_in(email)
    elif resident:
        session = system.resident_session(resident)
    else:
        session = system.client()
    session.cookies.set("csrf", CSRF)
    session.headers["Accept"] = "text/html"
    return session


@pytest.fixture(scope="module")
def callers(system):
    fresh = Fresh(system)
    return {
        "nobody": session_of(system),
        "resident": session_of(system, resident=fresh.resident()),
        "mistral": session_of(system, STAFF_MISTRAL),
        "jean-vilar": session_of(system, STAFF_JEAN_VILAR),
    }


def routes(notice_id):
    return {
        "GET /queue": ("GET", "/queue"),
        "POST done": ("POST", f"/queue/notices/{notice_id}/done"),
    }


@pytest.mark.parametrize("route", ["GET /queue", "POST done"])
@pytest.mark.parametrize("who, home", [("nobody", "/sign-in"), ("resident", "/my-loans")])
def test_the_queue_sends_who_it_does_not_serve_away(
    system, callers, late_loan_to_call, route, who, home
):
    method, path = routes(late_loan_to_call["notice"]["id"])[route]
    response = callers[who].request(method, path, data={"csrf_token": CSRF}, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(home)
    assert late_loan_to_call["tag"] not in response.text


def test_another_partners_task_is_not_found(callers, late_loan_to_call):
    notice_id = late_loan_to_call["notice"]["id"]
    other = callers["mistral"].post(
        f"/queue/notices/{notice_id}/done", data={"csrf_token": CSRF}, allow_redirects=False
    )
    missing = callers["mistral"].post(
        "/queue/notices/2000000000/done", data={"csrf_token": CSRF}, allow_redirects=False
    )
    assert other.status_code == missing.status_code == 404
    # The same page, but for the address it was asked at (its language links).
    assert other.text.replace(f"/{notice_id}/", "/…/") == missing.text.replace(
        "/2000000000/", "/…/"
    )
    # And another partner's queue shows nothing of it.
    queue = callers["mistral"].get("/queue")
    assert queue.status_code == 200
    assert late_loan_to_call["tag"] not in queue.text
    assert late_loan_to_call["resident"]["display_name"] not in queue.text


def test_marking_a_task_done_without_the_forms_token_is_refused(callers, late_loan_to_call):
    notice_id = late_loan_to_call["notice"]["id"]
    response = callers["jean-vilar"].post(
        f"/queue/notices/{notice_id}/done", data={"csrf_token": "x" * 43}, allow_redirects=False
    )
    assert response.status_code == 403
