"""The web pages over real HTTP, as a browser without JavaScript uses them: plain
forms, cookies, redirects. Real RabbitMQ, the services running in containers, both
databases."""

import json
import re

import pytest
import requests

from partanum import migrate
from tests.integration.browser import Browser
from tests.integration.gateway import PASSWORD, sqlite_only
from tests.integration.helpers import AMINA, call
from tests.waiting import wait_until

database_kind = sqlite_only  # see its docstring

STAFF_EMAIL = "ines@jean-vilar.example"


@pytest.fixture
def staff(gateway, desk):
    """Inès, front-desk staff of Centre Jean Vilar (partner 1), signed in through the form."""
    account_id = gateway.add_account(STAFF_EMAIL, role="staff", partner_id=1)
    browser = Browser(gateway)
    form = browser.get("/sign-in")
    page = browser.submit("/sign-in", form, {"email": STAFF_EMAIL, "password": PASSWORD})
    assert page.url.endswith("/desk") and page.status == 200, page.text
    browser.account_id = account_id
    return browser


@pytest.fixture
def sms_log(container_factory, config_for, database_kind, new_database, tmp_path):
    """The notifications service, writing the SMS it sends (sign-in codes) to a log."""
    from services.notifications.service import Service

    url = new_database(database_kind)
    migrate.upgrade("notifications", url)
    config = config_for(notifications=url)
    config.update(SMS_PROVIDER="log", SMS_LOG=str(tmp_path / "sms.log"))
    container_factory(Service, config).start()
    return tmp_path / "sms.log"


def code_sent(sms_log) -> str:
    """The code in the one SMS that carries one (loans are confirmed by SMS too)."""

    def codes():
        lines = sms_log.read_text().splitlines() if sms_log.exists() else []
        return [
            found.group(1)
            for found in (re.search(r"\b(\d{6})\b", json.loads(line)["text"]) for line in lines)
            if found
        ]

    [code] = wait_until(codes, what="the sign-in code's SMS")
    return code


def refused_then_shown(page, path) -> bool:
    """A refused form answered 303 to its GET page, which shows it again."""
    redirects = [answer.status_code for answer in page.answer.history]
    return (
        redirects == [303]
        and page.status == 200
        and re.search(rf"{path}\?errors=[\w-]+$", page.url) is not None
    )


def register(desk, **changes):
    return call(desk.booking, "register_resident", {**AMINA, **changes})


def lend(desk, resident_id, tag):
    return call(
        desk.booking,
        "check_out",
        {"asset_tag": tag, "resident_id": resident_id, "site": "jean-vilar"},
    )


# --- languages -------------------------------------------------------------------------------


def test_the_sign_in_pages_speak_french_unless_asked_and_arabic_right_to_left(gateway):
    for path in ("/sign-in", "/resident/sign-in"):
        browser = Browser(gateway)
        french = browser.get(path)
        assert french.first("html") == {"lang": "fr", "dir": "ltr"}
        arabic = browser.get(path + "?lang=ar")
        assert arabic.first("html") == {"lang": "ar", "dir": "rtl"}
        assert "تسجيل" in arabic.text or "دخول" in arabic.text

    # The choice is remembered: the next page, without asking, is in Arabic too.
    assert browser.get("/sign-in").first("html")["dir"] == "rtl"
    # A browser set to Turkish gets Turkish; Dari is tagged as Dari, right to left.
    assert Browser(gateway, "tr-TR,tr;q=0.9").get("/sign-in").first("html")["lang"] == "tr"
    assert Browser(gateway, "fa").get("/sign-in").first("html") == {"lang": "fa-AF", "dir": "rtl"}


def test_the_language_switcher_is_a_plain_link_to_the_same_page(gateway):
    page = Browser(gateway).get("/resident/sign-in")
    link = page.first("a", hreflang="ar")
    assert link["href"] == "/resident/sign-in?lang=ar" and link["lang"] == "ar"
    assert page.first("a", hreflang="fr")["aria-current"] == "true"


