"""Utilisation, idle items, overdue and lost, activity and unmet demand, computed
from hand-made event streams whose answers are worked out by hand."""

import random
from datetime import UTC, date, datetime

import pytest

from services.audit import analytics
from services.audit.analytics import History, Period, SiteHours
from tests.unit.audit_stream import JEAN_VILAR_HOURS, PARIS, Stream, local

# Monday 23 to Sunday 29 November 2026. Jean Vilar is open 5 + 8 + 8 + 5 + 8 = 34 hours.
WEEK = Period(date(2026, 11, 23), date(2026, 11, 29), PARIS)
WEEK_HOURS = 34.0


@pytest.fixture
def world():
    stream = Stream()
    stream.centre = stream.partner("centre-social")
    stream.vilar = stream.site("jean-vilar", stream.centre)
    stream.tablet = stream.category("tablet")
    stream.tab1 = stream.item("JV-TAB-001", stream.tablet, stream.centre, stream.vilar)
    return stream


def by_item(stream, period=WEEK, step="week", closures=()):
    history = History.from_events(stream.events)
    rows = analytics.utilisation(
        history,
        period,
        {stream.vilar: SiteHours(JEAN_VILAR_HOURS, tuple(closures))},
        by="item",
        step=step,
    )
    return {row.label: row for row in rows}


def test_only_the_part_of_a_reservation_within_opening_hours_counts(world):
    world.reserve([world.tab1], world.vilar, "2026-11-24 10:00", "2026-11-24 15:00")
    row = by_item(world)["JV-TAB-001"]
    assert row.open_hours == WEEK_HOURS
    assert row.used_hours == 2 + 1.5  # 10:00–12:00 and 13:30–15:00: lunch is closed
    assert row.rate == round(3.5 / WEEK_HOURS, 4)


def test_a_device_reserved_and_lent_at_the_same_time_counts_once(world):
    world.reserve([world.tab1], world.vilar, "2026-11-24 10:00", "2026-11-24 12:00")
    loan = world.lend(world.tab1, world.vilar, "2026-11-24 11:00", "2026-12-08 18:00")
    world.check_in(loan, world.tab1, "2026-11-24 14:00")
    assert by_item(world)["JV-TAB-001"].used_hours == 2 + 0.5  # 10:00–12:00, 13:30–14:00


def test_cancelled_and_released_reservations_do_not_count(world):
    cancelled = world.reserve([world.tab1], world.vilar, "2026-11-24 09:00", "2026-11-24 12:00")
    world.cancel(cancelled, "2026-11-23 15:00")
    released = world.reserve([world.tab1], world.vilar, "2026-11-25 09:00", "2026-11-25 12:00")
    world.release(released, [world.tab1], "2026-11-25 09:30")
    assert by_item(world)["JV-TAB-001"].used_hours == 0


def test_a_reservation_brought_back_early_counts_until_its_return(world):
    reservation = world.reserve([world.tab1], world.vilar, "2026-11-24 09:00", "2026-11-24 18:30")
    world.add(
        "booking.reservation_returned",
        {"reservation_id": reservation, "partner_id": world.centre, "item_ids": [world.tab1]},
        "2026-11-24 10:30",
    )
    assert by_item(world)["JV-TAB-001"].used_hours == 1.5  # 09:00–10:30, not the whole day


def test_a_closed_day_counts_neither_in_the_open_hours_nor_in_the_use(world):
    world.reserve([world.tab1], world.vilar, "2026-11-24 09:00", "2026-11-24 18:30")
    row = by_item(world, closures=[(date(2026, 11, 24), date(2026, 11, 24))])
    assert row["JV-TAB-001"].open_hours == WEEK_HOURS - 8
    assert row["JV-TAB-001"].used_hours == 0


