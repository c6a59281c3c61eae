"""A request the gateway gave up on is never carried out, and expected refusals log one
line. Inventory, booking and the gateway run as processes (gateway_system), once for
the whole module, on PostgreSQL: the check-outs are held up by a lock on the booking's
loans table, which its green threads wait for. On SQLite the only lock another process
can hold is the whole database's, which stalls the booking's process in sqlite's busy
handler before it takes anything up; tests/integration/test_deadlines.py holds up the
check-outs on both databases inside the process instead."""

import uuid
from contextlib import contextmanager
from urllib.parse import urlparse

import eventlet
import pytest
from sqlalchemy import create_engine, func, select, text

from partanum.db import make_engine
from services.booking.models import Item, Loan
from tests.conftest import POSTGRES_ADMIN_URL
from tests.e2e import gateway_system
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
SERVICES = ("inventory", "booking", "gateway")
# The restarted booking must take the requests up within a quarter of it
# (partanum.deadline): 7.5 s to start again.
RPC_TIMEOUT = 30
CHECK_OUTS = 5


@pytest.fixture(scope="module")
def system(request, vhost_pipeline, rabbit_manager, tmp_path_factory):
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost, postgresql_databases() as urls:
        running = gateway_system.start(
            f"{broker.scheme}://{broker.netloc}/{vhost}",
            tmp_path_factory.mktemp("deadlines"),
            services=SERVICES,
            databases=urls,
            PARTANUM_RPC_TIMEOUT=str(RPC_TIMEOUT),
            PARTANUM_MAX_LOANS_PER_RESIDENT=str(CHECK_OUTS),
        )
        try:
            running.world = gateway_system.register_network(running)
            gateway_system.add_people(running)
            running.requests_waiting = lambda: rabbit_manager.get_queue(vhost, "rpc-booking")[
                "messages"
            ]
            yield running
        finally:
            gateway_system.stop(running)


@contextmanager
def postgresql_databases(services=SERVICES):
    """Each service's database URL, fresh; dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = {service: f"partanum_test_{uuid.uuid4().hex[:12]}" for service in services}
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield {
            service: admin.url.set(database=name).render_as_string(hide_password=False)
            for service, name in names.items()
        }
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def check_outs_held_up(url):
    """Makes the booking's check-outs wait while the block lasts, as a busy database
    would: its loans table locked."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("LOCK TABLE loans IN EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


def loans_of(url, asset_tags) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(func.count())
                .select_from(Loan)
                .join(Item, Loan.item_id == Item.id)
                .where(Item.asset_tag.in_(asset_tags))
            ).scalar()
    finally:
        engine.dispose()


def test_check_outs_answered_503_are_never_committed_by_the_restarted_booking(system):
    staff = system.sign_in("staff@jean-vilar.test")
    resident = system.world.residents["jean-vilar"]
    tablets = system.world.jean_vilar.tablets[:CHECK_OUTS]
    booking = system.processes["booking"]

    booking.kill()
    with check_outs_held_up(system.databases["booking"]):
        answers = [
            eventlet.spawn(
                staff.post,
                "/api/loans",
                json={"asset_tag": tag, "resident_id": resident["id"], "site": "jean-vilar"},
            )
            for tag in tablets
        ]
        # Back at once, it takes the waiting requests up; its database is migrated
        # already (migrating would wait for the lock held here).
        booking.start("--no-migrate")
        statuses = [answer.wait().status_code for answer in answers]
    assert statuses == [503] * CHECK_OUTS

    # Once every request is answered or expired, none of them was carried out.
    wait_until(
        lambda: system.requests_waiting() == 0,
        timeout=60,
        what="the booking to be done with the check-outs",
    )
    assert loans_of(system.databases["booking"], tablets) == 0
    assert "refused: DeadlinePassed" in system.log("booking")
    # Asked again, the desk is served: the tablets are free.
    lent = staff.post(
        "/api/loans",
        json={"asset_tag": tablets[0], "resident_id": resident["id"], "site": "jean-vilar"},
    )
    assert lent.status_code == 201, lent.text


def test_expected_refusals_are_one_log_line_without_a_traceback(system):
    staff = system.sign_in("staff@jean-vilar.test")
    resident = system.world.residents["jean-vilar"]
    tablet = system.world.jean_vilar.tablets[-1]
    logged_before = {name: len(system.log(name)) for name in ("booking", "gateway")}
    lend = {"asset_tag": tablet, "resident_id": resident["id"], "site": "jean-vilar"}
    assert staff.post("/api/loans", json=lend).status_code == 201

    assert staff.get("/api/residents/by-card/RS-NOBODY").status_code == 404
    assert staff.post("/api/loans", json=lend).status_code == 409

    booking_log = system.log("booking")[logged_before["booking"] :]
    gateway_log = system.log("gateway")[logged_before["gateway"] :]
    refusals = [line for line in booking_log.splitlines() if " refused: " in line]
    assert len(refusals) == 2, booking_log
    # The desk asks the booking for the resident presenting that card (see operations.py).
    assert " INFO booking.find_resident_at_desk." in refusals[0] and refusals[0].endswith(
        " NotFound"
    )
    assert " INFO booking.check_out." in refusals[1] and refusals[1].endswith(" NotLendable")
    assert "Traceback" not in booking_log
    assert "Traceback" not in gateway_log