def test_pages_need_no_script_and_nothing_from_elsewhere(gateway):
    browser = Browser(gateway)
    page = browser.get("/resident/sign-in")

    assert "<script" not in page.html and "http" not in page.html
    assert page.first("link", rel="stylesheet")["href"] == "/pages/pages.css"
    style = browser.session.get(gateway.url("/pages/pages.css"), timeout=10)
    assert style.status_code == 200 and style.headers["Content-Type"].startswith("text/css")
    assert len(style.content) < 8000
    assert page.first("meta", name="viewport")["content"] == "width=device-width, initial-scale=1"


def test_the_staff_pages_render_in_french_and_in_arabic(staff):
    for path, heading in (
        ("/desk", "Accueil : prêts et retours"),
        ("/reserve", "Réserver pour un atelier"),
    ):
        french = staff.get(path)
        assert french.status == 200 and french.first("html") == {"lang": "fr", "dir": "ltr"}
        assert heading in french.text
        arabic = staff.get(path + "?lang=ar")
        assert arabic.status == 200 and arabic.first("html") == {"lang": "ar", "dir": "rtl"}
        assert heading not in arabic.text
        staff.session.cookies.pop("lang")


# --- residents --------------------------------------------------------------------------------


def test_a_resident_signs_in_with_a_code_and_sees_only_their_own_loans(gateway, desk, sms_log):
    amina = register(desk)
    bilal = register(desk, display_name="Bilal K.", phone="07 98 76 54 32", card_number="RS-0077")
    mine = lend(desk, amina["id"], "JV-LAP-001")
    theirs = lend(desk, bilal["id"], "JV-LAP-002")
    browser = Browser(gateway)

    step_two = browser.submit(
        "/resident/sign-in", browser.get("/resident/sign-in"), {"identifier": "RS-0042"}
    )
    assert step_two.status == 200 and step_two.url.endswith("/resident/sign-in/code")
    loans = browser.submit("/resident/sign-in/code", step_two, {"code": code_sent(sms_log)})

    assert loans.status == 200 and loans.url.endswith("/my-loans"), loans.text
    # She reads the language she registered in (Arabic), whatever her browser's.
    assert loans.first("html") == {"lang": "ar", "dir": "rtl"} and "JV-LAP-001" in loans.text
    loans = browser.get("/my-loans?lang=fr")
    assert "JV-LAP-001" in loans.text and "JV-LAP-002" not in loans.text
    assert "Lenovo ThinkPad E14" in loans.text
    assert "1 place Jean XXIII, 49100 Angers" in loans.text
    assert "lundi : 13:30–18:30" in loans.text
    due_day = re.search(r"À rapporter le (\w+) (\d+) (\w+)", loans.text)
    assert due_day and due_day.group(1) in ("lundi", "mardi"), loans.text  # the site's days

    # Someone else's loan cannot be renewed, nor learnt about.
    refused = browser.post(f"/my-loans/{theirs['id']}/renew", {})  # a valid token, not their loan
    assert refused.status == 404
    assert call(desk.booking, "get_loan", theirs["id"])["renewals"] == 0

    renewed = browser.submit(f"/my-loans/{mine['id']}/renew", loans, {})
    assert renewed.status == 200 and renewed.url.endswith(f"/my-loans?renewed={mine['id']}")
    assert call(desk.booking, "get_loan", mine["id"])["renewals"] == 1

    arabic = browser.get("/my-loans?lang=ar")
    assert arabic.first("html") == {"lang": "ar", "dir": "rtl"} and "JV-LAP-001" in arabic.text


def test_a_wrong_code_is_named_as_the_field_at_fault(gateway, desk, sms_log):
    register(desk)
    browser = Browser(gateway)
    step_two = browser.submit(
        "/resident/sign-in", browser.get("/resident/sign-in"), {"identifier": "06 12 34 56 78"}
    )
    right = code_sent(sms_log)

    page = browser.submit(
        "/resident/sign-in/code", step_two, {"code": "000000" if right != "000000" else "111111"}
    )

    assert page.status == 400 and page.first("a", href="#code") is not None
    assert browser.get("/my-loans").url.endswith("/resident/sign-in")


