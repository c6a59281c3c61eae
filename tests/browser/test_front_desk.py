"""The front desk in a real browser, keyboard only: lending a laptop to the holder of
a resident's card and taking it back, as a busy desk does with a scanner (which
types the tag and presses Enter)."""

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR
from tests.browser.helpers import assert_accessible, sign_in


def test_a_laptop_is_lent_and_taken_back_with_the_keyboard_alone(staff_page, fresh):
    page = staff_page
    tag, resident = fresh.device("laptop"), fresh.resident()
    page.goto("/desk")
    assert_accessible(page, "desk")
    # The tag field has the focus, ready for the scanner.
    page.keyboard.type(tag)
    page.keyboard.press("Tab")
    page.keyboard.type(resident["card_number"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Step 2: the device and its accessories, all ticked; the confirm button has the focus.
    assert page.get_by_label("chargeur").is_checked()
    expect(page.get_by_role("button", name="Confirmer le prêt")).to_be_focused()
    assert_accessible(page, "lending, accessories to hand over")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    status = page.get_by_role("status")
    assert f"{tag} est prêté." in status.inner_text()
    assert "Avec : chargeur" in status.inner_text()
    assert_accessible(page, "desk, device lent")

    page.get_by_label("Numéro d'inventaire").nth(1).focus()
    page.keyboard.type(tag)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_label("chargeur").is_checked()
    expect(page.get_by_role("button", name="Confirmer le retour")).to_be_focused()
    assert_accessible(page, "taking back, accessories returned")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    status = page.get_by_role("status").inner_text()
    assert f"{tag} est rendu. Merci !" in status
    assert "Accessoires manquants" not in status
    assert "attend maintenant son effacement" in status
    assert_accessible(page, "desk, device returned")


def test_a_refused_loan_moves_the_focus_to_what_went_wrong(staff_page, fresh):
    page = staff_page
    tag = fresh.device("laptop")
    page.goto("/desk")
    page.keyboard.type(tag)
    page.keyboard.press("Tab")
    page.keyboard.type("RS-NOBODY")
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    assert "Aucun habitant n'a cette carte." in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary-title" or (
        page.evaluate("document.activeElement.className") == "error-summary"
    )
    assert_accessible(page, "desk, lending refused")


def test_the_desk_fits_a_phone_in_arabic_right_to_left(open_page):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    page.goto("/desk?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "desk, arabic, phone")
