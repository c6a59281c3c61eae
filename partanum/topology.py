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
"""

from dataclasses import dataclass

from kombu import Exchange, Queue

EVENTS_EXCHANGE = "partanum.events"
UNROUTED = "partanum.unrouted"

events_exchange = Exchange(
    EVENTS_EXCHANGE, type="topic", durable=True, arguments={"alternate-exchange": UNROUTED}
)
unrouted_exchange = Exchange(UNROUTED, type="fanout", durable=True)
unrouted_queue = Queue(UNROUTED, exchange=unrouted_exchange, durable=True)


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
        )

    def declarations(self) -> list[Queue]:
        retry = Queue(
            self.retry_queue,
            durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.queue},
        )
        dead = Queue(self.dead_queue, durable=True)
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
    unrouted_queue.declare(channel=channel)
    events_exchange.declare(channel=channel)
    for subscription in SUBSCRIPTIONS if subscriptions is None else subscriptions:
        for queue in subscription.declarations():
            queue.declare(channel=channel)
