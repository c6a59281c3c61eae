"""notification_latency: from a loan committed to its confirmation email received.

The booking and the notifications run as real processes (`python -m partanum.run
booking` and `… notifications`) on a fresh vhost and fresh databases; emails go to
the real SMTP server of the tests (tests/smtp_server.py, aiosmtpd in a process of
its own), which writes each message it accepts into a directory. The booking's
copy of the inventory (one site open every day, one tablet per loan) is written
straight into its database after migrating it, as booking_throughput does.

Every resident is registered through the booking's `register_resident` RPC with
channel "email" and an address of their own, and borrows once: the email that
reaches that address is their loan's confirmation. The notifications process runs
with no quiet hours and a cap far above one message a day, so every confirmation
is due at once.

The load is an open loop: loans start on a fixed schedule of RATE per second,
whether or not earlier ones have finished, sent by bench.rpc_load in a process of
its own (the achieved rate says whether it kept to the schedule). A loan's latency
is the time the SMTP server wrote the message (the file's modification time) minus
the time the load generator received check_out's reply, i.e. after the commit;
p50 and p99 over all loans. The target is a p99 under 500 ms.
"""

import os
import time
from contextlib import ExitStack
from datetime import UTC

from bench import support
from bench.booking_throughput import CATEGORY_ID, OPEN_EVERY_DAY

RATE = float(os.environ.get("PARTANUM_BENCH_NOTIFICATION_RATE", "100"))  # loans offered per second
WARM_UP = 10
SITE_ID = 1
SITE = "bench-notify"
PARTNER_ID = 1
DELIVERY_TIMEOUT = 60.0


def run(bench: support.Run, database: str) -> list[support.Result]:
    from kombu import Connection

    from partanum import topology
    from tests.smtp_server import SmtpServer

    count = bench.items
    with (
        support.fresh_vhost("notify") as amqp_uri,
        support.fresh_database(database, bench.workdir, "booking") as booking_url,
        support.fresh_database(database, bench.workdir, "notifications") as notifications_url,
        SmtpServer(bench.workdir / f"mail-{database}") as smtp,
        ExitStack() as stack,
    ):
        load_network(booking_url, WARM_UP + count)
        with Connection(amqp_uri) as connection:
            topology.declare(connection.default_channel)

        common = {"AMQP_URI": amqp_uri, "PARTANUM_DATA_DIR": str(bench.workdir)}
        booking = stack.enter_context(
            support.service_process(
                ["booking"],
                {**common, "BOOKING_DATABASE_URL": booking_url},
                bench.workdir / f"notify-booking-{database}.log",
            )
        )
        support.wait_for_consumer(amqp_uri, "rpc-booking", booking)
        notifications = stack.enter_context(
            support.service_process(
                ["notifications"],
                {
                    **common,
                    "NOTIFICATIONS_DATABASE_URL": notifications_url,
                    "PARTANUM_SMTP_HOST": smtp.host,
                    "PARTANUM_SMTP_PORT": str(smtp.port),
                    # From == until: never quiet (and quiet hours hold back SMS only anyway).
                    "PARTANUM_QUIET_FROM": "00:00",
                    "PARTANUM_QUIET_UNTIL": "00:00",
                    "PARTANUM_MAX_MESSAGES_PER_DAY": "1000000",
                },
                bench.workdir / f"notify-notifications-{database}.log",
            )
        )
        support.wait_for_consumer(amqp_uri, topology.NOTIFICATIONS.queue, notifications)

        residents = _register(amqp_uri, WARM_UP + count)
        # The first loans compile SQL, open connections and the SMTP session path: off the clock.
        warm = _lend(amqp_uri, residents[:WARM_UP], list(range(WARM_UP)), rate=RATE)
        _received(smtp.directory, warm.returned, WARM_UP)
        for path in smtp.directory.iterdir():
            path.unlink()

        machine = support.machine_cpu()
        # Every process the loans go through, on this machine: what each core pays.
        pids = {
            "booking": booking.pid,
            "notifications": notifications.pid,
            "broker": support.broker_pid(),
            "smtp_server": smtp.process.pid,
        }
        cpu_before = {label: support.cpu_seconds(pid) for label, pid in pids.items() if pid}
        loaded = _lend(
            amqp_uri, residents[WARM_UP:], list(range(WARM_UP, WARM_UP + count)), rate=RATE
        )
        returned = dict(loaded.returned)
        latencies = _received(smtp.directory, loaded.returned, count)
        stages = _stages(
            booking_url,
            notifications_url,
            residents[WARM_UP:],
            range(WARM_UP, WARM_UP + count),
            returned,
            smtp.directory,
        )
        busy = support.machine_busy_since(machine)
        cpu_after = {label: support.cpu_seconds(pid) for label, pid in pids.items() if pid}
        # The load generator's process has ended: it counted its own CPU time.
        cpu_before["load_generator"], cpu_after["load_generator"] = 0.0, loaded.cpu_seconds
        cpu = _cpu_per_loan(cpu_before, cpu_after, count)
        written = sorted(p.stat().st_mtime_ns / 1e9 for p in smtp.directory.glob("*.eml"))
        delivered = (count - 1) / (written[-1] - written[0]) if count > 1 else 0.0

    latencies.sort()
    support.note(
        f"notification_latency ({database}): {count} loans offered at {RATE:.0f}/s; "
        f"achieved {loaded.rate:.1f}/s, a loan started at most "
        f"{loaded.max_lag * 1000:.0f} ms behind its schedule; check_out p50 "
        f"{_percentile(sorted(loaded.rpc), 50) * 1000:.1f} ms, p99 "
        f"{_percentile(sorted(loaded.rpc), 99) * 1000:.1f} ms; latency max "
        f"{latencies[-1] * 1000:.0f} ms; emails received at {delivered:.1f}/s; "
        f"{stages}; CPU per loan: {_cpu_text(cpu)}; machine CPU {busy:.0%} busy ({os.cpu_count()} cores), "
        f"{support.load_average()}"
    )
    return [
        support.Result(
            f"notification_latency_p50_{database}", _percentile(latencies, 50) * 1000, "ms"
        ),
        support.Result(
            f"notification_latency_p99_{database}", _percentile(latencies, 99) * 1000, "ms"
        ),
        support.Result(f"notification_offered_rate_{database}", loaded.rate, "loans/s"),
        # CPU time of each process over the loaded phase, divided by the loans: what
        # the cores pay per loan, much less skewed by other work than the latency.
        *(
            support.Result(f"notification_cpu_per_loan_{label}_{database}", ms, "ms")
            for label, ms in cpu.items()
            if ms is not None
        ),
    ]


