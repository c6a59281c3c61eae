"""The booking's rules: windows, opening hours, buffers. No I/O."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from partanum.opening_hours import is_open
from services.booking.vocabulary import WaitingStatus

# Items in these states can be promised for a future window.
BOOKABLE_STATUSES = frozenset({"available", "reserved", "on_loan", "awaiting_wipe"})


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime

    def blocked_until(self, buffer: timedelta) -> datetime:
        return self.ends_at + buffer


def window_problems(window: Window, now: datetime) -> dict[str, list[str]]:
    problems = {}
    if window.ends_at <= window.starts_at:
        problems["ends_at"] = ["must be after starts_at"]
    if window.ends_at <= now:
        problems.setdefault("ends_at", []).append("is in the past")
    return problems


def opening_problems(
    window: Window, hours: dict, closures: list, zone: ZoneInfo
) -> dict[str, list[str]]:
    """Pickup (start) and return (end) must fall while the site is open."""
    days = [(_day(start), _day(end)) for start, end in closures]
    problems = {}
    for field, moment in (("starts_at", window.starts_at), ("ends_at", window.ends_at)):
        local = moment.astimezone(zone)
        # A return at closing time is fine: the desk is still there.
        probe = local - timedelta(minutes=1) if field == "ends_at" else local
        if not is_open(hours, days, probe.replace(tzinfo=None)):
            problems[field] = [f"the site is closed at {local:%A %H:%M}"]
    return problems


def _day(value):
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(value)


# --- loans to residents --------------------------------------------------------

DEFAULT_LOAN_DAYS = 14
DEFAULT_MAX_RENEWALS = 2
# Only a device on the shelf goes to a resident: one just returned waits for its wipe.
LENDABLE_STATUSES = frozenset({"available"})
# A resident's mandate lasts at most a year, then the resident consents again.
MANDATE_MAX_DURATION = timedelta(days=365)
# A site closed for longer than this has no return day worth promising.
RETURN_DAY_LOOKAHEAD = 366


class NoReturnDay(Exception):
    """The return site opens on no day within RETURN_DAY_LOOKAHEAD days."""


def due_date(
    start: datetime, loan_days: int, hours: dict, closures: list, zone: ZoneInfo
) -> datetime:
    """When a loan started at `start` is due: `loan_days` later, moved forward to the
    next day the return site is open, at that day's closing time (so a resident
    never has to bring a device back to a closed door)."""

    from partanum.opening_hours import WEEKDAYS, parse_hours

    spans = parse_hours(hours)
    closed = [(_day(first), _day(last)) for first, last in closures]
    day = start.astimezone(zone).date() + timedelta(days=loan_days)
    for offset in range(RETURN_DAY_LOOKAHEAD):
        candidate = day + timedelta(days=offset)
        if any(first <= candidate <= last for first, last in closed):
            continue
        today = spans.get(WEEKDAYS[candidate.weekday()])
        if today:
            closing = max(closes for _opens, closes in today)
            return datetime.combine(candidate, closing, tzinfo=zone).astimezone(UTC)
    raise NoReturnDay()


def closed_on(moment: datetime, closures: list, zone: ZoneInfo) -> bool:
    """Whether the local day of `moment` falls within one of the site's closures."""
    day = moment.astimezone(zone).date()
    return any(_day(first) <= day <= _day(last) for first, last in closures)


def borrowing_refusal(active_loans: int, overdue_loans: int, max_loans: int) -> str | None:
    """Why a resident may not borrow one more device, or None. Overdue first: it is
    what staff must settle before anything else."""
    if overdue_loans:
        return "overdue"
    if active_loans >= max_loans:
        return "too_many"
    return None


def renewal_refusal(renewals: int, max_renewals: int, people_waiting: int) -> str | None:
    if renewals >= max_renewals:
        return f"already renewed {renewals} times (at most {max_renewals})"
    if people_waiting:
        return f"{people_waiting} resident(s) waiting for this kind of device at this site"
    return None


def missing_on_return(lent: list[str], returned: list[str] | None) -> list[str] | None:
    """What was lent with a device and did not come back; None while it is out."""
    return None if returned is None else missing_accessories(lent, returned)


