"""Residents, for partner staff, in a real browser: registering one who agrees to it,
finding them by name or by the whole card or phone number they give, their
profile, their consent for the desk to act for them, and under it the download and
the erasure of their data. Then the walls, over plain HTTP: another partner's
resident is a page that does not exist, residents and strangers are sent away, a
form without its CSRF token changes nothing."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR
from tests.browser.helpers import assert_accessible, sign_in
from tests.e2e.gateway_system import PASSWORD

CSRF = "c" * 43


def a_phone() -> str:
    """A mobile number nobody else in the session has, written the French way."""
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    return "07 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))


def test_a_resident_is_registered_then_found_by_name_and_their_profile_opens(staff_page):
    page = staff_page
    name = f"Amina {uuid.uuid4().hex[:6]}"
    page.goto("/residents")
    assert_accessible(page, "residents, search")
    page.get_by_role("link", name="Inscrire un habitant").click()
    assert_accessible(page, "residents, registration")

    # Without their agreement nor a way to reach them, nothing is registered.
    page.get_by_label("Nom", exact=True).fill(name)
    page.get_by_role("button", name="Inscrire").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("L'habitant doit être d'accord : cochez la case.")
    expect(summary).to_contain_text("Saisissez un téléphone ou une adresse e-mail, ou cochez")
    expect(page.get_by_label("Nom", exact=True)).to_have_value(name)  # what was typed stays
    assert_accessible(page, "residents, registration refused")

    page.get_by_label("Téléphone", exact=True).fill(a_phone())
    page.get_by_label("Langue de ses messages").select_option("ar")
    page.get_by_label("L'habitant est d'accord pour être inscrit").check()
    page.get_by_role("button", name="Inscrire").click()
    expect(page.get_by_role("status").first).to_have_text("L'habitant est inscrit.")
    expect(page.get_by_role("heading", level=2).first).to_have_text(name)
    expect(page.locator("dd [lang=ar]")).to_have_text("العربية")
    assert_accessible(page, "residents, profile")
    # They would rather read Turkish, by email: they have no email, so it is refused.
    page.get_by_label("Langue de ses messages").select_option("tr")
    page.get_by_label("Comment le prévenir").select_option("email")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_role("alert")).to_contain_text("Il n'a pas ce moyen")
    assert_accessible(page, "residents, settings refused")
    page.get_by_label("Comment le prévenir").select_option("sms")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_role("status").first).to_contain_text("Sa langue")
    expect(page.locator("dd [lang=tr]")).to_have_text("Türkçe")

    page.get_by_role("link", name="Habitants").click()
    page.get_by_label("Nom, carte ou téléphone").fill(name.split()[1])
    page.get_by_role("button", name="Chercher").click()
    assert_accessible(page, "residents, search results")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(name)


def test_a_resident_is_found_by_the_whole_phone_number_they_give(staff_page, fresh):
    page = staff_page
    own_phone, other_phone = a_phone(), a_phone()
    own = fresh.resident(phone=own_phone)
    other = fresh.resident(partner="mistral", phone=other_phone, channel="sms")

    # One of the desk's own residents, by their phone written another way.
    page.goto("/residents")
    page.get_by_label("Nom, carte ou téléphone").fill(own_phone.replace(" ", ""))
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_role("table")).to_contain_text(own["display_name"])

    # Another partner's resident is not among the desk's own, until they give their number.
    page.get_by_label("Nom, carte ou téléphone").fill(other_phone)
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_role("status")).to_contain_text("Aucun de vos habitants ne correspond")
    page.get_by_label("Carte ou téléphone de l'habitant").fill("+33" + other_phone[1:])
    page.get_by_role("button", name="Trouver l'habitant").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(other["display_name"])
    # Registered elsewhere: their contact details are masked.
    expect(page.get_by_text("ses coordonnées sont cachées en partie")).to_be_visible()
    assert other_phone.replace(" ", "")[-2:] in page.locator("dl").inner_text()
    assert other["email"] not in page.content()
    assert_accessible(page, "residents, profile, masked")


def test_a_card_nobody_has_leads_to_registering_its_holder(staff_page):
    page = staff_page
    card = f"RS-{uuid.uuid4().hex[:6].upper()}"
    page.goto("/residents")
    page.get_by_label("Carte ou téléphone de l'habitant").fill(card)
    page.get_by_role("button", name="Trouver l'habitant").click()
    expect(page.get_by_role("alert")).to_contain_text("Aucun habitant n'a ce numéro.")
    assert_accessible(page, "residents, nobody at desk")
    page.get_by_role("link", name=f"Inscrire cet habitant avec la carte {card}").click()
    expect(page.get_by_label("Numéro de carte")).to_have_value(card)

    # Neither phone nor email: served at the desk, under the consent given now.
    page.get_by_label("Nom", exact=True).fill(f"Nadia {card}")
    page.get_by_label("L'habitant est d'accord pour être inscrit").check()
    page.get_by_label("Il n'a ni téléphone ni e-mail").check()
    page.get_by_role("button", name="Inscrire").click()
    expect(page.get_by_role("status").first).to_have_text("L'habitant est inscrit.")
    expect(page.locator("dl").first).to_contain_text(card)
    expect(page.locator("li span[id^=mandate-]")).to_contain_text("Valable jusqu'au")
    expect(page.get_by_role("link", name="Télécharger ses données")).to_be_visible()


def test_under_their_consent_a_residents_data_is_downloaded_then_erased(staff_page, fresh):
    page = staff_page
    resident = fresh.resident()
    page.goto(f"/residents/{resident['id']}")
    expect(page.get_by_role("link", name="Télécharger ses données")).to_have_count(0)

    # Their consent is recorded only when they are there to give it.
    page.get_by_label("Télécharger ou effacer ses données").check()
    page.get_by_role("button", name="Enregistrer son accord").click()
    expect(page.get_by_role("alert")).to_contain_text("L'habitant doit donner son accord")
    expect(page.get_by_label("Télécharger ou effacer ses données")).to_be_checked()
    assert_accessible(page, "residents, consent refused")
    page.get_by_label("L'habitant est là et donne son accord").check()
    page.get_by_role("button", name="Enregistrer son accord").click()
    expect(page.get_by_role("status").first).to_have_text("Son accord est enregistré.")
    assert_accessible(page, "residents, profile with consent")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Télécharger ses données").click()
    exported = json.loads(open(downloading.value.path(), encoding="utf-8").read())
    assert exported["resident"]["display_name"] == resident["display_name"]
    assert exported["resident"]["email"] == resident["email"]

    # Erasing asks first; going back erases nothing.
    page.get_by_role("link", name="Effacer ses données, à sa demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Effacer les données d'un habitant")
    assert_accessible(page, "residents, erasure confirmation")
    page.get_by_role("link", name="Non, revenir à sa fiche").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(resident["display_name"])
    page.get_by_role("link", name="Effacer ses données, à sa demande").click()
    page.get_by_role("button", name="Oui, effacer ses données").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Les données de l'habitant sont effacées."
    )
    assert_accessible(page, "residents, erased")
    response = page.goto(f"/residents/{resident['id']}")
    assert response.status == 404


def test_a_profile_fits_a_phone_in_arabic_right_to_left(open_page, fresh, system):
    resident, tag = fresh.resident(), fresh.device("laptop")
    with system.rpc() as rpc:
        rpc.booking.check_out(
            {
                "asset_tag": tag,
                "resident_id": resident["id"],
                "site": "jean-vilar",
                "accessories": [],
            }
        )
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    page.goto(f"/residents/{resident['id']}?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.get_by_role("table")).to_contain_text(tag)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "residents, profile, arabic, phone")


# --- the walls, over HTTP ------------------------------------------------------------------


@pytest.fixture(scope="module")
def walls(system):
    """A resident of Espace Mistral with a mandate of theirs to Mistral, the desk of
    Centre Jean Vilar (which has no relationship with them), and one of its residents
    signed in."""
    world = system.world
    with system.rpc() as rpc:
        other = rpc.booking.register_resident(
            {
                "display_name": "Yusuf Wall",
                "email": f"wall-{uuid.uuid4().hex[:6]}@residents.test",
                "channel": "email",
                "consent": True,
                "registered_by_partner_id": world.mistral.id,
            }
        )
        mandate = rpc.booking.record_mandate(
            {
                "resident_id": other["id"],
                "partner_id": world.mistral.id,
                "scopes": ["data"],
                "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            }
        )
    staff = requests.Session()
    token = staff.post(
        f"{system.url}api/sign-in", json={"email": STAFF_JEAN_VILAR, "password": PASSWORD}
    ).json()["token"]
    staff.headers["Authorization"] = f"Bearer {token}"
    resident = system.resident_session(world.residents["jean-vilar"])
    return {"other": other["id"], "mandate": mandate["id"], "staff": staff, "resident": resident}


ROUTES = [
    ("GET", "/residents"),
    ("POST", "/residents/at-desk"),
    ("GET", "/residents/new"),
    ("POST", "/residents/new"),
    ("GET", "/residents/{id}"),
    ("POST", "/residents/{id}/settings"),
    ("POST", "/residents/{id}/mandates"),
    ("POST", "/residents/{id}/mandates/{mandate}/withdraw"),
    ("GET", "/residents/{id}/export"),
    ("GET", "/residents/{id}/erasure"),
    ("POST", "/residents/{id}/erasure"),
]


def ask(system, client, method, path, walls, csrf=True):
    url = system.url.rstrip("/") + path.format(id=walls["other"], mandate=walls["mandate"])
    form = {"csrf_token": CSRF} if csrf else {}
    return client.request(
        method,
        url,
        data=form if method == "POST" else None,
        cookies={"csrf": CSRF},
        headers={"Accept": "text/html"},
        allow_redirects=False,
        timeout=30,
    )


@pytest.mark.parametrize("method, path", [route for route in ROUTES if "{id}" in route[1]])
def test_another_partners_resident_is_a_page_that_does_not_exist(system, walls, method, path):
    response = ask(system, walls["staff"], method, path, walls)
    assert response.status_code == 404
    assert "Yusuf Wall" not in response.text


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("who, home", [("resident", "/my-loans"), ("nobody", "/sign-in")])
def test_residents_and_strangers_are_sent_away(system, walls, method, path, who, home):
    client = walls["resident"] if who == "resident" else requests.Session()
    response = ask(system, client, method, path, walls)
    assert response.status_code == 303 and response.headers["Location"].endswith(home)
    assert "Yusuf Wall" not in response.text


@pytest.mark.parametrize("method, path", [route for route in ROUTES if route[0] == "POST"])
def test_a_form_without_its_csrf_token_is_refused(system, walls, method, path):
    response = ask(system, walls["staff"], method, path, walls, csrf=False)
    assert response.status_code == 403
    with system.rpc() as rpc:  # the other side's mandate still holds
        assert rpc.booking.get_mandate(walls["mandate"])["withdrawn_at"] is None
