"""When to tell whom, and how: the rules, no I/O.

All datetimes are aware; local days and hours are those of `zone` (the sites'
time zone).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from partanum.opening_hours import WEEKDAYS, parse_hours

# Reminders are sent in the morning of their day, after quiet hours.
REMINDER_TIME = time(10, 0)
# Days before the due date on which a reminder is sent.
REMINDER_DAYS = (2, 1)
# Gentle overdue notices: level 1 when the loan is found late, then these many
# days after the due date.
OVERDUE_LEVEL_DAYS = {2: 7, 3: 14}
RETRY_DELAY_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class Planned:
    purpose: str
    step: int
    at: datetime


def is_open_day(hours: dict, closures: list, day: date) -> bool:
    """Whether a site with these weekly hours and closures opens at all on `day`."""
    if any(date.fromisoformat(start) <= day <= date.fromisoformat(end) for start, end in closures):
        return False
    return bool(parse_hours(hours).get(WEEKDAYS[day.weekday()]))


def reminder_plan(
    due_at: datetime, now: datetime, zone: ZoneInfo, hours: dict | None, closures: list | None
) -> list[Planned]:
    """Due-soon reminders two days and one day before the due date, each on a day the
    return site is open: a closed day moves its reminder to the open day before it.
    Reminders already past, or falling on the same day as another, are dropped.
    Without the site's hours (not known yet) every day counts as open."""
    due_day = due_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    planned, days = [], set()
    for step in REMINDER_DAYS:
        day = due_day - timedelta(days=step)
        if hours is not None:
            for _ in range(7):
                if is_open_day(hours, closures or [], day):
                    break
                day -= timedelta(days=1)
            else:
                continue  # never open: no reminder rather than a wrong day
        at = datetime.combine(day, REMINDER_TIME, zone)
        if day < today or day >= due_day or at <= now or day in days:
            continue
        days.add(day)
        planned.append(Planned("due_soon", step, at))
    return planned


def overdue_plan(due_at: datetime, now: datetime, call_after_days: int) -> list[Planned]:
    """Gentle notices escalating by level, and the staff's task to call the resident.
    Levels whose day is already past collapse into the highest one, sent now."""
    levels = [(1, now)] + [
        (level, due_at + timedelta(days=days)) for level, days in sorted(OVERDUE_LEVEL_DAYS.items())
    ]
    past = [level for level, at in levels if at <= now]
    planned = [Planned("overdue", max(past), now)]
    planned += [Planned("overdue", level, at) for level, at in levels if at > now]
    planned.append(Planned("call_resident", 0, max(now, due_at + timedelta(days=call_after_days))))
    return planned


# --- quiet hours ------------------------------------------------------------------------


def is_quiet(moment: datetime, zone: ZoneInfo, quiet_from: time, quiet_until: time) -> bool:
    local = moment.astimezone(zone).time()
    if quiet_from <= quiet_until:
        return quiet_from <= local < quiet_until
    return local >= quiet_from or local < quiet_until  # across midnight


def quiet_ends(moment: datetime, zone: ZoneInfo, quiet_until: time) -> datetime:
    """The next end of quiet hours after `moment`."""
    local = moment.astimezone(zone)
    end = datetime.combine(local.date(), quiet_until, zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet_until, zone)
    return end


def start_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(moment.astimezone(zone).date(), time(0), zone)


# --- channels ----------------------------------------------------------------------------


def channel_order(preference: str | None, phone: str | None, email: str | None) -> list[str]:
    """The channels to try, the resident's choice first, then the other one; only
    those they gave details for. "none": nobody is to be messaged, staff call."""
    if preference == "none":
        return []
    have = {"sms": bool(phone), "email": bool(email)}
    first = preference if preference in have else "sms"
    order = [first, "email" if first == "sms" else "sms"]
    return [channel for channel in order if have[channel]]


def retry_delay(attempts: int, base: timedelta) -> timedelta:
    """Backoff after the `attempts`-th failed attempt: base, 2×base, 4×base… up to an hour."""
    return min(base * 2 ** max(attempts - 1, 0), RETRY_DELAY_CAP)


def parse_time(text: str) -> time:
    return time.fromisoformat(text)
