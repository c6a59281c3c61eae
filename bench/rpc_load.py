"""rpc_load: an open-loop load of nameko RPC calls, in a process of its own.

    python -m bench.rpc_load AMQP_URI SERVICE.METHOD RATE ACTOR < calls.json > replies.json

Reads a JSON list of calls (each the list of the method's arguments) on stdin and
starts one every 1/RATE seconds, whether or not earlier ones have answered, over
one pika connection: requests go to nameko's RPC exchange with a reply queue of
our own, replies are matched by correlation id, as nameko's standalone proxy does.
Writes, in call order, each call's start and reply times (time.time()) and its
result, or raises on the first error.

Why not the standalone proxy: in the benchmark's own process it cost 2.5-4.4 ms of
CPU per call, a quarter of a core at 100 calls a second taken from the services it
measures on a 2-core machine; this costs a fraction of a millisecond. Plain
sockets (no eventlet monkey-patching): hence a process of its own.
"""

import json
import sys
import time
import uuid

RPC_EXCHANGE = "nameko-rpc"  # nameko's default
REPLY_TIMEOUT = 60.0


def run(amqp_uri: str, method: str, rate: float, actor: str, calls: list) -> dict:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        reply_queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        channel.queue_bind(reply_queue, RPC_EXCHANGE, routing_key=reply_queue)
        outcomes: list[dict] = [{} for _ in calls]
        pending: dict[str, int] = {}

        def on_reply(_channel, _method, properties, body):
            n = pending.pop(properties.correlation_id, None)
            if n is not None:
                reply = json.loads(body)
                outcomes[n].update(
                    replied=time.time(), result=reply["result"], error=reply["error"]
                )

        channel.basic_consume(reply_queue, on_reply, auto_ack=True)
        started = time.perf_counter()
        for n, args in enumerate(calls):
            due = started + n / rate
            while (delay := due - time.perf_counter()) > 0:
                connection.process_data_events(time_limit=delay)  # replies meanwhile
            correlation_id = str(uuid.uuid4())
            pending[correlation_id] = n
            outcomes[n]["started"] = time.time()
            outcomes[n]["lag"] = time.perf_counter() - due
            channel.basic_publish(
                RPC_EXCHANGE,
                method,
                json.dumps({"args": args, "kwargs": {}}),
                pika.BasicProperties(
                    reply_to=reply_queue,
                    correlation_id=correlation_id,
                    content_type="application/json",
                    # Each call its own request id, as partanum.rpc gives them.
                    headers={"nameko.actor": actor, "nameko.request_id": str(uuid.uuid4())},
                ),
            )
        last_started = time.perf_counter()
        deadline = time.monotonic() + REPLY_TIMEOUT
        while pending and time.monotonic() < deadline:
            connection.process_data_events(time_limit=0.1)
    finally:
        connection.close()
    if pending:
        raise RuntimeError(f"{len(pending)} calls had no reply within {REPLY_TIMEOUT:.0f} s")
    failed = [outcome for outcome in outcomes if outcome["error"]]
    if failed:
        raise RuntimeError(f"{len(failed)} calls failed, the first: {failed[0]['error']}")
    achieved = (len(calls) - 1) / (last_started - started) if len(calls) > 1 else 0.0
    return {"achieved": achieved, "calls": outcomes, "cpu_seconds": time.process_time()}


def main(argv: list[str]) -> int:
    amqp_uri, method, rate, actor = argv
    print(json.dumps(run(amqp_uri, method, float(rate), actor, json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
