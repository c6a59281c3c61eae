"""The gateway's core over real HTTP, RabbitMQ and both databases: who is asking,
what they may do, and the errors they get."""
import requests

from tests.integration.gateway import *  # noqa: F401,F403 -- the gateway fixtures


def test_a_signed_in_staff_member_sees_who_they_are(gateway):
    gateway.add_account("ines@jean-vilar.example", role="staff", partner_id=3)
    client = gateway.sign_in("ines@jean-vilar.example")

    me = client.get(gateway.url("/api/me"), timeout=10).json()

    assert me["role"] == "staff" and me["partner_id"] == 3
    assert me["actor"] == f"staff:{me['account_id']}"
    assert me["email"] == "ines@jean-vilar.example"


def test_without_a_token_the_answer_is_a_401_problem(gateway):
    answer = requests.get(gateway.url("/api/me"), timeout=10)

    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 401
