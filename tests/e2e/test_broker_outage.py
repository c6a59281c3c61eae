"""A broker outage is survived, not obeyed: the whole system on a RabbitMQ node of the
test's own (tests/e2e/broker_node.py), under a steady stream of devices registered
through the gateway, while the node stops accepting anything for 30 s.

Meanwhile every service stays up, every request is answered within the gateway's
RPC timeout (503 with Retry-After when the broker is away), and afterwards the
system catches up by itself: every device answered 201 exists, every one has its
events consumed once by the booking and the audit log, nothing waits in an outbox,
and the audit chain verifies. Once as `make run` runs it (one process for all five
services), once with a process per service.

And what a service commits while the broker is away (a command-line import, say) is
published once it is back, each event with its effect once. The only module that
stops a broker: the other layers share the machine's, so this one stops its own.
"""

import threading
import time
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from partanum.dependencies import UnitOfWork
from partanum.tables import outbox
from services.inventory import commands, schemas
from tests import probe
from tests.e2e import gateway_system
from tests.e2e.broker_node import BrokerNode
from tests.e2e.conftest import wait_until_serving
from tests.e2e.helpers import NETWORK_EVENTS, register_network
from tests.integration.helpers import tablet
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 30
RPC_TIMEOUT = 8.0
PACE = 0.1  # a request every 100 ms: 10 a second
# What a request may take beyond the RPC timeout: the gateway's own work, a slow machine.
ANSWER_MARGIN = 5.0


@pytest.fixture(scope="module")
def broker():
    with BrokerNode.started() as node:
        yield node


@pytest.fixture
def rabbit_config(broker):
    """This module's tests run on a vhost of their own on the module's node, and the
    fixtures built on `rabbit_config` (service_process, rpc, container_factory) follow."""
    vhost = f"outage-{uuid.uuid4().hex[:6]}"
    broker.ctl("add_vhost", vhost)
    broker.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield {"AMQP_URI": broker.amqp_uri + vhost}
    broker.ctl("delete_vhost", vhost)


@dataclass
class Answer:
    tag: str
    status: int | None  # None: no answer at all (connection refused, client timeout)
    seconds: float
    retry_after: str | None


class SteadyLoad:
    """Devices registered through the gateway's API, one every PACE seconds, in a thread."""

    def __init__(self, staff, partner: str):
        self.staff, self.partner = staff, partner
        self.answers: list[Answer] = []
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while self.running:
            tag = f"JV-OUT-{uuid.uuid4().hex[:8].upper()}"
            started = time.monotonic()
            try:
                response = self.staff.post(
                    "/api/items",
                    json={**gateway_system.device(tag, "tablet", self.partner)},
                    timeout=RPC_TIMEOUT + 30,
                )
                answer = Answer(
                    tag,
                    response.status_code,
                    time.monotonic() - started,
                    response.headers.get("Retry-After"),
                )
            except Exception:  # noqa: BLE001 -- recorded as no answer, which the test refuses
                answer = Answer(tag, None, time.monotonic() - started, None)
            self.answers.append(answer)
            time.sleep(max(0.0, PACE - (time.monotonic() - started)))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join(timeout=RPC_TIMEOUT + 40)


def pending_in_outboxes(system) -> dict:
    pending = {}
    for service, url in system.databases.items():
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                pending[service] = connection.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
        finally:
            engine.dispose()
    return pending


@pytest.mark.parametrize("together", [True, False], ids=["make-run", "process-per-service"])
def test_the_system_rides_out_a_broker_outage_under_steady_load(broker, together, tmp_path):
    vhost = f"outage-{uuid.uuid4().hex[:6]}"
    broker.ctl("add_vhost", vhost)
    broker.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    system = gateway_system.start(
        broker.amqp_uri + vhost,
        tmp_path,
        together=together,
        PARTANUM_RPC_TIMEOUT=str(RPC_TIMEOUT),
    )
    try:
        system.world = gateway_system.register_network(system)
        gateway_system.add_people(system)
        staff = system.sign_in("staff@jean-vilar.test")

        with SteadyLoad(staff, "jean-vilar") as load:
            wait_until(lambda: len(load.answers) >= 20, what="the load to be steady")
            broker.stop_app()
            away_from = time.monotonic()
            wait_until(
                lambda: time.monotonic() - away_from >= OUTAGE_SECONDS,
                timeout=OUTAGE_SECONDS + 5,
                what="the outage to last",
            )
            system.check_alive()
            broker.start_app()
            back_at = time.monotonic()
            wait_until(
                lambda: any(a.status == 201 for a in load.answers[-5:]),
                timeout=120,
                what="the gateway to serve again",
            )
        system.check_alive()

        answers = load.answers
        assert all(a.status is not None for a in answers), [a for a in answers if not a.status]
        assert max(a.seconds for a in answers) <= RPC_TIMEOUT + ANSWER_MARGIN
        refused = [a for a in answers if a.status != 201]
        assert refused, "the outage refused nothing: it did not happen"
        assert {a.status for a in refused} == {503}
        assert all(a.retry_after for a in refused)
        print(
            f"{len(answers)} requests, {len(refused)} answered 503 while the broker was away; "
            f"served again {time.monotonic() - back_at:.1f} s after it came back"
        )

        registered = {a.tag for a in answers if a.status == 201}
        with system.rpc() as rpc:
            items = {
                item["asset_tag"]: item["id"]
                for item in rpc.inventory.list_items()
                if item["asset_tag"].startswith("JV-OUT-")
            }
            assert registered <= set(items)
            category = system.world.categories["tablet"]
            window = gateway_system.local_window(days_ahead=300, hour=10, hours=1)

            def caught_up():
                known = set(
                    rpc.booking.availability({"category_id": category, **window})["asset_tags"]
                )
                logged = rpc.audit.query_log({"type": "inventory.item_registered", "limit": 1000})[
                    "entries"
                ]
                return (
                    set(items) <= known
                    and sorted(e["item_id"] for e in logged if e["item_id"] in items.values())
                    == sorted(items.values())
                    and not any(pending_in_outboxes(system).values())
                )

            wait_until(caught_up, timeout=120, what="every event to be consumed once")
            assert rpc.audit.verify_log()["ok"] is True
    finally:
        gateway_system.stop(system)


def test_events_committed_while_the_broker_is_away_all_arrive_once(
    broker, service_process, rpc, inventory_db, engine_for, probe_engine
):
    inventory = service_process("inventory", inventory_db).start()
    wait_until_serving(rpc, inventory)
    register_network(rpc)
    # While the broker is away no RPC reaches the service, so the changes are made by
    # the inventory's own code in this process, as a command-line import would; the
    # relay of the running service publishes them.
    sessions = sessionmaker(engine_for(inventory_db), expire_on_commit=False)
    uow = UnitOfWork(sessions, "inventory", "staff:e2e", on_commit=lambda: None)

    def register(first, count):
        for n in range(first, first + count):
            with uow.transaction() as tx:
                commands.register_item(tx, schemas.ItemIn().load(tablet(f"JV-TAB-{n:03}")))
                tx.commit()

    register(0, 10)
    broker.stop_app()
    try:
        register(10, 10)
    finally:
        broker.start_app()
    register(20, 10)

    expected = NETWORK_EVENTS + 30
    assert wait_until(lambda: probe.effect_counts(probe_engine) == (expected, expected), timeout=60)
