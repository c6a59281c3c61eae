"""How the equipment is used, computed from its history (services/audit/history.py):
utilisation, idle items, overdue and lost, activity, unmet demand. Pure, no I/O.

    history = History.from_events(envelopes)   # any order, repeats allowed
    rows = utilisation(history, Period(first, last, zone), site_hours, by="partner")

The inventory's site events name a site, not its hours: callers pass each site's
weekly hours and closures (`SiteHours`, as the inventory's `get_site` gives them).
Hours are local time in `zone`; all arithmetic is on POSIX seconds, so a change of
daylight saving time neither adds nor loses an hour.
"""

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from partanum.opening_hours import WEEKDAYS, parse_hours
from services.audit.history import OUT_OF_SERVICE, History, Item, utc  # noqa: F401 -- re-exported
from services.audit.vocabulary import GROUPINGS, STEPS  # noqa: F401 -- re-exported

HOUR = 3600.0
DAY = timedelta(days=1)


# --- inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteHours:
    """A site's weekly local-time hours {"monday": [["13:30", "18:30"]], …} and its
    closures, whole days inclusive; `name` is what people call it, for labels."""

    opening_hours: dict
    closures: tuple[tuple[date, date], ...] = ()
    name: str | None = None

    @classmethod
    def from_inventory(cls, site: dict) -> "SiteHours":
        """From the inventory's `get_site`/`list_sites` answer."""
        closures = tuple(
            (date.fromisoformat(str(c["starts_on"])), date.fromisoformat(str(c["ends_on"])))
            for c in site.get("closures") or ()
        )
        return cls(site.get("opening_hours") or {}, closures, site.get("name"))


@dataclass(frozen=True)
class Period:
    """Whole local days, `first_day` to `last_day` inclusive."""

    first_day: date
    last_day: date
    zone: ZoneInfo

    @property
    def start(self) -> float:
        return _local_ts(self.first_day, time(), self.zone)

    @property
    def end(self) -> float:
        return _local_ts(self.last_day + DAY, time(), self.zone)

    def days(self):
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += DAY

    def bucket(self, day: date, step: str) -> date:
        """The first day of the day's bucket: itself, or the Monday of its week (the
        period's first day for a week that started before it)."""
        if step == "day":
            return day
        return max(day - timedelta(days=day.weekday()), self.first_day)

    def local_day(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.zone).date()


def _local_ts(day: date, at: time, zone: ZoneInfo) -> float:
    return datetime.combine(day, at, tzinfo=zone).timestamp()


# --- opening hours ------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTimes:
    """A site's open intervals over a period: parallel lists, in time order."""

    starts: list
    ends: list
    days: list  # the local day of each interval

    @classmethod
    def of(cls, hours: SiteHours | None, period: Period) -> "OpenTimes":
        starts, ends, days = [], [], []
        weekly = parse_hours(hours.opening_hours) if hours else {}
        closures = hours.closures if hours else ()
        for day in period.days():
            if any(first <= day <= last for first, last in closures):
                continue
            for opens, closes in sorted(weekly.get(WEEKDAYS[day.weekday()], ())):
                starts.append(_local_ts(day, opens, period.zone))
                ends.append(_local_ts(day, closes, period.zone))
                days.append(day)
        return cls(starts, ends, days)

    def per_day(self, start: float, end: float) -> dict[date, float]:
        """Open seconds per local day within [start, end)."""
        totals: dict[date, float] = defaultdict(float)
        for i in range(bisect_right(self.ends, start), len(self.starts)):
            if self.starts[i] >= end:
                break
            overlap = min(end, self.ends[i]) - max(start, self.starts[i])
            if overlap > 0:
                totals[self.days[i]] += overlap
        return totals

    def add_overlap(self, start: float, end: float, into: dict) -> None:
        """Add the open seconds of [start, end) to `into`, per local day."""
        starts, ends, days = self.starts, self.ends, self.days
        i = bisect_right(ends, start)
        while i < len(starts) and starts[i] < end:
            overlap = min(end, ends[i]) - max(start, starts[i])
            if overlap > 0:
                into[days[i]] += overlap
            i += 1


