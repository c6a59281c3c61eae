"""Calendar subscriptions in a real browser: a member of staff makes a secret address,
sees it once, a calendar application fetches it with no header at all, and it stops
answering once revoked; the walls of each route, with plain requests."""

import uuid

import pytest
import requests

from tests.browser.conftest import STAFF_JEAN_VILAR, STAFF_MISTRAL, Fresh
from tests.browser.helpers import assert_accessible, sign_in, word

CSRF = "c" * 43
ICS = "text/calendar"


def lend(system, tag: str, resident_id: int) -> dict:
    with system.rpc() as rpc:
        return rpc.booking.check_out(
            {
                "asset_tag": tag,
                "resident_id": resident_id,
                "site": "jean-vilar",
                "accessories": ["chargeur"],
            }
        )


def make_address(page, name: str) -> list[str]:
    """Fill the form on /feeds; the addresses shown once."""
    page.goto("/feeds")
    page.get_by_label("Nom de l'adresse").fill(name)
    with page.expect_navigation():
        page.get_by_role("button", name="Créer l'adresse").click()
    return page.locator(".feed-address").all_inner_texts()


def test_a_secret_address_is_shown_once_answers_a_calendar_and_stops_when_revoked(
    system, staff_page, fresh
):
    page = staff_page
    tag, resident = fresh.device("laptop"), fresh.resident()
    lend(system, tag, resident["id"])
    page.goto("/feeds")
    assert_accessible(page, "feeds")
    name = f"Téléphone {word()}"

    addresses = make_address(page, name)

    made = page.get_by_role("status")
    assert name in made.inner_text() and "ne seront plus affichées" in made.inner_text()
    assert_accessible(page, "feeds, address made")
    reservations, desk = addresses  # the partner's reservations, its one desk
    assert reservations.endswith(f"/partners/{system.world.jean_vilar.id}/reservations.ics")
    assert desk.endswith("/sites/jean-vilar/desk.ics")
    # Shown once: the page no longer shows it.
    page.reload()
    assert page.locator(".feed-address").count() == 0
    listed = page.locator("li", has_text=name)
    assert "Jamais utilisée." in listed.inner_text()

    # A calendar application: no header, no cookie.
    for address in (reservations, desk):
        answer = requests.get(address, timeout=30)
        assert answer.status_code == 200, (address, answer.text[:300])
        assert answer.headers["Content-Type"].startswith(ICS)
        assert "BEGIN:VCALENDAR" in answer.text
    desk_day = requests.get(desk, timeout=30).text
    assert tag in desk_day and resident["display_name"] not in desk_day
    page.reload()
    assert "Utilisée le" in page.locator("li", has_text=name).inner_text()

    with page.expect_navigation():
        page.locator("li", has_text=name).get_by_role("button", name="Supprimer").click()

    assert "L'adresse est supprimée" in page.get_by_role("status").inner_text()
    assert page.locator("li", has_text=name).count() == 0
    assert_accessible(page, "feeds, address revoked")
    for address in (reservations, desk):
        assert requests.get(address, timeout=30).status_code == 404


def test_a_name_left_empty_is_refused_with_the_field_named(staff_page):
    page = staff_page
    page.goto("/feeds")
    page.get_by_role("button", name="Créer l'adresse").click()
    assert "Nom de l'adresse" in page.get_by_role("alert").inner_text()
    assert_accessible(page, "feeds, name missing")


def test_another_member_of_staff_does_not_see_my_addresses(system, open_page):
    email = f"staff-{uuid.uuid4().hex[:6]}@jean-vilar.test"
    system.add_account(email, "staff", system.world.jean_vilar.id)
    mine = open_page()
    sign_in(mine, STAFF_JEAN_VILAR)
    name = f"Ordinateur {word()}"
    make_address(mine, name)

    colleague = open_page()
    sign_in(colleague, email)
    colleague.goto("/feeds")

    assert name not in colleague.locator("main").inner_text()
    assert "Vous n'avez pas encore d'adresse." in colleague.locator("main").inner_text()


