"""The booking's rules: windows, opening hours, buffers. No I/O."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from partanum.opening_hours import is_open

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


def opening_problems(window: Window, hours: dict, closures: list, zone: ZoneInfo) -> dict[str, list[str]]:
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
LANGUAGES = ("fr", "en", "ar", "tr", "ru", "fa", "ps", "es", "it", "pt", "de", "uk", "ro")
CHANNELS = ("sms", "email", "none")
CONDITIONS = ("new", "good", "fair", "damaged")
# A site closed for longer than this has no return day worth promising.
RETURN_DAY_LOOKAHEAD = 366


class NoReturnDay(Exception):
    """The return site opens on no day within RETURN_DAY_LOOKAHEAD days."""


def due_date(start: datetime, loan_days: int, hours: dict, closures: list, zone: ZoneInfo) -> datetime:
    """When a loan started at `start` is due: `loan_days` later, moved forward to the
    next day the return site is open, at that day's closing time (so a resident
    never has to bring a device back to a closed door)."""
    from datetime import timezone

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
            return datetime.combine(candidate, closing, tzinfo=zone).astimezone(timezone.utc)
    raise NoReturnDay()


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
