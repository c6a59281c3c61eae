"""Months of plausible history for the demo network (`make run`), so that the
managers' dashboard, its charts and its rebalancing suggestions show something on
a fresh machine: loans, workshops, requests refused and residents waiting at La
Roseraie's sites, from MONTHS months ago to yesterday.

    python -m services.audit.demo

Generated, not lived, and said so: every event of it names the actor "demo:history", and
it is written straight into the audit's log (this service's own database), never
on the bus, so that no other service acts on it (no text goes out for a past loan;
the booking knows none of these loans). Each site has a temperament: the Centre
Jean Vilar and the neighbourhood house lend much and turn requests for laptops and
tablets away, the Espace Frédéric Mistral's tablets have sat on their shelf since
the summer's workshops. Ids of its loans, reservations, residents and places in
line start at FIRST_ID, far from the booking's own.

Run once the audit has logged the network (services.inventory.demo); run again, it
adds nothing (it finds its own events).
"""

if __name__ == "__main__":
    import warnings

    with warnings.catch_warnings():  # eventlet's deprecation notice is not for the demo's users
        warnings.simplefilter("ignore")
        import eventlet

    eventlet.monkey_patch()  # the RPC proxy runs on eventlet; patch before anything else loads

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from partanum.events import current_version
from services.audit.analytics import OpenTimes, Period
from services.audit.item_days import site_hours

ACTOR = "demo:history"  # not "demo": the other demos act as "demo", and it runs after them
MONTHS = 4
SEED = 49100  # the same history on every machine
FIRST_ID = 1_000_000
NAMESPACE = uuid.UUID("5b0f6f3e-6a8e-4d57-9b0e-3f1c2a7d4e01")  # the demo's event ids
NETWORK = (
    "inventory.partner_registered",
    "inventory.category_registered",
    "inventory.site_registered",
    "inventory.item_registered",
)


@dataclass(frozen=True)
class Temperament:
    loans_a_day: float  # on an open day
    workshops_a_week: float
    refusals_a_week: float
    short_of: tuple[str, ...] = ()  # the categories it turns requests away for
    waiting_now: int = 0  # residents still waiting for one of those, today


QUIET = Temperament(0.4, 0.3, 0)
TEMPERAMENTS = {
    "jean-vilar": Temperament(3, 2, 3, ("laptop", "tablet"), 3),
    "maison-quartier": Temperament(2, 2, 2, ("tablet",), 2),
    "mission-locale": Temperament(1.5, 0.5, 1, ("laptop",), 1),
    "relais-mairie": Temperament(1, 0.5, 0.3),
    "roseraie-connectee": Temperament(1, 1.5, 0.3),
    "cafe-demarches": Temperament(0.5, 0.5, 0),
    "lire-et-dire": Temperament(0.3, 1, 0),
    "mistral": Temperament(0.1, 0, 0),  # its tablets: only the summer's workshops
}


def history(network: list[dict], today: date, zone: ZoneInfo) -> list[dict]:
    """The demo's events (envelopes as producers make them), for `network`: the
    inventory's registration envelopes as the audit logged them. The network's own
    registrations come first again, dated the history's first day, so that its
    devices were there all along."""
    rng = random.Random(SEED)
    first_day = _months_before(today, MONTHS)
    dawn = datetime.combine(first_day, time(8), zone)
    events = _Events(rng)
    for envelope in network:
        events.add(envelope["type"], envelope["data"], dawn)
    categories = {
        e["data"]["category_id"]: e["data"]["code"]
        for e in network
        if e["type"] == "inventory.category_registered"
    }
    sites = [e["data"] for e in network if e["type"] == "inventory.site_registered"]
    items = [e["data"] for e in network if e["type"] == "inventory.item_registered"]
    ids = iter(range(FIRST_ID, FIRST_ID + 10_000_000))
    free_from: dict[int, datetime] = {}
    for site in sites:
        mood = TEMPERAMENTS.get(site["code"], QUIET)
        shelf = [item for item in items if item["site_id"] == site["site_id"]]
        lendable = [i for i in shelf if categories.get(i["category_id"]) in ("laptop", "tablet")]
        if not shelf:
            continue
        summer = _months_before(today, MONTHS - 1)
        day = first_day
        while day < today:
            spans = _open_spans(site, day, zone)
            if spans:
                for _ in range(_count(rng, mood.loans_a_day)):
                    _loan(events, rng, ids, site, lendable or shelf, spans, today, zone, free_from)
                for _ in range(_count(rng, mood.workshops_a_week / 5)):
                    _workshop(events, rng, ids, site, shelf, spans, free_from)
                if site["code"] == "mistral" and day < summer and rng.random() < 0.5:
                    _workshop(events, rng, ids, site, shelf, spans, free_from)
                for _ in range(_count(rng, mood.refusals_a_week / 5)):
                    _refusal(events, rng, site, mood, categories, spans)
            day += timedelta(days=1)
        for _ in range(mood.waiting_now):
            _waiting(events, rng, ids, site, mood, categories, today, zone)
    return events.envelopes