def test_a_loan_spanning_a_closure_counts_only_the_open_hours_around_it(world):
    # Out Friday 27 at 14:00, back Tuesday 1 December at 10:00; closed Monday 30.
    loan = world.lend(world.tab1, world.vilar, "2026-11-27 14:00", "2026-12-01 18:00")
    world.check_in(loan, world.tab1, "2026-12-01 10:00")
    period = Period(date(2026, 11, 27), date(2026, 12, 1), PARIS)
    row = by_item(world, period, closures=[(date(2026, 11, 30), date(2026, 11, 30))])
    assert row["JV-TAB-001"].open_hours == 8 + 8  # Friday, Tuesday
    assert row["JV-TAB-001"].used_hours == 4.5 + 1  # 14:00–18:30 Friday, 09:00–10:00 Tuesday


def test_an_open_loan_counts_until_the_end_of_the_period(world):
    world.lend(world.tab1, world.vilar, "2026-11-27 17:00", "2026-12-11 18:00")
    assert by_item(world)["JV-TAB-001"].used_hours == 1.5


def test_an_item_registered_mid_week_counts_from_its_registration(world):
    late = world.item("JV-TAB-002", world.tablet, world.centre, world.vilar, at="2026-11-24 10:00")
    assert late
    row = by_item(world)["JV-TAB-002"]
    assert row.open_hours == WEEK_HOURS - 5 - 1  # not Monday, nor Tuesday 09:00–10:00


def test_a_retired_item_stops_counting_when_it_is_retired(world):
    world.status(world.tab1, "available", "retired", "2026-11-26 12:00")
    assert by_item(world)["JV-TAB-001"].open_hours == 5 + 8 + 8  # Monday to Wednesday


def test_daily_series_split_the_hours_by_local_day(world):
    world.reserve([world.tab1], world.vilar, "2026-11-24 17:00", "2026-11-25 10:00")
    series = by_item(world, step="day")["JV-TAB-001"].series
    assert [point.starts_on for point in series] == list(WEEK.days())
    assert [(p.open_hours, p.used_hours) for p in series[:3]] == [(5, 0), (8, 1.5), (8, 1)]
    assert series[5].rate is None  # closed on Saturday: no rate rather than 0 %


def test_the_change_to_winter_time_neither_adds_nor_loses_an_hour():
    # Clocks go back in Paris at 03:00 on Sunday 25 October 2026.
    stream = Stream()
    partner = stream.partner("mairie")
    site = stream.site("mairie", partner)
    item = stream.item("M-PC-001", stream.category("laptop"), partner, site)
    # 09:00–10:00 local each morning, given in UTC: summer (+2) on Saturday, winter (+1) on Sunday.
    stream.reserve(
        [item], site, datetime(2026, 10, 24, 7, tzinfo=UTC), datetime(2026, 10, 24, 8, tzinfo=UTC)
    )
    stream.reserve(
        [item], site, datetime(2026, 10, 25, 8, tzinfo=UTC), datetime(2026, 10, 25, 9, tzinfo=UTC)
    )
    # 08:00–09:00 local on Sunday: before opening, even though it is 09:00 summer time.
    stream.reserve(
        [item], site, datetime(2026, 10, 25, 7, tzinfo=UTC), datetime(2026, 10, 25, 8, tzinfo=UTC)
    )
    weekend = Period(date(2026, 10, 24), date(2026, 10, 25), PARIS)
    hours = {site: SiteHours({"saturday": [["09:00", "12:00"]], "sunday": [["09:00", "12:00"]]})}
    [row] = analytics.utilisation(
        History.from_events(stream.events), weekend, hours, by="item", step="day"
    )
    assert [(p.open_hours, p.used_hours) for p in row.series] == [(3, 1), (3, 1)]


def test_rows_group_items_by_category_site_and_owner(world):
    mistral_partner = world.partner("mistral")
    mistral = world.site("mistral", mistral_partner)
    laptop = world.category("laptop")
    world.item("JV-PC-001", laptop, world.centre, world.vilar)
    world.item("MI-TAB-001", world.tablet, mistral_partner, mistral)
    world.reserve([world.tab1], world.vilar, "2026-11-24 09:00", "2026-11-24 12:00")
    history = History.from_events(world.events)
    hours = {world.vilar: SiteHours(JEAN_VILAR_HOURS), mistral: SiteHours(JEAN_VILAR_HOURS)}

    def table(by):
        return {
            r.label: (r.items, r.open_hours, r.used_hours)
            for r in analytics.utilisation(history, WEEK, hours, by=by)
        }

    assert table("category") == {"tablet": (2, 68, 3), "laptop": (1, 34, 0)}
    assert table("site") == {"jean-vilar": (2, 68, 3), "mistral": (1, 34, 0)}
    assert table("partner") == {"centre-social": (2, 68, 3), "mistral": (1, 34, 0)}


