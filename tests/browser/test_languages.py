"""How far each language's translations are reviewed, as the desk reads it: a member of
staff serving a resident in Pashto sees that its texts still wait for a native speaker,
and which words to check first."""

import requests

from tests.browser.conftest import PHONE, STAFF_JEAN_VILAR
from tests.browser.helpers import assert_accessible, sign_in


def test_staff_see_each_languages_review_and_the_words_to_check_first(staff_page):
    page = staff_page
    page.get_by_role("link", name="Langues").click()

    table = page.get_by_role("table", name="Relecture de chaque langue")
    pashto = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="پښتو"))
    assert "À relire par une personne dont c'est la langue" in pashto.inner_text()
    # The words a reviewer checks first, from the catalogues' own headers: a loan is
    # never a debt in Pashto.
    assert "امانت" in pashto.inner_text()
    assert table.get_by_role("row").count() == 1 + 6  # a header, and each translated language
    assert_accessible(page, "languages review")


def test_the_review_reads_in_arabic_on_a_phone(open_page):
    page = open_page(language="ar", viewport=PHONE)
    sign_in(page, STAFF_JEAN_VILAR)
    page.goto("/languages?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "languages review, arabic, phone")


def test_residents_and_strangers_are_sent_away(system, fresh):
    html = {"Accept": "text/html"}
    anonymous = requests.get(
        f"{system.url}/languages", allow_redirects=False, headers=html, timeout=30
    )
    assert anonymous.status_code == 303 and anonymous.headers["Location"].endswith("/sign-in")
    resident = system.resident_session(fresh.resident())
    answer = resident.get("/languages", allow_redirects=False, headers=html)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/my-loans")
