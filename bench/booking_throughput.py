"""booking_throughput: reservations per second, 32 clients at once, through RPC.

The booking runs as a real process (`python -m partanum.run booking`) on a fresh
vhost and a fresh database. Its copy of the inventory (sites and items) is
written straight into that database after migrating it, before the service
starts: feeding it through the inventory's events would measure the inventory
and the projection too, and only the state they leave matters here.

Each of the 32 clients has its own site with its own tablets and asks, one
request after another, for "1 tablet at my site" (by category: the service
picks the item) in successive two-hour windows, so that no two clients ever
want the same item and the figure is throughput, not refusals; within a client
successive windows overlap through the buffer now and then, so the service has
to look past the first tablet. The clock stops when every reply has come back
and every `booking.reservation_created` event has been consumed from a durable
queue bound before the service started, so the figure includes the outbox relay.

Printed beside it: the raw single-client limit (raw_tx_publish, one commit plus
one confirmed publish) measured in the same run, and their ratio; the issue's
target is a ratio of at least 1.
"""

import os
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench import raw_tx_publish, support

CLIENTS = 32
EVENT = "booking.reservation_created"
QUEUE = "bench.booking.reservation_created"
ZONE = ZoneInfo("Europe/Paris")  # partanum's default PARTANUM_TIMEZONE
TABLETS_PER_SITE = 4
# Two-hour windows from 08:00: with the 30-minute buffer, each overlaps the
# one before it on the same tablet, so consecutive requests take different tablets.
SLOTS_PER_DAY = 4
OPEN_EVERY_DAY = {
    day: [["08:00", "20:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
WARM_UP = 2  # per client
CATEGORY_ID = 1
# One booking process is the deployed shape (compose.yaml); more, sharing the
# RPC queue, show what scaling out buys on a machine with the cores for it.
PROCESSES = int(os.environ.get("PARTANUM_BENCH_BOOKING_PROCESSES", "1"))


def run(bench: support.Run, database: str) -> list[support.Result]:
    results = []
    raw = bench.result(f"raw_tx_publish_{database}")
    if raw is None:  # --only booking_throughput: the ratio still needs this run's limit
        results.extend(raw_tx_publish.run(bench, database))
        raw = results[-1]

    measured = measure(bench, database, PROCESSES)
    seconds = measured.seconds
    rate = bench.items / seconds
    support.note(
        f"booking_throughput ({database}): {bench.items} reservations by {CLIENTS} clients "
        f"in {seconds:.2f} s; RPC latency {support.percentiles(measured.latencies)}; "
        f"{measured.cpu}; {PROCESSES} booking process(es) of max_workers {_max_workers()}"
    )
    results.append(support.Result(f"booking_throughput_{database}", rate, "reservations/s"))
    results.append(
        support.Result(f"booking_throughput_vs_raw_{database}", rate / raw.value, "ratio", 2)
    )
    return results


@dataclass
class Measured:
    seconds: float  # from the go to the last event consumed
    latencies: list[float]
    cpu: str  # said in words
    # CPU seconds per reservation: "booking" (every process together), "broker",
    # "client"; None where it cannot be read.
    cpu_per_op: dict[str, float | None]


def measure(bench: support.Run, database: str, processes: int) -> Measured:
    """bench.items reservations by CLIENTS clients against `processes` booking
    processes sharing one database and the RPC queue."""
    from kombu import Connection, Queue

    from partanum import topology

    with (
        support.fresh_vhost("booking") as amqp_uri,
        support.fresh_database(database, bench.workdir, "booking") as url,
    ):
        load_network(url)
        with Connection(amqp_uri) as connection:
            channel = connection.default_channel
            topology.declare(channel)
            Queue(
                QUEUE, exchange=topology.events_exchange, routing_key=EVENT, durable=True
            ).declare(channel=channel)

        env = {
            "AMQP_URI": amqp_uri,
            "BOOKING_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        first_day = date.today() + timedelta(days=1)
        with ExitStack() as stack:
            started: list = []
            for n in range(processes):
                log = bench.workdir / f"booking-{database}-{n}.log"
                started.append(stack.enter_context(support.service_process(["booking"], env, log)))
                # One at a time: each migrates the database on start.
                support.wait_for_consumer(amqp_uri, "rpc-booking", started[-1], consumers=n + 1)
            events = stack.enter_context(support.EventCounter(amqp_uri, QUEUE, phase_of(first_day)))
            return _reserve_concurrently(amqp_uri, started, events, bench.items, first_day)


def load_network(url: str) -> None:
    """Migrate the booking's database and write its copy of the inventory:
    one site per client, open every day, with its own tablets."""
    from partanum import migrate
    from partanum.db import make_engine
    from services.booking.models import Item, Site

    migrate.upgrade("booking", url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                Site.__table__.insert(),
                [
                    {
                        "id": site,
                        "code": site_code(site),
                        "partner_id": site,
                        "opening_hours": OPEN_EVERY_DAY,
                        "closures": [],
                    }
                    for site in range(1, CLIENTS + 1)
                ],
            )
            connection.execute(
                Item.__table__.insert(),
                [
                    {
                        "id": site * 100 + n,
                        "asset_tag": f"S{site:02d}-TAB-{n}",
                        "category_id": CATEGORY_ID,
                        "owner_partner_id": site,
                        "site_id": site,
                        "status": "available",
                        "shareable": True,
                    }
                    for site in range(1, CLIENTS + 1)
                    for n in range(TABLETS_PER_SITE)
                ],
            )
    finally:
        engine.dispose()


def site_code(site: int) -> str:
    return f"bench-{site:02d}"


def window(k: int, first_day: date) -> dict:
    """A client's k-th window: SLOTS_PER_DAY two-hour slots a day from 08:00, local time."""
    day = first_day + timedelta(days=k // SLOTS_PER_DAY)
    starts = datetime.combine(day, datetime.min.time(), tzinfo=ZONE).replace(
        hour=8 + 2 * (k % SLOTS_PER_DAY)
    )
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}


def plan(clients: int, operations: int) -> list[int]:
    """How many of the `operations` each client makes: as even as can be."""
    share, extra = divmod(operations, clients)
    return [share + (1 if c < extra else 0) for c in range(clients)]


def _reserve_concurrently(amqp_uri, processes, events, count, first_day):
    import eventlet

    from partanum.standalone import ServiceRpcProxy

    config = {"AMQP_URI": amqp_uri}
    go = eventlet.event.Event()
    latencies = []

    def client(c: int, requests: int):
        site = c + 1
        ask = {
            "partner_id": site,
            "site": site_code(site),
            "category_id": CATEGORY_ID,
            "quantity": 1,
        }
        with ServiceRpcProxy(
            "booking", config, context_data={"actor": f"bench:{site}"}, timeout=60
        ) as booking:
            # The first calls compile SQL and open pooled connections: keep them off the clock.
            for k in range(WARM_UP):
                _reserve(booking, {**ask, **window(k, first_day), "note": "warm-up"})
            warmed.append(c)
            go.wait()
            for k in range(WARM_UP, WARM_UP + requests):
                before = time.perf_counter()
                _reserve(booking, {**ask, **window(k, first_day)})
                latencies.append(time.perf_counter() - before)

    warmed: list[int] = []
    pool = eventlet.GreenPool(CLIENTS)
    threads = [pool.spawn(client, c, n) for c, n in enumerate(plan(CLIENTS, count))]
    try:
        while len(warmed) < CLIENTS:
            for thread in threads:
                if thread.dead:
                    thread.wait()  # raises what the client raised
            eventlet.sleep(0.05)
        events.wait_for("warm-up", CLIENTS * WARM_UP)

        broker = support.broker_pid()
        service_cpu, client_cpu = _cpu_of(processes), time.process_time()
        broker_cpu = support.cpu_seconds(broker) if broker else None
        machine = support.machine_cpu()
        started = time.perf_counter()
        go.send()
        for thread in threads:
            thread.wait()
        events.last_call_returned_at = time.perf_counter()
    finally:
        for thread in threads:
            thread.kill()  # a client still waiting for `go` when another failed
    events.wait_for("bench", count)
    busy = support.machine_busy_since(machine)
    per_op = {
        "booking": _seconds_per_op(_cpu_of(processes), service_cpu, count),
        "broker": _seconds_per_op(
            support.cpu_seconds(broker) if broker else None, broker_cpu, count
        ),
        "client": _seconds_per_op(time.process_time(), client_cpu, count),
    }
    cpu = "CPU per reservation: " + ", ".join(
        f"{label} " + ("unknown" if seconds is None else f"{seconds * 1000:.1f} ms")
        for label, seconds in (
            ("service", per_op["booking"]),
            ("broker", per_op["broker"]),
            ("client", per_op["client"]),
        )
    )
    cpu += f"; machine CPU {busy:.0%} busy ({os.cpu_count()} cores)"
    return Measured(events.last_at - started, latencies, cpu, per_op)


def _cpu_of(processes) -> float | None:
    seconds = [support.cpu_seconds(process.pid) for process in processes]
    return None if None in seconds else sum(seconds)


def _reserve(booking, payload):
    reservation = booking.reserve(payload)
    if len(reservation["asset_tags"]) != 1:
        raise RuntimeError(f"expected one tablet, got {reservation}")
    return reservation


def phase_of(first_day: date):
    """Events' key for EventCounter: warm-up or bench, told by the window's rank k."""

    def key(body) -> tuple[str, int]:
        starts = datetime.fromisoformat(body["data"]["starts_at"]).astimezone(ZONE)
        k = (starts.date() - first_day).days * SLOTS_PER_DAY + (starts.hour - 8) // 2
        return ("warm-up" if k < WARM_UP else "bench"), body["data"]["reservation_id"]

    return key


def _seconds_per_op(after, before, count) -> float | None:
    if after is None or before is None:
        return None
    return (after - before) / count


def _max_workers() -> int:
    from partanum import config

    return config.nameko_config(services=())["max_workers"]
