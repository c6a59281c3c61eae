"""The broker topology, declared whole by every process before it publishes.

Events go to one durable topic exchange, routed by their type. Each consumer
reads one durable queue, with two companions:

    <queue>.retry   holds a failed message for its backoff delay (per-message
                    TTL), then dead-letters it back to <queue>;
    <queue>.dead    parks a message that failed its last attempt, for an
                    operator to list and replay (python -m partanum.deadletters).

An event that no queue is bound to is not dropped: the exchange's alternate
exchange routes it to `partanum.unrouted`.

Subscriptions are listed here, in one place, rather than declared by each
consumer when it starts: a queue must exist before the first event it should
receive is published, whichever service starts first.

On a RabbitMQ cluster (PARTANUM_QUEUE_TYPE=quorum) every queue is a quorum queue
(RabbitMQ 3.10 or later): replicated on the cluster's nodes, it survives the loss of
a minority of them. On one broker (the default, "classic") they stay classic queues,
declared exactly as before: a quorum queue writes each message to disk and replicates
it to nobody there. Dead-lettering (a retry's delay
over; a message handed out DELIVERY_LIMIT times) is at least once, which needs
`reject-publish` overflow. A broker whose vhost still has the classic queues of an
earlier version refuses to redeclare them: `python -m partanum.topology migrate`
moves them over (README.md, "Moving to quorum queues").

    python -m partanum.topology migrate     # classic queues to quorum, messages kept
    python -m partanum.topology check       # which declared queues are still classic
"""

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue

EVENTS_EXCHANGE = "partanum.events"
UNROUTED = "partanum.unrouted"

events_exchange = Exchange(
    EVENTS_EXCHANGE, type="topic", durable=True, arguments={"alternate-exchange": UNROUTED}
)
unrouted_exchange = Exchange(UNROUTED, type="fanout", durable=True)

# A message the broker handed out this many times without its consumer acking it
# (each time the consumer died or lost its connection holding it) is dead-lettered:
# from a consumer's queue to its `.dead` queue, to be looked at, rather than looped
# on for ever. Set explicitly because RabbitMQ 4 otherwise sets 20 and then DROPS the
# message of a queue without a dead-letter exchange, and 3.x sets none. A handler that
# raises does not count: the consumer acks and reschedules it itself (consumer.py).
# A whole cluster outage redelivers each unacked message once, so 50 leaves room.
DELIVERY_LIMIT = 50
# The `.dead` and unrouted queues are read by operators, `deadletters show` handing
# every message back: they must not lose one for being looked at often.
PARKED_DELIVERY_LIMIT = 1_000_000


def quorum_queues() -> bool:
    from partanum.config import shared

    return shared().queue_type == "quorum"


