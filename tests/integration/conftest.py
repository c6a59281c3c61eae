"""Integration tests: real RabbitMQ (a fresh vhost per test, from nameko's
`rabbit_config`), real SQLite and PostgreSQL (each database-backed test runs on
both). Services run in containers inside the test process. Replace only what lies
outside the service's own boundary; wait for events, never sleep for them."""

from datetime import time
from types import SimpleNamespace

import pytest

from partanum import migrate
from partanum.config import nameko_config
from partanum.errors import InvalidInput
from tests.integration.helpers import LAPTOPS, call, laptop, next_tuesday, register_network
from tests.waiting import wait_until


@pytest.fixture
def config_for(rabbit_config):
    """nameko config for services under test: this test's vhost, fast retries."""

    def make(**database_urls):
        config = nameko_config(services=())
        config.update(
            AMQP_URI=rabbit_config["AMQP_URI"],
            DATABASE_URLS=database_urls,
            RETRY_MAX_ATTEMPTS=3,
            RETRY_BASE_DELAY=0.05,
            RELAY_POLL_INTERVAL=0.2,
        )
        return config

    return make


@pytest.fixture
def inventory(container_factory, config_for, inventory_db):
    """A running inventory service on this test's database and vhost."""
    from services.inventory.service import Service

    container = container_factory(Service, config_for(inventory=inventory_db))
    container.start()
    return container


@pytest.fixture
def booking(container_factory, config_for, inventory, booking_db):
    """A running booking service beside the inventory; yields (container, its database URL)."""
    from services.booking.service import Service

    container = container_factory(Service, config_for(booking=booking_db))
    container.start()
    return container, booking_db


@pytest.fixture
def desk(inventory, booking, engine_for):
    """Centre Jean Vilar with three laptops, once booking's copy knows them all."""
    register_network(inventory)
    category = call(
        inventory, "register_category", {"code": "laptop", "name": "Ordinateur portable"}
    )
    for tag in LAPTOPS:
        call(inventory, "register_item", laptop(tag))
    container, url = booking
    tuesday = {
        "site": "jean-vilar",
        "starts_at": next_tuesday(time(14)).isoformat(),
        "ends_at": next_tuesday(time(17)).isoformat(),
    }
    ask = {"category_id": category["id"], **tuesday}

    def booking_sees_the_laptops():
        try:
            return call(container, "availability", ask)["free"] == len(LAPTOPS)
        except InvalidInput:  # the site is not in booking's copy yet
            return False

    wait_until(booking_sees_the_laptops, what="booking's copy of the inventory")
    return SimpleNamespace(
        booking=container,
        inventory=inventory,
        db=engine_for(url),
        category_id=category["id"],
        tuesday=tuesday,
        ask=ask,
    )


@pytest.fixture
def audit(container_factory, config_for, database_kind, new_database, engine_for):
    """A running audit service with its own database, of the same kind as the others'."""
    from services.audit.service import Service

    url = new_database(database_kind)
    migrate.upgrade("audit", url)
    container = container_factory(Service, config_for(audit=url))
    container.start()
    return SimpleNamespace(container=container, url=url, db=engine_for(url))


@pytest.fixture
def notifications(container_factory, config_for, database_kind, new_database, tmp_path):
    """A running notifications service that writes its SMS to a file; returns that file."""
    from services.notifications.service import Service

    url = new_database(database_kind)
    migrate.upgrade("notifications", url)
    config = config_for(notifications=url)
    config.update(SMS_PROVIDER="log", SMS_LOG=str(tmp_path / "sms.log"))
    container = container_factory(Service, config)
    container.start()
    return tmp_path / "sms.log"


@pytest.fixture
def events_seen(rabbit_config):
    """Listen to events by type pattern, on a queue declared before anything is published.

    listen = events_seen("inventory.#")
    ...
    bodies = listen.wait(3)    # waits until 3 events have arrived, or fails
    """
    listeners = []

    def listen(*patterns):
        listener = EventListener(rabbit_config["AMQP_URI"], patterns)
        listeners.append(listener)
        return listener

    yield listen
    for listener in listeners:
        listener.close()


class EventListener:
    def __init__(self, amqp_uri, patterns):
        from kombu import Connection, Consumer, Queue, binding

        from partanum import topology

        self.connection = Connection(amqp_uri)
        channel = self.connection.channel()
        topology.declare(channel, [])
        queue = Queue(
            exclusive=True,
            bindings=[binding(topology.events_exchange, routing_key=p) for p in patterns],
        )
        self.received = []
        self.consumer = Consumer(channel, [queue], callbacks=[self._on_message], accept=["json"])
        self.consumer.consume()

    def _on_message(self, body, message):
        self.received.append(body)
        message.ack()

    def wait(self, count, timeout=10.0):
        import time

        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"expected {count} events, got {len(self.received)}: "
                    f"{[event['type'] for event in self.received]}"
                )
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                pass
        return self.received

    def close(self):
        self.connection.release()
