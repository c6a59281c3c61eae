"""Lending at the front desk, in a real browser and with the keyboard where a desk
works with it: accessories ticked one by one, the reason written to lend past the
limit, refusals that say what the device is doing, renewing a loan, declaring it
lost, the printed slip. Then, with plain requests, the walls of each route: another
partner's loan does not exist, residents and strangers are sent away, a POST
without its CSRF token is refused."""

import base64
import html
import json
import re
import uuid
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR, STAFF_MISTRAL
from tests.browser.helpers import assert_accessible, sign_in, word
from tests.e2e.gateway_system import device, local_window
from tests.waiting import wait_until

SITE = "jean-vilar"


def lend_over_rpc(system, tag: str, resident: dict, accessories=("chargeur",)) -> dict:
    with system.rpc() as rpc:
        return rpc.booking.check_out(
            {
                "asset_tag": tag,
                "resident_id": resident["id"],
                "site": SITE,
                "accessories": list(accessories),
            }
        )


def scan(page, tag: str, card: str | None = None) -> None:
    """Step 1 at the desk, as a scanner does: the tag, Tab, the card, Enter."""
    page.goto("/desk")
    expect(page.locator("#asset_tag")).to_be_focused()
    page.keyboard.type(tag)
    if card:
        page.keyboard.press("Tab")
        page.keyboard.type(card)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def confirm_with_enter(page, button: str) -> None:
    """Enter on the confirm button, which has the focus once the page has loaded."""
    expect(page.get_by_role("button", name=button)).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_accessories_are_ticked_one_by_one_and_one_missing_is_recorded_alone(
    staff_page, fresh, system
):
    page = staff_page
    tag = fresh.device("laptop", accessories=["chargeur", "souris", "housse"])
    resident = fresh.resident()
    scan(page, tag, resident["card_number"])
    # The focus is on "confirm": Shift+Tab reaches the last box, Space unticks it.
    expect(page.get_by_role("button", name="Confirmer le prêt")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert not page.get_by_label("housse").is_checked()
    with page.expect_navigation():
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
    assert "Avec : chargeur et souris" in page.get_by_role("status").inner_text()

    page.get_by_label("Numéro d'inventaire").nth(1).focus()
    page.keyboard.type(tag)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert [box.get_attribute("value") for box in page.locator("[name=accessories]").all()] == [
        "chargeur",
        "souris",
    ]
    # From "confirm": Shift+Tab to the condition, again to the last box, Space unticks it.
    expect(page.get_by_role("button", name="Confirmer le retour")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert not page.get_by_label("souris").is_checked()
    assert page.get_by_label("chargeur").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    status = page.get_by_role("status").inner_text()
    assert "Accessoires manquants : souris" in status
    assert "chargeur" not in status.split("Accessoires manquants")[1]
    with system.rpc() as rpc:
        (loan,) = rpc.booking.list_loans({"asset_tag": tag, "limit": 1})["items"]
    assert loan["missing_accessories"] == ["souris"]


def test_past_the_limit_the_desk_lends_with_its_written_reason(staff_page, fresh, system):
    page = staff_page
    resident = fresh.resident()
    for _ in range(2):  # the most a resident may hold at once
        lend_over_rpc(system, fresh.device("tablet"), resident)
    tag = fresh.device("tablet")
    scan(page, tag, resident["card_number"])
    confirm_with_enter(page, "Confirmer le prêt")
    summary = page.get_by_role("alert")
    assert "autant d'appareils que permis" in summary.inner_text()
    assert_accessible(page, "lending, reason asked")
    reason = page.get_by_label("Raison du prêt en plus")
    reason.fill("Dossier CAF à finir ce soir")
    with page.expect_navigation():
        page.get_by_role("button", name="Prêter quand même").click()
    assert f"{tag} est prêté." in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Voir le prêt").click()
    assert "Dossier CAF à finir ce soir" in page.locator("main").inner_text()
    assert_accessible(page, "a loan")


def test_a_refusal_says_what_the_device_is_doing_and_what_to_do(staff_page, fresh, system):
    page = staff_page
    card = fresh.resident()["card_number"]
    repaired, lent, returned = fresh.device("laptop"), fresh.device("laptop"), fresh.device()
    with system.rpc() as rpc:
        rpc.inventory.change_status(repaired, {"status": "in_maintenance", "reason": "écran"})
    lend_over_rpc(system, lent, fresh.resident())
    lend_over_rpc(system, returned, fresh.resident())
    with system.rpc() as rpc:
        rpc.booking.check_in({"asset_tag": returned, "condition": "good", "accessories": []})
        wait_until(
            lambda: rpc.inventory.get_item(returned)["status"] == "awaiting_wipe",
            timeout=30,
            what="the inventory to follow the return",
        )
        wait_until(
            lambda: rpc.inventory.get_item(lent)["status"] == "on_loan",
            timeout=30,
            what="the inventory to follow the loan",
        )

    for tag, words in (
        (repaired, "Cet appareil est en réparation. Prêtez-en un autre."),
        (returned, "Cet appareil attend son effacement"),
        (lent, "Cet appareil est déjà prêté, jusqu'au"),
    ):
        scan(page, tag, card)
        assert words in page.get_by_role("alert").inner_text()
    assert_accessible(page, "desk, device already lent")


def test_a_device_reserved_later_or_standing_elsewhere_is_refused_saying_so(
    staff_page, fresh, system
):
    page = staff_page
    card = fresh.resident()["card_number"]
    reserved, elsewhere = fresh.device("laptop"), fresh.device("laptop")
    with system.rpc() as rpc:
        # A workshop in three days holds it: lent for two weeks, it would not be back.
        rpc.booking.reserve(
            {
                "partner_id": fresh.partner("jean-vilar").id,
                "site": SITE,
                "asset_tags": [reserved],
                **local_window(days_ahead=3, hour=10, hours=2),
            }
        )
        rpc.inventory.transfer_item(elsewhere, {"to_site": "mistral", "reason": "atelier"})

    scan(page, reserved, card)
    confirm_with_enter(page, "Confirmer le prêt")
    assert "Cet appareil est réservé jusqu'au" in page.get_by_role("alert").inner_text()
    assert_accessible(page, "lending, device reserved")

    scan(page, elsewhere, card)
    assert (
        "Cet appareil est à Espace Frédéric Mistral, pas ici."
        in page.get_by_role("alert").inner_text()
    )


def test_a_device_held_from_the_waiting_list_is_lent_to_the_resident_it_waits_for(
    staff_page, fresh, system
):
    page = staff_page
    resident = fresh.resident()
    code = f"liseuse-{word()}"  # a kind of device of this test's own
    tag = f"JV-LIS-{uuid.uuid4().hex[:6].upper()}"
    with system.rpc() as rpc:
        category_id = rpc.inventory.register_category({"code": code, "name": "Liseuse"})["id"]
        rpc.inventory.register_item({**device(tag, code, SITE), "category": code})
        window = local_window(days_ahead=300, hour=10, hours=1)
        wait_until(
            lambda: (
                tag
                in rpc.booking.availability({"category_id": category_id, **window})["asset_tags"]
            ),
            timeout=30,
            what=f"the booking to know {tag}",
        )
        entry = rpc.booking.join_waiting_list(
            {"resident_id": resident["id"], "category_id": category_id, "site": SITE}
        )
        assert rpc.booking.get_waiting_entry(entry["id"])["status"] == "held"

    scan(page, tag, resident["card_number"])
    assert "mis de côté pour cet habitant" in page.locator("main").inner_text()
    confirm_with_enter(page, "Confirmer le prêt")
    assert f"{tag} est prêté." in page.get_by_role("status").inner_text()
    with system.rpc() as rpc:
        assert rpc.booking.get_waiting_entry(entry["id"])["status"] == "fulfilled"


def test_a_loan_is_renewed_then_declared_lost_after_a_confirmation(staff_page, fresh, system):
    page = staff_page
    tag = fresh.device("tablet")
    loan = lend_over_rpc(system, tag, fresh.resident())
    page.goto("/desk")
    page.get_by_label("Numéro d'inventaire").nth(2).fill(tag)
    with page.expect_navigation():
        page.get_by_label("Numéro d'inventaire").nth(2).press("Enter")
    assert page.url.endswith(f"/desk/loans/{loan['id']}")
    with page.expect_navigation():
        page.get_by_role("button", name="Prolonger le prêt").click()
    assert "Le prêt est prolongé." in page.get_by_role("status").inner_text()
    assert_accessible(page, "a loan, renewed")
    with system.rpc() as rpc:
        assert rpc.booking.get_loan(loan["id"])["due_at"] > loan["due_at"]

    page.get_by_role("link", name="Déclarer l'appareil perdu").click()
    assert "Vérifiez avant de confirmer." in page.locator("main").inner_text()
    assert_accessible(page, "a loan, lost to confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Oui, déclarer perdu").click()
    assert "Déclaré perdu" in page.locator("main").inner_text()
    with system.rpc() as rpc:
        assert rpc.booking.get_loan(loan["id"])["status"] == "lost"


def texts_in(pdf: bytes) -> str:
    """The characters a PDF's fonts map back to text (its ToUnicode maps), enough to
    tell which scripts and words its pages use."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream  # not compressed
        for code in re.findall(rb"<[0-9A-F]{4}> <([0-9A-F]{4})>", data):
            found.append(chr(int(code, 16)))
    return "".join(found)


def test_the_loan_slip_is_printed_in_french_and_in_the_residents_language(
    staff_page, fresh, system
):
    page = staff_page
    tag = fresh.device("laptop")
    loan = lend_over_rpc(system, tag, fresh.resident(language="ru"))
    page.goto(f"/desk?loan={loan['id']}")
    link = page.get_by_role("link", name="Imprimer la fiche de prêt (PDF)")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") == 1
    used = texts_in(pdf)
    assert {"à", "ê"} <= set(used)  # French: "prêt", "À rapporter"
    assert set("Вернуть") <= set(used), "the Russian column"


def test_lending_fits_a_phone_in_arabic(open_page, fresh):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    tag, card = fresh.device("laptop"), fresh.resident()["card_number"]
    page.goto("/desk?lang=ar")
    page.locator("#asset_tag").fill(tag)
    page.locator("#card_number").fill(card)
    with page.expect_navigation():
        page.locator("#card_number").press("Enter")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "lending, arabic, phone")


# --- walls, per route --------------------------------------------------------------------


@pytest.fixture(scope="module")
def a_jean_vilar_loan(system):
    from tests.browser.conftest import Fresh

    fresh = Fresh(system)
    return lend_over_rpc(system, fresh.device("tablet"), fresh.resident())


@pytest.fixture(scope="module")
def clients(system):
    """Requests sessions of "mistral" (the other partner's staff), "resident" and
    "nobody", each with a CSRF cookie, and its token: made once, on first use."""
    made = {}

    def client(who):
        if who not in made:
            if who == "mistral":
                session = system.sign_in(STAFF_MISTRAL)
            elif who == "resident":
                from tests.browser.conftest import Fresh

                session = system.resident_session(Fresh(system).resident())
            else:
                session = system.client()
            session.headers["Accept"] = "text/html"
            session.get("/sign-in")
            made[who] = session, session.cookies.get("csrf", "")
        return made[who]

    return client


ROUTES = [
    ("GET", "/desk/loans/{id}"),
    ("GET", "/desk/loans/{id}/slip.pdf"),
    ("GET", "/desk/loans/{id}/lost"),
    ("POST", "/desk/loans/{id}/lost"),
    ("POST", "/desk/loans/{id}/renew"),
    ("GET", "/desk/loan?find_asset_tag={tag}"),
    ("POST", "/desk/take-back"),
    ("POST", "/desk/lend"),
]


def test_what_the_first_step_found_serves_its_confirmation_only_as_it_was_sealed(system, fresh):
    """The confirmation trusts what the check-out page found (the resident, the
    accessories) only under the gateway's seal: changed, it is looked up again from
    the card, and the loan goes to the card's holder."""
    desk = system.sign_in(STAFF_JEAN_VILAR)
    desk.headers["Accept"] = "text/html"
    desk.get("/sign-in")
    token = desk.cookies.get("csrf", "")
    holder, other = fresh.resident(), fresh.resident()

    def lend(tag: str, changed_to: int | None = None) -> dict:
        sent = {"csrf_token": token, "asset_tag": tag, "site": SITE}
        sent["card_number"] = holder["card_number"]
        form = desk.post("/desk/check-out", data=sent, allow_redirects=False)
        assert form.status_code == 200, form.text[:300]
        found = re.search(r'name="found" value="([^"]+)"', form.text)
        assert found, "the check-out form carries what it found"
        sealed = html.unescape(found.group(1))
        if changed_to is not None:
            body, _, signature = sealed.rpartition(".")
            payload = json.loads(base64.urlsafe_b64decode(body))
            payload["payload"]["resident_id"] = changed_to
            body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
            sealed = f"{body}.{signature}"
        done = desk.post("/desk/lend", data={**sent, "found": sealed}, allow_redirects=False)
        assert done.status_code == 303 and "/desk?loan=" in done.headers["Location"]
        with system.rpc() as rpc:
            return rpc.booking.get_loan(int(done.headers["Location"].rpartition("=")[2]))

    assert lend(fresh.device("tablet"))["resident_id"] == holder["id"]
    assert lend(fresh.device("tablet"), changed_to=other["id"])["resident_id"] == holder["id"]


def errors_in(html: str) -> str:
    """The error messages a page shows beside its fields."""
    return " ".join(re.findall(r'class="error"[^>]*>([^<]*)<', html))


def send(client, method, path, loan, token=None):
    url = path.format(id=loan["id"], tag=loan["asset_tag"])
    data = {
        "return_asset_tag": loan["asset_tag"],
        "condition": "good",
        "asset_tag": loan["asset_tag"],
        "card_number": "RS-0001",
        "site": "mistral",
    }
    if token is not None:
        data["csrf_token"] = token
    if method == "GET":
        return client.get(url, allow_redirects=False)
    return client.post(url, data=data, allow_redirects=False)


@pytest.mark.parametrize("method, path", ROUTES)
def test_another_partners_loan_is_not_found_from_its_desk(
    system, clients, a_jean_vilar_loan, method, path
):
    client, token = clients("mistral")
    response = send(client, method, path, a_jean_vilar_loan, token)
    if path in ("/desk/take-back", "/desk/lend"):
        # The desk's own forms: refused in words on the desk's page (post/redirect/get),
        # the loan untouched.
        assert response.status_code == 303 and "/desk?" in response.headers["Location"]
        shown = client.get(response.headers["Location"], allow_redirects=False)
        with system.rpc() as rpc:
            assert rpc.booking.get_loan(a_jean_vilar_loan["id"])["status"] == "active"
        if path == "/desk/take-back":
            assert "se rapporte à ce lieu" in errors_in(shown.text)
        else:
            assert "Aucun appareil n'a ce numéro." in errors_in(shown.text)
    else:
        assert response.status_code == 404, response.text[:300]


@pytest.mark.parametrize("who", ["resident", "nobody"])
@pytest.mark.parametrize("method, path", ROUTES)
def test_residents_and_strangers_are_sent_away(clients, a_jean_vilar_loan, who, method, path):
    client, token = clients(who)
    response = send(client, method, path, a_jean_vilar_loan, token)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/my-loans" if who == "resident" else "/sign-in")


@pytest.mark.parametrize("method, path", [route for route in ROUTES if route[0] == "POST"])
def test_a_post_without_its_csrf_token_is_refused(clients, a_jean_vilar_loan, method, path):
    client, _ = clients("mistral")
    response = send(client, method, path, a_jean_vilar_loan)
    assert response.status_code == 403