def quorum(delivery_limit: int = DELIVERY_LIMIT, dead_letter_to: str | None = None) -> dict:
    """The arguments of a quorum queue (each exists since RabbitMQ 3.10); a classic
    queue's ({}, or only its dead-lettering) on one broker."""
    if not quorum_queues():
        if dead_letter_to is None:
            return {}
        return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letter_to}
    arguments: dict = {"x-queue-type": "quorum", "x-delivery-limit": delivery_limit}
    if dead_letter_to is not None:
        arguments.update(
            {
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": dead_letter_to,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            }
        )
    return arguments


def unrouted_queue() -> Queue:
    return Queue(
        UNROUTED,
        exchange=unrouted_exchange,
        durable=True,
        queue_arguments=quorum(PARKED_DELIVERY_LIMIT),
    )


@dataclass(frozen=True)
class Subscription:
    """A consumer's durable queue and the event types (topic patterns) it receives."""

    queue: str
    event_types: tuple[str, ...]

    @property
    def retry_queue(self) -> str:
        return f"{self.queue}.retry"

    @property
    def dead_queue(self) -> str:
        return f"{self.queue}.dead"

    def main(self) -> Queue:
        from kombu import binding

        return Queue(
            self.queue,
            bindings=[binding(events_exchange, routing_key=key) for key in self.event_types],
            durable=True,
            # Parked after DELIVERY_LIMIT deliveries: a quorum queue's own count.
            queue_arguments=quorum(dead_letter_to=self.dead_queue) if quorum_queues() else {},
        )

    def declarations(self) -> list[Queue]:
        # Nothing consumes the retry queue: its messages expire back to the consumer's.
        retry = Queue(
            self.retry_queue, durable=True, queue_arguments=quorum(dead_letter_to=self.queue)
        )
        dead = Queue(self.dead_queue, durable=True, queue_arguments=quorum(PARKED_DELIVERY_LIMIT))
        return [self.main(), retry, dead]


# Every consumer of the system.
BOOKING_INVENTORY = Subscription(
    "booking.inventory",
    (
        "inventory.site_registered",
        "inventory.site_hours_changed",
        "inventory.item_registered",
        "inventory.item_status_changed",
        "inventory.item_transferred",
        "inventory.kit_registered",
    ),
)
# The inventory follows its devices into residents' hands and back (on loan,
# awaiting its data wipe, lost).
INVENTORY_BOOKING = Subscription(
    "inventory.booking",
    ("booking.loan_checked_out", "booking.loan_checked_in", "booking.loan_lost"),
)
# Notifications turn what happened into messages, and keep the sites' names, addresses
# and hours to say where to go and to plan reminders on open days, and the devices'
# names.
NOTIFICATIONS = Subscription(
    "notifications.events",
    (
        "inventory.site_registered",
        "inventory.site_hours_changed",
        "inventory.site_renamed",
        "inventory.item_registered",
        "booking.reservation_created",
        "booking.reservation_cancelled",
        "booking.reservation_released",
        "booking.reservation_outside_hours",
        "booking.reservation_item_withdrawn",
        "booking.loan_checked_out",
        "booking.loan_renewed",
        "booking.loan_due_moved",
        "booking.loan_checked_in",
        "booking.loan_lost",
        "booking.loan_overdue",
        "booking.hold_offered",
    ),
)
# The audit log records every event of every service, its own included.
AUDIT = Subscription("audit.events", ("#",))
# A rebalancing accepted by a manager: the inventory moves the items.
INVENTORY_AUDIT = Subscription("inventory.audit", ("audit.transfer_accepted",))
# A resident erased: the gateway revokes their sign-ins.
GATEWAY_BOOKING = Subscription("gateway.booking", ("booking.resident_erased",))
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    BOOKING_INVENTORY,
    INVENTORY_BOOKING,
    NOTIFICATIONS,
    AUDIT,
    INVENTORY_AUDIT,
    GATEWAY_BOOKING,
)


def declare(channel, subscriptions=None) -> None:
    """Declare exchanges and queues; idempotent, so every process may call it."""
    unrouted_exchange.declare(channel=channel)
    unrouted_queue().declare(channel=channel)
    events_exchange.declare(channel=channel)
    for subscription in SUBSCRIPTIONS if subscriptions is None else subscriptions:
        for queue in subscription.declarations():
            queue.declare(channel=channel)


def rpc_queue_arguments() -> dict:
    """The arguments of a service's RPC queue `rpc-<service>` (partanum.rpc declares
    it): a request no worker could answer in DELIVERY_LIMIT tries is dropped, its
    caller long gone."""
    return quorum()


def rpc_queue_names() -> list[str]:
    from partanum.config import SERVICES

    return [f"rpc-{service}" for service in SERVICES]


def declared_queues() -> list[Queue]:
    """Every queue this module declares, its companions included."""
    queues = [unrouted_queue()]
    for subscription in SUBSCRIPTIONS:
        queues.extend(subscription.declarations())
    return queues


# Moving an existing broker's classic queues over -------------------------------------
#
# A queue's type cannot change: each classic queue of an earlier version is emptied
# into `<name>.moving` (a quorum queue), deleted, declared again as a quorum queue,
# and `<name>.moving` emptied back into it. Each message is acked where it was only
# once the broker has confirmed its copy, so a crash mid-way duplicates at worst (the
# consumers' inboxes absorb it) and running the command again finishes the move.
# The services must be stopped: a queue with consumers is left as it is.

MOVING = ".moving"


def all_queue_names() -> list[str]:
    return [queue.name for queue in declared_queues()] + rpc_queue_names()


def _arguments_of(name: str) -> dict:
    for queue in declared_queues():
        if queue.name == name:
            return dict(getattr(queue, "queue_arguments", None) or {})
    return rpc_queue_arguments()


def _fits(connection, name: str) -> bool | None:
    """Whether `name` is declared with its quorum arguments (declaring it if missing);
    False when the broker refuses them (a classic queue of an earlier version)."""
    import pika.exceptions

    channel = connection.channel()
    try:
        channel.queue_declare(name, durable=True, arguments=_arguments_of(name))
    except pika.exceptions.ChannelClosedByBroker as refused:
        if refused.reply_code != 406:  # PRECONDITION_FAILED
            raise
        return False
    channel.close()
    return True


