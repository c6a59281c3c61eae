"""audit_intake: how fast the audit service logs events, beside the broker's own pace.

Both figures come from the same run, on the same broker, with the same persistent
messages, published the same way (a child process, pika, as fast as the broker
takes them) and consumed with the same prefetch (the audit's batch consumer's):

- audit_raw_consume: a plain pika consumer acks N messages waiting in a durable
  queue, doing nothing else; from its start until the last ack. The ceiling.
- audit_intake: the last N events of utilisation_year's year (10,000 devices: loans
  and returns, reservations, cancellations, waiting lists, as the network sends
  them, in the order they occurred) published to partanum.events while `python -m
  partanum.run audit` runs on a log that holds the rest of that year, its figures
  rebuilt; from the first publish until the last one is in the audit log (its
  recorded_at). Each event is checked against its contract, appended under the
  log's lock with its hash and search ids, the figures of the devices it names
  brought up to date, and committed before its ack; the events that arrive while a
  batch is being handled are handled together, in one transaction.
- audit_intake_cpu: the audit process's CPU per event over that intake.

The year is appended and its figures rebuilt once per database (off the clock);
each measurement runs on a copy of it. A short warm-up (logged, then waited for)
keeps start-up work off the clock; the entries appended are checked at the end
(one per event, each chained to the one before), so a fast but broken chain would
fail the run. The publisher and the raw consumer are child
processes (`python -m bench.audit_intake publish|consume …`) with plain sockets, as
in raw_tx_publish. The service is running before the first event is published, and
publishing is short beside its intake (the note says how long), so the figure is
its own.

The machine's speed drifts from run to run: with PARTANUM_BENCH_BASELINE=<another
checkout> (the code before a change, as for request_cpu), the same measurement runs
on that code and on this one alternately, PARTANUM_BENCH_ROUNDS times each (3), and
the medians are printed side by side (the baseline's names end in _baseline).
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import support
from bench.utilisation_year import ITEMS, year_of_events
from partanum.consumer import PREFETCH

WARM_UP = 20
RAW_QUEUE = "bench.raw_consume"
TIMEOUT = 300.0
BASELINE = os.environ.get("PARTANUM_BENCH_BASELINE")
ROUNDS = int(os.environ.get("PARTANUM_BENCH_ROUNDS", "3"))


def run(bench: support.Run, database: str) -> list[support.Result]:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from partanum import migrate
    from partanum.db import make_engine
    from partanum.events import require
    from services.audit import facts, figures, log
    from services.audit.settings import Settings
    from services.booking import events as booking_events
    from services.inventory import events as inventory_events

    require(booking_events, inventory_events)  # the year is made with their current versions

    codes = {"this code": support.REPO_ROOT}
    if BASELINE:
        codes = {"baseline": Path(BASELINE).resolve(), **codes}
    envelopes = [json.loads(body) for body in year_of_events(ITEMS)[0]]
    tail = envelopes[-(WARM_UP + bench.items) :]
    published = bench.workdir / "audit-intake-events.json"
    published.write_text(json.dumps(tail))
    measured: dict[str, list[dict]] = {label: [] for label in codes}
    with support.fresh_database(database, bench.workdir, "audit-year") as year_url:
        migrate.upgrade("audit", year_url)
        engine = make_engine(year_url)
        try:
            with Session(engine) as session:
                started = time.perf_counter()
                before_tail = envelopes[: -len(tail)]
                for start in range(0, len(before_tail), 1000):
                    log.append_many(session, before_tail[start : start + 1000])
                session.commit()
                zone = Settings.from_environment().zone
                figures.rebuild(session, zone)
                facts.rebuild(session, zone)  # as the running audit keeps them
                session.commit()
                if database == "postgresql":  # as autovacuum would after such a load
                    session.execute(text("ANALYZE"))
                    session.commit()
        finally:
            engine.dispose()
        support.note(
            f"audit_intake ({database}): {len(envelopes) - len(tail)} events of {ITEMS} devices "
            f"logged and their figures and facts rebuilt in {time.perf_counter() - started:.1f} s; "
            f"{support.load_average()}"
        )
        for _ in range(ROUNDS if BASELINE else 1):
            for label, code in codes.items():  # alternately: drift hits both alike
                measured[label].append(
                    _measure(bench, database, year_url, published, len(tail), code)
                )
    results = []
    for label, rounds in measured.items():
        support.note(
            f"audit_intake ({database}, {label}): "
            + "; ".join(
                f"{r['intake']:.0f} events/s, {r['intake'] / r['raw']:.1%} of the raw "
                f"{r['raw']:.0f} msgs/s, {r['cpu'] * 1000:.2f} ms CPU/event ({r['load']})"
                for r in rounds
            )
        )
        suffix = f"_baseline_{database}" if label == "baseline" else f"_{database}"
        median = {
            key: statistics.median(r[key] for r in rounds) for key in ("raw", "intake", "cpu")
        }
        ratio = statistics.median(r["intake"] / r["raw"] for r in rounds)
        results += [
            support.Result(f"audit_raw_consume{suffix}", median["raw"], "msgs/s"),
            support.Result(f"audit_intake{suffix}", median["intake"], "events/s"),
            support.Result(f"audit_intake_vs_raw{suffix}", ratio, "ratio", 3),
            support.Result(f"audit_intake_cpu{suffix}", median["cpu"] * 1000, "ms/event", 2),
        ]
    return results


def _measure(bench, database: str, year_url: str, events: Path, count: int, code: Path) -> dict:
    """One run of the raw consumer and of the audit service (`code`) on a copy of the year."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from partanum.db import make_engine
    from services.audit.models import AuditEntry

    measured = count - WARM_UP
    with (
        support.fresh_vhost("audit") as amqp_uri,
        support.fresh_database(database, bench.workdir, "audit", copy_of=year_url) as url,
    ):
        _child("publish", amqp_uri, events, WARM_UP, count, "raw")  # they wait in the raw queue
        consumed = _child("consume", amqp_uri, measured)
        raw_seconds = consumed["last_ack"] - consumed["started"]

        env = {
            "AMQP_URI": amqp_uri,
            "AUDIT_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                before = session.scalar(select(func.max(AuditEntry.seq)))

            def logged() -> int:  # seqs are gapless: the last one is the count
                with Session(engine) as session:
                    return session.scalar(select(func.max(AuditEntry.seq))) - before

            # The copy is migrated already, by this code: a baseline from before a
            # migration would not know its revision (its tables it simply ignores).
            with support.service_process(
                ["audit", "--no-migrate"], env, bench.workdir / f"audit-{database}.log", code
            ) as process:
                support.wait_for_consumer(amqp_uri, "audit.events", process)
                _child("publish", amqp_uri, events, 0, WARM_UP, "events")
                _wait(lambda: logged() >= WARM_UP, process)
                cpu_before = support.cpu_seconds(process.pid)
                published = _child("publish", amqp_uri, events, WARM_UP, count, "events")
                _wait(lambda: logged() >= count, process)
                cpu_after = support.cpu_seconds(process.pid)
            with Session(engine) as session:
                last = session.scalar(select(func.max(AuditEntry.recorded_at)))
                _check_chain(session, before, count)
        finally:
            engine.dispose()
        intake_seconds = last.timestamp() - published["started"]

    raw_rate, intake_rate = measured / raw_seconds, measured / intake_seconds
    support.note(
        f"audit_intake ({database}, {code.name}): {measured} events logged in "
        f"{intake_seconds:.2f} s, {intake_rate / raw_rate:.1%} of the raw consume rate "
        f"({raw_seconds:.2f} s for as many messages acked from a full queue by a bare pika "
        f"consumer); publishing took {published['published'] - published['started']:.2f} s "
        f"of the former; prefetch {PREFETCH}; {support.load_average()}"
    )
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "raw": raw_rate,
        "intake": intake_rate,
        "cpu": (cpu or 0.0) / measured,
        "load": support.load_average(),
    }