def test_an_address_stops_when_its_account_is_disabled(system, open_page):
    email = f"staff-{uuid.uuid4().hex[:6]}@jean-vilar.test"
    account_id = system.add_account(email, "staff", system.world.jean_vilar.id)
    page = open_page()
    sign_in(page, email)
    desk = make_address(page, "Bureau")[1]
    assert requests.get(desk, timeout=30).status_code == 200

    admin = system.sign_in("admin@angers.test")
    disabled = admin.patch(f"/api/accounts/{account_id}", json={"disabled": True})
    assert disabled.status_code == 200, disabled.text

    assert requests.get(desk, timeout=30).status_code == 404


# --- walls, with plain requests ------------------------------------------------------------


@pytest.fixture(scope="module")
def callers(system):
    def session_of(email=None, resident=None):
        if email:
            session = system.sign_in(email)
        elif resident:
            session = system.resident_session(resident)
        else:
            session = system.client()
        session.cookies.set("csrf", CSRF)
        session.headers["Accept"] = "text/html"
        return session

    return {
        "nobody": session_of(),
        "resident": session_of(resident=Fresh(system).resident()),
        "mistral": session_of(STAFF_MISTRAL),
        "jean-vilar": session_of(STAFF_JEAN_VILAR),
    }


@pytest.fixture(scope="module")
def jean_vilar_address(system, callers):
    """An address made by Centre Jean Vilar's staff, through the form: its id and secret."""
    session = callers["jean-vilar"]
    name = f"Bureau {word()}"
    made = session.post(
        "/feeds", data={"csrf_token": CSRF, "feed_name": name}, allow_redirects=False
    )
    assert made.status_code == 303
    feed_id, _, secret = made.cookies["feed_made"].partition(":")
    return {"id": int(feed_id), "secret": secret, "name": name}


PAGES = {
    "GET /feeds": ("GET", "/feeds"),
    "POST /feeds": ("POST", "/feeds"),
    "POST revoke": ("POST", "/feeds/{id}/revoke"),
}


@pytest.mark.parametrize("route", PAGES)
@pytest.mark.parametrize("who, home", [("nobody", "/sign-in"), ("resident", "/my-loans")])
def test_the_feeds_pages_send_who_they_do_not_serve_away(
    callers, jean_vilar_address, route, who, home
):
    method, path = PAGES[route]
    response = callers[who].request(
        method,
        path.format(id=jean_vilar_address["id"]),
        data={"csrf_token": CSRF, "feed_name": "X"},
        allow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(home)


@pytest.mark.parametrize("route", ["POST /feeds", "POST revoke"])
def test_the_feeds_forms_without_their_token_are_refused(callers, jean_vilar_address, route):
    method, path = PAGES[route]
    response = callers["jean-vilar"].request(
        method,
        path.format(id=jean_vilar_address["id"]),
        data={"csrf_token": "x" * 43, "feed_name": "X"},
        allow_redirects=False,
    )
    assert response.status_code == 403


def test_another_partners_address_is_not_found_nor_revoked(callers, jean_vilar_address):
    mistral = callers["mistral"]
    other = mistral.post(
        f"/feeds/{jean_vilar_address['id']}/revoke",
        data={"csrf_token": CSRF},
        allow_redirects=False,
    )
    missing = mistral.post(
        "/feeds/2000000000/revoke", data={"csrf_token": CSRF}, allow_redirects=False
    )
    assert other.status_code == missing.status_code == 404
    # The same page, but for the address it was asked at (its language links).
    assert other.text.replace(f"/{jean_vilar_address['id']}/", "/…/") == missing.text.replace(
        "/2000000000/", "/…/"
    )
    assert jean_vilar_address["name"] not in mistral.get("/feeds").text


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/{secret}/partners/{other}/reservations.ics",
        "/feeds/{secret}/sites/mistral/desk.ics",
        "/feeds/{secret}/sites/nowhere/desk.ics",
        "/feeds/not-a-secret/partners/{own}/reservations.ics",
        "/feeds/not-a-secret/sites/jean-vilar/desk.ics",
    ],
)
def test_an_address_reads_nothing_its_maker_may_not(system, jean_vilar_address, path):
    address = system.url.rstrip("/") + path.format(
        secret=jean_vilar_address["secret"],
        other=system.world.mistral.id,
        own=system.world.jean_vilar.id,
    )
    answer = requests.get(address, timeout=30)
    assert answer.status_code == 404
    assert not answer.headers["Content-Type"].startswith(ICS)
