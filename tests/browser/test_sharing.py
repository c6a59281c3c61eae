"""A partner's staff decide in a real browser what the other partners may reserve of
their devices: a kind of device of the test's own (a rule for every kind would change
what the other tests reserve), a refused number named and kept, the rule read back
from the booking; in Arabic on a phone; and nobody else gets in."""

import pytest

from tests.browser.conftest import MANAGER, PHONE, STAFF_JEAN_VILAR, STAFF_MISTRAL
from tests.browser.helpers import assert_accessible, sign_in, word

CSRF = "c" * 43


@pytest.fixture
def kind(system) -> dict:
    """A kind of device of this test's own."""
    code = f"kind-{word()}"
    with system.rpc() as rpc:
        return rpc.inventory.register_category({"code": code, "name": f"Appareil {code}"})


def rule_row(page, kind) -> str:
    return page.locator("tr", has_text=kind["name"]).inner_text()


def rules_shown(page) -> str:
    """The rules' part of the page (the form lists every kind of device)."""
    return page.locator("section", has=page.locator("#rules-title")).inner_text()


def test_staff_share_a_kind_of_device_with_a_limit_then_keep_it_for_themselves(
    staff_page, open_page, kind
):
    staff_page.get_by_role("link", name="Partage").click()
    assert staff_page.url.endswith("/sharing")
    assert_accessible(staff_page, "sharing")

    # No more than 0 a reservation: refused, the field named, the choices kept.
    staff_page.locator("#sharing_category").select_option(label=kind["name"])
    staff_page.locator("#sharing_max").fill("0")
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Enregistrer la règle").click()
    assert "Au plus par réservation" in staff_page.locator(".error-summary").inner_text()
    assert staff_page.locator("#sharing_category").input_value() == str(kind["id"])
    assert staff_page.locator("#sharing_max").input_value() == "0"
    assert_accessible(staff_page, "sharing, refused")

    staff_page.locator("#sharing_max").fill("3")
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Enregistrer la règle").click()
    assert "règle de partage est enregistrée" in staff_page.get_by_role("status").inner_text()
    assert "Oui" in rule_row(staff_page, kind) and "3" in rule_row(staff_page, kind)
    assert_accessible(staff_page, "sharing, with a rule")

    # Kept for themselves, with the keyboard alone.
    staff_page.locator("#sharing_category").select_option(str(kind["id"]))
    staff_page.locator("#sharing_shared").select_option("no")
    staff_page.locator("#sharing_max").fill("")
    with staff_page.expect_navigation():
        staff_page.locator("#sharing_max").press("Enter")
    row = rule_row(staff_page, kind)
    assert "Non" in row and "3" not in row

    # Another partner's staff see their own rules, not these.
    mistral = open_page()
    sign_in(mistral, STAFF_MISTRAL)
    mistral.goto("/sharing")
    assert kind["name"] not in rules_shown(mistral)

    phone = open_page(language="ar", viewport=PHONE)
    sign_in(phone, STAFF_JEAN_VILAR)
    phone.goto("/sharing")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone, "sharing, ar, phone")


@pytest.mark.parametrize("who", [None, MANAGER, "admin@angers.test"])
def test_only_a_partners_staff_get_in(system, who, kind):
    session = system.sign_in(who) if who else system.client()
    session.cookies.set("csrf", CSRF)
    session.headers["Accept"] = "text/html"
    form = {"sharing_category": str(kind["id"]), "sharing_shared": "no", "csrf_token": CSRF}

    for method, data in (("GET", None), ("POST", form)):
        answer = session.request(method, "/sharing", data=data, allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and "/sharing" not in answer.headers["Location"]


def test_a_form_without_its_token_changes_nothing(system, kind):
    staff = system.sign_in(STAFF_JEAN_VILAR)
    staff.cookies.set("csrf", CSRF)
    form = {"sharing_category": str(kind["id"]), "sharing_shared": "no", "csrf_token": "x" * 43}

    answer = staff.post("/sharing", data=form, headers={"Accept": "text/html"}, timeout=30)

    assert answer.status_code == 403
    shown = staff.get("/sharing", timeout=30).text
    assert shown.count(kind["name"]) == 1  # in the form's choices only: no rule for it