def _check_chain(session, before: int, count: int) -> None:
    """The entries appended follow the year's last one in an unbroken chain, one per
    event published (verifying the whole year's log each run would take longer than
    the run): a fast but broken chain fails the run."""
    from sqlalchemy import select

    from services.audit import log
    from services.audit.models import AuditEntry

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.seq >= before).order_by(AuditEntry.seq)
    ).all()
    ids = set()
    for previous, entry in zip(entries, entries[1:], strict=False):
        ids.add(entry.event_id)
        if (
            entry.seq != previous.seq + 1
            or entry.prev_hash != previous.hash
            or entry.body_digest != log.digest(entry.body)
            or entry.hash != log.chain_hash(entry.prev_hash, entry.body_digest)
        ):
            raise RuntimeError(f"the audit log's chain breaks at entry {entry.seq}")
    if len(ids) != count:
        raise RuntimeError(f"{len(ids)} events appended of the {count} published")


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


def publish(amqp_uri: str, events: str, first: int, end: int, target: str) -> dict:
    """Publish the events [first, end) of the file as persistent messages to the audit
    service through partanum.events as fast as the broker takes them (no confirm per
    message: the publisher must not be what is measured), or straight to the raw
    queue, confirmed, before its consumer starts."""
    import pika

    from partanum import topology

    bodies = json.loads(Path(events).read_text())[first:end]
    count = len(bodies)
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
        events, first, end, target = args
        print(json.dumps(publish(amqp_uri, events, int(first), int(end), target)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
