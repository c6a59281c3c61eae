"""A committed event is never lost: not when the service dies between commit and
publish, not when it is killed mid-stream (and not when RabbitMQ goes away while
events are produced: tests/e2e/test_broker_outage.py, the one module that stops a
broker). And each has its effect exactly once."""

import eventlet
import pytest
from sqlalchemy import func, select

from services.inventory.models import Item
from tests import probe
from tests.e2e.conftest import wait_until_serving
from tests.e2e.helpers import NETWORK_EVENTS, register_network
from tests.integration.helpers import tablet
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


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