def missing_accessories(lent: list[str], returned: list[str]) -> list[str]:
    """What went out and did not come back, counting duplicates (two cables lent, one back)."""
    left = list(returned)
    missing = []
    for accessory in lent:
        if accessory in left:
            left.remove(accessory)
        else:
            missing.append(accessory)
    return missing


def days_overdue(due_at: datetime, now: datetime) -> int:
    return max(0, (now - due_at).days)


# --- sharing between partners ------------------------------------------------------


@dataclass(frozen=True)
class Sharing:
    """A partner's rule for its items of one category (or all, when category_id is None)."""

    partner_id: int
    category_id: int | None
    shared: bool = True
    max_per_reservation: int | None = None


def rule_for(rules, owner_id: int, category_id: int) -> Sharing | None:
    """The rule that governs an owner's items of a category: its rule for that
    category, else its rule for all categories, else none (shared, no cap)."""
    general = None
    for rule in rules:
        if rule.partner_id != owner_id:
            continue
        if rule.category_id == category_id:
            return rule
        if rule.category_id is None:
            general = rule
    return general


def may_reserve(partner_id: int, item, rules) -> bool:
    """An owner may always reserve its own items; others only what it shares."""
    if item.owner_partner_id == partner_id:
        return True
    rule = rule_for(rules, item.owner_partner_id, item.category_id)
    return item.shareable and (rule is None or rule.shared)


def _cap_key(item, rules):
    rule = rule_for(rules, item.owner_partner_id, item.category_id)
    if rule is None or rule.max_per_reservation is None:
        return None, None
    # A rule for all categories caps the owner's whole pool, not each category.
    return (rule.partner_id, rule.category_id), rule.max_per_reservation


def pick(partner_id: int, candidates, rules, quantity: int, held=()) -> list:
    """Up to `quantity` of the candidates one reservation of `partner_id` may take:
    its own items first, then others' shared items within each owner's cap.
    `held` are items the reservation already has, which count against the caps."""
    taken: dict = {}
    for item in held:
        key, _cap = _cap_key(item, rules) if item.owner_partner_id != partner_id else (None, None)
        if key:
            taken[key] = taken.get(key, 0) + 1
    chosen: list = []
    for item in sorted(candidates, key=lambda i: (i.owner_partner_id != partner_id, i.id)):
        if len(chosen) == quantity:
            break
        if not may_reserve(partner_id, item, rules):
            continue
        if item.owner_partner_id != partner_id:
            key, cap = _cap_key(item, rules)
            if key:
                if taken.get(key, 0) >= cap:
                    continue
                taken[key] = taken.get(key, 0) + 1
        chosen.append(item)
    return chosen


def sharing_problems(partner_id: int, items, rules) -> dict[str, list[str]]:
    """Why `partner_id` may not take these chosen items together: by asset tag,
    items their owner does not share, and items beyond an owner's cap."""
    allowed = pick(partner_id, items, rules, len(items))
    kept = {item.id for item in allowed}
    problems: dict[str, list[str]] = {}
    for item in items:
        if item.id in kept:
            continue
        if not may_reserve(partner_id, item, rules):
            problems.setdefault("not_shared", []).append(item.asset_tag)
        else:
            problems.setdefault("over_cap", []).append(item.asset_tag)
    return {reason: sorted(tags) for reason, tags in problems.items()}


# --- free periods and alternatives --------------------------------------------------


def is_free(busy, window: Window, buffer: timedelta) -> bool:
    """Whether an item held for the `busy` (starts_at, blocked_until) periods can
    also be held for `window` and its buffer."""
    until = window.blocked_until(buffer)
    return not any(start < until and window.starts_at < blocked for start, blocked in busy)


ALTERNATIVE_STEP = timedelta(minutes=30)
ALTERNATIVE_DAYS = 14


def later_windows(
    window: Window,
    hours: dict,
    closures: list,
    zone: ZoneInfo,
    step: timedelta = ALTERNATIVE_STEP,
    days: int = ALTERNATIVE_DAYS,
):
    """Windows of the same duration after `window`, later the same day and on the
    following `days`, that start and end while the site is open: on a half-hour
    grid of local time, nearest first."""
    duration = window.ends_at - window.starts_at
    local = window.starts_at.astimezone(zone)
    # Grid over local wall-clock time, so a daylight-saving change shifts nothing.
    grid = step.total_seconds() // 60
    first = local.replace(second=0, microsecond=0, tzinfo=None)
    first -= timedelta(minutes=first.minute % grid)
    moment, last = first + step, first + timedelta(days=days + 1)
    while moment < last:
        starts_at = moment.replace(tzinfo=zone).astimezone(window.starts_at.tzinfo)
        candidate = Window(starts_at, starts_at + duration)
        if candidate.starts_at > window.starts_at and not opening_problems(
            candidate, hours, closures, zone
        ):
            yield candidate
        moment += step


