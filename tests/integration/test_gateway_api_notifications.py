"""The notifications through the gateway's JSON API, over real HTTP, RabbitMQ, SMTP
and both databases: the delivery log by role, a desk's notices, its address."""

import pytest

from partanum import migrate
from tests.integration.gateway import sqlite_only
from tests.integration.gateway_network import JEAN_VILAR, MISTRAL, TIMEOUT
from tests.integration.helpers import NO_QUIET_HOURS
from tests.smtp_server import SmtpServer
from tests.waiting import wait_until

database_kind = sqlite_only  # see its docstring


@pytest.fixture
def notifications(container_factory, config_for, database_kind, new_database, tmp_path):
    """The notifications service beside the network, with a local SMTP server and the SMS log."""
    from services.notifications.service import Service

    url = new_database(database_kind)
    migrate.upgrade("notifications", url)
    smtp = SmtpServer(tmp_path / "mail").start()
    config = config_for(notifications=url)
    config.update(
        SMTP_HOST=smtp.host,
        SMTP_PORT=smtp.port,
        SMS_PROVIDER="log",
        SMS_LOG=str(tmp_path / "sms.log"),
        **NO_QUIET_HOURS,
    )
    container = container_factory(Service, config)
    container.start()
    yield container
    smtp.stop()


def logged(network, client, **params):
    return network.ok(client, "GET", "/api/delivery-log", params=params)


def test_each_role_reads_the_delivery_log_it_may_and_no_more(network, notifications):
    amina = network.register(network.jv)
    yusuf = network.register(network.jv, name="Yusuf K.", card="RS-0043")
    network.lend(network.jv, amina["id"])

    sent = wait_until(
        lambda: logged(network, network.manager, status="sent")["items"],
        what="the loan's confirmation sent",
        timeout=20,
    )

    (message,) = sent
    assert message["resident_id"] == amina["id"] and message["purpose"] == "loan_confirmed"
    assert "06 12" not in str(message)
    assert logged(network, network.resident(amina["id"]), status="sent")["items"] == sent
    assert {m["purpose"] for m in logged(network, network.resident(amina["id"]))["items"]} >= {
        "loan_confirmed",
        "due_soon",
    }  # and the reminders planned
    assert logged(network, network.resident(yusuf["id"]))["items"] == []
    assert logged(network, network.resident(yusuf["id"]), resident_id=amina["id"])["items"] == []
    assert logged(network, network.jv, status="sent")["items"] == sent
    assert logged(network, network.mi)["total"] == 0
    page = logged(network, network.manager, status="sent", limit=1, offset=1)
    assert page["items"] == [] and page["total"] == 1 and page["offset"] == 1


def test_a_desk_handles_its_notices_and_no_other_desk_sees_them(network, notifications):
    malik = network.register(network.jv, name="Malik", card="RS-0044", channel="none")
    network.lend(network.jv, malik["id"])
    path = f"/api/partners/{JEAN_VILAR}/notices"

    notices = wait_until(
        lambda: network.ok(network.jv, "GET", path)["items"],
        what="a call task for the desk",
        timeout=20,
    )

    (notice,) = notices
    assert notice["kind"] == "call_to_tell" and notice["resident_id"] == malik["id"]
    assert network.mi.get(network.url(path), timeout=TIMEOUT).status_code == 404
    assert (
        network.mi.post(
            network.url(f"/api/notices/{notice['id']}/done"), timeout=TIMEOUT
        ).status_code
        == 404
    )
    assert network.ok(network.manager, "GET", path)["total"] == 1
    done = network.ok(network.jv, "POST", f"/api/notices/{notice['id']}/done")
    assert done["done_at"] is not None
    assert network.ok(network.jv, "GET", path)["items"] == []
    assert network.ok(network.jv, "GET", path, params={"include_done": "true"})["total"] == 1


def test_a_desk_sets_its_own_address_and_only_its_own(network, notifications):
    address = {"email": "accueil@jean-vilar.example", "language": "fr"}

    mine = network.ok(network.jv, "PUT", f"/api/partners/{JEAN_VILAR}/contact", json=address)

    assert mine == {"partner_id": JEAN_VILAR, **address}
    assert (
        network.mi.put(
            network.url(f"/api/partners/{JEAN_VILAR}/contact"), json=address, timeout=TIMEOUT
        ).status_code
        == 403
    )
    assert (
        network.ok(network.admin, "PUT", f"/api/partners/{MISTRAL}/contact", json={"email": None})[
            "email"
        ]
        is None
    )
