"""The city's administrator in a real browser, without the API: a staff account made,
signed in with, disabled, given a new password and another role; a partner and a site
of the test's own, with the site's hours and a closure; a kind of device; names
mistyped at creation corrected; in Arabic and Persian on a phone; and the walls of
each route, with plain requests (only the administrator gets in, a form without its
CSRF token changes nothing, what does not exist answers 404)."""

import re

import pytest

from tests.browser.conftest import ADMIN, MANAGER, PHONE, STAFF_JEAN_VILAR, Fresh
from tests.browser.helpers import assert_accessible, sign_in, word

CSRF = "c" * 43


def unique() -> str:
    return word()


def tab_to(page, element_id: str) -> None:
    """Move the focus with the Tab key alone, as a keyboard user does."""
    for _ in range(80):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reaches #{element_id}")


def try_sign_in(open_page, email: str, password: str):
    """A browser of its own signs in with the form; the page it ends on."""
    page = open_page()
    page.goto("/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    return page


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- accounts ------------------------------------------------------------------------------


def test_the_administrator_makes_a_staff_account_that_signs_in_until_it_is_disabled(open_page):
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/admin/accounts")
    assert_accessible(admin, "admin accounts")
    email = f"ines-{unique()}@jean-vilar.test"

    # With the keyboard alone: no partner for a member of staff, and no email.
    tab_to(admin, "admin_display_name")
    admin.keyboard.type("Inès Martin")
    tab_to(admin, "admin_partner")
    admin.keyboard.press("Tab")  # to the button
    with admin.expect_navigation():
        admin.keyboard.press("Enter")
    summary = admin.locator(".error-summary")
    assert summary.is_visible()
    assert "Adresse e-mail" in summary.inner_text()
    assert "Structure" in summary.inner_text()
    assert admin.locator("#admin_display_name").input_value() == "Inès Martin"
    assert "?errors=" in admin.url
    assert_accessible(admin, "admin accounts, refused")

    admin.locator("#admin_email").fill(email)
    admin.locator("#admin_partner").select_option(label="Centre Jean Vilar")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Créer le compte").click()
    password = admin.locator("#new-password").inner_text().strip()
    assert "Le compte est créé" in admin.locator("#main").inner_text()
    assert_accessible(admin, "admin account, created with its password")
    # The answer to the form is the new account's page, its forms at its own address.
    account_page = admin.locator("form[action$='/password']").get_attribute("action")
    account_page = account_page.removesuffix("/password")

    # The new member of staff signs in with it, at their partner's desk.
    assert "/desk" in try_sign_in(open_page, email, password).url

    # Disabled: it cannot sign in any more.
    admin.goto(account_page)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Désactiver le compte").click()
    assert admin.locator("#account-state").inner_text() == "Désactivé"
    assert admin.get_by_role("status").first.is_visible()
    assert_accessible(admin, "admin account, disabled")
    assert "/sign-in" in try_sign_in(open_page, email, password).url

    # Enabled again, with a new password: the old one no longer works, the new one does.
    with admin.expect_navigation():
        admin.get_by_role("button", name="Réactiver le compte").click()
    assert admin.locator("#account-state").inner_text() == "Actif"
    with admin.expect_navigation():
        admin.get_by_role("button", name="Donner un nouveau mot de passe provisoire").click()
    new_password = admin.locator("#new-password").inner_text().strip()
    assert new_password != password
    assert "/sign-in" in try_sign_in(open_page, email, password).url
    assert "/desk" in try_sign_in(open_page, email, new_password).url

    # Another role: a manager of the city, who no longer has the desk.
    admin.goto(account_page)
    admin.locator("#admin_role").select_option("manager")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer").click()
    assert "Gestionnaire de la ville" in admin.locator("dl").inner_text()
    assert "Le compte est modifié" in admin.get_by_role("status").first.inner_text()
    assert "/desk" not in try_sign_in(open_page, email, new_password).url


def test_the_administrator_cannot_disable_or_demote_themself(open_page):
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/admin/accounts")
    admin.locator("tr", has_text=ADMIN).get_by_role("link").click()
    assert admin.get_by_role("button", name="Désactiver le compte").count() == 0

    admin.locator("#admin_role").select_option("staff")
    admin.locator("#admin_partner").select_option(label="Centre Jean Vilar")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer").click()
    assert "propre rôle" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#admin_role").input_value() == "staff"  # as typed
    assert_accessible(admin, "admin account, own role refused")


# --- partners, sites, hours and closures ------------------------------------------------------


def test_a_new_partner_gets_a_site_its_hours_and_a_closure(open_page):
    admin = open_page()
    sign_in(admin, ADMIN)
    code = f"essai-{unique()}"
    admin.goto("/admin/partners")
    assert_accessible(admin, "admin partners")
    admin.locator("#admin_code").fill(code)
    admin.locator("#admin_name").fill(f"Association {code}")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    assert f"Association {code}" in admin.locator("table").inner_text()

    # Where its desk's notices are emailed: a wrong address is named, then it is saved.
    admin.get_by_role("link", name=f"Association {code}").click()
    assert_accessible(admin, "admin partner")
    admin.locator("#admin_contact_email").fill("accueil-at-nowhere")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "Adresse e-mail de l'accueil" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#admin_contact_email").input_value() == "accueil-at-nowhere"
    assert_accessible(admin, "admin partner, refused")
    admin.locator("#admin_contact_email").fill(f"accueil@{code}.test")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "adresse de l'accueil est enregistrée" in admin.get_by_role("status").inner_text()
    admin.goto("/admin/partners")
    assert f"accueil@{code}.test" in admin.locator("tr", has_text=code).inner_text()

    # A site: a code with capitals and spaces is refused, what was typed is kept.
    admin.goto("/admin/sites")
    assert_accessible(admin, "admin sites")
    admin.locator("#admin_code").fill("Mauvais Code")
    admin.locator("#admin_name").fill(f"Local {code}")
    admin.locator("#admin_site_partner").select_option(code)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    assert "Code" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#admin_name").input_value() == f"Local {code}"
    assert admin.locator("#admin_site_partner").input_value() == code
    assert_accessible(admin, "admin sites, refused")
    admin.locator("#admin_code").fill(code)
    admin.locator("#admin_address").fill("3 rue de la Roseraie, 49100 Angers")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    assert admin.url.split("?")[0].endswith(f"/admin/sites/{code}")
    assert_accessible(admin, "admin site")

    # Its hours: a day typed wrong is named, the others kept; then saved.
    admin.locator("#help_monday").fill("09:00-12:00 13:30-18:30")
    admin.locator("#help_tuesday").fill("9h à midi")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer les heures").click()
    assert "Mardi" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#help_monday").input_value() == "09:00-12:00 13:30-18:30"
    assert_accessible(admin, "admin site, hours refused")
    admin.locator("#help_tuesday").fill("9:00-12:00")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer les heures").click()
    assert "heures d'ouverture sont enregistrées" in admin.get_by_role("status").inner_text()
    assert admin.locator("#help_tuesday").input_value() == "09:00-12:00"
    assert admin.locator("#help_monday").input_value() == "09:00-12:00 13:30-18:30"

    # A closure: ending before it starts is refused; then it is listed.
    admin.locator("#admin_closure_starts").fill("2027-02-10")
    admin.locator("#admin_closure_ends").fill("2027-02-01")
    admin.locator("#admin_closure_reason").fill("Travaux")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter la fermeture").click()
    assert "Fermé jusqu'au" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#admin_closure_reason").input_value() == "Travaux"
    assert_accessible(admin, "admin site, closure refused")
    admin.locator("#admin_closure_ends").fill("2027-02-14")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter la fermeture").click()
    closures = admin.locator("table", has_text="Travaux").inner_text()
    assert "2027-02-10" in closures and "2027-02-14" in closures
    assert_accessible(admin, "admin site, with a closure")

    # Taken back: a second closure, planned by mistake, goes; the first stays.
    admin.locator("#admin_closure_starts").fill("2027-05-01")
    admin.locator("#admin_closure_ends").fill("2027-05-01")
    admin.locator("#admin_closure_reason").fill("Erreur")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter la fermeture").click()
    with admin.expect_navigation():
        admin.locator("tr", has_text="Erreur").get_by_role("button", name="Retirer").click()
    assert "La fermeture est retirée" in admin.get_by_role("status").inner_text()
    closures = admin.locator("table", has_text="Travaux").inner_text()
    assert "Erreur" not in closures and "2027-02-10" in closures

    # In Arabic, on a phone.
    phone = open_page(language="ar", viewport=PHONE)
    sign_in(phone, ADMIN)
    phone.goto(f"/admin/sites/{code}")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.locator("#help_tuesday").input_value() == "09:00-12:00"
    assert no_sideways_scroll(phone)
    assert_accessible(phone, "admin site, ar, phone")


def test_the_administrator_adds_a_kind_of_device(open_page):
    admin = open_page()
    sign_in(admin, ADMIN)
    admin.goto("/admin/categories")
    assert_accessible(admin, "admin categories")
    code = f"liseuse-{unique()}"
    admin.locator("#admin_code").fill(code)
    admin.locator("#admin_name").fill("Liseuse")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    assert code in admin.locator("table").inner_text()
    assert "Le type d'appareil est enregistré" in admin.get_by_role("status").inner_text()

    # The same code again: named, not a fault.
    admin.locator("#admin_code").fill(code)
    admin.locator("#admin_name").fill("Liseuse 2")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    assert "déjà utilisé" in admin.locator(".error-summary").inner_text()
    assert_accessible(admin, "admin categories, refused")

    # Its loan policy: the defaults first; a number out of range is named; then saved.
    admin.goto("/admin/categories")
    admin.get_by_role("link", name="Liseuse").first.click()
    assert admin.locator("#admin_loan_days").input_value() == "14"
    assert_accessible(admin, "admin category")
    admin.locator("#admin_loan_days").fill("400")
    admin.locator("#admin_max_renewals").fill("1")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "Durée du prêt" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#admin_max_renewals").input_value() == "1"
    assert_accessible(admin, "admin category, refused")
    admin.locator("#admin_loan_days").fill("21")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "règles de prêt sont enregistrées" in admin.get_by_role("status").inner_text()
    assert admin.locator("#admin_loan_days").input_value() == "21"
    assert admin.locator("#admin_max_renewals").input_value() == "1"


# --- names mistyped at creation, corrected ---------------------------------------------------


def test_a_partner_a_site_and_a_kind_of_device_named_wrong_are_renamed(open_page, system):
    admin = open_page()
    sign_in(admin, ADMIN)
    code = f"nom-{unique()}"
    admin.goto("/admin/partners")
    admin.locator("#admin_code").fill(code)
    admin.locator("#admin_name").fill(f"Asociation {code}")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    admin.get_by_role("link", name=f"Asociation {code}").click()

    # A phone number is no public name: refused, named, what was typed is kept.
    admin.locator("#admin_name").fill("Association, 02 41 00 00 00")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer le nom").click()
    summary = admin.locator(".error-summary").inner_text()
    assert "Nom" in summary and "numéro de téléphone" in summary
    assert admin.locator("#admin_name").input_value() == "Association, 02 41 00 00 00"
    assert_accessible(admin, "admin partner, name refused")
    admin.locator("#admin_name").fill(f"Association {code}")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer le nom").click()
    assert "nouveau nom est enregistré" in admin.get_by_role("status").inner_text()
    assert_accessible(admin, "admin partner, renamed")
    admin.goto("/admin/partners")
    row = admin.locator("tr", has_text=code).inner_text()
    assert f"Association {code}" in row and "Asociation" not in row

    # Its site: the name and the address corrected, its hours left as they were.
    admin.goto("/admin/sites")
    admin.locator("#admin_code").fill(code)
    admin.locator("#admin_name").fill(f"Locla {code}")
    admin.locator("#admin_site_partner").select_option(code)
    admin.locator("#admin_address").fill("3 rue de la Rosreaie, 49100 Angers")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    admin.locator("#help_monday").fill("09:00-12:00")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer les heures").click()
    admin.locator("#admin_name").fill(f"Local {code}")
    admin.locator("#admin_address").fill("")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer le nom et l'adresse").click()
    assert "Adresse" in admin.locator(".error-summary").inner_text()
    assert admin.locator("#admin_name").input_value() == f"Local {code}"
    assert admin.locator("#help_monday").input_value() == "09:00-12:00"  # not the form sent
    assert_accessible(admin, "admin site, address refused")
    admin.locator("#admin_address").fill("3 rue de la Roseraie, 49100 Angers")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer le nom et l'adresse").click()
    assert "nom et l'adresse sont enregistrés" in admin.get_by_role("status").inner_text()
    facts = admin.locator("dl").inner_text()
    assert f"Local {code}" in facts and "3 rue de la Roseraie" in facts
    assert admin.locator("#help_monday").input_value() == "09:00-12:00"
    with system.rpc() as rpc:
        assert rpc.inventory.get_site(code)["name"] == f"Local {code}"

    # A kind of device.
    kind = f"liseuse-{unique()}"
    admin.goto("/admin/categories")
    admin.locator("#admin_code").fill(kind)
    admin.locator("#admin_name").fill(f"Lisuese {kind}")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ajouter").click()
    admin.get_by_role("link", name=f"Lisuese {kind}").click()
    admin.locator("#admin_name").fill(f"Liseuse {kind}")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Enregistrer le nom").click()
    assert "nouveau nom est enregistré" in admin.get_by_role("status").inner_text()
    assert admin.locator("#admin_loan_days").input_value() == "14"  # its policy untouched
    admin.goto("/admin/categories")
    assert f"Liseuse {kind}" in admin.locator("table").inner_text()

    # In Persian, on a phone: the forms read right to left and fit the screen.
    phone = open_page(language="fa", viewport=PHONE)
    sign_in(phone, ADMIN)
    phone.goto(f"/admin/sites/{code}")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.locator("#admin_name").input_value() == f"Local {code}"
    assert no_sideways_scroll(phone)
    assert_accessible(phone, "admin site, fa, phone")


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
        "staff": session_of(STAFF_JEAN_VILAR),
        "manager": session_of(MANAGER),
        "admin": session_of(ADMIN),
    }


