"""desk_pages: the front desk's pages under a busy day's load, through the whole stack.

The issue's target: with 10,000 devices and 20 desks working at once, each desk
doing one thing every 2 s, the pages that lend, take back and search answer
within 200 ms at the 95th percentile (HTTP → RPC → database and back).

The five services run as real processes, as compose.yaml and the Kubernetes
manifests deploy them: one `python -m partanum.run <service>` each, so that the
machine's cores share them. PARTANUM_BENCH_DESK_SHAPE=make-run runs them as
`make run` does instead: inventory, booking, notifications and audit in one
process (which one core serves), the gateway in its own. Fresh vhost, fresh
databases (SQLite or PostgreSQL).

The world: 10 partners with 2 sites each, open every day; 20 desks, one per
site, each a member of staff of the site's partner (accounts written in the
gateway's database before it starts) with one resident registered by that
partner. The devices (PARTANUM_BENCH_DESK_DEVICES, 10,000 by default: tablets and
laptops, as many at each site) are imported through the inventory's CSV import,
500 rows per call, which registers each one and emits the event the booking
learns it from; the clock starts once the booking knows every one of them.

Each desk is a green thread with its own HTTP session, signed in through the
page form (/sign-in: the CSRF token read from the page, then the session cookie),
then acting on a fixed schedule, one action every 2 s whatever the previous one
took (a desk late by more than 2 s starts the next at once), in turn:

- lend: GET /desk (`desk_pages_open_desk`), then POST /desk/check-out with the
  next device of its site and its resident's card (`desk_pages_lend`: the page
  listing the device's accessories), then POST /desk/lend with each one ticked,
  through the 303 to the page saying the device is lent (`desk_pages_lend_confirm`);
  each from the POST sent to its page read whole;
- take back that device: the same two steps, POST /desk/check-in
  (`desk_pages_take_back`) and POST /desk/take-back through its 303
  (`desk_pages_take_back_confirm`);
- search a fragment of an asset tag of its site (`desk_pages_search`): the
  equipment page's search, GET /equipment?device_search=….

Actions started during the first WARM_UP_SECONDS are not counted; the run lasts
DURATION_SECONDS more (PARTANUM_BENCH_DESK_WARM_UP, PARTANUM_BENCH_DESK_SECONDS).
Beside them, the baseline this machine's drifting speed calls for: the booking's
bare `health` RPC (one `SELECT 1`), measured quiet before the desks start and by
one more green thread at a desk's pace during the load.
"""

import csv
import io
import os
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench import support
from bench.http_booking_throughput import _free_port, _wait_for_http

SEARCH_PAGE = "/equipment?device_search="  # the fragment is appended

