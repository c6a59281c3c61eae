"""The transactional outbox and its relay.

A service never publishes directly: it inserts the event into its `outbox` table
in the transaction that makes the change. The relay then publishes pending rows
in id order with publisher confirms, and marks them published. So:

- a rolled-back change publishes nothing;
- a crash (of the service or the broker) after the commit leaves the row
  pending, and the next relay pass publishes it;
- a crash after the publish but before the mark publishes the event twice,
  which the consumers' inboxes absorb.

Rows become visible to the relay as they commit, and it publishes what it sees
in id order, so events follow commit order. Two transactions on the same record
serialise on that record's lock, so their events keep their order; only events of
unrelated records that commit in the same instant may be published in id order.
Run one relay per database (one instance of each service) to keep that order.
"""
import json
import logging
import threading
from datetime import datetime, timedelta, timezone

from kombu import Connection
from nameko.amqp.publish import Publisher
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from partanum import topology
from partanum.tables import outbox

log = logging.getLogger(__name__)

# Published events are kept a week for inspection, and purged hourly.
KEEP_PUBLISHED = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)


def add(session: Session, body: dict) -> None:
    """Queue an event for publication when `session` commits."""
    session.execute(
        insert(outbox).values(
            event_id=body["id"],
            event_type=body["type"],
            body=json.dumps(body),
            created_at=datetime.now(timezone.utc),
        )
    )


class EventPublisher:
    """Publishes events to the topic exchange and waits for the broker's confirm."""

    def __init__(self, amqp_uri: str, subscriptions=None):
        self.amqp_uri = amqp_uri
        self.subscriptions = subscriptions
        self._publisher = Publisher(amqp_uri, serializer="json")
        self._declared = False

    def declare_topology(self) -> None:
        with Connection(self.amqp_uri) as connection:
            topology.declare(connection.default_channel, self.subscriptions)
        self._declared = True

    def __call__(self, body: dict) -> None:
        if not self._declared:
            self.declare_topology()
        self._publisher.publish(
            body,
            exchange=topology.events_exchange,
            routing_key=body["type"],
            message_id=body["id"],
            # The broker's confirm is what lets us mark the row published;
            # retries with reconnection live in kombu's retry policy.
            use_confirms=True,
        )


class OutboxRelay:
    def __init__(self, engine: Engine, publish, batch_size: int = 200):
        self.engine = engine
        self.publish = publish
        self.batch_size = batch_size
        self._last_purge = None

    def pending_count(self) -> int:
        with self.engine.connect() as connection:
            rows = connection.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None)))
            return len(rows.all())

    def relay_pending(self) -> int:
        """Publish every pending event, oldest first; return how many were published."""
        published = 0
        while True:
            with self.engine.begin() as connection:
                batch = connection.execute(
                    select(outbox.c.id, outbox.c.body)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                ).all()
            done = []
            try:
                # Published outside any transaction: the database is not locked
                # while we wait for the broker.
                for row in batch:
                    self.publish(json.loads(row.body))
                    done.append(row.id)
            finally:
                self._mark_published(done)
            published += len(done)
            if len(batch) < self.batch_size:  # nothing more was pending when we looked
                self._purge_old_now_and_then()
                return published

    def _mark_published(self, ids) -> None:
        if not ids:
            return
        now = datetime.now(timezone.utc)
        with self.engine.begin() as connection:
            connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(published_at=now))

    def _purge_old_now_and_then(self) -> None:
        now = datetime.now(timezone.utc)
        if self._last_purge and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        with self.engine.begin() as connection:
            connection.execute(delete(outbox).where(outbox.c.published_at < now - KEEP_PUBLISHED))


class RelayLoop:
    """Runs the relay in a green thread: woken after each commit, polling as a fallback."""

    def __init__(self, relay: OutboxRelay, poll_interval: float):
        self.relay = relay
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._running = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def run(self) -> None:
        self._running = True
        delay = self.poll_interval
        while self._running:
            self._wake.wait(timeout=delay)
            self._wake.clear()
            if not self._running:
                break
            try:
                self.relay.relay_pending()
                delay = self.poll_interval
            except Exception:  # the broker or the database is away: try again later
                log.exception("outbox relay failed; events stay pending")
                delay = min(max(delay * 2, 0.5), 5.0)
                self._wake.clear()