# --- the front desk --------------------------------------------------------------------------


def test_a_desk_check_out_through_the_form_lends_the_device_to_the_card_holder(
    staff, desk, events_seen
):
    listen = events_seen("booking.loan_checked_out")
    amina = register(desk)
    form = staff.get("/desk")

    step = staff.submit(
        "/desk/check-out", form, {"asset_tag": "jv-lap-002", "card_number": "RS-0042"}
    )
    assert step.status == 200 and step.first("input", value="chargeur") is not None
    done = staff.submit("/desk/lend", step, {"accessories": "chargeur"})

    assert done.status == 200 and re.search(r"/desk\?loan=\d+$", done.url)
    assert "JV-LAP-002 est prêté" in done.text
    assert "Centre Jean Vilar" in done.text
    (loan,) = call(desk.booking, "resident_loans", amina["id"])
    assert loan["asset_tag"] == "JV-LAP-002" and loan["status"] == "active"
    (event,) = listen.wait(1)
    assert event["actor"] == f"staff:{staff.account_id}"

    step = staff.submit(
        "/desk/check-in",
        staff.get("/desk"),
        {"return_asset_tag": "JV-LAP-002", "condition": "good"},
    )
    back = staff.submit("/desk/take-back", step, {"accessories": "chargeur", "condition": "good"})
    assert back.status == 200 and "JV-LAP-002 est rendu" in back.text
    assert "Accessoires manquants" not in back.text
    assert call(desk.booking, "get_loan", loan["id"])["status"] == "returned"


def test_the_desk_form_lends_to_another_partners_resident_holding_their_card_and_records_it(
    staff, desk, events_seen
):
    listen = events_seen("booking.resident_found_at_desk")
    yusuf = register(desk, display_name="Yusuf K.", registered_by_partner_id=2)  # Mistral's

    step = staff.submit(
        "/desk/check-out", staff.get("/desk"), {"asset_tag": "JV-LAP-001", "card_number": "RS-0042"}
    )
    done = staff.submit("/desk/lend", step, {"accessories": "chargeur"})

    assert done.status == 200 and "JV-LAP-001 est prêté" in done.text
    assert call(desk.booking, "resident_loans", yusuf["id"])[0]["asset_tag"] == "JV-LAP-001"
    (found,) = listen.wait(1)
    assert found["data"] == {"resident_id": yusuf["id"], "partner_id": 1, "how": "card"}
    assert found["actor"] == f"staff:{staff.account_id}"


def test_a_form_error_names_the_field_at_the_top_and_beside_it(staff, desk):
    register(desk)
    form = staff.get("/desk")

    page = staff.submit(
        "/desk/check-out", form, {"asset_tag": "pas un numéro", "card_number": "RS-0042"}
    )

    # Refused, then sent to the desk's page (a reload sends nothing again).
    assert refused_then_shown(page, "/desk")
    summary = page.first("div", **{"class": "error-summary"})
    assert summary is not None and summary["role"] == "alert"
    assert page.first("a", href="#asset_tag") is not None
    assert "Numéro d'inventaire : Saisissez le numéro d'inventaire" in page.text
    field = page.first("input", id="asset_tag")
    assert field["aria-invalid"] == "true" and "asset_tag-error" in field["aria-describedby"]
    assert page.first("input", id="card_number")["value"] == "RS-0042"
    assert page.first("title") is not None and page.html.count("<title>Erreur") == 1


def test_a_card_nobody_holds_is_named_as_the_field_at_fault(staff, desk):
    page = staff.submit(
        "/desk/check-out", staff.get("/desk"), {"asset_tag": "JV-LAP-001", "card_number": "RS-9999"}
    )

    assert refused_then_shown(page, "/desk")
    assert page.first("a", href="#card_number") is not None
    assert "Aucun habitant n'a cette carte" in page.text
    assert call(desk.booking, "availability", desk.ask)["free"] == 3


