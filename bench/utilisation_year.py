"""utilisation_year: a year of utilisation for 10,000 items, computed from their events.

A seeded, realistic year (2025, with both changes of clock) is generated in
memory as the audit log stores it, one JSON body per event: 10,000 devices over
8 sites of 5 partners, uneven (some sites lend much, others little), opening
hours of 20 to 45 hours a week, public holidays and a summer closure; workshops
reserving 1 to 15 devices for 1 to 3 hours, a tenth of them cancelled and some
released; loans of 1 to 21 days, a few lost, some still out at the year's end;
refused requests and waiting lists.

Figures (the same run, the same events):
- utilisation_year_parse_baseline: reading the bodies (JSON) and their dates, nothing else;
- utilisation_year_history: reading them into the analytics' history;
- utilisation_year_by_site: reading them and computing the year's utilisation per
  site with daily series (what a chart over time needs);
- utilisation_year_by_item: the same per item, with weekly series (10,000 rows of
  53 weeks; daily series per item would be 3.65 million points);
- utilisation_year_events_per_s: events per second for the per-site figure.
No broker or database: this measures the computation, the same on any database,
so it runs once even when `python -m bench` runs on both.
"""

import json
import random
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench import support
from partanum.events import current_version

ITEMS = 10_000
YEAR = 2025
ZONE = ZoneInfo("Europe/Paris")
SEED = 2025
PARTNERS = ("centre-social", "mairie", "mistral", "bibliotheque", "mission-locale")
# (code, partner index, share of the devices, loans per open day, reservations per open day)
SITES = (
    ("jean-vilar", 0, 0.20, 70, 6),
    ("annexe-vilar", 0, 0.08, 10, 1),
    ("mairie-quartier", 1, 0.15, 25, 4),
    ("mistral", 2, 0.22, 15, 2),
    ("mistral-sud", 2, 0.05, 8, 1),
    ("bibliotheque", 3, 0.15, 45, 5),
    ("mission-locale", 4, 0.10, 30, 3),
    ("point-info", 4, 0.05, 5, 1),
)
CATEGORIES = ("laptop", "tablet", "phone", "hotspot")
WEEKS = (
    {
        "monday": [["13:30", "18:30"]],
        "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
        "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
        "thursday": [["13:30", "18:30"]],
        "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
    },
    {day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    {
        "tuesday": [["14:00", "18:00"]],
        "wednesday": [["10:00", "18:00"]],
        "friday": [["14:00", "18:00"]],
        "saturday": [["10:00", "13:00"]],
    },
)
HOLIDAYS = [
    date(YEAR, 1, 1),
    date(YEAR, 4, 21),
    date(YEAR, 5, 1),
    date(YEAR, 5, 8),
    date(YEAR, 5, 29),
    date(YEAR, 6, 9),
    date(YEAR, 7, 14),
    date(YEAR, 8, 15),
    date(YEAR, 11, 1),
    date(YEAR, 11, 11),
    date(YEAR, 12, 25),
]


def run(bench: support.Run, database: str) -> list[support.Result]:
    if bench.result("utilisation_year_by_site") is not None:
        return []  # computed once: no database involved
    from services.audit import analytics
    from services.audit.analytics import History, Period

    started = time.perf_counter()
    bodies, site_hours = year_of_events(ITEMS)
    support.note(
        f"utilisation_year: {len(bodies)} events for {ITEMS} items generated in "
        f"{time.perf_counter() - started:.1f} s"
    )
    period = Period(date(YEAR, 1, 1), date(YEAR, 12, 31), ZONE)

    def parse_only():
        for body in bodies:
            envelope = json.loads(body)
            datetime.fromisoformat(envelope["occurred_at"])

    def history():
        return History.from_events(json.loads(body) for body in bodies)

    def by(grouping, step):
        return analytics.utilisation(history(), period, site_hours, by=grouping, step=step)

    baseline = _seconds(parse_only)
    rebuild = _seconds(history)
    by_site, by_item = _seconds(lambda: by("site", "day")), _seconds(lambda: by("item", "week"))
    rows = by("site", "week")
    support.note(
        "utilisation_year per site: "
        + ", ".join(f"{row.label} {row.rate * 100:.0f} %" for row in rows if row.rate is not None)
    )
    return [
        support.Result("utilisation_year_events", len(bodies), "events", 0),
        support.Result("utilisation_year_parse_baseline", baseline, "s", 2),
        support.Result("utilisation_year_history", rebuild, "s", 2),
        support.Result("utilisation_year_by_site", by_site, "s", 2),
        support.Result("utilisation_year_by_item", by_item, "s", 2),
        support.Result("utilisation_year_events_per_s", len(bodies) / by_site, "events/s", 0),
        support.Result("utilisation_year_vs_parse", by_site / baseline, "ratio", 2),
    ]


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# --- the year -----------------------------------------------------------------------


class _Log:
    def __init__(self):
        self.entries: list[tuple[datetime, str]] = []

    def add(self, event_type: str, data: dict, at: datetime) -> None:
        self.entries.append(
            (
                at,
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "type": event_type,
                        "version": current_version(event_type),
                        "occurred_at": at.isoformat(),
                        "producer": event_type.split(".")[0],
                        "actor": "staff:1",
                        "data": data,
                    }
                ),
            )
        )

    def bodies(self) -> list[str]:
        """In the order they occurred, as the audit log reads them back."""
        return [body for _, body in sorted(self.entries, key=lambda entry: entry[0])]


