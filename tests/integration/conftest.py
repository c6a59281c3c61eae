"""Integration tests: real RabbitMQ (a fresh vhost per test, from nameko's
`rabbit_config`), real SQLite and PostgreSQL (each database-backed test runs on
both). Services run in containers inside the test process. Replace only what lies
outside the service's own boundary; wait for events, never sleep for them."""
import pytest

from partanum.config import nameko_config


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
        import socket
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
            except socket.timeout:
                pass
        return self.received

    def close(self):
        self.connection.release()