def test_a_browser_that_signed_in_before_still_signs_in_while_strangers_are_locked_out(
    staff, gateway
):
    for _ in range(5):
        requests.post(
            gateway.url("/api/sign-in"),
            timeout=10,
            json={"email": STAFF_EMAIL, "password": "a stranger's guess"},
        )
    assert (
        requests.post(
            gateway.url("/api/sign-in"),
            timeout=10,
            json={"email": STAFF_EMAIL, "password": PASSWORD},
        ).status_code
        == 429
    )
    staff.session.cookies.pop("partanum_session")

    form = staff.get("/sign-in")
    page = staff.submit("/sign-in", form, {"email": STAFF_EMAIL, "password": PASSWORD})

    assert page.url.endswith("/desk") and page.status == 200, page.text


def test_a_form_sent_without_its_csrf_token_is_refused_and_changes_nothing(staff, desk):
    amina = register(desk)

    for csrf in (None, "x" * 43):
        page = staff.post(
            "/desk/check-out", {"asset_tag": "JV-LAP-001", "card_number": "RS-0042"}, csrf=csrf
        )
        assert page.status == 403

    assert call(desk.booking, "resident_loans", amina["id"]) == []


def test_the_desk_is_for_staff_only(gateway, desk):
    page = Browser(gateway).get("/desk")
    assert page.url.endswith("/sign-in")


def test_a_service_that_does_not_answer_gives_a_page_saying_so(gateway):
    """No inventory nor booking running: staff still sign in, and the desk says to retry."""
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=1)
    browser = Browser(gateway)

    page = browser.submit(
        "/sign-in", browser.get("/sign-in"), {"email": STAFF_EMAIL, "password": PASSWORD}
    )

    assert page.url.endswith("/desk") and page.status == 503
    assert page.answer.headers["Retry-After"].isdigit()
    assert page.first("html") == {"lang": "fr", "dir": "ltr"}
    assert "Le service ne répond pas pour le moment" in page.text
    assert "Traceback" not in page.html


# --- reserving for a workshop ----------------------------------------------------------------


def test_a_refused_reservation_offers_its_alternatives_as_choices(staff, desk):
    day, starts, ends = (
        desk.tuesday["starts_at"][:10],
        desk.tuesday["starts_at"][11:16],
        desk.tuesday["ends_at"][11:16],
    )
    wanted = {
        "category_id": str(desk.category_id),
        "quantity": "3",
        "site": "jean-vilar",
        "date": day,
        "starts": starts,
        "ends": ends,
        "note": "Atelier CV",
    }
    first = staff.submit("/reserve", staff.get("/reserve"), wanted)
    assert first.status == 200 and "Réservation n°" in first.text

    refused = staff.submit("/reserve", staff.get("/reserve"), wanted)

    assert refused_then_shown(refused, "/reserve")
    assert "Pas assez d'appareils libres" in refused.text, refused.text
    choice = refused.first("input", type="radio", name="choice")
    assert choice is not None and choice["value"].startswith("window:"), refused.text
    taken = staff.submit("/reserve", refused, {**wanted, "choice": choice["value"]})
    assert taken.status == 200 and "Réservation n°" in taken.text


def test_a_reservation_while_the_site_is_closed_names_the_time_at_fault(staff, desk):
    day = desk.tuesday["starts_at"][:10]  # Jean Vilar closes from 12:00 to 13:30 on Tuesdays

    page = staff.submit(
        "/reserve",
        staff.get("/reserve"),
        {
            "category_id": str(desk.category_id),
            "quantity": "1",
            "site": "jean-vilar",
            "date": day,
            "starts": "12:30",
            "ends": "16:00",
        },
    )

    assert refused_then_shown(page, "/reserve")
    assert page.first("a", href="#starts") is not None and page.first("a", href="#ends") is None
    assert "Le lieu est fermé à cette heure" in page.text
    assert page.first("input", id="starts")["value"] == "12:30"