@pytest.fixture(scope="module")
def staff_account_id(callers) -> int:
    listed = callers["admin"].get("/admin/accounts").text
    found = re.search(r'href="/admin/accounts/(\d+)">[^\n]*' + re.escape(STAFF_JEAN_VILAR), listed)
    return int(found.group(1))


ROUTES = {
    "GET accounts": ("GET", "/admin/accounts"),
    "POST accounts": ("POST", "/admin/accounts"),
    "GET account": ("GET", "/admin/accounts/{id}"),
    "POST account": ("POST", "/admin/accounts/{id}"),
    "POST disable": ("POST", "/admin/accounts/{id}/disable"),
    "POST enable": ("POST", "/admin/accounts/{id}/enable"),
    "POST password": ("POST", "/admin/accounts/{id}/password"),
    "GET partners": ("GET", "/admin/partners"),
    "POST partners": ("POST", "/admin/partners"),
    "GET partner": ("GET", "/admin/partners/1"),
    "POST contact": ("POST", "/admin/partners/1/contact"),
    "POST partner name": ("POST", "/admin/partners/1/name"),
    "GET sites": ("GET", "/admin/sites"),
    "POST sites": ("POST", "/admin/sites"),
    "GET site": ("GET", "/admin/sites/jean-vilar"),
    "POST site details": ("POST", "/admin/sites/jean-vilar/details"),
    "POST hours": ("POST", "/admin/sites/jean-vilar/hours"),
    "POST closures": ("POST", "/admin/sites/jean-vilar/closures"),
    "POST reopen": ("POST", "/admin/sites/jean-vilar/closures/1/remove"),
    "GET categories": ("GET", "/admin/categories"),
    "POST categories": ("POST", "/admin/categories"),
    "GET category": ("GET", "/admin/categories/1"),
    "POST policy": ("POST", "/admin/categories/1/policy"),
    "POST category name": ("POST", "/admin/categories/1/name"),
}
# A form that would change something were it let through.
FORM = {
    "admin_email": "x@angers.test",
    "admin_display_name": "X",
    "admin_role": "admin",
    "admin_code": "x-wall",
    "admin_name": "X",
    "admin_address": "X",
    "help_monday": "00:00-23:00",
    "admin_closure_starts": "2027-01-01",
    "admin_closure_ends": "2027-01-02",
    "admin_closure_reason": "X",
    "admin_loan_days": "365",
    "admin_max_renewals": "20",
    "admin_contact_email": "wall@angers.test",
    "admin_contact_language": "fr",
}


