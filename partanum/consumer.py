"""`handle_events`: an event-handler entrypoint that loses nothing.

nameko's own `event_handler` acks a message whose handler raised, and the event
is gone. Here a failed message is retried with exponential backoff through the
subscription's retry queue, and after the last attempt it is parked in its dead
queue, with the error, for an operator to replay. A message is acked only once
it is handled, rescheduled or parked; if even that publish fails, it is requeued.

The handler receives a checked `partanum.events.Event`. Delivery is at least
once: handlers record the event in their inbox (partanum.inbox) with the effect.

    @handle_events(topology.BOOKING_INVENTORY)
    def on_inventory_event(self, event): ...

`handle_event_batches` hands its handler the events that arrived while the previous
batch was being handled (a list, at most BATCH_SIZE), so that one transaction
records them all: for a consumer whose every event waits for the same lock (the
audit log's chain), a commit per event is what limits it. Each event is acked
after the handler returns; should a batch fail, each of its events is handled
alone, so that only a bad one is retried and parked.
"""

import logging
import traceback
from functools import partial

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from partanum import topology
from partanum.config import SharedSettings
from partanum.errors import InvalidEvent
from partanum.events import read_event

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-partanum-attempts"
ERROR_HEADER = "x-partanum-error"
# At most this many events a batch; twice as many prefetched, so that a whole batch
# gathers while one is handled (with as many, batches settled at half of it). 500
# rather than 200: the audit's CPU an event 15 % less (a commit and some thirty
# statements a batch), for a transaction of about 0.3 s.
BATCH_SIZE = 500
PREFETCH = 2 * BATCH_SIZE
READING_PAUSE = 0.001  # seconds: the hub reads the socket before the next batch is taken