def load_network(url: str, items: int) -> None:
    """Migrate the booking's database and write its copy of the inventory: one site
    open every day, with one tablet per loan to come."""
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
                        "id": SITE_ID,
                        "code": SITE,
                        "partner_id": PARTNER_ID,
                        "opening_hours": OPEN_EVERY_DAY,
                        "closures": [],
                    }
                ],
            )
            connection.execute(
                Item.__table__.insert(),
                [
                    {
                        "id": n + 1,
                        "asset_tag": asset_tag(n),
                        "category_id": CATEGORY_ID,
                        "owner_partner_id": PARTNER_ID,
                        "site_id": SITE_ID,
                        "status": "available",
                        "shareable": True,
                    }
                    for n in range(items)
                ],
            )
    finally:
        engine.dispose()


def asset_tag(n: int) -> str:
    return f"NT-TAB-{n:05d}"


def address(n: int) -> str:
    return f"resident-{n:05d}@bench.example"


def _register(amqp_uri: str, count: int) -> list[int]:
    """Residents 0…count-1 through RPC, each with an address of their own; their ids."""
    import eventlet

    from partanum.standalone import ServiceRpcProxy

    ids = [None] * count

    def client(numbers):
        with ServiceRpcProxy(
            "booking", {"AMQP_URI": amqp_uri}, context_data={"actor": "bench:notify"}, timeout=60
        ) as booking:
            for n in numbers:
                ids[n] = booking.register_resident(
                    {
                        "display_name": f"Resident {n}",
                        "email": address(n),
                        "channel": "email",
                        "language": "fr",
                        "consent": True,
                        "registered_by_partner_id": PARTNER_ID,
                    }
                )["id"]

    pool = eventlet.GreenPool(8)
    for c in range(8):
        pool.spawn(client, range(c, count, 8))
    pool.waitall()
    return ids


class _Lent:
    def __init__(self):
        self.returned: dict[str, float] = {}  # address → time.time() when check_out returned
        self.rpc: list[float] = []
        self.max_lag = 0.0
        self.rate = 0.0
        self.cpu_seconds = 0.0  # the load generator's own


