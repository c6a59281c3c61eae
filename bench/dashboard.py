"""dashboard: the managers' utilisation figures over a year of 10,000 devices, read
from the figures the audit keeps as events arrive, beside today's computation
from the whole log, in the same run and on the same database.

The year is utilisation_year's (98,000 events, hours and closures in the sites'
events), appended to a fresh audit database in batches of 1,000 as a replay
does, then its figures rebuilt (`dashboard_rebuild`: what `python -m
services.audit.figures rebuild` and a replay's load take for such a log).

What the dashboard asks (/manage: utilisation by partner, then by site, weekly,
over the year), timed:
- dashboard_full_log: reading the whole log back from the database into the
  analytics' history and computing both reports (how the reports worked before);
  a few runs, their median;
- dashboard_figures: both reports from the figures, in process; p95 of many;
- dashboard_http: both through the whole stack (GET /api/reports/utilisation as a
  signed-in manager: HTTP → gateway → RPC → audit → database and back), the
  gateway and the audit as real processes; p95 of many.
"""

import json
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime

from bench import support
from bench.http_booking_throughput import _free_port, _wait_for_http
from bench.utilisation_year import ITEMS, YEAR, ZONE, year_of_events

FULL_LOG_RUNS = 3
SAMPLES = 40
PASSWORD = "bench manager password"  # noqa: S105 -- a throwaway account in a throwaway database
DASHBOARD = ({"by": "partner", "step": "week"}, {"by": "site", "step": "week"})


def run(bench: support.Run, database: str) -> list[support.Result]:
    from sqlalchemy.orm import Session

    from partanum import migrate
    from partanum.db import make_engine
    from services.audit import figures, log

    workdir = bench.workdir / f"dashboard-{database}"
    workdir.mkdir(exist_ok=True)
    bodies, site_hours = year_of_events(ITEMS)
    envelopes = [json.loads(body) for body in bodies]
    with ExitStack() as stack:
        amqp_uri = stack.enter_context(support.fresh_vhost("dashboard"))
        urls = {
            name: stack.enter_context(support.fresh_database(database, workdir, name))
            for name in ("audit", "gateway")
        }
        migrate.upgrade("audit", urls["audit"])
        engine = make_engine(urls["audit"])
        stack.callback(engine.dispose)
        started = time.perf_counter()
        with Session(engine) as session:
            for start in range(0, len(envelopes), 1000):
                log.append_many(session, envelopes[start : start + 1000])
                session.commit()
        appended = time.perf_counter() - started
        with Session(engine) as session:
            started = time.perf_counter()
            figures.rebuild(session, ZONE)
            rebuilt = time.perf_counter() - started
        support.note(
            f"dashboard ({database}): {len(envelopes)} events of {ITEMS} devices appended in "
            f"{appended:.1f} s, figures rebuilt in {rebuilt:.1f} s; {support.load_average()}"
        )
        full_log = _full_log(engine, site_hours)
        in_process = _in_process(engine)
        http = _through_the_gateway(stack, amqp_uri, urls, workdir)
    support.note(
        f"dashboard ({database}): full log {support.percentiles(full_log)}; figures "
        f"{support.percentiles(in_process)}; through the gateway {support.percentiles(http)}"
    )
    return [
        support.Result(f"dashboard_rebuild_{database}", rebuilt, "s", 1),
        support.Result(f"dashboard_full_log_{database}", statistics.median(full_log), "s", 2),
        support.Result(f"dashboard_figures_p95_{database}", _p95(in_process) * 1000, "ms", 0),
        support.Result(f"dashboard_http_p95_{database}", _p95(http) * 1000, "ms", 0),
    ]


def _period():
    from services.audit.analytics import Period

    return Period(date(YEAR, 1, 1), date(YEAR, 12, 31), ZONE)


def _full_log(engine, site_hours) -> list[float]:
    """Both reports as they were computed before the figures: the whole log each time."""
    from sqlalchemy.orm import Session

    from services.audit import analytics, log
    from services.audit.analytics import History

    samples = []
    for _ in range(FULL_LOG_RUNS):
        started = time.perf_counter()
        for query in DASHBOARD:
            with Session(engine) as session:
                history = History.from_events(log.events(session, until=datetime.now(UTC)))
            analytics.utilisation(history, _period(), site_hours, query["by"], query["step"])
        samples.append(time.perf_counter() - started)
    return samples


def _in_process(engine) -> list[float]:
    from sqlalchemy.orm import Session

    from services.audit import figures_report

    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        for query in DASHBOARD:
            with Session(engine) as session:
                figures_report.utilisation(session, _period(), query["by"], query["step"])
        samples.append(time.perf_counter() - started)
    return samples


def _through_the_gateway(stack: ExitStack, amqp_uri: str, urls: dict, workdir) -> list[float]:
    import requests

    port = _free_port()
    env = {
        "AMQP_URI": amqp_uri,
        "AUDIT_DATABASE_URL": urls["audit"],
        "GATEWAY_DATABASE_URL": urls["gateway"],
        "PARTANUM_DATA_DIR": str(workdir),
        "PARTANUM_SECRET_KEY": "bench secret key, not a real one",
        "PARTANUM_HTTP_ADDRESS": f"127.0.0.1:{port}",
    }
    _manager_account(urls["gateway"])
    audit = stack.enter_context(support.service_process(["audit"], env, workdir / "audit.log"))
    support.wait_for_consumer(amqp_uri, "rpc-audit", audit, timeout=120)
    gateway = stack.enter_context(
        support.service_process(["gateway"], env, workdir / "gateway.log")
    )
    base_url = f"http://127.0.0.1:{port}"
    _wait_for_http(base_url, gateway, timeout=120)
    http = requests.Session()
    signed_in = http.post(
        f"{base_url}/api/sign-in",
        json={"email": "manager@bench.example", "password": PASSWORD},
        timeout=60,
    )
    signed_in.raise_for_status()
    http.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"
    period = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}
    samples = []
    for n in range(SAMPLES + 2):  # the first two warm the processes up
        started = time.perf_counter()
        for query in DASHBOARD:
            response = http.get(
                f"{base_url}/api/reports/utilisation", params={**period, **query}, timeout=60
            )
            response.raise_for_status()
            if not response.json():
                raise RuntimeError("an empty utilisation report: the figures are missing")
        if n >= 2:
            samples.append(time.perf_counter() - started)
    return samples


def _manager_account(url: str) -> None:
    from sqlalchemy.orm import Session

    from partanum import migrate
    from partanum.db import make_engine
    from services.gateway import accounts

    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            accounts.create(
                session,
                {
                    "email": "manager@bench.example",
                    "display_name": "Équipe de quartier",
                    "role": "manager",
                    "password": PASSWORD,
                },
                datetime.now(UTC),
            )
            session.commit()
    finally:
        engine.dispose()


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
