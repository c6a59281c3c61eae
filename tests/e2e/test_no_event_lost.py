"""A committed event is never lost: not when the service dies between commit and
publish, not when it is killed mid-stream, not when RabbitMQ restarts while
events are produced. And each has its effect exactly once."""

import subprocess

import eventlet
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from partanum.dependencies import UnitOfWork
from services.inventory import commands, schemas
from services.inventory.models import Item
from tests import probe
from tests.e2e.conftest import wait_until_serving
from tests.integration.helpers import JEAN_VILAR_HOURS, tablet
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
NETWORK_EVENTS = 3  # partner, site, category


@pytest.fixture
def probe_engine(container_factory, rabbit_config, engine_for, tmp_path):
    """The probe consumer, running in the test process with its own database."""
    url = f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    engine = engine_for(url)
    probe.create_tables(engine)
    config = {**rabbit_config, "DATABASE_URLS": {"probe": url}, "RETRY_BASE_DELAY": 0.05}
    container_factory(probe.Probe, config).start()
    return engine


def register_network(rpc):
    rpc.inventory.register_partner({"code": "jean-vilar", "name": "Centre Jean Vilar"})
    rpc.inventory.register_site(
        {
            "code": "jean-vilar",
            "name": "Centre Jean Vilar",
            "partner": "jean-vilar",
            "address": "Place Jean XXIII, 49100 Angers",
            "opening_hours": JEAN_VILAR_HOURS,
        }
    )
    rpc.inventory.register_category({"code": "tablet", "name": "Tablette"})


def items_in(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Item)).scalar()


def test_events_committed_before_a_crash_are_published_after_restart(
    service_process, rpc, inventory_db, probe_engine
):
    # With its relay off the service commits and never publishes: the moment
    # between commit and publish, held open. Then it dies without a word.
    inventory = service_process("inventory", inventory_db).start(PARTANUM_RELAY_ENABLED="0")
    wait_until_serving(rpc, inventory)
    register_network(rpc)
    for n in range(20):
        rpc.inventory.register_item(tablet(f"JV-TAB-{n:03}"))
    inventory.kill()
    assert probe.effect_counts(probe_engine) == (0, 0)

    inventory.start()

    expected = NETWORK_EVENTS + 20
    assert wait_until(lambda: probe.effect_counts(probe_engine) == (expected, expected), timeout=30)


def test_a_service_killed_mid_stream_loses_no_committed_event(
    service_process, rpc, inventory_db, probe_engine, engine_for
):
    inventory = service_process("inventory", inventory_db).start()
    wait_until_serving(rpc, inventory)
    register_network(rpc)
    answered = []

    def keep_registering():
        for n in range(10_000):
            rpc.inventory.register_item(tablet(f"JV-TAB-{n:04}"))
            answered.append(n)

    writer = eventlet.spawn(keep_registering)
    wait_until(lambda: len(answered) >= 30, what="30 registrations")
    inventory.kill()
    writer.kill()  # its call in flight will never be answered

    inventory.start()
    wait_until_serving(rpc, inventory)
    committed = items_in(engine_for(inventory_db))
    assert committed >= len(answered)  # every answered call was committed

    expected = NETWORK_EVENTS + committed
    assert wait_until(lambda: probe.effect_counts(probe_engine) == (expected, expected), timeout=30)


def test_events_produced_while_rabbitmq_restarts_all_arrive_once(
    service_process, rpc, inventory_db, probe_engine, engine_for
):
    inventory = service_process("inventory", inventory_db).start()
    wait_until_serving(rpc, inventory)
    register_network(rpc)
    # While the broker is down no RPC reaches the service, so the changes are
    # made by the inventory's own code in this process, as a command-line import
    # would; the relay of the running service publishes them.
    sessions = sessionmaker(engine_for(inventory_db), expire_on_commit=False)
    uow = UnitOfWork(sessions, "inventory", "staff:e2e", on_commit=lambda: None)

    def register(first, count):
        for n in range(first, first + count):
            with uow.transaction() as tx:
                commands.register_item(tx, schemas.ItemIn().load(tablet(f"JV-TAB-{n:03}")))
                tx.commit()

    register(0, 10)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
    try:
        register(10, 10)
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
    register(20, 10)

    expected = NETWORK_EVENTS + 30
    assert wait_until(lambda: probe.effect_counts(probe_engine) == (expected, expected), timeout=60)
