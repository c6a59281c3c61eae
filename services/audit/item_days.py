"""One item's figures per local day, from its own events: pure, no I/O.

The rules are analytics.utilisation's, applied day by day: an item counts while
registered and neither retired nor lost, at the site where it stood; the part of a
use (a reservation, a loan) that falls in that site's open hours counts once. The
open hours of a day are those in effect that day (`HoursHistory`, from the
inventory's site events).

Most days nothing happens to an item: those come as `Run`s of whole days, free or
in use all day, whose open seconds are the site's hours of each day (added up by
whoever reads them). Only a day on which something changes (a use begins or ends,
the item moves, comes into or out of service) has its own `Day` figures. The last
run has no end: the item stays as it is until its next event.
"""

import json
import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from partanum.opening_hours import WEEKDAYS, parse_hours
from services.audit.analytics import DAY, OpenTimes, Period, SiteHours, _local_ts, _segments
from services.audit.history import History, Item

# A rename carries the site's whole state too: the reports' labels take the newest name.
SITE_EVENTS = (
    "inventory.site_registered",
    "inventory.site_hours_changed",
    "inventory.site_renamed",
)
# The events that make an item's figures (history.py's facts about items and their
# uses); the others naming an item (a renewal, an overdue notice…) change nothing.
ITEM_EVENTS = (
    "inventory.item_registered",
    "inventory.item_status_changed",
    "inventory.item_transferred",
    "booking.reservation_created",
    "booking.reservation_cancelled",
    "booking.reservation_released",
    "booking.reservation_item_withdrawn",
    "booking.reservation_returned",
    "booking.loan_checked_out",
    "booking.loan_checked_in",
    "booking.loan_lost",
)


@dataclass
class HoursHistory:
    """Each site's hours as (from_day, SiteHours), in day order; before its first entry
    a site is taken to have had its first hours (as analytics takes today's)."""

    zone: ZoneInfo
    entries: dict[int, list[tuple[date, SiteHours]]]
    _times: dict = field(default_factory=dict, repr=False)
    # id of a SiteHours of `entries` → (its weekly hours parsed, its closed days)
    _weekly: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_events(cls, envelopes, zone: ZoneInfo) -> "HoursHistory":
        """From site events, in any order and with repeats: the last event of a local
        day (by time, then id, as the history orders them) gives that day's hours."""
        unique = {envelope["id"]: envelope for envelope in envelopes}
        by_site: dict[int, dict[date, SiteHours]] = {}
        for envelope in sorted(unique.values(), key=lambda e: (_at(e), e["id"])):
            if envelope["type"] not in SITE_EVENTS:
                continue
            data = envelope["data"]
            day = datetime.fromtimestamp(_at(envelope), zone).date()
            by_site.setdefault(data["site_id"], {})[day] = site_hours(data)
        return cls(zone, {site: sorted(days.items()) for site, days in by_site.items()})

    def in_effect(self, site_id: int, day: date) -> SiteHours | None:
        entries = self.entries.get(site_id)
        if not entries:
            return None
        current = entries[0][1]
        for from_day, hours in entries:
            if from_day > day:
                break
            current = hours
        return current

    def open_times(self, site_id: int, day: date) -> OpenTimes | None:
        key = (site_id, day)
        if key not in self._times:
            hours = self.in_effect(site_id, day)
            self._times[key] = (
                None if hours is None else OpenTimes.of(hours, Period(day, day, self.zone))
            )
        return self._times[key]

    def open_seconds_of(self, site_id: int, days: list[date]) -> list[float]:
        """Open seconds of each of these consecutive days: the days that share their
        hours are laid out together (parsing hours costs more than adding them up)."""
        seconds: list[float] = []
        n = 0
        while n < len(days):
            hours = self.in_effect(site_id, days[n])
            last = n
            while last + 1 < len(days) and self.in_effect(site_id, days[last + 1]) is hours:
                last += 1
            seconds += [self._day_seconds(hours, day) for day in days[n : last + 1]]
            n = last + 1
        return seconds

    def _day_seconds(self, hours: SiteHours | None, day: date) -> float:
        """As OpenTimes.of counts a day, its hours parsed once per SiteHours."""
        if hours is None:
            return 0.0
        if id(hours) not in self._weekly:
            closed = {
                first + timedelta(days=n)
                for first, last in hours.closures
                for n in range((last - first).days + 1)
            }
            self._weekly[id(hours)] = (parse_hours(hours.opening_hours), closed)
        weekly, closed = self._weekly[id(hours)]
        if day in closed:
            return 0.0
        return sum(
            _local_ts(day, closes, self.zone) - _local_ts(day, opens, self.zone)
            for opens, closes in sorted(weekly.get(WEEKDAYS[day.weekday()], ()))
        )

    def open_seconds(self, site_id: int, day: date) -> float:
        times = self.open_times(site_id, day)
        if times is None:
            return 0.0
        return sum(end - start for start, end in zip(times.starts, times.ends, strict=True))


