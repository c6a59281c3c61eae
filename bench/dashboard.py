"""dashboard: the managers' home page (/manage) over a year of 10,000 devices, read
from the figures and facts the audit keeps as events arrive, beside today's
computation from the whole log, in the same run and on the same database.

The year is utilisation_year's (98,000 events, hours and closures in the sites'
events), appended to a fresh audit database in batches of 1,000 as a replay
does, then its figures and facts rebuilt (`dashboard_rebuild`: what `python -m
services.audit.figures rebuild` and a replay's load take for such a log).

What /manage asks the audit over the year (services/gateway/pages/manage.py):
utilisation by partner and by site, weekly; how many devices are idle now and the
20 idlest; overdue and lost; unmet demand; activity; suggestions. Timed:
- dashboard_full_log: those seven reports computed as they were before the facts:
  utilisation from the figures, each other report reading the whole log back into
  the analytics' history (once per report, as each RPC did), in process, without
  HTTP or RPC; a few runs, their median;
- dashboard_facts: the seven reports from the figures and facts, in process; p95;
- dashboard_http: the two utilisation reports through the whole stack (GET
  /api/reports/utilisation as a signed-in manager), p95;
- dashboard_page: GET /manage itself, as a manager signed in through the page form:
  HTTP → gateway → the audit's RPCs (and the inventory's, for names, and for each
  lost device whether it was found again) → databases and back, rendered; p95.
The gateway, audit and inventory run as real processes (the inventory empty: the
page falls back on the codes the audit knows).

The year is 2025: seen from today, most devices have been idle for months (8,753
of the 10,000), which the page counts, listing the idlest 20.
"""

