"""request_cpu: the booking's CPU per reservation and per loan (check-out and return).

The booking runs alone as a real process (`python -m partanum.run booking`), on a
fresh vhost and database, with its copy of the inventory written straight into
that database once it has migrated it: sites open every day, each with its own
tablets. CLIENTS clients at once first make bench.items reservations ("1 tablet at
my site" in successive windows, as booking_throughput asks), then bench.items loans,
each a check-out of a tablet of their site to their resident and its return (a
returned tablet waits for its wipe, so each loan takes a fresh one). Measured: the
booking process's CPU seconds over each phase, until its outbox has published every
event, divided by the phase's operations.

The machine's speed drifts from run to run: a figure alone says little. With
PARTANUM_BENCH_BASELINE=<another checkout> (the code before a change, e.g.
`git worktree add ../before <commit>`), the same measurement runs on that code and
on this one alternately, ROUNDS times each, and the medians are printed side by
side with their ratio (this code / the baseline).
"""

import os
import statistics
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

from bench import booking_throughput, support

CLIENTS = 8
TABLETS_PER_SITE = 4  # reservations' sites (windows overlap through the buffer)
ROUNDS = int(os.environ.get("PARTANUM_BENCH_CPU_ROUNDS", "3"))
BASELINE = os.environ.get("PARTANUM_BENCH_BASELINE")
OPEN_EVERY_DAY = booking_throughput.OPEN_EVERY_DAY
CATEGORY_ID = booking_throughput.CATEGORY_ID
OUTBOX_TIMEOUT = 120.0


def run(bench: support.Run, database: str) -> list[support.Result]:
    codes = {"this code": support.REPO_ROOT}
    if BASELINE:
        codes = {"baseline": Path(BASELINE).resolve(), **codes}
    measured: dict[str, list[dict]] = {label: [] for label in codes}
    for _ in range(ROUNDS if BASELINE else 1):
        for label, code in codes.items():  # alternately: drift hits both alike
            measured[label].append(measure(bench, database, code))
    results = []
    medians = {
        label: {op: statistics.median(r[op] for r in rounds) for op in ("reservation", "loan")}
        for label, rounds in measured.items()
    }
    for label, rounds in measured.items():
        support.note(
            f"request_cpu ({database}, {label}, {len(rounds)} round(s)): booking CPU per "
            + "; per ".join(
                f"{op}: " + ", ".join(f"{r[op] * 1000:.2f}" for r in rounds) + " ms"
                for op in ("reservation", "loan")
            )
        )
    name = {"this code": "", "baseline": "_baseline"}
    for label, figures in medians.items():
        for op, seconds in figures.items():
            results.append(
                support.Result(
                    f"request_cpu_{op}{name[label]}_{database}", seconds * 1000, f"ms/{op}", 2
                )
            )
    if BASELINE:
        for op in ("reservation", "loan"):
            ratio = medians["this code"][op] / medians["baseline"][op]
            results.append(
                support.Result(f"request_cpu_{op}_vs_baseline_{database}", ratio, "ratio", 2)
            )
    return results


