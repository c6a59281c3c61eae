"""Managers' and the administrator's pages: the network's equipment in pictures
(/manage), a suggestion accepted, the audit log (/audit) and the open-data file
(/open-data), and the walls around them (staff, residents and anyone not signed in
are sent away; a form without its CSRF token is refused).

The shared system's devices are all registered today, so none has been idle for the
30 days a suggestion needs: the cards' rendering is checked by
tests/unit/test_gateway_page_texts.py (manage_home.html with a card), and accepting
goes through the page's form address with a suggestion signed as the audit signs it.
"""

import json
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from services.audit.suggestions import signature
from tests.browser.conftest import ADMIN, MANAGER, PHONE, STAFF_JEAN_VILAR
from tests.browser.helpers import assert_accessible, sign_in
from tests.e2e.gateway_system import SECRET_KEY
from tests.waiting import wait_until

CSRF = "c" * 43


def test_a_manager_lands_on_the_pictures_of_the_network_and_changes_the_period(open_page):
    page = open_page()
    sign_in(page, MANAGER)

    expect(page).to_have_url(re.compile(r"/manage$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Le matériel du réseau")
    # Each picture has its table beside it, with the partners' and sites' names.
    expect(page.locator("table", has_text="Utilisation par partenaire")).to_contain_text(
        "Centre Jean Vilar"
    )
    expect(page.locator("table", has_text="Utilisation par lieu")).to_be_visible()
    expect(page.get_by_role("heading", name="Par semaine")).to_be_visible()
    expect(page.locator("svg.manage-chart", has_text="Centre Jean Vilar").first).to_be_attached()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert_accessible(page, "manage, home")

    last = date.today() - timedelta(days=7)
    first = last - timedelta(days=13)
    page.get_by_label("Du", exact=True).fill(str(first))
    page.get_by_label("Au", exact=True).fill(str(last))
    page.get_by_label("Lieu", exact=True).select_option(label="Espace Frédéric Mistral")
    page.get_by_role("button", name="Afficher").focus()
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page).to_have_url(re.compile(rf"from={first}&to={last}&site=mistral"))
    expect(page.get_by_label("Du", exact=True)).to_have_value(str(first))
    by_site = page.locator("table", has_text="Utilisation par lieu")
    expect(page.get_by_label("Lieu", exact=True)).to_have_value("mistral")
    expect(by_site).not_to_contain_text("Centre Jean Vilar")
    assert_accessible(page, "manage, one site, another period")

    link = page.get_by_role("link", name="Télécharger ce tableau (CSV)").nth(1)
    assert f"from={first}&to={last}" in link.get_attribute("href")
    answer = page.request.get(link.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "\n" in answer.text()


def test_the_network_page_reads_on_a_phone_in_arabic(open_page):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, ADMIN)

    expect(page).to_have_url(re.compile(r"/manage$"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "manage, home, Arabic on a phone")


def test_the_audit_log_filters_by_device_and_shows_the_chain_verified(open_page, system, fresh):
    tag = fresh.device("tablet", partner="mistral")
    page = open_page()
    sign_in(page, MANAGER)
    page.goto("/audit")
    expect(page.get_by_role("status")).to_contain_text("Journal vérifié")
    assert_accessible(page, "audit log, everything")

    page.get_by_label("Numéro d'inventaire").fill(tag)
    page.get_by_role("button", name="Chercher").click()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_contain_text("inventory.item_registered")
    expect(page.locator("table")).to_contain_text("Espace Frédéric Mistral")
    assert_accessible(page, "audit log, one device")

    page.get_by_label("Numéro d'inventaire").fill("ZZ-NONE-999")
    page.get_by_role("button", name="Chercher").click()
    expect(page.locator(".error-summary")).to_contain_text("Aucun appareil n'a ce numéro.")
    assert_accessible(page, "audit log, unknown device")

    summary = page.request.get("/audit/summary.txt")
    assert summary.status == 200
    assert re.search(r"head_hash: [0-9a-f]{16,}", summary.text())
    assert "verified: yes" in summary.text() and "signature" in summary.text()


def test_the_open_data_page_says_what_is_never_in_the_file(open_page):
    page = open_page()
    sign_in(page, MANAGER)
    page.get_by_role("link", name="Données ouvertes").click()
    expect(page.get_by_role("heading", name="Ce qu'il ne contient jamais")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Aucun habitant")
    assert_accessible(page, "open data")

    link = page.get_by_role("link", name=re.compile("Télécharger les données ouvertes"))
    answer = page.request.get(link.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")


def test_a_device_lost_then_found_again_is_shown_as_found(system, fresh):
    tag = fresh.device("tablet")
    staff, manager = system.sign_in(STAFF_JEAN_VILAR), system.sign_in(MANAGER)

    def lost_row():
        page = manager.get("/manage", headers={"Accept": "text/html"}).text
        row = re.search(rf"<tr><th scope=\"row\"><a [^>]*><bdi [^>]*>{tag}</bdi>.*?</tr>", page)
        return row.group(0) if row else None

    def change(status: str) -> None:
        answer = staff.post(f"/api/items/{tag}/status", json={"status": status, "reason": "x"})
        assert answer.status_code == 200, answer.text

    change("lost")
    assert "Toujours perdu" in wait_until(lost_row, timeout=30, what="the lost device listed")
    change("awaiting_wipe")  # brought back: it is wiped before it is lent again
    assert "Retrouvé" in lost_row()


def test_a_manager_accepts_a_suggestion_and_the_move_is_in_the_audit_log(system, fresh):
    tag = fresh.device("tablet", partner="mistral")
    manager = system.sign_in(MANAGER)
    item = manager.get(f"/api/items/{tag}").json()
    sites = {site["code"]: site["id"] for site in manager.get("/api/sites").json()}
    listed = {
        "item_ids": [item["id"]],
        "from_site_id": sites["mistral"],
        "to_site_id": sites["jean-vilar"],
        "category_id": system.world.categories["tablet"],
        "reason": "move 1 tablet from Espace Frédéric Mistral to Centre Jean Vilar",
        "figures": {"target_unmet_requests": 4.0},
    }
    suggestion = {**listed, "signature": signature(listed, SECRET_KEY.encode())}

    answer = manager.post(
        "/manage/suggestions/accept",
        data={"suggestion": json.dumps(suggestion), "csrf_token": CSRF},
        cookies={"csrf": CSRF},
        headers={"Accept": "text/html"},
        allow_redirects=False,
    )

    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/manage?accepted=1")
    shown = manager.get(answer.headers["Location"], headers={"Accept": "text/html"})
    assert "Proposition acceptée : 1 appareils" in shown.text

    def logged():
        page = manager.get("/audit", params={"manage_device": tag}, headers={"Accept": "text/html"})
        return page.text if "audit.transfer_accepted" in page.text else None

    log = wait_until(logged, timeout=30, what="the accepted move in the audit log")
    assert "manager:" in log


def test_a_dismissal_needs_a_reason_and_a_suggestion_the_audit_proposes(system, fresh):
    """(Dismissing a proposed one: tests/unit/test_gateway_dismissals.py, as the shared
    system proposes none.)"""
    manager = system.sign_in(MANAGER)
    item = manager.get(f"/api/items/{fresh.device('laptop', partner='mistral')}").json()
    sites = {site["code"]: site["id"] for site in manager.get("/api/sites").json()}
    listed = {
        "item_ids": [item["id"]],
        "from_site_id": sites["mistral"],
        "to_site_id": sites["jean-vilar"],
        "category_id": system.world.categories["laptop"],
        "reason": "move 1 laptop from Espace Frédéric Mistral to Centre Jean Vilar",
        "figures": {"target_unmet_requests": 2.0},
    }
    suggestion = json.dumps({**listed, "signature": signature(listed, SECRET_KEY.encode())})

    def dismiss(reason):
        return manager.post(
            "/manage/suggestions/dismiss",
            data={"suggestion": suggestion, "manage_dismiss_reason": reason, "csrf_token": CSRF},
            cookies={"csrf": CSRF},
            headers={"Accept": "text/html"},
        )

    without_reason = dismiss("")
    not_proposed = dismiss("Mistral en a besoin pour ses ateliers de janvier")

    assert "/manage?errors=" in without_reason.url
    assert "Écrivez pourquoi, en 3 à 500 caractères." in without_reason.text
    assert "/manage?errors=" in not_proposed.url
    assert "Cette proposition n'existe plus." in not_proposed.text
    assert "Propositions refusées" not in not_proposed.text


ROUTES = [
    ("GET", "/manage"),
    ("GET", "/manage/report.csv?report=utilisation"),
    ("POST", "/manage/suggestions/accept"),
    ("POST", "/manage/suggestions/dismiss"),
    ("GET", "/audit"),
    ("GET", "/audit/summary.txt"),
    ("GET", "/open-data"),
    ("GET", "/open-data.csv"),
]


@pytest.fixture(scope="module")
def callers(system):
    return {
        "nobody": system.client(),
        "resident": system.resident_session(system.world.residents["jean-vilar"]),
        "staff": system.sign_in(STAFF_JEAN_VILAR),
        "manager": system.sign_in(MANAGER),
        "admin": system.sign_in(ADMIN),
    }


def send(client, method, path, csrf=True):
    return client.request(
        method,
        path,
        data={"suggestion": "{}", **({"csrf_token": CSRF} if csrf else {})}
        if method == "POST"
        else None,
        cookies={"csrf": CSRF} if csrf else {},
        allow_redirects=False,
        headers={"Accept": "text/html"},
    )


@pytest.mark.parametrize(
    "who, home", [("nobody", "/sign-in"), ("resident", "/my-loans"), ("staff", "/desk")]
)
@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_only_managers_and_the_administrator_reach_these_pages(callers, method, path, who, home):
    response = send(callers[who], method, path)

    assert response.status_code == 303, (response.status_code, response.text[:300])
    assert response.headers["Location"].endswith(home)


@pytest.mark.parametrize("who", ["manager", "admin"])
@pytest.mark.parametrize(
    "method, path", [r for r in ROUTES if r[0] == "GET"], ids=[p for m, p in ROUTES if m == "GET"]
)
def test_managers_and_the_administrator_read_every_page(callers, method, path, who):
    assert send(callers[who], method, path).status_code == 200


@pytest.mark.parametrize("path", ["/manage/suggestions/accept", "/manage/suggestions/dismiss"])
def test_a_suggestion_without_its_csrf_token_is_refused(callers, path):
    response = send(callers["manager"], "POST", path, csrf=False)

    assert response.status_code == 403
    assert "Formulaire expiré" in response.text


def test_only_managers_decide_on_a_suggestion(callers, system):
    # The administrator reads the suggestions; deciding is a manager's part (as the API).
    listed = {
        "item_ids": [1],
        "from_site_id": 1,
        "to_site_id": 2,
        "category_id": 1,
        "reason": "r",
        "figures": {},
    }
    signed = json.dumps({**listed, "signature": signature(listed, SECRET_KEY.encode())})
    for path in ("/manage/suggestions/accept", "/manage/suggestions/dismiss"):
        answer = callers["admin"].post(
            path,
            data={"suggestion": signed, "manage_dismiss_reason": "pas utile", "csrf_token": CSRF},
            cookies={"csrf": CSRF},
            headers={"Accept": "text/html"},
            allow_redirects=False,
        )
        assert answer.status_code == 404, path
