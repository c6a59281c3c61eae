"""The rules of reservations: sharing between partners, the alternatives offered
instead of a bare refusal, returns, no-shows and weekly series."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.booking import domain
from services.booking.domain import Sharing, Window

PARIS = ZoneInfo("Europe/Paris")
JEAN_VILAR = {
    "monday": [["13:30", "18:30"]],
    "tuesday": [["09:00", "12:00"], ["13:30", "18:30"]],
    "thursday": [["13:30", "18:30"]],
}
MAISON, MISTRAL, MAIRIE = 1, 2, 3
TABLET, LAPTOP = 10, 20


@dataclass(frozen=True)
class Device:
    id: int
    owner_partner_id: int
    category_id: int = TABLET
    shareable: bool = True

    @property
    def asset_tag(self):
        return f"T-{self.id}"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


TUESDAY = date(2026, 12, 1)


def ids(items):
    return [item.id for item in items]


# --- sharing ----------------------------------------------------------------------------


def test_a_partner_always_takes_its_own_items_first_even_those_it_does_not_share():
    mine = [Device(1, MAISON, shareable=False), Device(2, MAISON)]
    theirs = [Device(0, MISTRAL)]
    rules = [Sharing(MAISON, None, shared=False)]

    assert ids(domain.pick(MAISON, theirs + mine, rules, 2)) == [1, 2]


def test_items_of_a_partner_that_does_not_share_them_are_not_for_others():
    items = [Device(1, MISTRAL), Device(2, MISTRAL, category_id=LAPTOP), Device(3, MAIRIE)]
    rules = [Sharing(MISTRAL, TABLET, shared=False)]

    assert ids(domain.pick(MAISON, items, rules, 3)) == [2, 3]


def test_an_item_its_owner_keeps_for_itself_is_not_shared_whatever_the_rules():
    items = [Device(1, MISTRAL, shareable=False), Device(2, MISTRAL)]

    assert ids(domain.pick(MAISON, items, [], 2)) == [2]


def test_a_category_rule_overrides_the_owners_rule_for_all_categories():
    rules = [Sharing(MISTRAL, None, shared=False), Sharing(MISTRAL, LAPTOP, shared=True)]

    assert not domain.may_reserve(MAISON, Device(1, MISTRAL), rules)
    assert domain.may_reserve(MAISON, Device(2, MISTRAL, category_id=LAPTOP), rules)


def test_one_reservation_takes_at_most_the_owners_cap_of_its_items():
    items = [Device(n, MISTRAL) for n in range(1, 6)] + [Device(9, MAIRIE)]
    rules = [Sharing(MISTRAL, TABLET, shared=True, max_per_reservation=2)]

    assert ids(domain.pick(MAISON, items, rules, 5)) == [1, 2, 9]
    assert ids(domain.pick(MISTRAL, items, rules, 5)) == [1, 2, 3, 4, 5]  # its own: no cap


def test_items_a_reservation_already_holds_count_against_the_cap():
    rules = [Sharing(MISTRAL, None, max_per_reservation=2)]
    held = [Device(1, MISTRAL), Device(2, MISTRAL, category_id=LAPTOP)]

    assert domain.pick(MAISON, [Device(3, MISTRAL)], rules, 1, held=held) == []


def test_chosen_items_beyond_a_cap_or_not_shared_are_named():
    rules = [Sharing(MISTRAL, None, max_per_reservation=1), Sharing(MAIRIE, None, shared=False)]
    items = [Device(1, MISTRAL), Device(2, MISTRAL), Device(3, MAIRIE), Device(4, MAISON)]

    assert domain.sharing_problems(MAISON, items, rules) == {
        "over_cap": ["T-2"],
        "not_shared": ["T-3"],
    }
    assert domain.sharing_problems(MAISON, items[:1] + items[3:], rules) == {}


# --- alternatives -----------------------------------------------------------------------


def test_an_item_is_free_for_a_window_only_outside_other_holds_and_their_buffer():
    buffer = timedelta(minutes=30)
    busy = [(at(TUESDAY, 9), at(TUESDAY, 12, 30))]

    assert not domain.is_free(busy, Window(at(TUESDAY, 11), at(TUESDAY, 12)), buffer)
    assert not domain.is_free(busy, Window(at(TUESDAY, 12), at(TUESDAY, 13)), buffer)
    assert domain.is_free(busy, Window(at(TUESDAY, 12, 30), at(TUESDAY, 14)), buffer)
    assert not domain.is_free(busy, Window(at(TUESDAY, 8), at(TUESDAY, 8, 45)), buffer)


def test_later_windows_keep_the_duration_and_fall_inside_opening_hours():
    asked = Window(at(TUESDAY, 14), at(TUESDAY, 17))

    first = list(domain.later_windows(asked, JEAN_VILAR, [], PARIS, days=2))[:5]

    assert [(w.starts_at.astimezone(PARIS), w.ends_at - w.starts_at) for w in first] == [
        (at(TUESDAY, 14, 30), timedelta(hours=3)),
        (at(TUESDAY, 15), timedelta(hours=3)),
        (at(TUESDAY, 15, 30), timedelta(hours=3)),
        # Wednesday is closed: Thursday afternoon next.
        (at(date(2026, 12, 3), 13, 30), timedelta(hours=3)),
        (at(date(2026, 12, 3), 14), timedelta(hours=3)),
    ]


def test_later_windows_skip_closed_days():
    asked = Window(at(TUESDAY, 15), at(TUESDAY, 18, 30))
    thursday = date(2026, 12, 3)

    first = next(iter(domain.later_windows(asked, JEAN_VILAR, [[thursday.isoformat()] * 2], PARIS)))

    assert first.starts_at.astimezone(PARIS) == at(date(2026, 12, 7), 13, 30)  # the Monday after


def test_the_nearest_windows_are_the_first_three_that_fit():
    asked = Window(at(TUESDAY, 14), at(TUESDAY, 17))
    # Everything is taken until Thursday 15:00.
    fits = lambda window: window.starts_at >= at(date(2026, 12, 3), 15)  # noqa: E731 -- a one-line predicate, read where it is named

    found = domain.nearest_windows(asked, JEAN_VILAR, [], PARIS, fits)

    assert [w.starts_at.astimezone(PARIS) for w in found] == [
        at(date(2026, 12, 3), 15),
        at(date(2026, 12, 3), 15, 30),
        at(date(2026, 12, 7), 13, 30),
    ]


def test_no_window_is_offered_when_nothing_fits_within_the_horizon():
    asked = Window(at(TUESDAY, 14), at(TUESDAY, 17))

    assert domain.nearest_windows(asked, JEAN_VILAR, [], PARIS, lambda window: False) == []


# --- return, no-shows, weekly series -------------------------------------------------------


def test_an_early_return_ends_the_hold_at_the_return_and_a_late_one_at_the_window_end():
    starts, ends = at(TUESDAY, 14), at(TUESDAY, 17)

    assert domain.real_end(starts, ends, at(TUESDAY, 15, 10)) == at(TUESDAY, 15, 10)
    assert domain.real_end(starts, ends, at(TUESDAY, 19)) == ends
    assert domain.real_end(starts, ends, at(TUESDAY, 13)) == starts


def test_a_reservation_is_a_no_show_once_the_grace_after_its_start_has_passed():
    grace = timedelta(minutes=30)

    assert not domain.is_no_show(at(TUESDAY, 14), at(TUESDAY, 14, 29), grace)
    assert domain.is_no_show(at(TUESDAY, 14), at(TUESDAY, 14, 30), grace)


def test_a_weekly_series_keeps_its_local_hours_across_the_change_to_summer_time():
    first_thursday = date(2027, 3, 18)
    first = Window(at(first_thursday, 14), at(first_thursday, 17))

    windows = domain.weekly_windows(first, date(2027, 4, 1), PARIS)

    assert [w.starts_at.astimezone(PARIS).replace(tzinfo=None) for w in windows] == [
        datetime(2027, 3, 18, 14),
        datetime(2027, 3, 25, 14),
        datetime(2027, 4, 1, 14),
    ]
    utc = [w.starts_at.astimezone(ZoneInfo("UTC")) for w in windows]
    assert utc[2] - utc[1] == timedelta(days=7, hours=-1)