def ask(callers, who, route, account_id, token=CSRF):
    method, path = ROUTES[route]
    path = path.format(id=account_id)
    data = {**FORM, "csrf_token": token} if method == "POST" else None
    return callers[who].request(method, path, data=data, allow_redirects=False, timeout=30)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "who, home",
    [("nobody", "/sign-in"), ("resident", "/my-loans"), ("staff", "/desk"), ("manager", None)],
)
def test_only_the_administrator_gets_in(callers, staff_account_id, route, who, home):
    answer = ask(callers, who, route, staff_account_id)

    assert answer.status_code == 303, answer.text[:300]
    location = answer.headers["Location"]
    assert "/admin" not in location
    if home:
        assert location.endswith(home)
    assert STAFF_JEAN_VILAR not in answer.text


@pytest.mark.parametrize("route", [r for r in ROUTES if r.startswith("POST")])
def test_a_form_without_its_token_changes_nothing(callers, staff_account_id, route):
    answer = ask(callers, "admin", route, staff_account_id, token="x" * 43)

    assert answer.status_code == 403
    assert "Formulaire expiré" in answer.text
    hours = callers["admin"].get("/admin/sites/jean-vilar").text
    assert "00:00-23:00" not in hours and "x-wall" not in callers["admin"].get("/admin/sites").text
    assert "365 jours" not in callers["admin"].get("/admin/categories").text
    assert "wall@angers.test" not in callers["admin"].get("/admin/partners").text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/987654",
        "/admin/sites/nowhere-at-all",
        "/admin/categories/987654",
        "/admin/partners/987654",
    ],
)
def test_what_does_not_exist_answers_not_found(callers, path):
    assert callers["admin"].get(path, timeout=30).status_code == 404
    actions = {
        "sites": ("/hours", "/closures", "/closures/1/remove", "/details"),
        "categories": ("/policy", "/name"),
        "partners": ("/contact", "/name"),
    }
    for action in actions.get(path.split("/")[2], ("", "/disable", "/password")):
        answer = callers["admin"].post(
            path + action, data={**FORM, "csrf_token": CSRF}, allow_redirects=False, timeout=30
        )
        assert answer.status_code == 404
