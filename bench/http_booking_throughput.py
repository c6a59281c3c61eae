"""http_booking_throughput: booking_throughput's reservations, made through the gateway's HTTP API.

The same world as booking_throughput (its `load_network`: 32 sites, each with its
own partner and tablets, written into a fresh booking database) and the same
requests, in the same successive two-hour windows; but each of the 32 clients is
a member of staff of its site's partner, signed in with a password, who sends
`POST /api/reservations` with a bearer token, as the desk's software would. The
gateway and the booking each run as a real process (`python -m partanum.run`),
one of each, the deployed shape. The staff accounts are created in the gateway's
fresh database before it starts; each client signs in, then makes its warm-up
reservations, off the clock.

The clock stops, as for booking_throughput, when every reply has come back and
every `booking.reservation_created` event has been consumed, so the HTTP figure
pays for everything the RPC one pays for, plus the gateway: HTTP parsing, the
token's lookup, the schema on the way in and out, one RPC round trip.

Printed beside it, measured in the same run: booking_throughput (RPC) and
raw_tx_publish, and the ratios of the HTTP figure to each.
"""

import os
import socket
import time
from contextlib import ExitStack
from datetime import UTC, date, timedelta

from bench import booking_throughput, support
from bench.booking_throughput import CLIENTS, EVENT, WARM_UP, plan, site_code, window

QUEUE = "bench.http_booking.reservation_created"
PASSWORD = "bench password, not a real one"


def run(bench: support.Run, database: str) -> list[support.Result]:
    from kombu import Connection, Queue

    from partanum import topology

    results = []
    if bench.result(f"booking_throughput_{database}") is None:
        # --only http_booking_throughput: the comparison still needs this run's RPC figure
        # (and booking_throughput runs raw_tx_publish itself when it is missing).
        results.extend(booking_throughput.run(bench, database))
    rpc_figure = _figure(bench, results, f"booking_throughput_{database}")
    raw = _figure(bench, results, f"raw_tx_publish_{database}")

    with (
        support.fresh_vhost("http-booking") as amqp_uri,
        support.fresh_database(database, bench.workdir, "booking") as booking_url,
        support.fresh_database(database, bench.workdir, "gateway") as gateway_url,
    ):
        booking_throughput.load_network(booking_url)
        accounts = load_accounts(gateway_url)
        with Connection(amqp_uri) as connection:
            channel = connection.default_channel
            topology.declare(channel)
            Queue(
                QUEUE, exchange=topology.events_exchange, routing_key=EVENT, durable=True
            ).declare(channel=channel)

        port = _free_port()
        env = {
            "AMQP_URI": amqp_uri,
            "BOOKING_DATABASE_URL": booking_url,
            "GATEWAY_DATABASE_URL": gateway_url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
            "PARTANUM_HTTP_ADDRESS": f"127.0.0.1:{port}",
        }
        first_day = date.today() + timedelta(days=1)
        with ExitStack() as stack:
            booking = stack.enter_context(
                support.service_process(
                    ["booking"], env, bench.workdir / f"http-booking-{database}.log"
                )
            )
            support.wait_for_consumer(amqp_uri, "rpc-booking", booking)
            gateway = stack.enter_context(
                support.service_process(
                    ["gateway"], env, bench.workdir / f"http-gateway-{database}.log"
                )
            )
            base_url = f"http://127.0.0.1:{port}"
            _wait_for_http(base_url, gateway)
            events = stack.enter_context(
                support.EventCounter(amqp_uri, QUEUE, booking_throughput.phase_of(first_day))
            )
            seconds, latencies, cpu = _reserve_concurrently(
                base_url, accounts, [booking, gateway], events, bench.items, first_day
            )

    rate = bench.items / seconds
    support.note(
        f"http_booking_throughput ({database}): {bench.items} reservations by {CLIENTS} clients "
        f"over HTTP in {seconds:.2f} s; HTTP latency {support.percentiles(latencies)}; {cpu}"
    )
    results.append(support.Result(f"http_booking_throughput_{database}", rate, "reservations/s"))
    results.append(
        support.Result(
            f"http_booking_throughput_vs_rpc_{database}", rate / rpc_figure.value, "ratio", 2
        )
    )
    results.append(
        support.Result(f"http_booking_throughput_vs_raw_{database}", rate / raw.value, "ratio", 2)
    )
    return results


