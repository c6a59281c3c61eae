"""The public guide in a real browser: anyone reads where to borrow a device or get
help (in French, in Arabic on a phone), with each site's closures ahead; staff keep
the help their partner offers, which the guide shows at once; the one-page poster;
/help in two languages; and the walls of each route, with plain requests."""

import re
from datetime import date, timedelta

import pytest
import requests

from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR, STAFF_MISTRAL, Fresh
from tests.browser.helpers import assert_accessible, word
from tests.e2e import gateway_system

CSRF = "c" * 43
# Every page, its style sheet included, stays under this (a phone on a weak network).
PAGE_BUDGET = 100_000


def weight(system, path: str, **options) -> int:
    """The bytes of the page at `path` and of its style sheet."""
    client = requests.Session()
    html = client.get(system.url.rstrip("/") + path, timeout=30, **options)
    css = client.get(system.url.rstrip("/") + "/pages/pages.css", timeout=30)
    assert html.status_code == 200
    return len(html.content) + len(css.content)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- the guide, for anyone -----------------------------------------------------------------


def test_anyone_reads_the_guide_in_french_with_the_ways_in_beside_it(system, page):
    page.goto("/")

    assert page.url.rstrip("/") == system.url.rstrip("/")  # no sign-in asked for
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Emprunter un appareil, trouver de l'aide"
    )
    jean_vilar = page.locator("section", has=page.locator("#place-jean-vilar"))
    text = jean_vilar.inner_text()
    assert "49100 Angers" in text and "lundi" in text and "08:00–20:00" in text
    assert "Tablette" in text and "libres aujourd'hui" in text
    assert page.get_by_role("link", name="Habitants : voir mes prêts").get_attribute("href") == (
        "/resident/sign-in"
    )
    assert page.get_by_role("link", name="Personnel des accueils : se connecter").get_attribute(
        "href"
    ) == ("/sign-in")
    # The language choice is on the first screen, as plain links.
    arabic = page.get_by_role("navigation", name="Choisir la langue").get_by_role(
        "link", name="العربية"
    )
    assert arabic.get_attribute("href") == "/?lang=ar" and arabic.is_visible()
    assert_accessible(page, "guide, French")
    assert weight(system, "/") < PAGE_BUDGET
    page.set_viewport_size({"width": 640, "height": 400})  # a 1280 px screen at 200 % zoom
    assert no_sideways_scroll(page)


def test_a_resident_reads_the_guide_in_arabic_on_a_phone(open_page):
    page = open_page(language="ar", viewport=PHONE)
    page.goto("/")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.get_by_role("heading", level=1).inner_text() == "استعارة جهاز، والحصول على مساعدة"
    assert "الاثنين" in page.locator("#main").inner_text() or "الإثنين" in page.inner_text("#main")
    assert no_sideways_scroll(page)
    assert_accessible(page, "guide, Arabic, phone")


def test_a_sites_closure_ahead_is_shown(system, page):
    code = f"guide-{word()}"
    closed_on = date.today() + timedelta(days=20)
    with system.rpc() as rpc:
        rpc.inventory.register_partner({"code": code, "name": f"Maison {code}"})
        rpc.inventory.register_site(
            {
                "code": code,
                "name": f"Maison {code}",
                "partner": code,
                "address": "2 rue des Roses, 49100 Angers",
                "opening_hours": gateway_system.ALWAYS_OPEN,
            }
        )
        rpc.inventory.add_closure(
            code,
            {
                "starts_on": closed_on.isoformat(),
                "ends_on": closed_on.isoformat(),
                "reason": "Inventaire",
            },
        )

    page.goto("/")

    place = page.locator("section", has=page.locator(f"#place-{code}"))
    closure = place.locator(".notice").inner_text()
    assert closure.startswith("Fermé le ") and "Inventaire" in closure
    assert "Pas de prêt ici." in place.inner_text()
    assert_accessible(page, "guide, a closure ahead")


# --- the help on offer, kept by staff ------------------------------------------------------


def offers_form(page, what: str, monday: str, tuesday: str = "") -> None:
    page.get_by_label("Lieu").select_option("jean-vilar")
    page.get_by_label("Aide proposée", exact=True).fill(what)
    page.get_by_label("Lundi").fill(monday)
    page.get_by_label("Mardi").fill(tuesday)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()


def test_staff_add_a_help_offer_the_guide_shows_it_then_they_change_and_remove_it(
    system, staff_page, open_page
):
    page, reader = staff_page, open_page()
    what = f"Aide aux démarches {word()}"
    page.goto("/help-offers")
    assert_accessible(page, "help offers")

    offers_form(page, what, "9h00 - 25:00")  # an hour that does not exist

    assert "Il y a un problème" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Aide proposée", exact=True).input_value() == what
    assert_accessible(page, "help offers, refused")
    offers_form(page, what, "13:30-18:30", "9:00-12:00, 13:30-18:30")

    assert "le guide montre cette aide" in page.get_by_role("status").inner_text()
    assert_accessible(page, "help offers, saved")
    reader.goto("/")
    place = reader.locator("section", has=reader.locator("#place-jean-vilar"))
    assert what in place.inner_text()
    assert "09:00–12:00 et 13:30–18:30" in place.inner_text()

    page.locator("li", has_text=what).get_by_role("link", name="Modifier").click()
    assert page.get_by_label("Mardi").input_value() == "09:00-12:00 13:30-18:30"
    assert_accessible(page, "help offers, editing")
    offers_form(page, f"{what} et e-mail", "14:00-17:00")
    reader.reload()
    assert f"{what} et e-mail" in reader.locator("#main").inner_text()

    with page.expect_navigation():
        page.locator("li", has_text=what).get_by_role("button", name="Retirer").click()

    assert "L'aide est retirée du guide." in page.get_by_role("status").inner_text()
    reader.reload()
    assert what not in reader.locator("#main").inner_text()


