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
import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from kombu import Connection, Producer
from nameko.constants import PERSISTENT
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from partanum import topology
from partanum.db import statement_by_statement
from partanum.tables import outbox

log = logging.getLogger(__name__)

# Published events are kept a week for inspection, and purged hourly.
KEEP_PUBLISHED = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)


_ADD = insert(outbox)
# The relay's statements, built once as _ADD: it runs them after every commit.
_PENDING = (
    select(outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.body)
    .where(outbox.c.published_at.is_(None))
    .order_by(outbox.c.id)
    .limit(bindparam("batch_size"))
)
_MARK_PUBLISHED = (
    update(outbox)
    .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
    .values(published_at=bindparam("now"))
)


def add(session: Session, body: dict) -> None:
    """Queue an event for publication when `session` commits."""
    # The same statement every time, its values as parameters: cheaper than a
    # statement built per event (this runs for every event of every service).
    session.execute(
        _ADD,
        {
            "event_id": body["id"],
            "event_type": body["type"],
            "body": json.dumps(body),
            "created_at": datetime.now(UTC),
        },
    )


class EventPublisher:
    """Publishes events to the topic exchange and waits for the broker's confirms.

    `publish_many` sends a whole batch on one channel in confirm mode, then waits
    once for the confirms of all of it: a relay pass costs one round trip to the
    broker, not one per event (which, in a busy process, is one turn of every
    other green thread per event). Calling the publisher sends one event.
    """

    # How long the broker may take to confirm a batch before the relay gives up
    # on it (the unconfirmed events stay pending and are published again).
    CONFIRM_TIMEOUT = 10.0

    def __init__(self, amqp_uri: str, subscriptions=None):
        self.amqp_uri = amqp_uri
        self.subscriptions = subscriptions
        self._connection: Connection | None = None
        self._channel = None
        self._confirmed: set[int] = set()
        self._refused: set[int] = set()
        self._last_tag = 0
        self._batch_first = 1

    def __call__(self, body: dict) -> None:
        if self.publish_many([body]) != 1:
            raise UnconfirmedEvents(f"the broker did not confirm {body['id']}")

    def publish_many(self, bodies: list[dict]) -> int:
        """Publish `bodies` in order; return how many of the first ones the broker
        confirmed (all of them, unless it refused one or fell silent)."""
        return self.publish_encoded([Encoded(b["id"], b["type"], json.dumps(b)) for b in bodies])

    def publish_encoded(self, events: list["Encoded"]) -> int:
        """publish_many for events in their JSON form, as the outbox keeps them: sent
        as they are, not decoded and encoded again for each."""
        if not events:
            return 0
        try:
            channel = self._confirming_channel()
            producer = Producer(channel, exchange=topology.events_exchange)
            first = self._batch_first = self._last_tag + 1
            for event in events:
                producer.publish(
                    event.body,
                    content_type="application/json",
                    content_encoding="utf-8",
                    routing_key=event.type,
                    message_id=event.id,
                    delivery_mode=PERSISTENT,
                )
            self._last_tag += len(events)
            self._wait_for(first, self._last_tag)
            tags = range(first, self._last_tag + 1)
            confirmed = next(
                (n for n, tag in enumerate(tags) if tag not in self._confirmed), len(events)
            )
            self._confirmed.difference_update(tags)
            self._refused.difference_update(tags)
            return confirmed
        except Exception:
            self.close()  # a fresh connection and channel next time
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 -- already broken: nothing to release
                pass
        self._connection = self._channel = None

    def _confirming_channel(self):
        if self._channel is None:
            self._connection = Connection(self.amqp_uri)
            self._connection.ensure_connection(max_retries=3)
            channel = self._connection.channel()
            # The queues must exist before the first event, or the broker drops it.
            topology.declare(channel, self.subscriptions)
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack(self._confirmed))
            channel.events["basic_nack"].add(self._on_ack(self._refused))
            self._channel, self._last_tag = channel, 0
            self._confirmed.clear()
            self._refused.clear()
        return self._channel

    def _on_ack(self, into: set[int]):
        def record(delivery_tag, multiple):
            if multiple:  # every tag of this batch up to this one not yet answered
                answered = self._confirmed | self._refused
                into.update(
                    t for t in range(self._batch_first, delivery_tag + 1) if t not in answered
                )
            else:
                into.add(delivery_tag)

        return record

    def _wait_for(self, first: int, last: int) -> None:
        connection = self._connection  # opened by _confirming_channel, before any publish
        assert connection is not None
        deadline = time.monotonic() + self.CONFIRM_TIMEOUT

        def answered() -> bool:
            return all(t in self._confirmed or t in self._refused for t in range(first, last + 1))

        while not answered():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise UnconfirmedEvents(
                    f"no confirm from the broker in {self.CONFIRM_TIMEOUT:.0f} s"
                )
            try:
                connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue


class Encoded(NamedTuple):
    """An event in its JSON form, with the id and type it is sent under."""

    id: str
    type: str
    body: str


class UnconfirmedEvents(Exception):
    """The broker refused an event or did not confirm it in time: it stays pending."""


class OutboxRelay:
    def __init__(self, engine: Engine, publisher: EventPublisher, batch_size: int = 200):
        # Each of its statements stands alone: reading a batch, marking it published
        # (once confirmed; a crash in between publishes it again), purging.
        self.engine = statement_by_statement(engine)
        self.publisher = publisher
        self.batch_size = batch_size
        self._last_purge: datetime | None = None

    def pending_count(self) -> int:
        with self.engine.connect() as connection:
            rows = connection.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None)))
            return len(rows.all())

    def relay_pending(self) -> int:
        """Publish every pending event, oldest first; return how many were published."""
        published = 0
        while True:
            with self.engine.begin() as connection:
                batch = connection.execute(_PENDING, {"batch_size": self.batch_size}).all()
            # Published outside any transaction: the database is not locked
            # while we wait for the broker.
            confirmed = self.publisher.publish_encoded(
                [Encoded(row.event_id, row.event_type, row.body) for row in batch]
            )
            self._mark_published([row.id for row in batch[:confirmed]])
            published += confirmed
            if confirmed < len(batch):
                raise UnconfirmedEvents(f"{len(batch) - confirmed} events were not confirmed")
            if len(batch) < self.batch_size:  # nothing more was pending when we looked
                self._purge_old_now_and_then()
                return published

    def _mark_published(self, ids) -> None:
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(_MARK_PUBLISHED, {"ids": list(ids), "now": datetime.now(UTC)})

    def _purge_old_now_and_then(self) -> None:
        now = datetime.now(UTC)
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
        self.relay.publisher.close()