def site_hours(data: dict) -> SiteHours:
    """The hours a site event carries."""
    closures = tuple(
        (date.fromisoformat(first), date.fromisoformat(last)) for first, last in data["closures"]
    )
    return SiteHours(data["opening_hours"], closures, data["name"])


def hours_json(hours: SiteHours) -> tuple[str, str]:
    """(opening_hours, closures) as stored."""
    closures = [[first.isoformat(), last.isoformat()] for first, last in hours.closures]
    return json.dumps(hours.opening_hours, sort_keys=True), json.dumps(closures)


def _at(envelope) -> float:
    return _at_text(envelope["occurred_at"])


def _at_text(text: str | float) -> float:
    if isinstance(text, float):  # POSIX seconds already (an item's kept events: item_events.py)
        return text
    return datetime.fromisoformat(text).timestamp()


@dataclass(frozen=True)
class Run:
    first_day: date
    last_day: date | None
    site_id: int
    partner_id: int
    busy: bool


@dataclass(frozen=True)
class Day:
    day: date
    site_id: int
    partner_id: int
    open_seconds: float
    occupied_seconds: float


@dataclass(frozen=True)
class ItemFigures:
    item_id: int
    category_id: int
    runs: tuple[Run, ...]
    days: tuple[Day, ...]
    # None: every run and day is here. Else only the days from this one on and the
    # runs after it: the earlier ones are as they were (see `changed_since`).
    from_day: date | None = None


RESERVATION_EVENTS = tuple(kind for kind in ITEM_EVENTS if kind.startswith("booking.reservation_"))
LOAN_ENDS = ("booking.loan_checked_in", "booking.loan_lost")


def changed_since(new, envelopes) -> float:
    """From when an item's figures may differ now that the `new` events are among
    `envelopes` (every event naming it or one of its reservations, the new ones too):
    no event changes the item's history before the moment given here, so its days
    before that moment's day stay as they were. -inf: from its registration on.

    A status or a transfer changes it from when it occurred; a check-out too (an open
    loan runs on); a check-in or loss from the loan's check-out; any event about a
    reservation from its start (created, cancelled, released, returned early or a
    device withdrawn, it only changes its own span). An event about a loan or a
    reservation whose first event is unknown changes nothing yet."""
    reservations = {e["data"]["reservation_id"] for e in new if e["type"] in RESERVATION_EVENTS}
    loans = {e["data"]["loan_id"] for e in new if e["type"] in LOAN_ENDS}
    starts: dict[int, float] = {}  # reservation → its start (the earliest, if told twice)
    outs: dict[int, float] = {}  # loan → its check-out
    for envelope in envelopes:
        kind, data = envelope["type"], envelope["data"]
        if kind == "booking.reservation_created" and data["reservation_id"] in reservations:
            begins = _at_text(data["starts_at"])
            starts[data["reservation_id"]] = min(begins, starts.get(data["reservation_id"], begins))
        elif kind == "booking.loan_checked_out" and data["loan_id"] in loans:
            out = _at(envelope)
            outs[data["loan_id"]] = min(out, outs.get(data["loan_id"], out))
    since = math.inf
    for envelope in new:
        kind, data = envelope["type"], envelope["data"]
        if kind == "inventory.item_registered":
            return -math.inf
        if kind in RESERVATION_EVENTS:
            moment = starts.get(data["reservation_id"], _at(envelope))
        elif kind in LOAN_ENDS:
            moment = outs.get(data["loan_id"], _at(envelope))
        else:
            moment = _at(envelope)
        since = min(since, moment)
    return since


