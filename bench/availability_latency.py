"""availability_latency: how long an availability search takes on a busy network.

PostgreSQL only (the deployed database). The booking's database is migrated,
then filled straight with set-based SQL (`generate_series`, a few statements,
well under a minute): 20 sites, 10 categories, 10,000 items (50 per category
and site) and 1,000,000 reservations, each holding one item through one
allocation, 100 per item, from about 200 days ago to 200 days ahead, every
fourth day at varying hours, so that no two allocations of an item overlap
(the database's exclusion constraint checks every row as it goes in) and a
random window finds some items busy. One in twenty is cancelled (released).
A third of the (partner, category) pairs have a sharing rule.

Then the booking runs as a real process and one client makes 300
`availability` calls in sequence, for a random category, a random site or all
sites (one in four), and a random window of one to four hours in the next 200
days. Figures, side by side from the same run:

- availability_latency_p50/p95/p99: the RPC as a client sees it (target p95 < 50 ms);
- availability_query_p50/p95/p99: the same `free_items` query (sharing rules
  included) run in this process through SQLAlchemy's ORM, no broker: the
  database's and the ORM's share;
- rpc_roundtrip_p50/p95: the `health` RPC (one `SELECT 1`): the floor of any RPC.

The query plan (EXPLAIN ANALYZE) of the slowest kind of search, all sites, goes to
stderr with the figures: it says what limits the search.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bench import support

SITES = 20
CATEGORIES = 10
ITEMS = 10_000
PER_ITEM = 100
SEARCHES = 300
ALL_SITES_SHARE = 0.25
SEED = 20261125


def run(bench: support.Run, database: str) -> list[support.Result]:
    if database != "postgresql":
        support.note(
            f"availability_latency: PostgreSQL only (the issue's target), skipped on {database}"
        )
        return []

    with (
        support.fresh_vhost("availability") as amqp_uri,
        support.fresh_database(database, bench.workdir, "availability") as url,
    ):
        seconds = load(url)
        support.note(
            f"availability_latency: {ITEMS} items and {ITEMS * PER_ITEM} reservations "
            f"loaded in {seconds:.1f} s"
        )
        searches = plan(SEARCHES, random.Random(SEED))
        query = _query_latencies(url, searches)
        support.note("availability_latency: plan of an all-sites search\n" + explain(url, searches))

        env = {
            "AMQP_URI": amqp_uri,
            "BOOKING_DATABASE_URL": url,
            "PARTANUM_DATA_DIR": str(bench.workdir),
        }
        log = bench.workdir / "availability-booking.log"
        with support.service_process(["booking"], env, log) as process:
            support.wait_for_consumer(amqp_uri, "rpc-booking", process)
            rpc, roundtrip, free = _rpc_latencies(amqp_uri, searches)

    everywhere = [n for n, search in enumerate(searches) if search["site"] is None]
    at_a_site = [n for n, search in enumerate(searches) if search["site"] is not None]
    support.note(
        f"availability_latency: {len(searches)} searches, {sum(free) / len(free):.0f} free items "
        f"per answer on average (max {max(free)}); RPC {support.percentiles(rpc, (50, 95, 99))}; "
        f"query alone {support.percentiles(query, (50, 95, 99))}; "
        f"health RPC {support.percentiles(roundtrip, (50, 95, 99))}\n"
        f"    all sites ({len(everywhere)} searches): RPC "
        f"{support.percentiles([rpc[n] for n in everywhere], (50, 95))}, query alone "
        f"{support.percentiles([query[n] for n in everywhere], (50, 95))}; "
        f"one site ({len(at_a_site)}): RPC "
        f"{support.percentiles([rpc[n] for n in at_a_site], (50, 95))}, query alone "
        f"{support.percentiles([query[n] for n in at_a_site], (50, 95))}"
    )
    results = []
    for name, samples, points in (
        ("availability_latency", rpc, (50, 95, 99)),
        ("availability_query", query, (50, 95, 99)),
        ("rpc_roundtrip", roundtrip, (50, 95)),
    ):
        for point in points:
            results.append(
                support.Result(
                    f"{name}_p{point}_{database}", percentile(samples, point) * 1000, "ms"
                )
            )
    return results


def percentile(samples: list[float], point: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * point / 100))]


# --- the data --------------------------------------------------------------------------

# Every statement is one set-based INSERT … SELECT: a million rows in a few
# seconds, where a million ORM objects would take minutes. Times are UTC.
LOAD = [
    f"""INSERT INTO sites (id, code, partner_id, opening_hours, closures)
        SELECT s, 'site-' || s, s, '{{}}', '[]' FROM generate_series(1, {SITES}) s""",
    # category and site from the id: 50 items per (category, site); 3 % retired.
    f"""INSERT INTO items (id, asset_tag, category_id, owner_partner_id, site_id, status, shareable)
        SELECT i, 'BENCH-' || lpad(i::text, 5, '0'), 1 + i % {CATEGORIES},
               1 + (i / {CATEGORIES}) % {SITES}, 1 + (i / {CATEGORIES}) % {SITES},
               CASE WHEN i % 33 = 0 THEN 'retired' ELSE 'available' END, true
        FROM generate_series(1, {ITEMS}) i""",
    # Some partners keep a category for themselves, some cap what one reservation takes.
    f"""INSERT INTO sharing_rules (partner_id, category_id, shared, max_per_reservation)
        SELECT p, c, (p + c) % 7 <> 0, CASE WHEN (p * c) % 5 = 0 THEN 10 END
        FROM generate_series(1, {SITES}) p, generate_series(1, {CATEGORIES}) c
        WHERE (p + c) % 3 = 0""",
    # Reservation r = (i - 1) * PER_ITEM + k + 1 holds item i on day (k - PER_ITEM/2) * 4
    # + i % 4 from today, for two hours from 08:00 + (i * 7 + k * 3) % 9 hours: four days
    # apart, an item's reservations never overlap, buffer included.
    f"""INSERT INTO reservations (id, partner_id, site_id, starts_at, ends_at, status,
                                  requested_by, note)
        SELECT (i - 1) * {PER_ITEM} + k + 1, 1 + (i * 7 + k) % {SITES},
               1 + (i / {CATEGORIES}) % {SITES}, w.starts, w.starts + interval '2 hours',
               CASE WHEN k % 20 = 0 THEN 'cancelled'
                    WHEN w.starts < now() THEN 'returned' ELSE 'confirmed' END,
               'bench', ''
        FROM generate_series(1, {ITEMS}) i, generate_series(0, {PER_ITEM - 1}) k,
             LATERAL (SELECT date_trunc('day', now())
                             + ((k - {PER_ITEM // 2}) * 4 + i % 4) * interval '1 day'
                             + (8 + (i * 7 + k * 3) % 9) * interval '1 hour' AS starts) w""",
    f"""INSERT INTO allocations (id, item_id, reservation_id, starts_at, ends_at, blocked_until,
                                 released_at)
        SELECT r.id, (r.id - 1) / {PER_ITEM} + 1, r.id, r.starts_at, r.ends_at,
               r.ends_at + interval '30 minutes',
               CASE WHEN r.status = 'cancelled' THEN r.starts_at - interval '7 days' END
        FROM reservations r""",
    "SELECT setval('reservations_id_seq', (SELECT max(id) FROM reservations))",
    "SELECT setval('allocations_id_seq', (SELECT max(id) FROM allocations))",
]


def load(url: str) -> float:
    """Migrate the booking's database and fill it; returns the seconds the filling took."""
    from sqlalchemy import create_engine, text

    from partanum import migrate
    from partanum.db import make_engine, normalise_url

    migrate.upgrade("booking", url)
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with engine.begin() as connection:
            # The rows reference items and reservations by construction: skip the
            # per-row foreign-key triggers (a third of the load time; needs a
            # superuser, as the default admin URL is). The exclusion constraint is
            # no trigger: it still checks every allocation.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in LOAD:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    # Fresh statistics and visibility map, as autovacuum would leave a live database.
    maintenance = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        maintenance.dispose()
    return time.perf_counter() - started


# --- the searches --------------------------------------------------------------------------


def plan(count: int, rng: random.Random) -> list[dict]:
    """Random availability requests by partner staff (what may my partner reserve?): a
    category, a site or all sites, a window of one to four hours starting on the hour
    between 08:00 and 16:00 UTC in the next 200 days."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    searches = []
    for _ in range(count):
        starts = today + timedelta(days=rng.randint(1, 200), hours=rng.randint(8, 16))
        searches.append(
            {
                "partner_id": rng.randint(1, SITES),
                "category_id": rng.randint(1, CATEGORIES),
                "site": None if rng.random() < ALL_SITES_SHARE else f"site-{rng.randint(1, SITES)}",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=rng.randint(1, 4))).isoformat(),
            }
        )
    return searches


def _rpc_latencies(amqp_uri: str, searches: list[dict]):
    from partanum.standalone import ServiceRpcProxy

    config = {"AMQP_URI": amqp_uri}
    with ServiceRpcProxy("booking", config, context_data={"actor": "bench"}, timeout=60) as booking:
        for search in searches[:20]:  # warm-up: compiled SQL, pooled connections
            booking.availability(_payload(search))
        roundtrip = []
        for _ in range(100):
            before = time.perf_counter()
            booking.health()
            roundtrip.append(time.perf_counter() - before)
        latencies, free = [], []
        for search in searches:
            before = time.perf_counter()
            answer = booking.availability(_payload(search))
            latencies.append(time.perf_counter() - before)
            free.append(answer["free"])
    return latencies, roundtrip, free


def _payload(search: dict) -> dict:
    return {key: value for key, value in search.items() if value is not None}


def _query_latencies(url: str, searches: list[dict]) -> list[float]:
    """The service's own free_items query, timed in this process without RPC."""
    from sqlalchemy.orm import Session

    from partanum.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for search in searches[:20]:
                _free_items(session, search)
            latencies = []
            for search in searches:
                before = time.perf_counter()
                _free_items(session, search)
                latencies.append(time.perf_counter() - before)
                session.rollback()  # one short transaction per search, as in the service
        return latencies
    finally:
        engine.dispose()


def _free_items(session, search: dict):
    from sqlalchemy import select

    from services.booking import allocations, domain
    from services.booking.models import Site

    site_id = None
    if search["site"]:
        site_id = session.scalar(select(Site.id).where(Site.code == search["site"]))
    window = domain.Window(
        datetime.fromisoformat(search["starts_at"]), datetime.fromisoformat(search["ends_at"])
    )
    return allocations.free_items(
        SimpleNamespace(session=session),
        search["category_id"],
        site_id,
        window,
        timedelta(minutes=30),
        for_partner=search["partner_id"],
    )


def explain(url: str, searches: list[dict]) -> str:
    """EXPLAIN ANALYZE of the statement free_items sends for the first all-sites search,
    caught on its way to the driver so that it is exactly the service's."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from partanum.db import make_engine

    search = next((s for s in searches if s["site"] is None), searches[0])
    engine = make_engine(url)
    sent = []

    @event.listens_for(engine, "before_cursor_execute")
    def catch(_connection, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    try:
        with Session(engine) as session:
            _free_items(session, search)
            statement, parameters = next((s, p) for s, p in reversed(sent) if "FROM items" in s)
            cursor = session.connection().connection.dbapi_connection.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return "\n".join("    " + row[0] for row in cursor.fetchall())
    finally:
        engine.dispose()