# --- utilisation --------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    starts_on: date
    open_hours: float
    used_hours: float
    rate: float | None


@dataclass(frozen=True)
class Utilisation:
    """Hours reserved or lent while open, over the hours the site was open."""

    by: str
    key: int | None
    label: str
    items: int
    open_hours: float
    used_hours: float
    rate: float | None
    series: tuple[SeriesPoint, ...]


def _rate(used: float, available: float) -> float | None:
    return round(used / available, 4) if available > 0 else None


def utilisation(
    history: History,
    period: Period,
    site_hours: dict[int, SiteHours],
    by: str = "site",
    step: str = "week",
) -> list[Utilisation]:
    """One row per item, category, site or partner (owner), with its daily or weekly series.

    An item counts while registered and neither retired nor lost, at the site where
    it stood at the time; only the part of a use that falls in that site's open hours
    counts, and a device reserved and lent at once counts once."""
    start, end = period.start, period.end
    opens = {site_id: OpenTimes.of(hours, period) for site_id, hours in site_hours.items()}
    uses = history.uses(end)
    capacity: Counter = Counter()  # (group, site, start, end) → items
    used: dict = defaultdict(lambda: defaultdict(float))  # group → day → seconds
    members: dict = defaultdict(set)
    for item in history.items.values():
        item_uses = uses.get(item.item_id, ())
        for span_start, span_end, site_id, partner_id in _segments(item, start, end):
            group = {
                "item": item.item_id,
                "category": item.category_id,
                "site": site_id,
                "partner": partner_id,
            }[by]
            members[group].add(item.item_id)
            capacity[(group, site_id, span_start, span_end)] += 1
            site_open = opens.get(site_id)
            if site_open is None:
                continue
            for use_start, use_end in item_uses:
                if use_end <= span_start or use_start >= span_end:
                    continue
                site_open.add_overlap(
                    max(use_start, span_start), min(use_end, span_end), used[group]
                )
    available: dict = defaultdict(lambda: defaultdict(float))
    per_day_cache: dict = {}
    for (group, site_id, span_start, span_end), count in capacity.items():
        if site_id not in opens:
            continue
        key = (site_id, span_start, span_end)
        if key not in per_day_cache:
            per_day_cache[key] = opens[site_id].per_day(span_start, span_end)
        for day, seconds in per_day_cache[key].items():
            available[group][day] += seconds * count
    bucket_of = {day: period.bucket(day, step) for day in period.days()}
    buckets = dict.fromkeys(sorted(set(bucket_of.values())), 0.0)
    return sorted(
        (
            _row(
                history,
                site_hours,
                by,
                bucket_of,
                buckets,
                group,
                len(members[group]),
                available[group],
                used[group],
            )
            for group in members
        ),
        key=lambda row: (row.label, row.key if row.key is not None else -1),
    )


def _segments(item: Item, start: float, end: float):
    """(start, end, site_id, partner_id) pieces of the item's time in service."""
    for span_start, span_end in item.in_service_spans(start, end):
        bounds = [p[0] for p in item.placements[1:] if span_start < p[0] < span_end]
        edges = [span_start, *bounds, span_end]
        for piece_start, piece_end in pairwise(edges):
            site_id, partner_id = item.placement_at(piece_start)
            yield piece_start, piece_end, site_id, partner_id


def _row(history, site_hours, by, bucket_of, buckets, group, items, available, used) -> Utilisation:
    open_seconds, used_seconds = dict(buckets), dict(buckets)
    for day, seconds in available.items():
        open_seconds[bucket_of[day]] += seconds
    for day, seconds in used.items():
        used_seconds[bucket_of[day]] += seconds
    series = tuple(
        SeriesPoint(
            bucket,
            round(a / HOUR, 2),
            round(used_seconds[bucket] / HOUR, 2),
            _rate(used_seconds[bucket], a),
        )
        for bucket, a in open_seconds.items()
    )
    total_available, total_used = sum(available.values()), sum(used.values())
    return Utilisation(
        by,
        group,
        history.label(by, group, site_hours),
        items,
        round(total_available / HOUR, 2),
        round(total_used / HOUR, 2),
        _rate(total_used, total_available),
        series,
    )