def nearest_windows(
    window: Window,
    hours: dict,
    closures: list,
    zone: ZoneInfo,
    fits,
    count: int = 3,
    days: int = ALTERNATIVE_DAYS,
) -> list[Window]:
    """The first `count` later windows at the site for which `fits(window)` holds."""
    found = []
    for candidate in later_windows(window, hours, closures, zone, days=days):
        if fits(candidate):
            found.append(candidate)
            if len(found) == count:
                break
    return found


# --- pickup, return, no-shows, weekly series ----------------------------------------


def real_end(starts_at: datetime, ends_at: datetime, returned_at: datetime) -> datetime:
    """When the items' use really ended: at their return, within the window."""
    return min(max(returned_at, starts_at), ends_at)


def is_no_show(starts_at: datetime, now: datetime, grace: timedelta) -> bool:
    """Nobody came for a reservation `grace` after its start."""
    return now >= starts_at + grace


MAX_WEEKS = 53


def weekly_windows(first: Window, until, zone: ZoneInfo) -> list[Window]:
    """The first window and the same local times each following week, up to the
    date `until` (inclusive, local): the same wall-clock hours across daylight saving."""
    start, end = first.starts_at.astimezone(zone), first.ends_at.astimezone(zone)
    windows = []
    week = 0
    while (start + timedelta(weeks=week)).date() <= until:
        shift = timedelta(weeks=week)
        windows.append(
            Window(
                (start.replace(tzinfo=None) + shift).replace(tzinfo=zone),
                (end.replace(tzinfo=None) + shift).replace(tzinfo=zone),
            )
        )
        week += 1
    return windows


# --- waiting lists and privacy ------------------------------------------------------

# A resident is in line for a category at a site while their entry is in one of these.
IN_LINE = (WaitingStatus.WAITING, WaitingStatus.HELD)
# Only a device on the shelf can be kept for someone who will come and take it.
HOLDABLE_STATUSES = frozenset({"available"})
# What a resident's personal data is replaced with in free text staff wrote.
ERASED = "[erased]"
# A site closed for longer than this keeps the bare hold duration.
HOLD_LOOKAHEAD_DAYS = 366


def hold_expiry(
    now: datetime, hours: int, opening_hours: dict, closures: list, zone: ZoneInfo
) -> datetime:
    """When a hold offered at `now` lapses: `hours` later, pushed to the closing time
    of that day if the site is open then, or of its next open day, so that a hold
    never runs out while the door is shut. A site without hours keeps the bare
    `hours`."""

    from partanum.opening_hours import WEEKDAYS, parse_hours

    earliest = (now + timedelta(hours=hours)).astimezone(zone)
    spans = parse_hours(opening_hours)
    closed = [(_day(first), _day(last)) for first, last in closures]
    for offset in range(HOLD_LOOKAHEAD_DAYS):
        day = earliest.date() + timedelta(days=offset)
        if any(first <= day <= last for first, last in closed):
            continue
        today = spans.get(WEEKDAYS[day.weekday()])
        if not today:
            continue
        closing = datetime.combine(day, max(closes for _opens, closes in today), tzinfo=zone)
        if closing >= earliest:
            return closing.astimezone(UTC)
    return earliest.astimezone(UTC)


def erasure_refusal(active_loans: int) -> str | None:
    """Why a resident cannot be erased yet: staff must still be able to reach
    whoever holds a device."""
    if active_loans:
        return f"still holds {active_loans} device(s): check them in or declare them lost first"
    return None


def redact(text: str | None, secrets) -> str | None:
    """`text` with every occurrence of each secret (a name, a phone, an email)
    replaced, whatever its case."""
    import re

    if not text:
        return text
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = re.sub(re.escape(secret), ERASED, text, flags=re.IGNORECASE)
    return text