import json
import re
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
PAGE_SAMPLES = 20
IDLE_SHOWN = 20  # the idlest devices the page lists (services/gateway/pages/manage.py)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def run(bench: support.Run, database: str) -> list[support.Result]:
    from sqlalchemy.orm import Session

    from partanum import migrate
    from partanum.db import make_engine
    from services.audit import facts, figures, log

    workdir = bench.workdir / f"dashboard-{database}"
    workdir.mkdir(exist_ok=True)
    bodies, site_hours = year_of_events(ITEMS)
    envelopes = [json.loads(body) for body in bodies]
    with ExitStack() as stack:
        amqp_uri = stack.enter_context(support.fresh_vhost("dashboard"))
        urls = {
            name: stack.enter_context(support.fresh_database(database, workdir, name))
            for name in ("audit", "gateway", "inventory")
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
            facts.rebuild(session, ZONE)
            session.commit()
            rebuilt = time.perf_counter() - started
        support.note(
            f"dashboard ({database}): {len(envelopes)} events of {ITEMS} devices appended in "
            f"{appended:.1f} s, figures and facts rebuilt in {rebuilt:.1f} s; "
            f"{support.load_average()}"
        )
        full_log = _full_log(engine, site_hours)
        in_process = _in_process(engine)
        http, page = _through_the_gateway(stack, amqp_uri, urls, workdir)
        support.note(
            f"dashboard ({database}): the page's reports from the full log "
            f"{support.percentiles(full_log)}; from the figures and facts "
            f"{support.percentiles(in_process)}; utilisation through the gateway "
            f"{support.percentiles(http)}; GET /manage {support.percentiles(page)}; "
            f"{support.load_average()}"
        )
    return [
        support.Result(f"dashboard_rebuild_{database}", rebuilt, "s", 1),
        support.Result(f"dashboard_full_log_{database}", statistics.median(full_log), "s", 2),
        support.Result(f"dashboard_facts_p95_{database}", _p95(in_process) * 1000, "ms", 0),
        support.Result(f"dashboard_http_p95_{database}", _p95(http) * 1000, "ms", 0),
        support.Result(f"dashboard_page_p95_{database}", _p95(page) * 1000, "ms", 0),
    ]


def _period():
    from services.audit.analytics import Period

    return Period(date(YEAR, 1, 1), date(YEAR, 12, 31), ZONE)


def _as_of() -> datetime:
    """As the reports take it: the period's end, or now if it has not ended."""
    from services.audit.analytics import utc

    return min(datetime.now(UTC), utc(_period().end))


def _full_log(engine, site_hours) -> list[float]:
    """The page's reports as they were computed before the facts: utilisation from the
    figures, every other report from the whole log, read back once per report."""
    from sqlalchemy.orm import Session

    from services.audit import analytics, figures_report, log, suggestions
    from services.audit.analytics import History

    def history(until: datetime) -> History:
        with Session(engine) as session:
            return History.from_events(log.events(session, until=until))

    period, as_of = _period(), _as_of()
    samples = []
    for _ in range(FULL_LOG_RUNS):
        started = time.perf_counter()
        for query in DASHBOARD:
            with Session(engine) as session:
                figures_report.utilisation(session, period, query["by"], query["step"])
        now = datetime.now(UTC)
        analytics.idle_items(history(now), now, 30)
        analytics.overdue_and_lost(history(as_of), period, as_of)
        analytics.unmet_demand(history(as_of), period, as_of)
        analytics.activity(history(as_of), period)
        suggestions.suggest(history(as_of), period, as_of, site_hours, 30)
        samples.append(time.perf_counter() - started)
    return samples


def _in_process(engine) -> list[float]:
    """The page's reports from the figures and facts."""
    from sqlalchemy.orm import Session

    from services.audit import facts_report, figures_report

    period, as_of = _period(), _as_of()
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        for query in DASHBOARD:
            with Session(engine) as session:
                figures_report.utilisation(session, period, query["by"], query["step"])
        for report in (
            lambda s: facts_report.idle_summary(s, datetime.now(UTC), 30, None, IDLE_SHOWN),
            lambda s: facts_report.overdue_and_lost(s, period, as_of),
            lambda s: facts_report.unmet_demand(s, period, as_of),
            lambda s: facts_report.activity(s, period, as_of),
            lambda s: facts_report.suggest(s, period, as_of, {}, 30),
        ):
            with Session(engine) as session:
                report(session)
        samples.append(time.perf_counter() - started)
    return samples


def _through_the_gateway(stack: ExitStack, amqp_uri: str, urls: dict, workdir):
    """(utilisation's samples, the page's samples), through the whole stack."""
    import requests

    port = _free_port()
    env = {
        "AMQP_URI": amqp_uri,
        "AUDIT_DATABASE_URL": urls["audit"],
        "GATEWAY_DATABASE_URL": urls["gateway"],
        "INVENTORY_DATABASE_URL": urls["inventory"],
        "PARTANUM_DATA_DIR": str(workdir),
        "PARTANUM_SECRET_KEY": "bench secret key, not a real one",
        "PARTANUM_HTTP_ADDRESS": f"127.0.0.1:{port}",
    }
    _manager_account(urls["gateway"])
    audit = stack.enter_context(support.service_process(["audit"], env, workdir / "audit.log"))
    inventory = stack.enter_context(
        support.service_process(["inventory"], env, workdir / "inventory.log")
    )
    support.wait_for_consumer(amqp_uri, "rpc-audit", audit, timeout=120)
    support.wait_for_consumer(amqp_uri, "rpc-inventory", inventory, timeout=120)
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
    return samples, _the_page(base_url, period)


def _the_page(base_url: str, period: dict) -> list[float]:
    """GET /manage over the year, as a manager signed in through the page form."""
    import requests

    browser = requests.Session()
    form = browser.get(f"{base_url}/sign-in", timeout=60)
    form.raise_for_status()
    token = CSRF.search(form.text)
    if token is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    signed_in = browser.post(
        f"{base_url}/sign-in",
        data={"email": "manager@bench.example", "password": PASSWORD, "csrf_token": token[1]},
        timeout=60,
    )
    signed_in.raise_for_status()
    samples = []
    for n in range(PAGE_SAMPLES + 2):  # the first two warm the processes up
        started = time.perf_counter()
        page = browser.get(f"{base_url}/manage", params=period, timeout=300)
        if page.status_code != 200 or 'id="manage-idle"' not in page.text:
            raise RuntimeError(f"/manage answered {page.status_code} at {page.url}")
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