def item_figures(
    item_id: int, envelopes, hours: HoursHistory, since: float = -math.inf
) -> ItemFigures | None:
    """The item's figures from every event naming it or one of its reservations (any
    order, repeats allowed); None before its registration is known. `since` (from
    `changed_since`): only the days from the last one that changes before it are
    computed (`from_day`), the runs after it; an item's new event is mostly recent,
    its past days many."""
    history = History.from_events(envelopes)
    item = history.items.get(item_id)
    if item is None:
        return None
    # An open loan runs on until it ends: to infinity, here.
    uses = history.uses_of(item_id, math.inf)
    ends = [end for _, end in uses]
    zone = hours.zone

    def local_day(ts: float) -> date:
        return datetime.fromtimestamp(ts, zone).date()

    first = local_day(item.registered_at)
    moments = {at for at, _ in item.statuses}
    moments.update(placement[0] for placement in item.placements)
    moments.update(moment for use in uses for moment in use if moment != math.inf)
    changing = sorted({first} | {day for day in map(local_day, moments) if day > first})
    # The changing days before `since`'s day are the same as before the new events,
    # so are the days and runs up to the last of them (its run may end later now).
    from_day = None
    if since > -math.inf:
        since_day = local_day(since) if since < math.inf else date.max
        earlier = [day for day in changing if day < since_day]
        from_day = earlier[-1] if earlier else None
    runs: list[Run] = []
    days: list[Day] = []
    for n, day in enumerate(changing):
        if from_day is not None and day < from_day:
            continue
        days += _day_figures(item, uses, ends, hours, day)
        following = changing[n + 1] if n + 1 < len(changing) else None
        if following is None or (following - day).days > 1:
            last = following - DAY if following is not None else None
            run = _run(item, uses, zone, day + DAY, last)
            if run is not None:
                runs.append(run)
    return ItemFigures(item_id, item.category_id, tuple(runs), tuple(days), from_day)


def _midnight(day: date, zone: ZoneInfo) -> float:
    return _local_ts(day, time(), zone)


def _run(item: Item, uses, zone: ZoneInfo, first: date, last: date | None) -> Run | None:
    """Days on which nothing changes: as the item stands at the first one's midnight."""
    at = _midnight(first, zone)
    if not item.in_service_spans(at, at + 1):
        return None
    site_id, partner_id = item.placement_at(at)
    n = bisect_right(uses, (at, math.inf))  # uses are merged: at most one holds `at`
    busy = n > 0 and uses[n - 1][1] > at
    return Run(first, last, site_id, partner_id, busy)


def _day_figures(item: Item, uses, ends, hours: HoursHistory, day: date) -> list[Day]:
    start, end = _midnight(day, hours.zone), _midnight(day + DAY, hours.zone)
    figures: dict[tuple[int, int], list[float]] = {}
    for piece_start, piece_end, site_id, partner_id in _segments(item, start, end):
        totals = figures.setdefault((site_id, partner_id), [0.0, 0.0])
        opens = hours.open_times(site_id, day)
        if opens is None:
            continue
        totals[0] += sum(opens.per_day(piece_start, piece_end).values())
        used: dict = {day: 0.0}
        for use_start, use_end in uses[bisect_right(ends, piece_start) :]:
            if use_start >= piece_end:
                break
            opens.add_overlap(max(use_start, piece_start), min(use_end, piece_end), used)
        totals[1] += used[day]
    return [
        Day(day, site_id, partner_id, open_seconds, occupied)
        for (site_id, partner_id), (open_seconds, occupied) in sorted(figures.items())
    ]
