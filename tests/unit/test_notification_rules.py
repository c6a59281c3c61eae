"""When residents are told: reminders on days the return site is open, no SMS at
night, the resident's channel first."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notifications import domain

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_ONLY = {
    day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


def at(day, hour=12, minute=0):
    return datetime.combine(day, time(hour, minute), PARIS)


def test_reminders_come_two_days_and_one_day_before_the_due_date_in_the_morning():
    thursday = date(2026, 12, 3)
    plan = domain.reminder_plan(at(thursday, 17), at(date(2026, 11, 23)), PARIS, WEEKDAYS_ONLY, [])
    assert [(p.step, p.at) for p in plan] == [
        (2, at(date(2026, 12, 1), 10)),
        (1, at(date(2026, 12, 2), 10)),
    ]


def test_a_reminder_due_on_a_closed_day_comes_on_the_open_day_before():
    monday = date(2026, 12, 7)  # the day before is a Sunday, two days before a Saturday
    plan = domain.reminder_plan(at(monday, 17), at(date(2026, 11, 23)), PARIS, WEEKDAYS_ONLY, [])
    assert [p.at.date() for p in plan] == [date(2026, 12, 4)]  # Friday, once


def test_a_reminder_avoids_the_sites_closures():
    thursday = date(2026, 12, 3)
    plan = domain.reminder_plan(
        at(thursday, 17),
        at(date(2026, 11, 23)),
        PARIS,
        WEEKDAYS_ONLY,
        [["2026-12-02", "2026-12-02"]],
    )
    assert [p.at.date() for p in plan] == [date(2026, 12, 1)]


def test_no_reminder_is_planned_in_the_past():
    thursday = date(2026, 12, 3)
    plan = domain.reminder_plan(
        at(thursday, 17), at(date(2026, 12, 2), 11), PARIS, WEEKDAYS_ONLY, []
    )
    assert plan == []


def test_overdue_notices_escalate_and_staff_are_asked_to_call_after_the_set_days():
    due = at(date(2026, 12, 1), 17)
    found = due + timedelta(hours=8)
    plan = domain.overdue_plan(due, found, call_after_days=10)
    assert [(p.purpose, p.step, p.at) for p in plan] == [
        ("overdue", 1, found),
        ("overdue", 2, due + timedelta(days=7)),
        ("overdue", 3, due + timedelta(days=14)),
        ("call_resident", 0, due + timedelta(days=10)),
    ]


def test_overdue_levels_already_past_collapse_into_one_notice():
    due = at(date(2026, 12, 1), 17)
    found = due + timedelta(days=8)
    plan = domain.overdue_plan(due, found, call_after_days=7)
    assert [(p.purpose, p.step) for p in plan] == [
        ("overdue", 2),
        ("overdue", 3),
        ("call_resident", 0),
    ]
    assert plan[-1].at == found


def test_quiet_hours_run_across_midnight():
    quiet = lambda moment: domain.is_quiet(moment, PARIS, time(21), time(8))  # noqa: E731 -- a one-line predicate, read where it is named
    day = date(2026, 12, 1)
    assert quiet(at(day, 21)) and quiet(at(day, 23, 59)) and quiet(at(day, 7, 59))
    assert not quiet(at(day, 8)) and not quiet(at(day, 20, 59))
    assert domain.quiet_ends(at(day, 22), PARIS, time(8)) == at(day + timedelta(days=1), 8)
    assert domain.quiet_ends(at(day, 6), PARIS, time(8)) == at(day, 8)


def test_the_residents_channel_comes_first_and_the_other_one_is_the_fallback():
    assert domain.channel_order("sms", "0612345678", "a@example.org") == ["sms", "email"]
    assert domain.channel_order("email", "0612345678", "a@example.org") == ["email", "sms"]
    assert domain.channel_order("sms", None, "a@example.org") == ["email"]
    assert domain.channel_order("email", "0612345678", None) == ["sms"]
    assert domain.channel_order("none", "0612345678", "a@example.org") == []


def test_retries_back_off_up_to_an_hour():
    base = timedelta(seconds=60)
    assert [domain.retry_delay(n, base).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert domain.retry_delay(20, base) == timedelta(hours=1)
