"""List and replay the events parked in dead-letter queues.

    python -m partanum.deadletters list                     # parked count per queue
    python -m partanum.deadletters show booking.inventory   # each parked event and its error
    python -m partanum.deadletters replay booking.inventory [--event-id ID]

Replay moves parked messages back to their consumer's queue with a fresh count
of attempts; each is acked in the dead queue only once the broker has confirmed
the copy, so a crash mid-replay duplicates at worst (consumers' inboxes absorb it).
This runs outside any nameko container, so it speaks AMQP with pika.
"""

import argparse
import json
import sys

import pika

from partanum import config, topology
from partanum.consumer import ATTEMPTS_HEADER, ERROR_HEADER


def broker_parameters(amqp_uri: str) -> list:
    """pika's parameters for each node of `amqp_uri`: as kombu does, several URLs
    separated by `;` are the nodes of one cluster, tried in turn."""
    # kombu's "pyamqp://" names the same protocol pika calls "amqp://"
    return [
        pika.URLParameters(uri.strip().replace("pyamqp://", "amqp://", 1))
        for uri in amqp_uri.split(";")
        if uri.strip()
    ]


def _connect(amqp_uri: str):
    connection = pika.BlockingConnection(broker_parameters(amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    return connection, channel


def parked_counts(amqp_uri: str, queues) -> dict[str, int]:
    connection, channel = _connect(amqp_uri)
    try:
        return {
            queue: channel.queue_declare(f"{queue}.dead", passive=True).method.message_count
            for queue in queues
        }
    finally:
        connection.close()


def parked(amqp_uri: str, queue: str) -> list[dict]:
    """The parked messages of `queue`, left in place."""
    connection, channel = _connect(amqp_uri)
    try:
        found = []
        for _method, properties, body in _drain(channel, f"{queue}.dead"):
            found.append(_describe(properties, body))
        return found  # closing the channel unacked puts every message back
    finally:
        connection.close()


def replay(amqp_uri: str, queue: str, event_id: str | None = None) -> int:
    """Move parked messages (or the one with `event_id`) back to `queue`."""
    connection, channel = _connect(amqp_uri)
    replayed = 0
    try:
        for method, properties, body in _drain(channel, f"{queue}.dead"):
            if event_id and properties.message_id != event_id:
                continue  # left unacked: back in the dead queue when we close
            headers = {
                k: v
                for k, v in (properties.headers or {}).items()
                if k not in (ATTEMPTS_HEADER, ERROR_HEADER)
            }
            channel.basic_publish(
                exchange="",
                routing_key=queue,
                body=body,
                properties=pika.BasicProperties(
                    content_type=properties.content_type,
                    content_encoding=properties.content_encoding,
                    message_id=properties.message_id,
                    delivery_mode=pika.DeliveryMode.Persistent,
                    headers=headers,
                ),
                mandatory=True,
            )
            channel.basic_ack(method.delivery_tag)
            replayed += 1
        return replayed
    finally:
        connection.close()


def _drain(channel, queue: str):
    """Every message present in `queue` now, unacked, each fetched once."""
    count = channel.queue_declare(queue, passive=True).method.message_count
    for _ in range(count):
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            return
        yield method, properties, body


def _describe(properties, body: bytes) -> dict:
    headers = properties.headers or {}
    try:
        event = json.loads(body)
    except ValueError:
        event = {}
    return {
        "event_id": properties.message_id,
        "type": event.get("type") if isinstance(event, dict) else None,
        "attempts": headers.get(ATTEMPTS_HEADER),
        "error": headers.get(ERROR_HEADER),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m partanum.deadletters",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--amqp-uri", default=config.amqp_uri())
    commands = parser.add_subparsers(dest="command", required=True)
    list_cmd = commands.add_parser("list", help="parked count per consumer queue")
    list_cmd.add_argument("queues", nargs="*", help="consumer queues (default: all known)")
    show_cmd = commands.add_parser("show", help="the parked events of a queue")
    show_cmd.add_argument("queue")
    replay_cmd = commands.add_parser("replay", help="send parked events back to their queue")
    replay_cmd.add_argument("queue")
    replay_cmd.add_argument("--event-id")
    args = parser.parse_args(argv)

    if args.command == "list":
        queues = args.queues or [s.queue for s in topology.SUBSCRIPTIONS]
        for queue, count in parked_counts(args.amqp_uri, queues).items():
            print(f"{queue}: {count} parked")
    elif args.command == "show":
        for message in parked(args.amqp_uri, args.queue):
            print(json.dumps(message, ensure_ascii=False))
    else:
        count = replay(args.amqp_uri, args.queue, args.event_id)
        print(f"replayed {count} event(s) to {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
