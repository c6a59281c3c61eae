"""Sign-in limits over real HTTP, RabbitMQ and both databases: they hold when
attempts arrive all at once, a stranger cannot lock a staff member out, and the
counters keep no contact details."""

import re

import eventlet
import requests
from sqlalchemy import text

from tests.integration.gateway import PASSWORD
from tests.integration.helpers import AMINA_BY_SMS as AMINA
from tests.integration.helpers import assert_problem, call, post, sms_sent
from tests.waiting import wait_until

STAFF_EMAIL = "ines@jean-vilar.example"


def all_at_once(attempt, times: int) -> list[int]:
    """The statuses of `times` calls of `attempt()`, sent together from green threads."""
    pool = eventlet.GreenPool(times)
    return sorted(pool.imap(lambda _: attempt().status_code, range(times)))


def test_forty_wrong_passwords_at_once_check_no_more_than_five(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)

    statuses = all_at_once(
        lambda: post(
            gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": "guessing in parallel"}
        ),
        40,
    )

    assert statuses == [401] * 5 + [429] * 35


def test_thirty_wrong_codes_at_once_check_no_more_than_five(gateway, booking, notifications):
    call(booking[0], "register_resident", AMINA)
    assert post(gateway, "/api/residents/sign-in", {"card_number": "RS-0042"}).status_code == 202

    statuses = all_at_once(
        lambda: post(
            gateway, "/api/residents/sign-in/verify", {"card_number": "RS-0042", "code": "000000"}
        ),
        30,
    )

    # 000000 may be the very code sent: then one attempt signs in instead of failing.
    assert statuses.count(401) + statuses.count(200) == 5
    assert statuses.count(429) == 25


def test_a_stranger_guessing_cannot_lock_out_a_browser_that_signed_in_before(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    browser = requests.Session()
    credentials = {"email": STAFF_EMAIL, "password": PASSWORD}
    assert browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10).ok
    for _ in range(5):
        assert_problem(
            post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": "a stranger's guess"}),
            401,
        )
    assert_problem(post(gateway, "/api/sign-in", credentials), 429)

    again = browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10)

    assert again.status_code == 200, again.text


def test_a_known_browser_has_its_own_five_attempts_and_no_more(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    browser = requests.Session()
    credentials = {"email": STAFF_EMAIL, "password": PASSWORD}
    assert browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10).ok
    for _ in range(5):
        assert_problem(
            browser.post(
                gateway.url("/api/sign-in"),
                timeout=10,
                json={"email": STAFF_EMAIL, "password": "mistyped"},
            ),
            401,
        )

    assert_problem(browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10), 429)
    assert post(gateway, "/api/sign-in", credentials).status_code == 200  # strangers' count


