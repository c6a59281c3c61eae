"""Sign-in limits over real HTTP, RabbitMQ and both databases: they hold when
attempts arrive all at once, a stranger cannot lock a staff member out, and the
counters keep no contact details."""
import eventlet
import requests
from sqlalchemy import text

from tests.integration.gateway import *  # noqa: F401,F403 -- the gateway fixtures
from tests.integration.test_gateway_core import (  # noqa: F401 -- notifications is a fixture
    AMINA, assert_problem, notifications, post, sms_sent)
from tests.integration.test_inventory_rpc import call
from tests.waiting import wait_until

STAFF_EMAIL = "ines@jean-vilar.example"


def all_at_once(attempt, times: int) -> list[int]:
    """The statuses of `times` calls of `attempt()`, sent together from green threads."""
    pool = eventlet.GreenPool(times)
    return sorted(pool.imap(lambda _: attempt().status_code, range(times)))


def test_forty_wrong_passwords_at_once_check_no_more_than_five(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)

    statuses = all_at_once(lambda: post(gateway, "/api/sign-in", {
        "email": STAFF_EMAIL, "password": "guessing in parallel"}), 40)

    assert statuses == [401] * 5 + [429] * 35


def test_thirty_wrong_codes_at_once_check_no_more_than_five(gateway, booking, notifications):
    call(booking[0], "register_resident", AMINA)
    assert post(gateway, "/api/residents/sign-in", {"card_number": "RS-0042"}).status_code == 202

    statuses = all_at_once(lambda: post(gateway, "/api/residents/sign-in/verify", {
        "card_number": "RS-0042", "code": "000000"}), 30)

    # 000000 may be the very code sent: then one attempt signs in instead of failing.
    assert statuses.count(401) + statuses.count(200) == 5
    assert statuses.count(429) == 25


def test_a_stranger_guessing_cannot_lock_out_a_browser_that_signed_in_before(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    browser = requests.Session()
    credentials = {"email": STAFF_EMAIL, "password": PASSWORD}
    assert browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10).ok
    for _ in range(5):
        assert_problem(post(gateway, "/api/sign-in",
                            {"email": STAFF_EMAIL, "password": "a stranger's guess"}), 401)
    assert_problem(post(gateway, "/api/sign-in", credentials), 429)

    again = browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10)

    assert again.status_code == 200, again.text


def test_a_known_browser_has_its_own_five_attempts_and_no_more(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    browser = requests.Session()
    credentials = {"email": STAFF_EMAIL, "password": PASSWORD}
    assert browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10).ok
    for _ in range(5):
        assert_problem(browser.post(gateway.url("/api/sign-in"), timeout=10, json={
            "email": STAFF_EMAIL, "password": "mistyped"}), 401)

    assert_problem(browser.post(gateway.url("/api/sign-in"), json=credentials, timeout=10), 429)
    assert post(gateway, "/api/sign-in", credentials).status_code == 200  # strangers' count


def test_a_device_cookie_of_one_email_earns_nothing_for_another(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    gateway.add_account("karim@mistral.example", role="staff", partner_id=2)
    browser = requests.Session()
    assert browser.post(gateway.url("/api/sign-in"), timeout=10, json={
        "email": "karim@mistral.example", "password": PASSWORD}).ok
    for _ in range(5):
        assert_problem(post(gateway, "/api/sign-in",
                            {"email": STAFF_EMAIL, "password": "a stranger's guess"}), 401)

    answer = browser.post(gateway.url("/api/sign-in"), timeout=10,
                          json={"email": STAFF_EMAIL, "password": PASSWORD})

    assert_problem(answer, 429)


def test_wrong_current_passwords_are_limited_too(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    client = gateway.sign_in(STAFF_EMAIL)
    change = gateway.url("/api/me/password")

    statuses = all_at_once(lambda: client.post(change, timeout=10, json={
        "current_password": "a guess", "new_password": "a brand new passphrase"}), 40)

    assert statuses == [400] * 5 + [429] * 35
    assert_problem(client.post(change, timeout=10, json={
        "current_password": PASSWORD, "new_password": "a brand new passphrase"}), 429)


def test_codes_are_counted_per_resident_whatever_they_type(gateway, booking, notifications):
    call(booking[0], "register_resident", {**AMINA, "email": "amina@example.org"})
    asked_with = [{"phone": "06 12 34 56 78"}, {"email": "amina@example.org"},
                  {"card_number": "RS-0042"}, {"email": "Amina@example.org"},
                  {"phone": "+33 6 12 34 56 78"}]

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
    yusuf = call(booking[0], "register_resident", {**AMINA, "display_name": "Yusuf K.",
                                                   "phone": "06 98 76 54 32",
                                                   "card_number": "RS-0043"})
    phone, tablet = (gateway.client(gateway.token_for(resident_id=amina["id"], hours=720))
                     for _ in range(2))
    other = gateway.client(gateway.token_for(resident_id=yusuf["id"], hours=720))
    assert phone.get(gateway.url("/api/me"), timeout=10).status_code == 200

    call(booking[0], "erase_resident", amina["id"])

    for client in (phone, tablet):
        wait_until(lambda: client.get(gateway.url("/api/me"), timeout=10).status_code == 401,
                   what="the erased resident's token to be revoked")
    assert other.get(gateway.url("/api/me"), timeout=10).status_code == 200
