"""audit_intake: how fast the audit service logs events, beside the broker's own pace.

Both figures come from the same run, on the same broker, with the same number of
persistent messages, published the same way (a child process, pika, as fast as
the broker takes them) and consumed with the same prefetch (the audit's batch consumer's):

- audit_raw_consume: a plain pika consumer acks N messages waiting in a durable
  queue, doing nothing else; from its start until the last ack. The ceiling.
- audit_intake: N valid events (inventory.item_status_changed, each of its own
  item) published to partanum.events while `python -m partanum.run audit` runs;
  from the first publish until the last one is in the audit log (its recorded_at).
  Each event is checked against its contract, appended under the log's lock with
  its hash and search ids, and committed before its ack; the events that arrive
  while a batch is being appended are appended together, in one transaction.

A short warm-up (logged, then waited for) keeps start-up work off the clock; the
log is verified whole at the end, so a fast but broken chain would fail the run.
The publisher and the raw consumer are child processes (`python -m
bench.audit_intake publish|consume …`) with plain sockets, as in raw_tx_publish.
The service is running before the first event is published, and publishing is
short beside its intake (the note says how long), so the figure is its own.
"""

import json
import subprocess
import sys
import time

from bench import support
from partanum.consumer import BATCH_SIZE

WARM_UP = 20
PREFETCH = BATCH_SIZE  # what the audit's batch consumer prefetches
RAW_QUEUE = "bench.raw_consume"
TIMEOUT = 300.0


def run(bench: support.Run, database: str) -> list[support.Result]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from partanum.db import make_engine
    from services.audit import log
    from services.audit.models import AuditEntry

    count = bench.items
    with (
        support.fresh_vhost("audit") as amqp_uri,
        support.fresh_database(database, bench.workdir, "audit") as url,
    ):
        _child("publish", amqp_uri, count, 0, "raw")  # they wait in the raw queue
        consumed = _child("consume", amqp_uri, count)
        raw_seconds = consumed["last_ack"] - consumed["started"]

        env = {
            "AMQP_URI": amqp_uri,
            "AUDIT_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        with support.service_process(
            ["audit"], env, bench.workdir / f"audit-{database}.log"
        ) as process:
            support.wait_for_consumer(amqp_uri, "audit.events", process)
            engine = make_engine(url)
            try:

                def logged() -> int:
                    with Session(engine) as session:
                        return session.scalar(select(func.count()).select_from(AuditEntry))

                _child("publish", amqp_uri, WARM_UP, 0, "events")
                _wait(lambda: logged() >= WARM_UP, process)
                published = _child("publish", amqp_uri, count, WARM_UP, "events")
                _wait(lambda: logged() >= WARM_UP + count, process)
                with Session(engine) as session:
                    last = session.scalar(select(func.max(AuditEntry.recorded_at)))
                    checked = time.perf_counter()
                    result = log.verify_chain(session)
                    verify_seconds = time.perf_counter() - checked
            finally:
                engine.dispose()
        if isinstance(result, log.Problem) or result.count != WARM_UP + count:
            raise RuntimeError(f"the audit log is not what was published: {result}")
        intake_seconds = last.timestamp() - published["started"]

    raw_rate, intake_rate = count / raw_seconds, count / intake_seconds
    support.note(
        f"audit_intake ({database}): {count} events logged in {intake_seconds:.2f} s, "
        f"{intake_rate / raw_rate:.1%} of the raw consume rate ({raw_seconds:.2f} s for as many "
        f"messages acked from a full queue by a bare pika consumer); publishing took "
        f"{published['published'] - published['started']:.2f} s of the former; "
        f"prefetch {PREFETCH}; verifying {WARM_UP + count} entries took {verify_seconds:.2f} s"
    )
    return [
        support.Result(f"audit_raw_consume_{database}", raw_rate, "msgs/s"),
        support.Result(f"audit_intake_{database}", intake_rate, "events/s"),
    ]


def _child(mode: str, amqp_uri: str, *args) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.audit_intake", mode, amqp_uri, *map(str, args)],
        cwd=support.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"audit_intake {mode} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


def _wait(condition, process) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if process.poll() is not None:
            raise RuntimeError(f"the audit service exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the audit log did not fill within {TIMEOUT:.0f} s")
        time.sleep(0.05)


# --- in the child process ----------------------------------------------------------------


def _connect(amqp_uri: str):
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    return connection, connection.channel()


def events(count: int, first: int) -> list[dict]:
    from partanum.events import make_event, require
    from services.inventory import events as _contracts

    require(_contracts)

    return [
        make_event(
            "inventory.item_status_changed",
            {
                "item_id": n + 1,
                "asset_tag": f"BN-TAB-{n:05d}",
                "from_status": "available",
                "to_status": "in_maintenance",
                "reason_code": "staff",
                "history_id": n + 1,
            },
            producer="inventory",
            actor="bench:audit",
        )
        for n in range(first, first + count)
    ]


def publish(amqp_uri: str, count: int, first: int, target: str) -> dict:
    """Publish persistent messages to the audit service through partanum.events as
    fast as the broker takes them (no confirm per message: the publisher must not be
    what is measured), or straight to the raw queue, confirmed, before its consumer starts."""
    import pika

    from partanum import topology

    bodies = events(count, first)
    connection, channel = _connect(amqp_uri)
    try:
        queue = RAW_QUEUE if target == "raw" else "audit.events"
        # the service's own (a quorum queue, as partanum.topology declares it), or the raw one
        arguments = None if target == "raw" else topology.AUDIT.main().queue_arguments
        channel.queue_declare(queue, durable=True, arguments=arguments)
        if target == "raw":  # off the clock: wait for each message to be in the queue
            channel.confirm_delivery()
        started = time.time()
        for body in bodies:
            exchange, key = (
                (topology.EVENTS_EXCHANGE, body["type"]) if target == "events" else ("", RAW_QUEUE)
            )
            channel.basic_publish(
                exchange,
                key,
                json.dumps(body),
                pika.BasicProperties(
                    delivery_mode=pika.DeliveryMode.Persistent,
                    content_type="application/json",
                    message_id=body["id"],
                ),
            )
        published = time.time()
        if target == "raw":
            waiting = channel.queue_declare(queue, durable=True, passive=True).method.message_count
            if waiting != count:
                raise RuntimeError(f"{waiting} of {count} messages in the raw queue")
        return {"started": started, "published": published}
    finally:
        connection.close()


def consume(amqp_uri: str, count: int) -> dict:
    """Ack `count` messages from the raw queue, doing nothing else with them."""
    connection, channel = _connect(amqp_uri)
    try:
        channel.queue_declare(RAW_QUEUE, durable=True)
        channel.basic_qos(prefetch_count=PREFETCH)
        acked, last_ack = 0, None

        def on_message(ch, method, _properties, _body):
            nonlocal acked, last_ack
            ch.basic_ack(method.delivery_tag)
            acked += 1
            if acked == count:
                last_ack = time.time()
                ch.stop_consuming()

        channel.basic_consume(RAW_QUEUE, on_message)
        started = time.time()
        channel.start_consuming()
        return {"started": started, "last_ack": last_ack}
    finally:
        connection.close()


def main(argv: list[str]) -> int:
    mode, amqp_uri, *args = argv
    if mode == "consume":
        print(json.dumps(consume(amqp_uri, int(args[0]))))
    else:
        count, first, target = args
        print(json.dumps(publish(amqp_uri, int(count), int(first), target)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