# --- what happens at a site ----------------------------------------------------------------


def _loan(events, rng, ids, site, shelf, spans, today, zone, free_from) -> None:
    opens, closes = rng.choice(spans)
    out = opens + (closes - opens) * rng.random()
    item = rng.choice(shelf)
    back = out + timedelta(days=rng.randint(2, 16), hours=rng.random() * 4)
    if free_from.get(item["item_id"], out) > out or back >= datetime.combine(today, time(), zone):
        return  # out already, or not back by now: the booking would know of it
    free_from[item["item_id"]] = back
    loan_id, resident_id = next(ids), next(ids)
    events.add(
        "booking.loan_checked_out",
        {
            "loan_id": loan_id,
            "item_id": item["item_id"],
            "resident_id": resident_id,
            "site_id": site["site_id"],
            "due_at": (out + timedelta(days=14)).isoformat(),
            "overridden": False,
        },
        out,
    )
    events.add(
        "booking.loan_checked_in",
        {
            "loan_id": loan_id,
            "item_id": item["item_id"],
            "resident_id": resident_id,
            "condition": "good",
            "missing_accessory_count": 0,
            "site_id": site["site_id"],
        },
        back,
    )


def _workshop(events, rng, ids, site, shelf, spans, free_from) -> None:
    opens, closes = rng.choice(spans)
    starts = opens + timedelta(minutes=30 * rng.randint(0, 2))
    ends = min(closes, starts + timedelta(hours=2))
    free = [item for item in shelf if free_from.get(item["item_id"], starts) <= starts]
    chosen = rng.sample(free, min(len(free), rng.randint(3, 10)))
    if ends <= starts or not chosen:
        return
    for item in chosen:
        free_from[item["item_id"]] = ends
    events.add(
        "booking.reservation_created",
        {
            "reservation_id": next(ids),
            "partner_id": site["partner_id"],
            "site_id": site["site_id"],
            "item_ids": [item["item_id"] for item in chosen],
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "series_id": None,
        },
        starts - timedelta(days=rng.randint(2, 15)),
    )


def _refusal(events, rng, site, mood, categories, spans) -> None:
    wanted = [cid for cid, code in categories.items() if code in mood.short_of]
    if not wanted:
        return
    opens, _ = rng.choice(spans)
    events.add(
        "booking.demand_unmet",
        {
            "partner_id": site["partner_id"],
            "site_id": site["site_id"],
            "category_id": rng.choice(wanted),
            "quantity": rng.randint(1, 4),
            "starts_at": opens.isoformat(),
            "ends_at": (opens + timedelta(hours=2)).isoformat(),
            "reason_code": "not_available",
        },
        opens - timedelta(days=rng.randint(1, 7)),
    )