class EventHandler(Consumer):
    def __init__(self, subscription: topology.Subscription, **kwargs):
        self.subscription = subscription
        super().__init__(queue=subscription.main(), requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        settings = SharedSettings.from_config(self.container.config)
        self.max_attempts = settings.retry_max_attempts
        self.base_delay = settings.retry_base_delay
        self.publisher = Publisher(settings.amqp_uri, serializer="json")
        # The retry and dead queues must exist before a failure is forwarded
        # to them: the default exchange drops a message for a missing queue.
        with Connection(settings.amqp_uri) as connection:
            topology.declare(connection.default_channel, [self.subscription])

    def handle_message(self, body, message):
        event = self._read(body, message)
        if event is not None:
            self._spawn(body, message, event, event)

    def _read(self, body, message):
        """The checked event; None when it is malformed, which waiting will not mend:
        it is parked now."""
        try:
            return read_event(body)
        except InvalidEvent as error:
            self._park(body, message, attempts=self._attempts(message) + 1, error=repr(error))
            return None

    def _spawn(self, body, message, event, argument):
        """A worker for this one message, calling the handler with `argument`; the
        message is then acked, retried or parked by how the handler ended."""
        try:
            self.container.spawn_worker(
                self,
                (argument,),
                {},
                context_data={"actor": event.actor},
                handle_result=lambda worker_ctx, result=None, exc_info=None: self._handled(
                    body, message, result, exc_info
                ),
            )
        except ContainerBeingKilled:
            self._settle(self.queue_consumer.requeue_message, message)

    def _handled(self, body, message, result, exc_info):
        if exc_info is None:
            self._settle(self.queue_consumer.ack_message, message)
            return result, exc_info
        attempts = self._attempts(message) + 1
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        if attempts >= self.max_attempts:
            self._park(body, message, attempts, error)
        else:
            delay = self.base_delay * 2 ** (attempts - 1)
            log.warning(
                "%s failed on %s (attempt %s of %s), retrying in %.1fs: %s",
                self.subscription.queue,
                body.get("id"),
                attempts,
                self.max_attempts,
                delay,
                error,
            )
            self._forward(body, message, self.subscription.retry_queue, attempts, error, delay)
        return result, exc_info

    def _park(self, body, message, attempts, error):
        log.error(
            "%s parked %s after %s attempts: %s",
            self.subscription.queue,
            body.get("id") if isinstance(body, dict) else body,
            attempts,
            error,
        )
        self._forward(body, message, self.subscription.dead_queue, attempts, error)

    def _forward(self, body, message, queue, attempts, error, delay=None):
        headers = dict(message.headers or {})
        headers.update({ATTEMPTS_HEADER: attempts, ERROR_HEADER: error[:1000]})
        try:
            self.publisher.publish(
                body,
                exchange="",
                routing_key=queue,
                headers=headers,
                expiration=delay,
                message_id=message.properties.get("message_id"),
            )
        except Exception:
            log.exception("could not reschedule a failed message; requeueing it")
            self._settle(self.queue_consumer.requeue_message, message)
        else:
            self._settle(self.queue_consumer.ack_message, message)

    def _settle(self, settle, message) -> None:
        """Ack or requeue; on a connection the broker dropped meanwhile (its socket
        reset: nameko lets that error through and the container dies), the broker
        delivers the message again on the next connection, and the inbox absorbs it."""
        try:
            settle(message)
        except (OSError, AmqpConnectionError) as lost:
            log.warning(
                "%s: the connection was lost before %s settled %s (%s); it will come again",
                self.subscription.queue,
                getattr(settle, "__name__", "it"),
                message.properties.get("message_id"),
                lost,
            )

    @staticmethod
    def _attempts(message) -> int:
        return int((message.headers or {}).get(ATTEMPTS_HEADER, 0))


handle_events = EventHandler.decorator


class BatchQueueConsumer(QueueConsumer):
    """A connection of its own for batch handlers, prefetching a batch while one is
    handled (the shared one prefetches max_workers messages). It keeps which messages
    of its channel are not yet settled, so that a batch is acked in one frame when no
    other message received before its last one is still waiting (an ack per message
    cost the audit an eighth of its CPU)."""

    prefetch_count = PREFETCH

    def setup(self):
        super().setup()
        self.unsettled: set[tuple[int, int]] = set()  # (id of its channel, delivery tag)

    def get_consumers(self, consumer_cls, channel):
        # A new channel, after a reconnection: the old one's messages go back to the
        # queue, and can no longer be acked.
        self.unsettled = set()
        return super().get_consumers(consumer_cls, channel)

    def handle_message(self, provider, body, message):
        self.unsettled.add(_settling_key(message))
        super().handle_message(provider, body, message)

    def ack_message(self, message):
        self.unsettled.discard(_settling_key(message))
        super().ack_message(message)

    def requeue_message(self, message):
        self.unsettled.discard(_settling_key(message))
        super().requeue_message(message)

    def ack_messages(self, messages: list) -> None:
        """Ack these messages (handled, committed): at once, with the last one's tag and
        `multiple`, if every message of its channel up to that tag is one of them; else
        one by one. A multiple ack would otherwise settle another's message too early."""
        last = max(messages, key=lambda message: message.delivery_tag)
        keys = {_settling_key(message) for message in messages}
        channel = id(last.channel)
        earlier = {
            key for key in self.unsettled if key[0] == channel and key[1] <= last.delivery_tag
        }
        if len(messages) == 1 or not earlier <= keys or len(keys) != len(messages):
            for message in messages:
                self.ack_message(message)
            return
        self.unsettled -= keys
        if last.channel.connection:  # else the broker has taken them back already
            last.ack(multiple=True)


def _settling_key(message) -> tuple[int, int]:
    return id(message.channel), message.delivery_tag


class BatchEventHandler(EventHandler):
    queue_consumer = BatchQueueConsumer()

    def setup(self):
        super().setup()
        self.waiting: list = []  # (body, message, event) received since the batch began
        self.busy = False

    def handle_message(self, body, message):
        event = self._read(body, message)
        if event is None:
            return
        self.waiting.append((body, message, event))
        if not self.busy:
            self._next_batch()

    def _next_batch(self):
        batch, self.waiting = self.waiting[:BATCH_SIZE], self.waiting[BATCH_SIZE:]
        self.busy = bool(batch)
        if not batch:
            return
        try:
            self.container.spawn_worker(
                self,
                ([event for _, _, event in batch],),
                {},
                handle_result=partial(self._batch_handled, batch),
            )
        except ContainerBeingKilled:
            for _, message, _ in batch:
                self._settle(self.queue_consumer.requeue_message, message)
            self.busy = False

    def _batch_handled(self, batch, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            messages = [message for _, message, _ in batch]
            self._settle(lambda _: self.queue_consumer.ack_messages(messages), messages[-1])
        else:
            log.warning(
                "%s: a batch of %s failed (%s); handling each event alone",
                self.subscription.queue,
                len(batch),
                exc_info[1],
            )
            for body, message, event in batch:
                self._spawn(body, message, event, [event])
        # The messages that came while this batch was handled are read first: a handler
        # that does not yield (SQLite) would otherwise leave them in the socket, and
        # the next batch would be the few read before it began.
        eventlet.sleep(READING_PAUSE)
        self._next_batch()
        return result, exc_info


handle_event_batches = BatchEventHandler.decorator
