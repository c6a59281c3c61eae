"""Weekly opening hours and closures of a site, as every service reads them.

Hours are local time at the site: {"monday": [["13:30", "18:30"]], …}; closures
are whole days, inclusive. Pure functions, no I/O.
"""

from datetime import date, datetime, time

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_hours(hours: dict[str, list[list[str]]]) -> dict[str, list[tuple[time, time]]]:
    return {
        day: [(time.fromisoformat(opens), time.fromisoformat(closes)) for opens, closes in spans]
        for day, spans in hours.items()
    }


def hours_problems(hours: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    """Per weekday, what is wrong with its opening spans (empty when all is well)."""
    problems: dict[str, list[str]] = {}
    for day, spans in parse_hours(hours).items():
        previous_close = None
        for opens, closes in sorted(spans):
            if opens >= closes:
                problems.setdefault(day, []).append(f"{opens:%H:%M} is not before {closes:%H:%M}")
            if previous_close and opens < previous_close:
                problems.setdefault(day, []).append(f"spans overlap at {opens:%H:%M}")
            previous_close = closes
    return problems


def is_open(hours: dict, closures: list[tuple[date, date]], moment: datetime) -> bool:
    """Whether a site with these hours and closures is open at `moment` (local time)."""
    day = moment.date()
    if any(start <= day <= end for start, end in closures):
        return False
    spans = parse_hours(hours).get(WEEKDAYS[day.weekday()], [])
    return any(opens <= moment.time() < closes for opens, closes in spans)
