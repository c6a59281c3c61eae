"""What every page shares, in a real browser: error pages in the reader's language,
the language links that keep what is on screen, a refused form that a reload does
not send again, the header on a phone, and the desk's own examples and site."""

import re

import pytest
import requests

from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR, STAFF_MISTRAL
from tests.browser.helpers import assert_accessible, sign_in


def posts_of(page) -> list[str]:
    """The paths of the forms this page's browser sends from now on."""
    sent: list[str] = []
    page.on("request", lambda asked: sent.append(asked.url) if asked.method == "POST" else None)
    return sent


def refuse_a_loan(page, tag: str) -> None:
    page.goto("/desk")
    page.get_by_label("Numéro d'inventaire").first.fill(tag)
    page.get_by_label("Carte de l'habitant").fill("RS-NOBODY")
    with page.expect_navigation():
        page.get_by_role("button", name="Prêter").click()


# --- error pages -------------------------------------------------------------------------------


def test_a_mistyped_address_answers_a_page_in_french_and_in_arabic(open_page):
    page = open_page()
    answer = page.goto("/dsek")
    assert answer is not None and answer.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    assert "Vérifiez l'adresse" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Aller à l'accueil").get_attribute("href") == "/"
    assert_accessible(page, "unknown address, french")

    arabic = open_page(language="ar", viewport=PHONE)
    answer = arabic.goto("/dsek")
    assert answer is not None and answer.status == 404
    assert arabic.locator("html").get_attribute("dir") == "rtl"
    assert arabic.get_by_role("heading", level=1).inner_text() == "الصفحة غير موجودة"
    assert arabic.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(arabic, "unknown address, arabic, phone")


def test_opening_a_forms_address_gives_a_page_that_leads_back_to_the_form(staff_page):
    page = staff_page
    answer = page.goto("/desk/check-out?lang=ar")
    assert answer is not None and answer.status == 405
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == "هذا العنوان ليس صفحة"
    assert_accessible(page, "form address opened, arabic")

    with page.expect_navigation():
        page.locator("main a").click()
    assert page.url.endswith("/desk")


@pytest.mark.parametrize(
    ("method", "path", "accept", "status", "kind"),
    [
        ("GET", "/api/nothing-here", "text/html", 404, "application/problem+json"),
        ("DELETE", "/api/me", "*/*", 405, "application/problem+json"),
        ("GET", "/nothing-here", "*/*", 404, "text/html"),
        ("GET", "/desk/check-out", "text/html", 405, "text/html"),
        ("POST", "/desk", "text/html", 405, "text/html"),
        ("GET", "/nothing-here", "application/json", 404, "application/problem+json"),
    ],
)
def test_the_api_answers_problems_and_a_browser_gets_pages(
    system, method, path, accept, status, kind
):
    answer = requests.request(method, system.url + path, headers={"Accept": accept}, timeout=10)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith(kind)
    if kind == "text/html":
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "<html" in answer.text and "Traceback" not in answer.text
    if status == 405:
        assert answer.headers["Allow"]


def test_a_form_sent_without_its_token_is_refused_with_a_page(system):
    answer = requests.post(
        system.url + "/desk/check-out", data={"asset_tag": "JV-LAP-001"}, timeout=10
    )
    assert answer.status_code == 403 and answer.headers["Content-Type"].startswith("text/html")
    assert "Formulaire expiré" in answer.text


# --- a refused form, the language links ------------------------------------------------------


def test_a_reload_after_a_refused_loan_shows_the_error_again_and_sends_nothing(staff_page, fresh):
    page = staff_page
    tag = fresh.device("laptop")
    sent = posts_of(page)
    refuse_a_loan(page, tag)
    assert re.search(r"/desk\?errors=[\w-]+$", page.url)
    assert "Aucun habitant n'a cette carte." in page.get_by_role("alert").inner_text()
    assert sent == [page.url.split("/desk")[0] + "/desk/check-out"]

    page.reload()

    assert "Aucun habitant n'a cette carte." in page.get_by_role("alert").inner_text()
    assert page.locator("#asset_tag").input_value() == tag
    assert page.locator("#card_number").input_value() == "RS-NOBODY"
    assert len(sent) == 1  # the loan was asked for once
    assert_accessible(page, "desk, lending refused, reloaded")


def test_switching_language_after_a_refused_loan_keeps_the_errors_and_sends_no_form(
    staff_page, fresh
):
    page = staff_page
    tag = fresh.device("laptop")
    refuse_a_loan(page, tag)
    sent = posts_of(page)

    with page.expect_navigation():
        page.get_by_role("link", name="English").click()

    assert sent == []
    assert page.locator("html").get_attribute("lang") == "en"
    assert "No resident has this card." in page.get_by_role("alert").inner_text()
    assert page.locator("#asset_tag").input_value() == tag
    assert_accessible(page, "desk, lending refused, english")
    # Another page, then the desk again: the refused form is gone with its card number.
    page.goto("/reserve")
    page.goto("/desk")
    assert page.get_by_role("alert").count() == 0
    assert page.locator("#card_number").input_value() == ""


def test_switching_language_keeps_the_confirmation_on_screen(staff_page, fresh):
    page = staff_page
    tag, resident = fresh.device("laptop"), fresh.resident()
    page.goto("/desk")
    page.get_by_label("Numéro d'inventaire").first.fill(tag)
    page.get_by_label("Carte de l'habitant").fill(resident["card_number"])
    with page.expect_navigation():
        page.get_by_role("button", name="Prêter").click()
    with page.expect_navigation():  # the second step: the accessories, then confirm
        page.get_by_role("button", name="Confirmer le prêt").click()
    lent_at = page.url
    assert re.search(r"/desk\?loan=\d+$", lent_at)

    with page.expect_navigation():
        page.get_by_role("link", name="العربية").click()

    assert page.url == lent_at + "&lang=ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    status = page.get_by_role("status")
    assert tag in status.inner_text() and "est prêté" not in status.inner_text()
    assert_accessible(page, "desk, device lent, arabic")


# --- the header on a phone; the desk's own examples --------------------------------------------


def test_the_header_takes_little_of_a_phone_screen_and_its_menu_opens_with_the_keyboard(
    open_page,
):
    page = open_page(viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    page.goto("/desk")
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] <= 0.2 * PHONE["height"]
    assert page.get_by_role("link", name="Réserver pour un atelier").count() == 0  # folded

    page.get_by_text("Menu", exact=True).focus()
    page.keyboard.press("Enter")

    reserve = page.get_by_role("link", name="Réserver pour un atelier")
    assert reserve.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "desk, phone, menu open")
    with page.expect_navigation():
        reserve.click()
    assert page.url.endswith("/reserve")


def test_the_desk_shows_its_own_tags_and_site_in_arabic(open_page, system):
    page = open_page(language="ar")
    sign_in(page, STAFF_MISTRAL)
    page.goto("/desk")
    example = page.locator("#asset_tag-hint bdi[dir=ltr]").inner_text()
    # One of Mistral's own devices (whatever its tag: devices change hands).
    with system.rpc() as rpc:
        assert rpc.inventory.get_item(example)["owner"] == "mistral"

    page.goto("/reserve")
    assert page.locator("#site").input_value() == "mistral"
    assert_accessible(page, "reserve, arabic")