def _lend(amqp_uri: str, resident_ids: list[int], numbers: list[int], rate: float) -> _Lent:
    """One loan per resident, started on a fixed schedule of `rate` per second by
    bench.rpc_load, in a process of its own."""
    import json
    import subprocess
    import sys

    calls = [
        [{"asset_tag": asset_tag(n), "resident_id": resident_id, "site": SITE, "accessories": []}]
        for resident_id, n in zip(resident_ids, numbers, strict=True)
    ]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.rpc_load",
            amqp_uri,
            "booking.check_out",
            str(rate),
            "bench:notify",
        ],
        input=json.dumps(calls),
        cwd=support.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{completed.stderr[-3000:]}")
    load = json.loads(completed.stdout)
    lent = _Lent()
    for resident_id, n, call in zip(resident_ids, numbers, load["calls"], strict=True):
        if call["result"]["resident_id"] != resident_id:
            raise RuntimeError(f"unexpected loan {call['result']}")
        lent.returned[address(n)] = call["replied"]
        lent.rpc.append(call["replied"] - call["started"])
        lent.max_lag = max(lent.max_lag, call["lag"])
    lent.rate, lent.cpu_seconds = load["achieved"], load["cpu_seconds"]
    return lent


def _received(directory, returned: dict[str, float], count: int) -> list[float]:
    """Wait for `count` emails; each one's latency: written minus check_out returned."""
    import email
    import email.policy
    import json

    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while len(list(directory.glob("*.json"))) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"only {len(list(directory.glob('*.json')))} of {count} "
                f"confirmations reached the SMTP server within {DELIVERY_TIMEOUT:.0f} s"
            )
        time.sleep(0.2)
    latencies = []
    for meta in directory.glob("*.json"):
        [to] = json.loads(meta.read_text())["rcpt_tos"]
        raw = meta.with_suffix(".eml")
        message = email.message_from_bytes(raw.read_bytes(), policy=email.policy.default)
        if to not in returned:
            raise RuntimeError(
                f"an email to {to} that no loan of this run explains: {message['Subject']}"
            )
        latencies.append(raw.stat().st_mtime_ns / 1e9 - returned.pop(to))
    if returned:
        raise RuntimeError(f"no confirmation for {len(returned)} loans")
    return latencies


def _stages(booking_url, notifications_url, resident_ids, numbers, returned, directory) -> str:
    """Where the time goes, each stage from check_out returned: the event published
    by the booking's outbox relay (with the broker's confirm), the notifications
    handling it (the broker, the queue before a worker takes it, the inbox and
    intent commit), the email received (contact details from the booking,
    rendering, SMTP)."""
    import json

    from sqlalchemy import select

    from partanum.db import make_engine
    from partanum.tables import outbox
    from services.notifications.models import Message

    written = {
        json.loads(meta.read_text())["rcpt_tos"][0]: meta.with_suffix(".eml").stat().st_mtime_ns
        / 1e9
        for meta in directory.glob("*.json")
    }
    to_address = {
        resident_id: address(n) for resident_id, n in zip(resident_ids, numbers, strict=True)
    }
    published = {}
    engine = make_engine(booking_url)
    try:
        with engine.connect() as connection:
            for body, at in connection.execute(
                select(outbox.c.body, outbox.c.published_at).where(
                    outbox.c.event_type == "booking.loan_checked_out"
                )
            ):
                resident_id = json.loads(body)["data"]["resident_id"]
                # Written in UTC; SQLite gives it back without its zone.
                published[resident_id] = at.replace(tzinfo=at.tzinfo or UTC).timestamp()
    finally:
        engine.dispose()
    engine = make_engine(notifications_url)
    try:
        with engine.connect() as connection:
            handled = dict(
                connection.execute(
                    select(Message.resident_id, Message.created_at).where(
                        Message.purpose == "loan_confirmed"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    stages = {"event published": [], "event handled": [], "email received": []}
    for resident_id, to in to_address.items():
        if to in returned and to in written and resident_id in handled and resident_id in published:
            stages["event published"].append(published[resident_id] - returned[to])
            stages["event handled"].append(handled[resident_id].timestamp() - returned[to])
            stages["email received"].append(written[to] - returned[to])
    if not stages["event handled"]:
        return "stages unknown"
    return "; ".join(
        f"to the {stage} p50 {_percentile(sorted(values), 50) * 1000:.0f} ms, "
        f"p99 {_percentile(sorted(values), 99) * 1000:.0f} ms"
        for stage, values in stages.items()
    )


def _cpu_per_loan(before: dict, after: dict, count) -> dict[str, float | None]:
    """CPU ms per loan of each process (None if unknown)."""
    return {
        label: None
        if after.get(label) is None or before[label] is None
        else (after[label] - before[label]) / count * 1000
        for label in before
    }


def _cpu_text(cpu: dict) -> str:
    return ", ".join(
        f"{label} unknown" if ms is None else f"{label} {ms:.1f} ms" for label, ms in cpu.items()
    )


def _percentile(values: list[float], p: float) -> float:
    """Nearest rank on sorted `values`."""
    rank = max(1, -(-len(values) * p // 100))
    return values[int(rank) - 1]