# --- idle, overdue and lost ---------------------------------------------------------


@dataclass(frozen=True)
class IdleItem:
    item_id: int
    asset_tag: str
    category_id: int
    site_id: int
    partner_id: int
    last_used_at: datetime | None
    days_idle: int


def idle_items(history: History, as_of: datetime, idle_days: int = 30) -> list[IdleItem]:
    """Items in service that nobody has reserved or borrowed for `idle_days` days
    (counted from their registration when never used), the idlest first."""
    now = as_of.timestamp()
    uses = history.uses(now)
    idle = []
    for item in history.items.values():
        if item.registered_at > now or item.status_at(now) in OUT_OF_SERVICE:
            continue
        past = [(s, min(e, now)) for s, e in uses.get(item.item_id, ()) if s <= now]
        if past and past[-1][1] >= now:
            continue  # in use right now
        last_used = past[-1][1] if past else None
        days = int((now - (last_used if last_used is not None else item.registered_at)) // 86400)
        if days >= idle_days:
            site_id, partner_id = item.placement_at(now)
            idle.append(
                IdleItem(
                    item.item_id,
                    item.asset_tag,
                    item.category_id,
                    site_id,
                    partner_id,
                    utc(last_used) if last_used else None,
                    days,
                )
            )
    return sorted(idle, key=lambda i: (-i.days_idle, i.item_id))


@dataclass(frozen=True)
class OverdueLoan:
    loan_id: int
    item_id: int
    asset_tag: str
    site_id: int
    due_at: datetime
    days_overdue: int


@dataclass(frozen=True)
class LostItem:
    item_id: int
    asset_tag: str
    site_id: int | None
    lost_at: datetime
    loan_id: int | None


@dataclass(frozen=True)
class OverdueAndLost:
    overdue: tuple[OverdueLoan, ...]
    lost: tuple[LostItem, ...]


def overdue_and_lost(history: History, period: Period, as_of: datetime) -> OverdueAndLost:
    """Loans still out past their due date at `as_of`; items lost within the period
    (on loan, or declared lost by the inventory)."""
    now = as_of.timestamp()
    tag = {item.item_id: item.asset_tag for item in history.items.values()}
    overdue = [
        OverdueLoan(
            loan.loan_id,
            loan.item_id,
            tag.get(loan.item_id, ""),
            loan.site_id,
            utc(loan.due_at),
            int((now - loan.due_at) // 86400),
        )
        for loan in history.loans.values()
        if loan.out_at <= now and loan.due_at < now and (loan.back_at is None or loan.back_at > now)
    ]
    lost: dict[int, LostItem] = {}
    for loan in history.loans.values():
        if loan.lost_at is not None and period.start <= loan.lost_at < period.end:
            lost[loan.item_id] = LostItem(
                loan.item_id,
                tag.get(loan.item_id, ""),
                loan.site_id,
                utc(loan.lost_at),
                loan.loan_id,
            )
    for item in history.items.values():
        for at, status in item.statuses:
            if status == "lost" and period.start <= at < period.end and item.item_id not in lost:
                lost[item.item_id] = LostItem(
                    item.item_id, item.asset_tag, item.placement_at(at)[0], utc(at), None
                )
    return OverdueAndLost(
        tuple(sorted(overdue, key=lambda o: (-o.days_overdue, o.loan_id))),
        tuple(sorted(lost.values(), key=lambda i: (i.lost_at, i.item_id))),
    )


# --- activity: loans, reservations, residents served --------------------------------


@dataclass(frozen=True)
class Activity:
    """One week (from its Monday, or the period's first day) at one site and category
    (None: all of them)."""

    week: date | None
    site_id: int | None
    category_id: int | None
    loans: int
    reservations: int
    residents_served: int


def activity(
    history: History, period: Period, by_site: bool = False, by_category: bool = False
) -> list[Activity]:
    """Loans checked out and reservations starting, per week of the period, and the
    number of distinct residents who borrowed (ids are counted, never returned).
    The last row (week None) holds the whole period's totals: a resident served
    in two weeks counts once there."""
    loans: Counter = Counter()
    reservations: Counter = Counter()
    residents: dict = defaultdict(set)
    category = {item.item_id: item.category_id for item in history.items.values()}

    def key(week, site_id, category_id):
        return (week, site_id if by_site else None, category_id if by_category else None)

    for loan in history.loans.values():
        if period.start <= loan.out_at < period.end:
            week = period.bucket(period.local_day(loan.out_at), "week")
            for w in (week, None):
                k = key(w, loan.site_id, category.get(loan.item_id))
                loans[k] += 1
                if loan.resident_id is not None:
                    residents[k].add(loan.resident_id)
    for reservation in history.reservations.values():
        if period.start <= reservation.starts_at < period.end:
            week = period.bucket(period.local_day(reservation.starts_at), "week")
            categories = {category.get(i) for i in reservation.item_ids} if by_category else {None}
            for w in (week, None):
                for category_id in categories:
                    reservations[key(w, reservation.site_id, category_id)] += 1
    keys = set(loans) | set(reservations)
    rows = [
        Activity(week, site_id, category_id, loans[k], reservations[k], len(residents.get(k, ())))
        for k in keys
        for week, site_id, category_id in (k,)
    ]
    return sorted(
        rows, key=lambda r: (r.week is None, r.week or date.min, r.site_id or 0, r.category_id or 0)
    )


# --- unmet demand -------------------------------------------------------------------


@dataclass(frozen=True)
class UnmetDemand:
    site_id: int | None
    category_id: int | None
    requests: int  # requests refused in the period
    quantity: int  # devices they asked for
    largest_request: int
    joined_waiting_list: int  # residents who joined a waiting list in the period
    waiting: int  # still waiting at the end of the period (or at `as_of`)


def unmet_demand(
    history: History, period: Period, as_of: datetime | None = None
) -> list[UnmetDemand]:
    """Per site and category: refused requests, and the waiting lists."""
    end = min(period.end, as_of.timestamp()) if as_of else period.end
    figures: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
    for unmet in history.unmet:
        if period.start <= unmet.at < period.end:
            row = figures[(unmet.site_id, unmet.category_id)]
            row[0] += 1
            row[1] += unmet.quantity
            row[2] = max(row[2], unmet.quantity)
    for entry in history.waiting.values():
        row = None
        if period.start <= entry.joined_at < period.end:
            row = figures[(entry.site_id, entry.category_id)]
            row[3] += 1
        if entry.joined_at <= end and (entry.left_at is None or entry.left_at > end):
            row = row or figures[(entry.site_id, entry.category_id)]
            row[4] += 1
    return [
        UnmetDemand(site_id, category_id, *row)
        for (site_id, category_id), row in sorted(
            figures.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1] or 0)
        )
    ]


# --- peak use, for suggestions ------------------------------------------------------


def peak_in_use(history: History, period: Period) -> dict[tuple[int, int], int]:
    """Per (site, category): the most items in use at the same moment in the period."""
    changes: dict = defaultdict(list)
    start, end = period.start, period.end
    for item_id, spans in history.uses(end).items():
        item = history.items.get(item_id)
        if item is None:
            continue
        for use_start, use_end in spans:
            if use_end <= start or use_start >= end:
                continue
            site_id, _ = item.placement_at(max(use_start, start))
            changes[(site_id, item.category_id)] += [
                (max(use_start, start), 1),
                (min(use_end, end), -1),
            ]
    return peaks_of(changes)


def peaks_of(changes: dict) -> dict:
    """Per key, the highest level its (moment, +1 or -1) changes reach."""
    peaks = {}
    for key, moments in changes.items():
        level = peak = 0
        for _, step in sorted(moments):  # an end (-1) sorts before a start at the same moment
            level += step
            peak = max(peak, level)
        peaks[key] = peak
    return peaks