DEVICES = int(os.environ.get("PARTANUM_BENCH_DESK_DEVICES", "10000"))
DURATION_SECONDS = float(os.environ.get("PARTANUM_BENCH_DESK_SECONDS", "60"))
WARM_UP_SECONDS = float(os.environ.get("PARTANUM_BENCH_DESK_WARM_UP", "10"))
SHAPE = os.environ.get("PARTANUM_BENCH_DESK_SHAPE", "compose")  # or "make-run"
PARTNERS = 10
SITES_PER_PARTNER = 2
DESKS = PARTNERS * SITES_PER_PARTNER  # one per site
PACE_SECONDS = 2.0  # one action per desk every so often
TARGET_MS = 200.0  # p95 of the lending, taking back and search pages
IMPORT_ROWS = 500  # devices per CSV import call
QUIET_HEALTH_CALLS = 50
LOAD_TIMEOUT = 600.0  # for the booking to learn every device
QUIET_SECONDS = 6.0  # the broker's queue counts stay at zero so long: every event handled
PASSWORD = "bench password, not a real one"
OPEN_EVERY_DAY = {
    day: [["08:00", "20:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGES = ("open_desk", "lend", "lend_confirm", "take_back", "take_back_confirm", "search")
ACCESSORIES = re.compile(r'name="accessories" value="([^"]*)"')


@dataclass
class Desk:
    number: int  # 0 … DESKS - 1
    partner_id: int
    site: str
    email: str
    card: str
    tags: list[str]
    next_tag: int = 0


@dataclass
class Samples:
    """Latencies (seconds) of the counted actions, by page; errors by page."""

    latencies: dict = field(default_factory=lambda: {page: [] for page in PAGES})
    errors: dict = field(default_factory=lambda: {page: 0 for page in PAGES})
    first_errors: list = field(default_factory=list)
    late: list = field(default_factory=list)  # how late each counted action started
    actions: int = 0


def run(bench: support.Run, database: str) -> list[support.Result]:
    workdir = bench.workdir / f"desk-pages-{database}"
    workdir.mkdir(exist_ok=True)
    names = ("inventory", "booking", "notifications", "audit", "gateway")
    with ExitStack() as stack:
        amqp_uri = stack.enter_context(support.fresh_vhost("desk-pages"))
        urls = {
            name: stack.enter_context(support.fresh_database(database, workdir, name))
            for name in names
        }
        port = _free_port()
        env = {
            "AMQP_URI": amqp_uri,
            **{f"{name.upper()}_DATABASE_URL": url for name, url in urls.items()},
            "PARTANUM_DATA_DIR": str(workdir),
            "PARTANUM_SECRET_KEY": "bench secret key, not a real one",
            "PARTANUM_HTTP_ADDRESS": f"127.0.0.1:{port}",
            # Every loan's and return's SMS goes out (to the log file) at any hour.
            "PARTANUM_QUIET_FROM": "00:00",
            "PARTANUM_QUIET_UNTIL": "00:00",
            "PARTANUM_MAX_MESSAGES_PER_DAY": "1000000",
        }
        groups = [list(names[:4])] if SHAPE == "make-run" else [[name] for name in names[:4]]
        running = {
            " ".join(group): stack.enter_context(
                support.service_process(group, env, workdir / f"{'-'.join(group)}.log")
            )
            for group in groups
        }
        services = Watched(running)
        for name in names[:4]:
            support.wait_for_consumer(amqp_uri, f"rpc-{name}", services, timeout=120)

        started = time.perf_counter()
        desks = load_world(amqp_uri, services)
        imported = time.perf_counter() - started
        support.wait_for_count(
            urls["booking"],
            "SELECT count(*) FROM items",
            lambda known: known >= DEVICES,
            services,
            LOAD_TIMEOUT,
            "the devices the booking knows",
        )
        loaded = time.perf_counter() - started
        _wait_for_quiet(amqp_uri, services)
        settled = time.perf_counter() - started
        support.note(
            f"desk_pages ({database}): {DEVICES} devices at {DESKS} sites imported in "
            f"{imported:.1f} s, known to the booking {loaded - imported:.1f} s later "
            f"({DEVICES / loaded:.0f} devices/s), every event handled {settled - loaded:.1f} s "
            f"after that; {support.load_average()}"
        )
        load_accounts(urls["gateway"], desks)
        gateway = stack.enter_context(
            support.service_process(["gateway"], env, workdir / "gateway.log")
        )
        base_url = f"http://127.0.0.1:{port}"
        _wait_for_http(base_url, gateway, timeout=120)

        quiet = _quiet_health(amqp_uri)
        samples, health = _work(base_url, amqp_uri, desks, {**running, "gateway": gateway})

    return _results(database, samples, quiet, health)


class Watched:
    """The services' processes, watched as one: `poll()` is None while every one runs."""

    def __init__(self, processes: dict):
        self.processes = processes
        self.returncode = None

    def poll(self):
        for process in self.processes.values():
            if process.poll() is not None:
                self.returncode = process.returncode
                return self.returncode
        return None


# --- the world ------------------------------------------------------------------------------


def load_world(amqp_uri: str, process) -> list[Desk]:
    """Partners, sites, categories and DEVICES devices through the inventory (CSV
    import), one resident per desk through the booking."""
    from partanum.standalone import ClusterRpcProxy

    desks = []
    config = {"AMQP_URI": amqp_uri}
    with ClusterRpcProxy(config, context_data={"actor": "bench"}, timeout=300) as rpc:
        for code, name in (("tablet", "Tablette"), ("laptop", "Ordinateur portable")):
            rpc.inventory.register_category({"code": code, "name": name})
        for p in range(1, PARTNERS + 1):
            partner_code = f"desk-p{p:02d}"
            partner = rpc.inventory.register_partner(
                {"code": partner_code, "name": f"Partenaire {p}"}
            )
            for s in range(SITES_PER_PARTNER):
                number = len(desks)
                site = f"{partner_code}-{'ab'[s]}"
                rpc.inventory.register_site(
                    {
                        "code": site,
                        "name": f"Accueil {p}{'ab'[s]}",
                        "partner": partner_code,
                        "address": "49100 Angers",
                        "opening_hours": OPEN_EVERY_DAY,
                    }
                )
                count = DEVICES // DESKS + (1 if number < DEVICES % DESKS else 0)
                desks.append(
                    Desk(
                        number=number,
                        partner_id=partner["id"],
                        site=site,
                        email=f"staff-{number + 1:02d}@{partner_code}.bench",
                        card=f"RS-DESK-{number + 1:02d}",
                        tags=[f"DK{number + 1:02d}-{n:05d}" for n in range(1, count + 1)],
                    )
                )
        for p in range(1, PARTNERS + 1):
            own = desks[(p - 1) * SITES_PER_PARTNER : p * SITES_PER_PARTNER]
            rows = [(desk.site, tag) for desk in own for tag in desk.tags]
            for start in range(0, len(rows), IMPORT_ROWS):
                rpc.inventory.import_items_csv(
                    f"desk-p{p:02d}", _csv(rows[start : start + IMPORT_ROWS])
                )
        for desk in desks:
            rpc.booking.register_resident(
                {
                    "display_name": f"Habitant {desk.number + 1}",
                    "phone": f"06 12 34 56 {desk.number + 1:02d}",
                    "channel": "sms",
                    "language": "fr",
                    "consent": True,
                    "card_number": desk.card,
                    "registered_by_partner_id": desk.partner_id,
                }
            )
    return desks


def _csv(rows: list[tuple[str, str]]) -> str:
    from services.inventory.vocabulary import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n, (site, tag) in enumerate(rows):
        laptop = n % 4 == 0
        writer.writerow(
            {
                "asset_tag": tag,
                "make": "Lenovo" if laptop else "Samsung",
                "model": "ThinkPad E14" if laptop else "Galaxy Tab A8",
                "category": "laptop" if laptop else "tablet",
                "home_site": site,
                "accessories": "chargeur",
            }
        )
    return out.getvalue()


def _wait_for_quiet(amqp_uri: str, process, timeout: float = LOAD_TIMEOUT) -> None:
    """Until every event queue is empty (the audit and the notifications handle the
    devices' events too, in the same process as the booking): the load must not
    share the machine with the loading. The broker's counts lag by up to 5 s, so
    they must stay at zero for QUIET_SECONDS."""
    import requests

    vhost = amqp_uri.rsplit("/", 1)[1]  # already quoted
    deadline = time.monotonic() + timeout
    quiet_since = None
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the services exited with status {process.returncode}")
        response = requests.get(
            f"{support.MANAGEMENT_API}/api/queues/{vhost}",
            params={"columns": "name,messages"},
            timeout=10,
        )
        response.raise_for_status()
        waiting = sum(
            queue.get("messages") or 0
            for queue in response.json()
            # Parked and unrouted messages stay there: nobody handles them.
            if not queue["name"].endswith(".dead") and queue["name"] != "partanum.unrouted"
        )
        now = time.monotonic()
        if waiting:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= QUIET_SECONDS:
            return
        if now > deadline:
            raise RuntimeError(f"{waiting} events still waiting after {timeout:.0f} s")
        time.sleep(1)


def load_accounts(url: str, desks: list[Desk]) -> None:
    """Migrate the gateway's database and write one member of staff per desk."""
    from sqlalchemy.orm import Session

    from partanum import migrate
    from partanum.db import make_engine
    from services.gateway import accounts

    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for desk in desks:
                accounts.create(
                    session,
                    {
                        "email": desk.email,
                        "display_name": f"Accueil {desk.number + 1}",
                        "role": "staff",
                        "partner_id": desk.partner_id,
                        "password": PASSWORD,
                    },
                    datetime.now(UTC),
                )
            session.commit()
    finally:
        engine.dispose()


# --- the load -------------------------------------------------------------------------------


def _quiet_health(amqp_uri: str) -> list[float]:
    """The bare health RPC with nothing else going on, one call after another."""
    from partanum.standalone import ServiceRpcProxy

    with ServiceRpcProxy(
        "booking", {"AMQP_URI": amqp_uri}, context_data={"actor": "bench"}, timeout=60
    ) as booking:
        for _ in range(5):
            booking.health()
        latencies = []
        for _ in range(QUIET_HEALTH_CALLS):
            before = time.perf_counter()
            booking.health()
            latencies.append(time.perf_counter() - before)
            time.sleep(0.05)
    return latencies


def _work(
    base_url: str, amqp_uri: str, desks: list[Desk], processes: dict
) -> tuple[Samples, list[float]]:
    """Every desk signs in, then works on its schedule; the health RPC at a desk's pace.
    Also notes the CPU each process spent per counted action."""
    import eventlet
    import requests

    from partanum.standalone import ServiceRpcProxy

    samples = Samples()
    health: list[float] = []
    sessions = [_signed_in(base_url, desk) for desk in desks]

    begins = time.perf_counter() + 1.0
    counts_from = begins + WARM_UP_SECONDS
    ends = counts_from + DURATION_SECONDS

    def desk_loop(desk: Desk, http: requests.Session, csrf: str) -> None:
        lent: str | None = None
        k = 0
        while True:
            due = begins + desk.number * PACE_SECONDS / DESKS + k * PACE_SECONDS
            if due >= ends:
                return
            eventlet.sleep(max(0.0, due - time.perf_counter()))
            counted = due >= counts_from
            if counted:
                samples.actions += 1
                samples.late.append(max(0.0, time.perf_counter() - due))
            turn = k % 3
            k += 1
            if turn == 0:
                tag = desk.tags[desk.next_tag % len(desk.tags)]
                desk.next_tag += 1
                if _lend(base_url, http, csrf, desk, tag, samples, counted):
                    lent = tag
            elif turn == 1 and lent is not None:
                _take_back(base_url, http, csrf, lent, samples, counted)
                lent = None
            else:
                _search(base_url, http, desk, samples, counted)

    def health_loop() -> None:
        with ServiceRpcProxy(
            "booking", {"AMQP_URI": amqp_uri}, context_data={"actor": "bench"}, timeout=60
        ) as booking:
            k = 0
            while (due := begins + PACE_SECONDS / (2 * DESKS) + k * PACE_SECONDS) < ends:
                k += 1
                eventlet.sleep(max(0.0, due - time.perf_counter()))
                before = time.perf_counter()
                booking.health()
                if due >= counts_from:
                    health.append(time.perf_counter() - before)

    cpu: dict = {}

    def meter() -> None:
        eventlet.sleep(max(0.0, counts_from - time.perf_counter()))
        cpu.update(_cpu(processes), machine=support.machine_cpu())

    pool = eventlet.GreenPool(DESKS + 2)
    threads = [pool.spawn(desk_loop, desk, *sessions[desk.number]) for desk in desks]
    threads += [pool.spawn(health_loop), pool.spawn(meter)]
    try:
        for thread in threads:
            thread.wait()  # raises what the thread raised
        busy = support.machine_busy_since(cpu.pop("machine"))
        spent = {name: after - cpu[name] for name, after in _cpu(processes).items()}
        spent["services in all"] = sum(
            seconds for name, seconds in spent.items() if name not in ("gateway", "bench clients")
        )
        support.note(
            f"desk_pages ({SHAPE} shape): CPU per action counted: "
            + ", ".join(
                f"{name} {seconds / max(1, samples.actions) * 1000:.1f} ms"
                for name, seconds in spent.items()
            )
            + f"; machine CPU {busy:.0%} busy ({os.cpu_count()} cores)"
        )
    finally:
        for thread in threads:
            thread.kill()
        for http, _ in sessions:
            http.close()
    return samples, health


def _cpu(processes: dict) -> dict:
    """CPU seconds so far of each service process and of this one (the desks' clients)."""
    spent = {name: support.cpu_seconds(process.pid) or 0.0 for name, process in processes.items()}
    return {**spent, "bench clients": time.process_time()}


def _signed_in(base_url: str, desk: Desk):
    """A desk's browser: signed in through the page form; (its session, its CSRF token)."""
    import requests

    http = requests.Session()
    http.headers["Accept-Language"] = "fr"
    form = http.get(f"{base_url}/sign-in", timeout=60)
    form.raise_for_status()
    csrf = _csrf_of(form.text)
    response = http.post(
        f"{base_url}/sign-in",
        data={"email": desk.email, "password": PASSWORD, "csrf_token": csrf},
        timeout=60,
    )
    if response.status_code != 200 or not response.url.endswith("/desk"):
        raise RuntimeError(
            f"{desk.email} could not sign in: {response.status_code} at {response.url}"
        )
    return http, _csrf_of(response.text)


def _csrf_of(page: str) -> str:
    found = CSRF.search(page)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def _timed(samples: Samples, page: str, counted: bool, call, check):
    """Time `call()` (a response read whole); record it, or an error if `check` fails.
    The response when `check` passed, else None."""
    before = time.perf_counter()
    try:
        response = call()
        elapsed = time.perf_counter() - before
        ok = check(response)
        what = f"{response.status_code} at {response.url}: {response.text[:300]!r}"
    except Exception as error:  # noqa: BLE001 -- counted as an error, the run goes on
        response, elapsed, ok, what = None, time.perf_counter() - before, False, repr(error)
    if counted:
        if ok:
            samples.latencies[page].append(elapsed)
        else:
            samples.errors[page] += 1
            if len(samples.first_errors) < 5:
                samples.first_errors.append(f"{page}: {what}")
    return response if ok else None


def _lend(base_url, http, csrf, desk: Desk, tag: str, samples: Samples, counted: bool) -> bool:
    """The desk's two steps: the tag and the card (`lend`: the page listing the
    device's accessories), then the confirmation with each one ticked (`lend_confirm`:
    through its 303 to the desk's page saying it is lent)."""
    opened = _timed(
        samples,
        "open_desk",
        counted,
        lambda: http.get(f"{base_url}/desk", timeout=60),
        lambda r: r.status_code == 200 and csrf in r.text,
    )
    if not opened:
        return False
    wanted = {"asset_tag": tag, "card_number": desk.card, "site": desk.site, "csrf_token": csrf}
    step = _timed(
        samples,
        "lend",
        counted,
        lambda: http.post(f"{base_url}/desk/check-out", data=wanted, timeout=60),
        lambda r: r.status_code == 200 and 'action="/desk/lend"' in r.text,
    )
    if not step:
        return False
    ticked = ACCESSORIES.findall(step.text)
    return bool(
        _timed(
            samples,
            "lend_confirm",
            counted,
            lambda: http.post(
                f"{base_url}/desk/lend", data={**wanted, "accessories": ticked}, timeout=60
            ),
            lambda r: _redirected(r) and "/desk?loan=" in r.url and tag in r.text,
        )
    )


def _take_back(base_url, http, csrf, tag: str, samples: Samples, counted: bool) -> None:
    """The same two steps back: the tag (`take_back`: the accessories lent with it),
    then every one ticked as returned (`take_back_confirm`)."""
    returned = {"return_asset_tag": tag, "condition": "good", "csrf_token": csrf}
    step = _timed(
        samples,
        "take_back",
        counted,
        lambda: http.post(f"{base_url}/desk/check-in", data=returned, timeout=60),
        lambda r: r.status_code == 200 and 'action="/desk/take-back"' in r.text,
    )
    if not step:
        return
    ticked = ACCESSORIES.findall(step.text)
    _timed(
        samples,
        "take_back_confirm",
        counted,
        lambda: http.post(
            f"{base_url}/desk/take-back", data={**returned, "accessories": ticked}, timeout=60
        ),
        lambda r: _redirected(r) and "/desk?loan=" in r.url and tag in r.text,
    )


def _search(base_url, http, desk: Desk, samples: Samples, counted: bool) -> None:
    """A fragment of one of the desk's own tags: "DK07-0012" finds ten devices."""
    tag = desk.tags[(desk.next_tag * 7 + 3) % len(desk.tags)]
    fragment = tag[:-1]

    _timed(
        samples,
        "search",
        counted,
        lambda: http.get(f"{base_url}{SEARCH_PAGE}{fragment}", timeout=60),
        lambda r: r.status_code == 200 and tag in r.text,
    )


def _redirected(response) -> bool:
    return (
        response.status_code == 200
        and len(response.history) == 1
        and response.history[0].status_code == 303
    )


# --- the figures ----------------------------------------------------------------------------


def _results(database: str, samples: Samples, quiet: list, health: list) -> list[support.Result]:
    errors = sum(samples.errors.values())
    late = sorted(samples.late)
    support.note(
        f"desk_pages ({database}): {DESKS} desks, one action each every {PACE_SECONDS:.0f} s, "
        f"{samples.actions} actions counted over {DURATION_SECONDS:.0f} s after "
        f"{WARM_UP_SECONDS:.0f} s of warm-up, {errors} failed; "
        f"{DEVICES} devices; search: {SEARCH_PAGE}; "
        f"actions started late: {support.percentiles(late, (50, 95, 99))}; "
        f"{support.load_average()}"
    )
    for page in PAGES:
        support.note(
            f"    {page}: {len(samples.latencies[page])} answers, "
            f"{support.percentiles(samples.latencies[page], (50, 95, 99))}"
        )
    support.note(
        f"    health RPC quiet ({len(quiet)} calls): {support.percentiles(quiet, (50, 95))}; "
        f"under load ({len(health)} calls): {support.percentiles(health, (50, 95))}"
    )
    for line in samples.first_errors:
        support.note(f"    failed: {line}")

    results = []
    for page in PAGES:
        for point in (50, 95, 99):
            targeted = page != "open_desk" and point == 95
            results.append(
                support.Result(
                    f"desk_pages_{page}_p{point}_{database}",
                    _percentile(samples.latencies[page], point) * 1000,
                    f"ms (target p95 < {TARGET_MS:.0f} ms)" if targeted else "ms",
                )
            )
    for name, latencies in (("quiet", quiet), ("under_load", health)):
        for point in (50, 95):
            results.append(
                support.Result(
                    f"desk_pages_health_rpc_{name}_p{point}_{database}",
                    _percentile(latencies, point) * 1000,
                    "ms (baseline)",
                )
            )
    # Above 0 the desks could not keep to their schedule: each waited for its previous
    # action, and the figures above include that backlog.
    results.append(
        support.Result(
            f"desk_pages_started_late_p95_{database}",
            _percentile(samples.late, 95) * 1000,
            "ms (behind schedule)",
        )
    )
    results.append(support.Result(f"desk_pages_actions_{database}", samples.actions, "actions", 0))
    results.append(support.Result(f"desk_pages_errors_{database}", errors, "actions", 0))
    return results


def _percentile(samples: list[float], point: int) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * point / 100))]