def _inspect(connection, name: str):
    """(messages, consumers) of queue `name`, or None when it does not exist."""
    import pika.exceptions

    channel = connection.channel()
    try:
        found = channel.queue_declare(name, passive=True).method
    except pika.exceptions.ChannelClosedByBroker as refused:
        if refused.reply_code != 404:
            raise
        return None
    channel.close()
    return found.message_count, found.consumer_count


def _move(connection, source: str, target: str) -> int:
    """Every message of `source` to `target`, each acked once its copy is confirmed."""
    channel = connection.channel()
    channel.confirm_delivery()
    moved = 0
    while True:
        method, properties, body = channel.basic_get(source, auto_ack=False)
        if method is None:
            break
        channel.basic_publish("", target, body, properties=properties, mandatory=True)
        channel.basic_ack(method.delivery_tag)
        moved += 1
    channel.close()
    return moved


class QueueInUse(Exception):
    """A queue to move has consumers: its services are still running."""


def classic_queues(amqp_uri: str) -> list[str]:
    """The declared queues that exist with other arguments (classic ones)."""
    import pika

    from partanum.deadletters import broker_parameters

    connection = pika.BlockingConnection(broker_parameters(amqp_uri))
    try:
        return [
            name
            for name in all_queue_names()
            if _inspect(connection, name) is not None and not _fits(connection, name)
        ]
    finally:
        connection.close()


def migrate(amqp_uri: str, report=print) -> dict[str, int]:
    """Make every declared queue a quorum queue, keeping its messages; return how
    many messages each moved queue held. Safe to run again after a crash."""
    import pika

    from partanum.deadletters import broker_parameters

    moved: dict[str, int] = {}
    connection = pika.BlockingConnection(broker_parameters(amqp_uri))
    try:
        for name in all_queue_names():
            holding = name + MOVING
            found = _inspect(connection, name)
            if found is not None and not _fits(connection, name):
                if found[1]:
                    raise QueueInUse(
                        f"{name} has {found[1]} consumer(s): stop every Partanum service first"
                    )
                _fits_holding(connection, holding)
                moved[name] = _move(connection, name, holding)
                connection.channel().queue_delete(name, if_empty=True)
                if not _fits(connection, name):
                    raise RuntimeError(f"{name} could not be declared as a quorum queue")
            if _inspect(connection, holding) is not None:
                if not _fits(connection, name):  # declared, if a crash left it deleted
                    raise RuntimeError(f"{name} could not be declared as a quorum queue")
                back = _move(connection, holding, name)
                moved.setdefault(name, back)  # a move a crash interrupted, finished
                left = _inspect(connection, holding)
                if left is not None and left[0]:  # published to meanwhile: moved next run
                    raise QueueInUse(f"{holding} still holds {left[0]} message(s)")
                # (quorum queues refuse deletion `if_empty`: checked just above)
                connection.channel().queue_delete(holding)
                report(f"{name}: a quorum queue now, {moved[name]} message(s) kept")
        # The bindings of the queues deleted, declared again.
        with Connection(amqp_uri) as kombu_connection:
            declare(kombu_connection.default_channel)
    finally:
        if connection.is_open:
            connection.close()
    return moved


def _fits_holding(connection, holding: str) -> None:
    channel = connection.channel()
    channel.queue_declare(holding, durable=True, arguments=quorum(PARKED_DELIVERY_LIMIT))
    channel.close()


def main(argv=None) -> int:
    import argparse
    import sys

    from partanum import config

    parser = argparse.ArgumentParser(
        prog="python -m partanum.topology",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--amqp-uri", default=config.amqp_uri())
    parser.add_argument("command", choices=["migrate", "check"])
    args = parser.parse_args(argv)
    if args.command == "check":
        classic = classic_queues(args.amqp_uri)
        for name in classic:
            print(f"{name}: still a classic queue")
        print("every queue is a quorum queue" if not classic else "run: migrate")
        return 1 if classic else 0
    try:
        moved = migrate(args.amqp_uri)
    except QueueInUse as error:
        print(f"Nothing more moved: {error}.", file=sys.stderr)
        return 1
    print(f"{len(moved)} queue(s) moved to quorum queues" if moved else "nothing to move")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