def test_the_poster_downloads_as_one_page(system, page):
    page.goto("/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Affiche (PDF) – Русский").click()
    body = open(download.value.path(), "rb").read()

    assert body.startswith(b"%PDF")
    # One page tree, of one page (the tree is written uncompressed).
    assert body.count(b"/Type /Pages") == 1 and re.findall(rb"/Count (\d+)", body) == [b"1"]
    # In Arabic too, its letters joined by the text shaping engine.
    arabic = requests.get(f"{system.url}/guide/poster.pdf?lang=ar", timeout=30)
    assert arabic.status_code == 200 and arabic.content.startswith(b"%PDF")
    assert re.findall(rb"/Count (\d+)", arabic.content) == [b"1"]


@pytest.mark.parametrize(
    "language, heading, answer",
    [
        ("fr", "Vos données", "Vous pouvez demander à tout effacer."),
        ("tr", "Bilgileriniz", "Hepsinin silinmesini isteyebilirsiniz."),
    ],
)
def test_help_answers_in_the_readers_language(system, open_page, language, heading, answer):
    page = open_page(language=language, viewport=PHONE)
    page.goto("/help")

    assert page.get_by_role("heading", name=heading).is_visible()
    assert answer in page.locator("#main").inner_text()
    assert no_sideways_scroll(page)
    assert_accessible(page, f"help, {language}")
    assert weight(system, f"/help?lang={language}") < PAGE_BUDGET


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


def offer_form(what="Aide", site="jean-vilar", token=CSRF) -> dict:
    return {"csrf_token": token, "help_site": site, "help_what": what, "help_monday": "9:00-12:00"}


@pytest.fixture(scope="module")
def jean_vilar_offer(callers) -> int:
    """An offer of Centre Jean Vilar's, made through the form: its id."""
    what = f"Café numérique {word()}"
    made = callers["jean-vilar"].post("/help-offers", data=offer_form(what), allow_redirects=False)
    assert made.status_code == 303
    listed = callers["jean-vilar"].get("/help-offers").text
    return int(re.search(rf'{what}.*?href="/help-offers/(\d+)"', listed, re.S).group(1))


ROUTES = {
    "GET list": ("GET", "/help-offers"),
    "POST add": ("POST", "/help-offers"),
    "GET edit": ("GET", "/help-offers/{id}"),
    "POST edit": ("POST", "/help-offers/{id}"),
    "POST remove": ("POST", "/help-offers/{id}/remove"),
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who, home", [("nobody", "/sign-in"), ("resident", "/my-loans")])
def test_the_help_offer_pages_send_who_they_do_not_serve_away(
    callers, jean_vilar_offer, route, who, home
):
    method, path = ROUTES[route]
    response = callers[who].request(
        method, path.format(id=jean_vilar_offer), data=offer_form(), allow_redirects=False
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(home)


@pytest.mark.parametrize("route", ["POST add", "POST edit", "POST remove"])
def test_the_help_offer_forms_without_their_token_are_refused(callers, jean_vilar_offer, route):
    method, path = ROUTES[route]
    response = callers["jean-vilar"].request(
        method,
        path.format(id=jean_vilar_offer),
        data=offer_form(token="x" * 43),
        allow_redirects=False,
    )
    assert response.status_code == 403


@pytest.mark.parametrize("route", ["GET edit", "POST edit", "POST remove"])
def test_another_partners_offer_is_not_found_nor_changed(callers, jean_vilar_offer, route):
    method, path = ROUTES[route]
    mistral = callers["mistral"]
    other = mistral.request(
        method,
        path.format(id=jean_vilar_offer),
        data=offer_form("Changé par Mistral", site="mistral"),
        allow_redirects=False,
    )
    assert other.status_code == 404
    assert "Changé par Mistral" not in callers["nobody"].get("/").text
    assert (
        f'href="/help-offers/{jean_vilar_offer}"' in callers["jean-vilar"].get("/help-offers").text
    )


def test_staff_offer_help_only_at_their_own_sites(callers):
    refused = callers["jean-vilar"].post(
        "/help-offers", data=offer_form("Aide ailleurs", site="mistral"), allow_redirects=False
    )
    assert refused.status_code == 303 and "errors=" in refused.headers["Location"]
    assert "Aide ailleurs" not in callers["nobody"].get("/").text


@pytest.mark.parametrize("path", ["/", "/help", "/guide/poster.pdf?lang=fr"])
def test_the_public_pages_are_open_to_anyone(callers, path):
    for who in ("nobody", "resident", "mistral"):
        assert callers[who].get(path, allow_redirects=False).status_code == 200


def test_the_staff_page_stays_light(callers, jean_vilar_offer):
    page = callers["jean-vilar"].get("/help-offers")
    assert len(page.content) + len(callers["jean-vilar"].get("/pages/pages.css").content) < (
        PAGE_BUDGET
    )