def measure(bench: support.Run, database: str, code: Path) -> dict:
    """CPU seconds of the booking per reservation and per loan, running `code`."""
    count = bench.items
    loan_sites = list(range(CLIENTS + 1, 2 * CLIENTS + 1))
    with ExitStack() as stack:
        amqp_uri = stack.enter_context(support.fresh_vhost("request-cpu"))
        url = stack.enter_context(support.fresh_database(database, bench.workdir, "booking"))
        env = {
            "AMQP_URI": amqp_uri,
            "BOOKING_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        log = bench.workdir / f"request-cpu-{database}.log"
        booking = stack.enter_context(support.service_process(["booking"], env, log, code))
        support.wait_for_consumer(amqp_uri, "rpc-booking", booking, timeout=120)
        _write_network(url, loans_per_site=-(-count // CLIENTS) + 2)
        residents = _residents(amqp_uri, loan_sites)
        first_day = date.today() + timedelta(days=1)

        def reserve(c: int, k: int, rpc) -> None:
            site = c + 1
            rpc.reserve(
                {
                    "partner_id": site,
                    "site": booking_throughput.site_code(site),
                    "category_id": CATEGORY_ID,
                    "quantity": 1,
                    **booking_throughput.window(k, first_day),
                }
            )

        def lend(c: int, k: int, rpc) -> None:
            site = loan_sites[c]
            tag = _tag(site, k)
            rpc.check_out(
                {
                    "asset_tag": tag,
                    "resident_id": residents[site],
                    "site": booking_throughput.site_code(site),
                    "accessories": [],
                }
            )
            rpc.check_in({"asset_tag": tag, "condition": "good", "accessories": []})

        figures = {}
        for op, work in (("reservation", reserve), ("loan", lend)):
            _concurrently(amqp_uri, work, 0, 1)  # warm-up: SQL compiled, connections open
            _wait_for_outbox(url, booking)
            before = support.cpu_seconds(booking.pid)
            _concurrently(amqp_uri, work, 1, 1 + count // CLIENTS)
            _wait_for_outbox(url, booking)
            after = support.cpu_seconds(booking.pid)
            if before is None or after is None:
                raise RuntimeError("the booking's CPU time cannot be read on this machine")
            figures[op] = (after - before) / (CLIENTS * (count // CLIENTS))
        return figures


def _write_network(url: str, loans_per_site: int) -> None:
    """Sites 1..CLIENTS for reservations (TABLETS_PER_SITE each), the next CLIENTS for
    loans (a fresh tablet per loan), written into the booking's migrated database."""
    from partanum.db import make_engine
    from services.booking.models import Item, Site

    sites = range(1, 2 * CLIENTS + 1)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                Site.__table__.insert(),
                [
                    {
                        "id": site,
                        "code": booking_throughput.site_code(site),
                        "partner_id": site,
                        "opening_hours": OPEN_EVERY_DAY,
                        "closures": [],
                    }
                    for site in sites
                ],
            )
            connection.execute(
                Item.__table__.insert(),
                [
                    {
                        "id": site * 10_000 + n,
                        "asset_tag": _tag(site, n),
                        "category_id": CATEGORY_ID,
                        "owner_partner_id": site,
                        "site_id": site,
                        "status": "available",
                        "shareable": True,
                    }
                    for site in sites
                    for n in range(TABLETS_PER_SITE if site <= CLIENTS else loans_per_site)
                ],
            )
    finally:
        engine.dispose()


def _tag(site: int, n: int) -> str:
    return f"S{site:02d}-TAB-{n}"


def _residents(amqp_uri: str, sites: list[int]) -> dict[int, int]:
    """One resident registered by each loan site's partner: their ids by site."""
    from nameko.standalone.rpc import ServiceRpcProxy

    config = {"AMQP_URI": amqp_uri}
    with ServiceRpcProxy("booking", config, context_data={"actor": "bench"}, timeout=60) as rpc:
        return {
            site: rpc.register_resident(
                {
                    "display_name": f"Habitant {site}",
                    "email": f"habitant-{site}@bench.test",
                    "channel": "email",
                    "language": "fr",
                    "consent": True,
                    "card_number": f"RS-CPU-{site}",
                    "registered_by_partner_id": site,
                }
            )["id"]
            for site in sites
        }


def _concurrently(amqp_uri: str, work, first: int, last: int) -> None:
    """Each client does `work(client, k, its proxy)` for k in first..last-1, at once."""
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy

    config = {"AMQP_URI": amqp_uri}

    def client(c: int) -> None:
        with ServiceRpcProxy(
            "booking", config, context_data={"actor": f"bench:{c}"}, timeout=60
        ) as rpc:
            for k in range(first, last):
                work(c, k, rpc)

    pool = eventlet.GreenPool(CLIENTS)
    for thread in [pool.spawn(client, c) for c in range(CLIENTS)]:
        thread.wait()  # raises what the client raised


def _wait_for_outbox(url: str, process) -> None:
    """Until the booking's outbox has published every event it holds."""
    support.wait_for_count(
        url,
        "SELECT count(*) FROM outbox WHERE published_at IS NULL",
        lambda pending: pending == 0,
        process,
        OUTBOX_TIMEOUT,
        "the booking's events unpublished",
    )