def _figure(bench: support.Run, results: list, name: str) -> support.Result:
    return bench.result(name) or next(r for r in results if r.name == name)


def load_accounts(url: str) -> list[dict]:
    """Migrate the gateway's database and create one member of staff per site's partner
    (booking_throughput gives site n to partner n); returns their credentials."""
    from datetime import datetime

    from sqlalchemy.orm import Session

    from partanum import migrate
    from partanum.db import make_engine
    from services.gateway import accounts

    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    credentials = []
    try:
        with Session(engine) as session:
            for partner in range(1, CLIENTS + 1):
                email = f"staff@{site_code(partner)}.bench"
                accounts.create(
                    session,
                    {
                        "email": email,
                        "display_name": f"Staff {partner}",
                        "role": "staff",
                        "partner_id": partner,
                        "password": PASSWORD,
                    },
                    datetime.now(UTC),
                )
                credentials.append({"email": email, "password": PASSWORD})
            session.commit()
    finally:
        engine.dispose()
    return credentials


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(base_url: str, process, timeout: float = 60.0) -> None:
    """Wait until the gateway answers HTTP (it has migrated, started and bound its port)."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with status {process.returncode}")
        try:
            if requests.get(f"{base_url}/api/me", timeout=5).status_code == 401:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gateway did not answer at {base_url} within {timeout:.0f} s")
        time.sleep(0.2)


def _reserve_concurrently(base_url, accounts, processes, events, count, first_day):
    import eventlet
    import requests

    go = eventlet.event.Event()
    latencies = []
    warmed: list[int] = []

    def client(c: int, operations: int):
        site = c + 1
        ask = {
            "partner_id": site,
            "site": site_code(site),
            "category_id": booking_throughput.CATEGORY_ID,
            "quantity": 1,
        }
        with requests.Session() as http:
            signed_in = http.post(f"{base_url}/api/sign-in", json=accounts[c], timeout=60)
            signed_in.raise_for_status()
            http.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"
            # The first calls compile SQL and open pooled connections: keep them off the clock.
            for k in range(WARM_UP):
                _reserve(http, base_url, {**ask, **window(k, first_day), "note": "warm-up"})
            warmed.append(c)
            go.wait()
            for k in range(WARM_UP, WARM_UP + operations):
                before = time.perf_counter()
                _reserve(http, base_url, {**ask, **window(k, first_day)})
                latencies.append(time.perf_counter() - before)

    pool = eventlet.GreenPool(CLIENTS)
    threads = [pool.spawn(client, c, n) for c, n in enumerate(plan(CLIENTS, count))]
    try:
        while len(warmed) < CLIENTS:
            for thread in threads:
                if thread.dead:
                    thread.wait()  # raises what the client raised
            eventlet.sleep(0.05)
        events.wait_for("warm-up", CLIENTS * WARM_UP)

        service_cpu, client_cpu = booking_throughput._cpu_of(processes), time.process_time()
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
    per_op = booking_throughput._per_op
    cpu = "CPU per reservation: " + per_op(
        booking_throughput._cpu_of(processes), service_cpu, count, "booking + gateway"
    )
    cpu += ", " + per_op(time.process_time(), client_cpu, count, "HTTP clients")
    cpu += f"; machine CPU {busy:.0%} busy ({os.cpu_count()} cores)"
    return events.last_at - started, latencies, cpu


def _reserve(http, base_url: str, payload: dict) -> dict:
    response = http.post(f"{base_url}/api/reservations", json=payload, timeout=60)
    if response.status_code != 201:
        raise RuntimeError(
            f"POST /api/reservations answered {response.status_code}: {response.text[:500]}"
        )
    reservation = response.json()
    if len(reservation["asset_tags"]) != 1:
        raise RuntimeError(f"expected one tablet, got {reservation}")
    return reservation
