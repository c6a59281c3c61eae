"""A site's weekly hours and closures, as booking and reminders rely on them."""

from datetime import date, datetime

from partanum.opening_hours import hours_problems, is_open

JEAN_VILAR = {
    "monday": [["13:30", "18:30"]],
    "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "wednesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "thursday": [["13:30", "18:30"]],
    "friday": [["09:00", "12:00"], ["13:30", "18:30"]],
}


def test_jean_vilar_is_closed_on_monday_morning_and_open_in_the_afternoon():
    monday = date(2026, 11, 23)
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 23, 10, 0))
    assert is_open(JEAN_VILAR, [], datetime(2026, 11, 23, 13, 30))
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 23, 18, 30))  # closing time is closed
    assert not is_open(JEAN_VILAR, [(monday, monday)], datetime(2026, 11, 23, 14, 0))


def test_jean_vilar_closes_for_lunch_on_tuesdays():
    assert is_open(JEAN_VILAR, [], datetime(2026, 11, 24, 11, 59))
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 24, 12, 30))
    assert not is_open(JEAN_VILAR, [], datetime(2026, 11, 29, 15, 0))  # Sunday


def test_opening_spans_must_run_forwards_and_not_overlap():
    assert hours_problems(JEAN_VILAR) == {}
    assert hours_problems({"monday": [["18:00", "09:00"]]}) == {
        "monday": ["18:00 is not before 09:00"]
    }
    assert hours_problems({"friday": [["13:00", "17:00"], ["09:00", "14:00"]]}) == {
        "friday": ["spans overlap at 13:00"]
    }