def year_of_events(items: int, seed: int = SEED):
    """(JSON bodies in the order they occurred, {site_id: SiteHours}) for a year at
    La Roseraie."""
    from services.audit.analytics import SiteHours

    rng = random.Random(seed)
    log = _Log()
    dawn = datetime(YEAR - 1, 12, 1, 9, tzinfo=ZONE)
    for n, code in enumerate(PARTNERS, 1):
        log.add("inventory.partner_registered", {"partner_id": n, "code": code}, dawn)
    for n, code in enumerate(CATEGORIES, 1):
        log.add("inventory.category_registered", {"category_id": n, "code": code}, dawn)
    summer = [(date(YEAR, 8, 4), date(YEAR, 8, 17))]
    site_hours, shelves = {}, {}
    for site_id, (code, partner, _, _, _) in enumerate(SITES, 1):
        closures = tuple((day, day) for day in HOLIDAYS) + tuple(summer if site_id % 2 else ())
        site_hours[site_id] = SiteHours(WEEKS[site_id % len(WEEKS)], closures)
        log.add(
            "inventory.site_registered",
            {
                "site_id": site_id,
                "code": code,
                "partner_id": partner + 1,
                "name": code,
                "address": "",
                "opening_hours": site_hours[site_id].opening_hours,
                "closures": [[first.isoformat(), last.isoformat()] for first, last in closures],
            },
            dawn,
        )
        shelves[site_id] = []
    weights = [share for _, _, share, _, _ in SITES]
    for item_id in range(1, items + 1):
        site_id = rng.choices(range(1, len(SITES) + 1), weights)[0]
        shelves[site_id].append(item_id)
        log.add(
            "inventory.item_registered",
            {
                "item_id": item_id,
                "asset_tag": f"PT-{item_id:05d}",
                "category_id": rng.randint(1, len(CATEGORIES)),
                "owner_partner_id": SITES[site_id - 1][1] + 1,
                "site_id": site_id,
                "status": "available",
                "make": "Lenovo",
                "model": "Tab M10",
            },
            dawn,
        )
    later = []  # (at, type, data): events that happen after the day they are decided
    ids = {"reservation": 0, "loan": 0, "entry": 0}
    busy_until = {}
    day = date(YEAR, 1, 1)
    while day.year == YEAR:
        for site_id, (_, partner, _, loans, workshops) in enumerate(SITES, 1):
            spans = _open_spans(site_hours[site_id], day)
            if not spans or not shelves[site_id]:
                continue
            for _ in range(rng.randint(0, 2 * workshops)):
                opens, closes = rng.choice(spans)
                starts = opens + timedelta(minutes=30 * rng.randint(0, 4))
                ends = min(closes, starts + timedelta(hours=rng.randint(1, 3)))
                chosen = rng.sample(
                    shelves[site_id], min(len(shelves[site_id]), rng.randint(1, 15))
                )
                ids["reservation"] += 1
                booked = starts - timedelta(days=rng.randint(1, 20))
                log.add(
                    "booking.reservation_created",
                    {
                        "reservation_id": ids["reservation"],
                        "partner_id": partner + 1,
                        "site_id": site_id,
                        "item_ids": chosen,
                        "starts_at": starts.isoformat(),
                        "ends_at": ends.isoformat(),
                        "series_id": None,
                    },
                    booked,
                )
                fate = rng.random()
                if fate < 0.10:
                    later.append(
                        (
                            booked + timedelta(hours=rng.randint(1, 48)),
                            "booking.reservation_cancelled",
                            {"reservation_id": ids["reservation"]},
                        )
                    )
                elif fate < 0.13:
                    later.append(
                        (
                            starts + timedelta(minutes=30),
                            "booking.reservation_released",
                            {
                                "reservation_id": ids["reservation"],
                                "partner_id": partner + 1,
                                "item_ids": chosen,
                            },
                        )
                    )
            for _ in range(rng.randint(0, 2 * loans)):
                item_id = rng.choice(shelves[site_id])
                opens, closes = rng.choice(spans)
                out = opens + (closes - opens) * rng.random()
                if busy_until.get(item_id, out) > out:
                    continue
                ids["loan"] += 1
                resident = rng.randint(1, 4000)
                due = out + timedelta(days=14)
                back = out + timedelta(days=rng.randint(1, 21), hours=rng.random())
                log.add(
                    "booking.loan_checked_out",
                    {
                        "loan_id": ids["loan"],
                        "item_id": item_id,
                        "resident_id": resident,
                        "site_id": site_id,
                        "due_at": due.isoformat(),
                        "overridden": False,
                    },
                    out,
                )
                busy_until[item_id] = back
                ending = {"loan_id": ids["loan"], "item_id": item_id, "resident_id": resident}
                if rng.random() < 0.005:
                    later.append((back, "booking.loan_lost", ending))
                elif back.year == YEAR:
                    later.append(
                        (
                            back,
                            "booking.loan_checked_in",
                            {**ending, "condition": "good", "missing_accessory_count": 0},
                        )
                    )
            if rng.random() < 0.2:
                opens, _ = spans[0]
                log.add(
                    "booking.demand_unmet",
                    {
                        "partner_id": partner + 1,
                        "site_id": site_id,
                        "category_id": rng.randint(1, len(CATEGORIES)),
                        "quantity": rng.randint(1, 12),
                        "starts_at": opens.isoformat(),
                        "ends_at": (opens + timedelta(hours=2)).isoformat(),
                        "reason_code": "not_available",
                    },
                    opens,
                )
            if rng.random() < 0.3:
                opens, _ = spans[-1]
                ids["entry"] += 1
                resident = rng.randint(1, 4000)
                log.add(
                    "booking.waiting_list_joined",
                    {
                        "entry_id": ids["entry"],
                        "resident_id": resident,
                        "category_id": rng.randint(1, len(CATEGORIES)),
                        "site_id": site_id,
                    },
                    opens,
                )
                later.append(
                    (
                        opens + timedelta(days=rng.randint(1, 30)),
                        "booking.waiting_list_left",
                        {
                            "entry_id": ids["entry"],
                            "resident_id": resident,
                            "released_item_id": None,
                        },
                    )
                )
        day += timedelta(days=1)
    for at, event_type, data in later:
        log.add(event_type, data, at)
    return log.bodies(), site_hours


def _open_spans(hours, day: date) -> list[tuple[datetime, datetime]]:
    from partanum.opening_hours import WEEKDAYS, parse_hours

    if any(first <= day <= last for first, last in hours.closures):
        return []
    return [
        (datetime.combine(day, opens, ZONE), datetime.combine(day, closes, ZONE))
        for opens, closes in parse_hours(hours.opening_hours).get(WEEKDAYS[day.weekday()], [])
    ]
