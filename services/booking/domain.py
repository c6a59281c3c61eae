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