def test_a_transferred_item_counts_at_each_site_for_its_time_there(world):
    other = world.site("annexe", world.centre)
    world.transfer(world.tab1, world.vilar, other, world.centre, world.centre, "2026-11-25 08:00")
    world.reserve([world.tab1], other, "2026-11-26 14:00", "2026-11-26 15:00")
    history = History.from_events(world.events)
    hours = {world.vilar: SiteHours(JEAN_VILAR_HOURS), other: SiteHours(JEAN_VILAR_HOURS)}
    rows = {
        r.label: (r.open_hours, r.used_hours)
        for r in analytics.utilisation(history, WEEK, hours, by="site")
    }
    assert rows == {"jean-vilar": (5 + 8, 0), "annexe": (8 + 5 + 8, 1)}


def busy_week(stream):
    tab2 = stream.item("JV-TAB-002", stream.tablet, stream.centre, stream.vilar)
    first = stream.reserve(
        [stream.tab1, tab2], stream.vilar, "2026-11-24 09:00", "2026-11-24 12:00"
    )
    stream.cancel(
        stream.reserve([tab2], stream.vilar, "2026-11-26 14:00", "2026-11-26 16:00"),
        "2026-11-25 10:00",
    )
    loan = stream.lend(tab2, stream.vilar, "2026-11-25 10:00", "2026-11-27 18:00", resident_id=7)
    stream.check_in(loan, tab2, "2026-11-27 10:00", resident_id=7)
    stream.lend(stream.tab1, stream.vilar, "2026-11-27 14:00", "2026-11-28 18:00", resident_id=8)
    entry = stream.join_waiting_list(stream.vilar, stream.tablet, "2026-11-24 10:00")
    stream.leave_waiting_list(entry, "2026-11-26 10:00")
    stream.join_waiting_list(stream.vilar, stream.tablet, "2026-11-26 11:00", resident_id=9)
    stream.unmet(stream.vilar, stream.tablet, 4, "2026-11-25 09:00")
    stream.status(tab2, "available", "lost", "2026-11-28 10:00")
    return first


def every_report(events):
    history = History.from_events(events)
    hours = {1: SiteHours(JEAN_VILAR_HOURS)}
    as_of = local("2026-12-10 12:00")
    return (
        [
            analytics.utilisation(history, WEEK, hours, by=by, step=step)
            for by in analytics.GROUPINGS
            for step in analytics.STEPS
        ],
        analytics.idle_items(history, as_of, idle_days=5),
        analytics.overdue_and_lost(history, WEEK, as_of),
        analytics.activity(history, WEEK, by_site=True, by_category=True),
        analytics.unmet_demand(history, WEEK),
        analytics.peak_in_use(history, WEEK),
    )


def test_repeated_and_reordered_events_give_the_same_figures(world):
    busy_week(world)
    expected = every_report(world.events)
    shuffled = world.events + random.Random(4).sample(world.events, 8)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert every_report(shuffled) == expected


def test_an_item_nobody_used_for_the_threshold_is_idle_the_idlest_first(world):
    busy = world.item("JV-TAB-002", world.tablet, world.centre, world.vilar)
    never = world.item("JV-TAB-003", world.tablet, world.centre, world.vilar, at="2026-10-01 09:00")
    world.reserve([world.tab1], world.vilar, "2026-11-02 09:00", "2026-11-02 12:00")
    world.reserve([busy], world.vilar, "2026-11-30 09:00", "2026-11-30 12:00")
    on_loan = world.item("JV-TAB-004", world.tablet, world.centre, world.vilar)
    world.lend(on_loan, world.vilar, "2026-10-01 10:00", "2026-10-15 18:00")
    idle = analytics.idle_items(
        History.from_events(world.events), local("2026-12-10 12:00"), idle_days=30
    )
    assert [(i.item_id, i.days_idle) for i in idle] == [(never, 70), (world.tab1, 38)]
    assert idle[1].last_used_at == local("2026-11-02 12:00").astimezone(UTC)