def _waiting(events, rng, ids, site, mood, categories, today, zone) -> None:
    wanted = [cid for cid, code in categories.items() if code in mood.short_of]
    if not wanted:
        return
    events.add(
        "booking.waiting_list_joined",
        {
            "entry_id": next(ids),
            "resident_id": next(ids),
            "category_id": rng.choice(wanted),
            "site_id": site["site_id"],
        },
        datetime.combine(today - timedelta(days=rng.randint(2, 20)), time(10), zone),
    )


# --- time -------------------------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _open_spans(site: dict, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The site's open spans that day, by the rule the reports measure with."""
    times = OpenTimes.of(site_hours(site), Period(day, day, zone))
    return [
        (datetime.fromtimestamp(opens, zone), datetime.fromtimestamp(closes, zone))
        for opens, closes in zip(times.starts, times.ends, strict=True)
    ]


def _count(rng: random.Random, mean: float) -> int:
    """How many times something happens on a day it happens `mean` times on average."""
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


class _Events:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.envelopes: list[dict] = []

    def add(self, event_type: str, data: dict, at: datetime) -> None:
        self.envelopes.append(
            {
                "id": str(uuid.uuid5(NAMESPACE, f"{len(self.envelopes)}")),
                "type": event_type,
                "version": current_version(event_type),
                "occurred_at": at.isoformat(),
                "producer": event_type.split(".")[0],
                "actor": ACTOR,
                "data": json.loads(json.dumps(data)),
            }
        )


# --- the command ------------------------------------------------------------------------------


def logged_network(session) -> list[dict]:
    """The inventory's registrations the audit has logged, in log order."""
    from sqlalchemy import select

    from services.audit.models import AuditEntry

    bodies = session.scalars(
        select(AuditEntry.body).where(AuditEntry.type.in_(NETWORK)).order_by(AuditEntry.seq)
    )
    return [json.loads(body) for body in bodies if body]


def load(session, today: date, zone: ZoneInfo) -> int:
    """Append the demo's history once, in one transaction: how many events (0 when the
    log holds it already)."""
    from sqlalchemy import select

    from partanum.events import read_event
    from services.audit import figures, log
    from services.audit.models import AuditEntry

    with session.begin():
        if session.scalar(select(AuditEntry.seq).where(AuditEntry.actor == ACTOR).limit(1)):
            return 0
        made = history(logged_network(session), today, zone)
        # Read as the audit reads what arrives: each event checked against its contract,
        # and the figures the reports read following them in the same transaction.
        appended = log.append_many(session, [log.wire_form(read_event(e)) for e in made])
        figures.update(session, appended, zone)
        return len(appended)


def main() -> int:
    import sys
    import time as clock

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from partanum import config
    from partanum.db import make_engine
    from partanum.events import require
    from partanum.standalone import NotAnswering, cluster_proxy, wait_for
    from services.audit.models import AuditEntry
    from services.booking import events as booking_events
    from services.inventory import events as inventory_events

    require(booking_events, inventory_events)
    rpc_config = {"AMQP_URI": config.amqp_uri()}
    try:
        wait_for(rpc_config, "inventory", "health", timeout=60)
    except NotAnswering as error:
        print(f"the inventory does not answer ({error})", file=sys.stderr)
        return 1
    with cluster_proxy(rpc_config, ACTOR, timeout=30) as rpc:
        devices = rpc.inventory.list_items_page({"limit": 1})["total"]
    engine = make_engine(config.database_url("audit"))
    try:
        with Session(engine) as session:
            # The audit logs the network as the inventory's events arrive: wait for them.
            deadline = clock.monotonic() + 120
            while True:
                logged = session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.type == "inventory.item_registered")
                )
                session.rollback()
                if logged >= devices:
                    break
                if clock.monotonic() > deadline:
                    print(f"the audit logged {logged} of {devices} devices", file=sys.stderr)
                    return 1
                clock.sleep(1)
            zone = config.shared().zone
            appended = load(session, datetime.now(zone).date(), zone)
    finally:
        engine.dispose()
    if appended:
        print(f"  Managers' history: {appended} events of {MONTHS} months, by actor {ACTOR!r}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