def test_a_device_cookie_of_one_email_earns_nothing_for_another(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    gateway.add_account("karim@mistral.example", role="staff", partner_id=2)
    browser = requests.Session()
    assert browser.post(
        gateway.url("/api/sign-in"),
        timeout=10,
        json={"email": "karim@mistral.example", "password": PASSWORD},
    ).ok
    for _ in range(5):
        assert_problem(
            post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": "a stranger's guess"}),
            401,
        )

    answer = browser.post(
        gateway.url("/api/sign-in"), timeout=10, json={"email": STAFF_EMAIL, "password": PASSWORD}
    )

    assert_problem(answer, 429)


def test_wrong_current_passwords_are_limited_too(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    client = gateway.sign_in(STAFF_EMAIL)
    change = gateway.url("/api/me/password")

    statuses = all_at_once(
        lambda: client.post(
            change,
            timeout=10,
            json={"current_password": "a guess", "new_password": "a brand new passphrase"},
        ),
        40,
    )

    assert statuses == [400] * 5 + [429] * 35
    assert_problem(
        client.post(
            change,
            timeout=10,
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        ),
        429,
    )


def test_codes_are_counted_per_resident_whatever_they_type(gateway, booking, notifications):
    call(booking[0], "register_resident", {**AMINA, "email": "amina@example.org"})
    asked_with = [
        {"phone": "06 12 34 56 78"},
        {"email": "amina@example.org"},
        {"card_number": "RS-0042"},
        {"email": "Amina@example.org"},
        {"phone": "+33 6 12 34 56 78"},
    ]

    answers = [post(gateway, "/api/residents/sign-in", lookup) for lookup in asked_with]

    assert [answer.status_code for answer in answers] == [202] * 5
    assert len({answer.text for answer in answers}) == 1
    wait_until(lambda: len(sms_sent(notifications)) >= 3, what="three codes")
    assert "Retry-After" not in answers[-1].headers
    # What a sixth request sends, if anything, comes after the fourth and fifth would have.
    assert post(gateway, "/api/residents/sign-in", {"card_number": "RS-0042"}).status_code == 202
    assert len(sms_sent(notifications)) == 3


def test_the_counters_keep_no_email_phone_nor_client_address(gateway, booking):
    call(booking[0], "register_resident", {**AMINA, "email": "amina@example.org"})
    post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": "a guess"})
    post(gateway, "/api/residents/sign-in", {"phone": "06 12 34 56 78"})
    post(gateway, "/api/residents/sign-in/verify", {"email": "amina@example.org", "code": "123456"})

    with gateway.engine.connect() as connection:
        keys = connection.execute(text("SELECT key FROM rate_counters")).scalars().all()

    assert len(keys) >= 6
    for typed in ("ines", "jean-vilar", "amina", "0612345678", "612345678", "127.0.0.1"):
        assert not [key for key in keys if typed in key], typed


# --- sign-ins die with the resident's data --------------------------------------------------


def test_an_erased_residents_tokens_stop_working(gateway, booking):
    amina = call(booking[0], "register_resident", AMINA)
    yusuf = call(
        booking[0],
        "register_resident",
        {**AMINA, "display_name": "Yusuf K.", "phone": "06 98 76 54 32", "card_number": "RS-0043"},
    )
    phone, tablet = (
        gateway.client(gateway.token_for(resident_id=amina["id"], hours=720)) for _ in range(2)
    )
    other = gateway.client(gateway.token_for(resident_id=yusuf["id"], hours=720))
    assert phone.get(gateway.url("/api/me"), timeout=10).status_code == 200

    call(booking[0], "erase_resident", amina["id"])

    for client in (phone, tablet):
        wait_until(
            lambda client=client: client.get(gateway.url("/api/me"), timeout=10).status_code == 401,
            what="the erased resident's token to be revoked",
        )
    assert other.get(gateway.url("/api/me"), timeout=10).status_code == 200


# --- a new phone or email is proven before it is kept ---------------------------------------


YUSUF = {**AMINA, "display_name": "Yusuf K.", "phone": "07 11 22 33 44", "card_number": "RS-0043"}


def code_in(sms: dict) -> str:
    return re.search(r"\b(\d{6})\b", sms["text"]).group(1)


def test_a_new_phone_replaces_the_old_one_only_once_its_code_comes_back(
    gateway, booking, notifications
):
    amina = call(booking[0], "register_resident", AMINA)
    resident = gateway.client(gateway.token_for(resident_id=amina["id"]))
    path = gateway.url(f"/api/residents/{amina['id']}")

    asked = resident.post(path + "/contact", json={"phone": "07 99 88 77 66"}, timeout=10)

    assert asked.status_code == 202, asked.text
    [sms] = wait_until(lambda: sms_sent(notifications), what="the code's SMS")
    assert sms["to"].endswith("66")
    assert resident.get(path, timeout=10).json()["phone"] == "06 12 34 56 78"
    wrong = "000000" if code_in(sms) != "000000" else "111111"
    refused = resident.post(path + "/contact/confirm", json={"code": wrong}, timeout=10)
    assert list(assert_problem(refused, 400)["errors"]) == ["code"]
    assert resident.get(path, timeout=10).json()["phone"] == "06 12 34 56 78"

    confirmed = resident.post(path + "/contact/confirm", json={"code": code_in(sms)}, timeout=10)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["phone"] == "07 99 88 77 66"
    assert resident.get(path, timeout=10).json()["phone"] == "07 99 88 77 66"


def test_a_resident_cannot_take_someone_elses_phone(gateway, booking, notifications):
    amina = call(booking[0], "register_resident", AMINA)
    call(booking[0], "register_resident", YUSUF)
    resident = gateway.client(gateway.token_for(resident_id=amina["id"]))
    path = gateway.url(f"/api/residents/{amina['id']}")

    taken = resident.patch(path, json={"phone": YUSUF["phone"]}, timeout=10)
    for_yusufs = resident.post(path + "/contact", json={"phone": YUSUF["phone"]}, timeout=10)
    for_a_free_one = resident.post(path + "/contact", json={"phone": "07 99 88 77 66"}, timeout=10)

    assert list(assert_problem(taken, 400)["errors"]) == ["phone"]
    assert (for_yusufs.status_code, for_yusufs.json()) == (
        for_a_free_one.status_code,
        for_a_free_one.json(),
    )
    assert resident.get(path, timeout=10).json()["phone"] == AMINA["phone"]
    # Yusuf still gets his sign-in codes by phone.
    post(gateway, "/api/residents/sign-in", {"phone": YUSUF["phone"]})
    wait_until(lambda: len(sms_sent(notifications)) == 3, what="Yusuf's sign-in code")


def test_a_resident_cannot_choose_a_card_number(gateway, booking):
    amina = call(booking[0], "register_resident", AMINA)
    call(booking[0], "register_resident", YUSUF)
    resident = gateway.client(gateway.token_for(resident_id=amina["id"]))
    path = gateway.url(f"/api/residents/{amina['id']}")

    for card in (YUSUF["card_number"], "RS-7777"):
        answer = resident.patch(path, json={"card_number": card}, timeout=10)
        assert list(assert_problem(answer, 400)["errors"]) == ["card_number"]

    assert resident.get(path, timeout=10).json()["card_number"] == AMINA["card_number"]


def test_thirty_wrong_codes_for_a_new_phone_at_once_check_no_more_than_five(
    gateway, booking, notifications
):
    amina = call(booking[0], "register_resident", AMINA)
    resident = gateway.client(gateway.token_for(resident_id=amina["id"]))
    path = gateway.url(f"/api/residents/{amina['id']}/contact")
    assert resident.post(path, json={"phone": "07 99 88 77 66"}, timeout=10).status_code == 202
    [sms] = wait_until(lambda: sms_sent(notifications), what="the code's SMS")
    wrong = "000000" if code_in(sms) != "000000" else "111111"

    statuses = all_at_once(
        lambda: resident.post(path + "/confirm", json={"code": wrong}, timeout=10), 30
    )

    assert statuses == [400] * 5 + [429] * 25
    assert (
        resident.get(gateway.url(f"/api/residents/{amina['id']}"), timeout=10).json()["phone"]
        == AMINA["phone"]
    )


def test_erasing_a_resident_forgets_the_phone_they_were_proving(
    gateway, booking, notifications, engine_for
):
    amina = call(booking[0], "register_resident", AMINA)
    resident = gateway.client(gateway.token_for(resident_id=amina["id"]))
    path = gateway.url(f"/api/residents/{amina['id']}")
    assert (
        resident.post(path + "/contact", json={"phone": "07 99 88 77 66"}, timeout=10).status_code
        == 202
    )

    assert resident.post(path + "/erase", timeout=10).status_code == 200

    with engine_for(booking[1]).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contact_changes")).scalar() == 0
