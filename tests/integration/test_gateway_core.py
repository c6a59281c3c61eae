"""The gateway's core over real HTTP, RabbitMQ and both databases: who is asking,
what they may do, the errors they get, and the actor their calls leave in events."""

import json
import re
from datetime import UTC, datetime, timedelta

import requests
from openapi_spec_validator import validate

from tests.integration.gateway import PASSWORD
from tests.integration.helpers import AMINA_BY_SMS as AMINA
from tests.integration.helpers import assert_problem, call, post, sms_sent
from tests.waiting import wait_until

STAFF_EMAIL = "ines@jean-vilar.example"
ADMIN_EMAIL = "admin@angers.example"


# --- signing in ------------------------------------------------------------------------


def test_a_signed_in_staff_member_sees_who_they_are(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    client = gateway.sign_in(STAFF_EMAIL)

    me = client.get(gateway.url("/api/me"), timeout=10).json()

    assert me["role"] == "staff" and me["partner_id"] == 3
    assert me["actor"] == f"staff:{me['account_id']}"
    assert me["email"] == STAFF_EMAIL


def test_without_a_token_the_answer_is_a_401_problem(gateway):
    assert_problem(requests.get(gateway.url("/api/me"), timeout=10), 401)


def test_a_wrong_password_gives_no_token_and_the_same_answer_as_an_unknown_email(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)

    wrong = assert_problem(
        post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": "not the password"}), 401
    )
    unknown = assert_problem(
        post(gateway, "/api/sign-in", {"email": "nobody@example.org", "password": "whatever"}), 401
    )

    assert "token" not in wrong
    assert wrong["detail"] == unknown["detail"]


def test_after_too_many_wrong_passwords_even_the_right_one_waits(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    for _ in range(5):  # the default limit
        assert_problem(
            post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": "guessing again"}), 401
        )

    answer = post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": PASSWORD})

    assert_problem(answer, 429)
    assert 0 < int(answer.headers["Retry-After"]) <= 15 * 60


def test_an_expired_token_no_longer_signs_in(gateway):
    account_id = gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    expired = gateway.token_for(account_id=account_id, issued_at=yesterday, hours=12)

    assert_problem(gateway.client(expired).get(gateway.url("/api/me"), timeout=10), 401)


def test_a_signed_out_token_no_longer_signs_in(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    client = gateway.sign_in(STAFF_EMAIL)

    assert client.post(gateway.url("/api/sign-out"), timeout=10).status_code == 204

    assert_problem(client.get(gateway.url("/api/me"), timeout=10), 401)


def test_an_account_disabled_by_an_administrator_stops_at_once(gateway):
    gateway.add_account(ADMIN_EMAIL, role="admin")
    staff_id = gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    admin, staff = gateway.sign_in(ADMIN_EMAIL), gateway.sign_in(STAFF_EMAIL)

    answer = admin.patch(
        gateway.url(f"/api/accounts/{staff_id}"), json={"disabled": True}, timeout=10
    )

    assert answer.status_code == 200 and answer.json()["disabled"] is True
    assert_problem(staff.get(gateway.url("/api/me"), timeout=10), 401)
    assert_problem(post(gateway, "/api/sign-in", {"email": STAFF_EMAIL, "password": PASSWORD}), 401)


# --- what each role may do ---------------------------------------------------------------


def test_an_administrator_creates_a_staff_account_that_can_sign_in(gateway):
    gateway.add_account(ADMIN_EMAIL, role="admin")
    admin = gateway.sign_in(ADMIN_EMAIL)

    created = admin.post(
        gateway.url("/api/accounts"),
        timeout=10,
        json={
            "email": "Karim@Mistral.example",
            "display_name": "Karim",
            "role": "staff",
            "partner_id": 2,
            "password": "a long enough password",
        },
    )

    assert created.status_code == 201, created.text
    assert created.json()["email"] == "karim@mistral.example"
    assert "password" not in created.json()
    karim = gateway.sign_in("karim@mistral.example", "a long enough password")
    assert karim.get(gateway.url("/api/me"), timeout=10).json()["partner_id"] == 2


def test_staff_may_not_manage_accounts(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    staff = gateway.sign_in(STAFF_EMAIL)

    assert_problem(staff.get(gateway.url("/api/accounts"), timeout=10), 403)
    assert_problem(staff.post(gateway.url("/api/accounts"), timeout=10, json={}), 403)


def test_an_unknown_field_is_refused_by_name_and_nothing_is_created(gateway):
    gateway.add_account(ADMIN_EMAIL, role="admin")
    admin = gateway.sign_in(ADMIN_EMAIL)

    answer = admin.post(
        gateway.url("/api/accounts"),
        timeout=10,
        json={
            "email": "karim@mistral.example",
            "display_name": "Karim",
            "role": "staff",
            "partner_id": 2,
            "password": "a long enough password",
            "is_superuser": True,
        },
    )

    problem = assert_problem(answer, 400)
    assert list(problem["errors"]) == ["is_superuser"]
    listed = admin.get(gateway.url("/api/accounts?role=staff"), timeout=10).json()
    assert listed["total"] == 0


def test_a_staff_account_without_a_partner_is_refused_naming_the_field(gateway):
    gateway.add_account(ADMIN_EMAIL, role="admin")
    admin = gateway.sign_in(ADMIN_EMAIL)

    answer = admin.post(
        gateway.url("/api/accounts"),
        timeout=10,
        json={
            "email": "karim@mistral.example",
            "display_name": "Karim",
            "role": "staff",
            "password": "a long enough password",
        },
    )

    assert "partner_id" in assert_problem(answer, 400)["errors"]


# --- services behind the gateway ---------------------------------------------------------


def test_a_service_that_is_not_running_gives_a_503_with_a_retry_hint(gateway):
    # No booking service runs on this test's broker.
    answer = post(gateway, "/api/residents/sign-in", {"card_number": "RS-0042"})

    problem = assert_problem(answer, 503)
    assert int(answer.headers["Retry-After"]) > 0
    assert "booking" not in json.dumps(problem)  # no internals


def test_the_signed_in_person_is_the_actor_of_the_events_their_calls_cause(
    gateway, inventory, events_seen
):
    admin_id = gateway.add_account(ADMIN_EMAIL, role="admin")
    admin = gateway.sign_in(ADMIN_EMAIL)
    listen = events_seen("inventory.partner_registered")

    answer = admin.post(
        gateway.url("/api/partners"),
        timeout=10,
        json={"code": "jean-vilar", "name": "Centre Jean Vilar"},
    )

    assert answer.status_code == 201, answer.text
    [event] = listen.wait(1)
    assert event["actor"] == f"admin:{admin_id}"


# --- the document ------------------------------------------------------------------------


def test_the_openapi_document_is_valid_openapi_3_and_lists_the_sign_in(gateway):
    document = requests.get(gateway.url("/openapi.json"), timeout=10).json()

    validate(document)
    assert document["openapi"].startswith("3.")
    assert "post" in document["paths"]["/api/sign-in"]
    assert document["paths"]["/api/accounts"]["get"]["x-allowed-roles"] == ["admin"]


def test_the_documentation_page_is_plain_html_listing_every_path(gateway):
    answer = requests.get(gateway.url("/docs"), timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<script" not in answer.text
    assert "/api/residents/sign-in/verify" in answer.text


# --- residents: a one-time code ------------------------------------------------------------


def test_a_resident_signs_in_with_the_code_sent_to_their_phone(gateway, booking, notifications):
    amina = call(booking[0], "register_resident", AMINA)

    asked = post(gateway, "/api/residents/sign-in", {"phone": "+33 6 12 34 56 78"})

    assert asked.status_code == 202
    [sms] = wait_until(lambda: sms_sent(notifications), what="the code's SMS")
    assert sms["to"].endswith("78") and "12 34" not in sms["to"]  # masked in the log
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)
    assert_problem(
        post(
            gateway,
            "/api/residents/sign-in/verify",
            {"phone": "06 12 34 56 78", "code": "000000" if code != "000000" else "111111"},
        ),
        401,
    )

    signed_in = post(
        gateway, "/api/residents/sign-in/verify", {"phone": "06 12 34 56 78", "code": code}
    )

    assert signed_in.status_code == 200, signed_in.text
    me = gateway.client(signed_in.json()["token"]).get(gateway.url("/api/me"), timeout=10).json()
    assert me == {
        **me,
        "role": "resident",
        "resident_id": amina["id"],
        "actor": f"resident:{amina['id']}",
    }
    # The code works once.
    assert_problem(
        post(gateway, "/api/residents/sign-in/verify", {"phone": "06 12 34 56 78", "code": code}),
        401,
    )


def test_asking_for_a_code_does_not_tell_whether_someone_is_a_resident(
    gateway, booking, notifications
):
    call(booking[0], "register_resident", AMINA)

    stranger = post(gateway, "/api/residents/sign-in", {"card_number": "RS-9999"})
    resident = post(gateway, "/api/residents/sign-in", {"card_number": "RS-0042"})

    assert stranger.status_code == resident.status_code == 202
    assert stranger.json() == resident.json()
    wait_until(lambda: sms_sent(notifications), what="the resident's code")
    assert len(sms_sent(notifications)) == 1


def test_staff_act_for_a_resident_of_their_partner_and_for_no_other(gateway, booking):
    amina = call(booking[0], "register_resident", AMINA)  # registered by partner 1
    mandate = call(
        booking[0],
        "record_mandate",
        {
            "resident_id": amina["id"],
            "partner_id": 1,
            "scopes": ["loans"],
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
    )
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=1)
    gateway.add_account("karim@mistral.example", role="staff", partner_id=2)
    gateway.add_account("direction@angers.example", role="manager")
    desk = gateway.sign_in(STAFF_EMAIL)
    elsewhere = gateway.sign_in("karim@mistral.example")
    manager = gateway.sign_in("direction@angers.example")
    for_amina = gateway.url(f"/api/me?acting_for={amina['id']}")

    me = desk.get(for_amina, timeout=10).json()

    assert me["actor"] == (
        f"staff:{me['account_id']} for resident:{amina['id']} under mandate:{mandate['id']}"
    )
    assert_problem(elsewhere.get(for_amina, timeout=10), 404)
    assert_problem(desk.get(gateway.url("/api/me?acting_for=999999"), timeout=10), 404)
    assert_problem(manager.get(for_amina, timeout=10), 403)


def test_behind_a_proxy_each_client_address_has_its_own_limit(gateway_config, request):
    gateway_config.update(TRUSTED_PROXIES=1, SIGN_IN_ADDRESS_ATTEMPTS=2)
    gateway = request.getfixturevalue("gateway")

    def attempt(address, email):
        return post(
            gateway,
            "/api/sign-in",
            {"email": email, "password": "guess"},
            headers={"X-Forwarded-For": address},
        )

    for email in ("a@example.org", "b@example.org"):
        assert_problem(attempt("203.0.113.5", email), 401)

    assert_problem(attempt("203.0.113.5", "c@example.org"), 429)
    assert_problem(attempt("203.0.113.6", "c@example.org"), 401)


def test_a_service_that_stopped_answering_gives_a_503_and_its_request_expires(
    gateway_config, request, rabbit_config
):
    from kombu import Connection, Exchange, Queue

    # booking ran once (its queue is still there) but nothing consumes it now.
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue = Queue(
            "rpc-booking",
            Exchange("nameko-rpc", type="topic", durable=True),
            routing_key="booking.*",
            durable=True,
        )
        queue(connection.default_channel).declare()
        gateway_config.update(RPC_TIMEOUT=1.0)
        gateway = request.getfixturevalue("gateway")

        answer = post(gateway, "/api/residents/sign-in", {"card_number": "RS-0042"})

        assert_problem(answer, 503)
        assert int(answer.headers["Retry-After"]) > 0
        # The request does not wait in the queue for booking's return.
        wait_until(
            lambda: (
                queue(connection.default_channel).queue_declare(passive=True).message_count == 0
            ),
            what="the request to expire",
        )


def test_changing_ones_password_signs_out_every_other_session(gateway):
    gateway.add_account(STAFF_EMAIL, role="staff", partner_id=3)
    here, elsewhere = gateway.sign_in(STAFF_EMAIL), gateway.sign_in(STAFF_EMAIL)
    change = gateway.url("/api/me/password")

    wrong = here.post(
        change,
        json={"current_password": "not it", "new_password": "a brand new passphrase"},
        timeout=10,
    )
    assert list(assert_problem(wrong, 400)["errors"]) == ["current_password"]
    changed = here.post(
        change,
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        timeout=10,
    )

    assert changed.status_code == 204
    assert here.get(gateway.url("/api/me"), timeout=10).status_code == 200
    assert_problem(elsewhere.get(gateway.url("/api/me"), timeout=10), 401)
    gateway.sign_in(STAFF_EMAIL, "a brand new passphrase")


def test_an_administrator_cannot_lock_themself_out(gateway):
    admin_id = gateway.add_account(ADMIN_EMAIL, role="admin")
    admin = gateway.sign_in(ADMIN_EMAIL)
    myself = gateway.url(f"/api/accounts/{admin_id}")

    assert_problem(admin.patch(myself, json={"disabled": True}, timeout=10), 409)
    assert_problem(admin.patch(myself, json={"role": "staff", "partner_id": 1}, timeout=10), 409)
    assert_problem(admin.delete(myself, timeout=10), 409)
    renamed = admin.patch(
        myself, json={"display_name": "Ville d'Angers", "role": "admin"}, timeout=10
    )
    assert renamed.status_code == 200 and renamed.json()["display_name"] == "Ville d'Angers"