def test_overdue_loans_and_lost_items_are_listed(world):
    late = world.lend(world.tab1, world.vilar, "2026-11-02 10:00", "2026-11-16 18:00")
    tab2 = world.item("JV-TAB-002", world.tablet, world.centre, world.vilar)
    gone = world.lend(tab2, world.vilar, "2026-11-02 10:00", "2026-11-16 18:00")
    world.lose(gone, tab2, "2026-11-25 11:00")
    report = analytics.overdue_and_lost(
        History.from_events(world.events), WEEK, local("2026-11-26 19:00")
    )
    assert [(o.loan_id, o.days_overdue) for o in report.overdue] == [(late, 10)]
    assert [(lost.item_id, lost.loan_id) for lost in report.lost] == [(tab2, gone)]


def test_activity_counts_loans_reservations_and_distinct_residents_per_week(world):
    busy_week(world)
    world.lend(world.tab1, world.vilar, "2026-11-30 14:00", "2026-12-14 18:00", resident_id=7)
    period = Period(date(2026, 11, 23), date(2026, 12, 6), PARIS)
    rows = {
        row.week: (row.loans, row.reservations, row.residents_served)
        for row in analytics.activity(History.from_events(world.events), period)
    }
    assert rows == {
        date(2026, 11, 23): (2, 1, 2),
        date(2026, 11, 30): (1, 0, 1),
        None: (3, 1, 2),
    }  # resident 7 borrowed in both weeks: served once


def test_unmet_demand_counts_refusals_and_who_is_still_waiting(world):
    busy_week(world)
    [row] = analytics.unmet_demand(History.from_events(world.events), WEEK)
    assert (row.site_id, row.category_id) == (world.vilar, world.tablet)
    assert (row.requests, row.quantity, row.joined_waiting_list, row.waiting) == (1, 4, 2, 1)


def test_a_resident_whose_hold_expired_is_no_longer_waiting(world):
    entry = world.join_waiting_list(world.vilar, world.tablet, "2026-11-24 10:00")
    world.add(
        "booking.hold_expired",
        {"entry_id": entry, "resident_id": 1, "item_id": world.tab1},
        "2026-11-27 18:30",
    )
    [row] = analytics.unmet_demand(History.from_events(world.events), WEEK)
    assert (row.joined_waiting_list, row.waiting) == (1, 0)


def test_the_peak_counts_items_in_use_at_the_same_moment(world):
    busy_week(world)
    assert analytics.peak_in_use(History.from_events(world.events), WEEK) == {
        (world.vilar, world.tablet): 2
    }


def test_a_loan_over_the_night_clocks_go_forward_counts_the_opening_hours_it_covers():
    # Clocks go forward in Paris at 02:00 on Sunday 29 March 2026.
    stream = Stream()
    partner = stream.partner("mairie")
    site = stream.site("mairie", partner)
    item = stream.item("M-PC-001", stream.category("laptop"), partner, site)
    loan = stream.lend(item, site, "2026-03-28 11:00", "2026-04-11 12:00")
    stream.check_in(loan, item, "2026-03-29 10:30")
    weekend = Period(date(2026, 3, 28), date(2026, 3, 29), PARIS)
    hours = {site: SiteHours({"saturday": [["09:00", "12:00"]], "sunday": [["09:00", "12:00"]]})}
    [row] = analytics.utilisation(
        History.from_events(stream.events), weekend, hours, by="item", step="day"
    )
    assert [(p.open_hours, p.used_hours) for p in row.series] == [(3, 1), (3, 1.5)]
