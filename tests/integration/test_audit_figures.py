"""The audit's figures per item and day, kept in the transaction that appends the
events (as record_events does), on both databases: the same rows whatever the
order, the repeats and the batches, the same rows as a rebuild from the log, the
same utilisation as the analytics over the whole log; a past period keeps the
hours its days had."""

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.events import require
from services.audit import analytics, figures, figures_report, log
from services.audit import events as audit_events
from services.audit.analytics import History, Period, SiteHours
from services.audit.models import DailyFigures, ItemDay, ItemRun, ItemStint, SiteHoursEntry
from tests.unit.audit_stream import JEAN_VILAR_HOURS, PARIS, Stream

MISTRAL_HOURS = {"wednesday": [["10:00", "18:00"]], "saturday": [["10:00", "13:00"]]}
AUTUMN = Period(date(2026, 11, 1), date(2026, 12, 31), PARIS)
CHRISTMAS = ((date(2026, 12, 24), date(2026, 12, 26)),)

require(audit_events)  # an erasure appends audit.payloads_erased


@pytest.fixture
def session(database_url, engine_for):
    migrate.upgrade("audit", database_url)
    with Session(engine_for(database_url)) as session:
        yield session


def append(session, envelopes, batch: int):
    """As the service's record_events does, a batch per transaction."""
    for start in range(0, len(envelopes), batch):
        figures.update(session, log.append_many(session, envelopes[start : start + batch]), PARIS)
        session.commit()


def stored(session):
    return [
        sorted(tuple(getattr(row, c.key) for c in table.__table__.columns) for row in rows)
        for table in (ItemRun, ItemDay, SiteHoursEntry, DailyFigures, ItemStint)
        for rows in (session.scalars(select(table)),)
    ]


def autumn_at_two_sites():
    """Two sites, three tablets: reservations (one cancelled, one released, one
    brought back early, one losing a tablet to maintenance), loans (one returned,
    one lost, one still out), a transfer, a retirement, across the change to winter
    time and Christmas."""
    s = Stream()
    centre, mistral_partner = s.partner("centre-social"), s.partner("mistral")
    vilar = s.site("jean-vilar", centre, hours=JEAN_VILAR_HOURS, closures=CHRISTMAS)
    mistral = s.site("mistral", mistral_partner, hours=MISTRAL_HOURS)
    tablet = s.category("tablet")
    tab1 = s.item("JV-TAB-001", tablet, centre, vilar)
    tab2 = s.item("JV-TAB-002", tablet, centre, vilar)
    tab3 = s.item("MI-TAB-003", tablet, mistral_partner, mistral, at="2026-11-12 11:15")
    s.reserve([tab1, tab2], vilar, "2026-11-03 09:30", "2026-11-03 17:00")
    s.cancel(s.reserve([tab1], vilar, "2026-11-13 09:00", "2026-11-13 12:00"), "2026-11-12 10:00")
    released = s.reserve([tab2], vilar, "2026-11-06 09:00", "2026-11-06 12:00")
    s.release(released, [tab2], "2026-11-06 09:30")
    early = s.reserve([tab1, tab2], vilar, "2026-11-10 09:00", "2026-11-10 18:30")
    s.add(
        "booking.reservation_returned",
        {"reservation_id": early, "partner_id": centre, "item_ids": [tab1, tab2]},
        "2026-11-10 11:00",
    )
    withdrawn = s.reserve([tab1], vilar, "2026-11-17 14:00", "2026-11-17 16:00")
    s.add(
        "booking.reservation_item_withdrawn",
        {
            "reservation_id": withdrawn,
            "item_id": tab1,
            "replacement_item_id": tab2,
            "partner_id": centre,
        },
        "2026-11-16 09:00",
    )
    s.check_in(
        s.lend(tab1, vilar, "2026-10-30 15:00", "2026-11-13 18:00"), tab1, "2026-11-05 10:00"
    )
    s.lose(s.lend(tab2, vilar, "2026-11-20 14:00", "2026-12-04 18:00"), tab2, "2026-12-09 10:00")
    s.transfer(tab1, vilar, mistral, centre, mistral_partner, "2026-11-25 12:00")
    s.lend(tab1, mistral, "2026-12-02 10:30", "2026-12-16 18:00")  # still out
    s.reserve([tab3], mistral, "2026-11-18 10:00", "2026-11-18 18:00")
    s.status(tab3, "available", "retired", "2026-12-12 12:00")
    return s


def shuffled(events, seed: int):
    """The events in a random order, half of them twice."""
    rng = random.Random(seed)
    stream = events + rng.sample(events, len(events) // 2)
    rng.shuffle(stream)
    return stream


def undoing_last(events, seed: int):
    """Shuffled, then every event that ends an earlier one after all the others, and
    the cancellation last of all (it names its reservation only, yet frees its items)."""
    stream = shuffled(events, seed)
    undoing = ("released", "returned", "withdrawn", "checked_in", "lost")
    return sorted(
        stream, key=lambda e: (e["type"].endswith("cancelled"), e["type"].endswith(undoing))
    )


@pytest.mark.parametrize(
    ("order", "batch"), [(shuffled, 1), (shuffled, 7), (undoing_last, 1), (undoing_last, 50)]
)
def test_shuffled_repeated_batches_give_the_rows_of_a_rebuild(session, order, batch):
    append(session, order(autumn_at_two_sites().events, batch), batch)
    incremental = stored(session)
    assert incremental[0] and incremental[1]  # runs and changing days were written

    figures.rebuild(session, PARIS)
    assert stored(session) == incremental


def test_the_figures_give_the_analytics_utilisation_of_the_whole_log(session):
    events = autumn_at_two_sites().events
    append(session, random.Random(3).sample(events, len(events)), 4)
    hours = {1: SiteHours(JEAN_VILAR_HOURS, CHRISTMAS, "jean-vilar"), 2: SiteHours(MISTRAL_HOURS)}
    history = History.from_events(events)
    for by in ("item", "category", "site", "partner"):
        for step in ("day", "week"):
            expected = analytics.utilisation(history, AUTUMN, hours, by=by, step=step)
            assert figures_report.utilisation(session, AUTUMN, by, step) == expected


def test_a_past_period_keeps_the_hours_its_days_had(session):
    s = Stream()
    centre = s.partner("centre-social")
    vilar = s.site("jean-vilar", centre, hours=JEAN_VILAR_HOURS)
    tab1 = s.item("JV-TAB-001", s.category("tablet"), centre, vilar)
    s.reserve([tab1], vilar, "2026-11-24 09:00", "2026-11-24 12:00")
    s.reserve([tab1], vilar, "2026-12-01 09:00", "2026-12-01 12:00")
    # From Monday 30 November, Jean Vilar opens on Tuesday mornings only.
    s.hours_changed(vilar, "jean-vilar", {"tuesday": [["09:00", "12:00"]]}, "2026-11-30 08:00")
    append(session, list(reversed(s.events)), 2)

    before = Period(date(2026, 11, 23), date(2026, 11, 29), PARIS)
    after = Period(date(2026, 11, 30), date(2026, 12, 6), PARIS)
    [week_before] = figures_report.utilisation(session, before, "item")
    [week_after] = figures_report.utilisation(session, after, "item")
    assert (week_before.open_hours, week_before.used_hours) == (34.0, 3.0)
    assert (week_after.open_hours, week_after.used_hours, week_after.rate) == (3.0, 3.0, 1.0)


def test_migrating_a_log_already_there_gives_it_its_figures(database_url, engine_for):
    from alembic import command

    from partanum.migrate import alembic_config

    engine = engine_for(database_url)
    with engine.connect() as connection:
        config = alembic_config("audit", database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0002_audit_payload_digests")
        connection.commit()
    events = autumn_at_two_sites().events
    with Session(engine) as session:
        log.append_many(session, events)
        session.commit()

    migrate.upgrade("audit", database_url)

    with Session(engine) as session:
        migrated = stored(session)
        assert migrated[0] and migrated[1]
        figures.rebuild(session, PARIS)
        assert stored(session) == migrated


def test_an_erasure_takes_the_loans_it_erased_out_of_the_figures(session):
    events = autumn_at_two_sites().events
    append(session, events, 10)
    # As record_events does: the bodies naming resident 1 emptied, the figures follow.
    figures.update(session, log.erase_payloads(session, 1, "staff:1"), PARIS)
    session.commit()
    erased = stored(session)

    figures.rebuild(session, PARIS)
    assert stored(session) == erased
    left = History.from_events(log.events(session))
    assert not left.loans  # every loan of the stream was resident 1's
    hours = {1: SiteHours(JEAN_VILAR_HOURS, CHRISTMAS, "jean-vilar"), 2: SiteHours(MISTRAL_HOURS)}
    expected = analytics.utilisation(left, AUTUMN, hours, by="item")
    assert figures_report.utilisation(session, AUTUMN, "item") == expected


def a_season_told_as_it_happened():
    """Three tablets over autumn, in the order things happened: one lent week after week,
    one reserved a week ahead (a reservation in three cancelled) and then moved to
    Mistral, one idle for two months before a loan it never comes back from, and a
    retirement; the days an event changes are mostly recent, some far back."""
    s = Stream()
    centre, mistral_partner = s.partner("centre-social"), s.partner("mistral")
    vilar = s.site("jean-vilar", centre, hours=JEAN_VILAR_HOURS, closures=CHRISTMAS)
    mistral = s.site("mistral", mistral_partner, hours=MISTRAL_HOURS)
    tablet = s.category("tablet")
    at = "2026-09-01 09:00"
    tab1 = s.item("JV-TAB-001", tablet, centre, vilar, at=at)
    tab2 = s.item("JV-TAB-002", tablet, centre, vilar, at=at)
    tab3 = s.item("JV-TAB-003", tablet, centre, vilar, at=at)
    for week in range(14):
        tuesday = date(2026, 9, 1) + week * timedelta(days=7)
        monday = tuesday + timedelta(days=6)
        loan = s.lend(tab1, vilar, f"{tuesday} 10:00", f"{monday} 18:00")
        s.check_in(loan, tab1, f"{monday} 15:00")
        reserved = s.reserve(
            [tab2],
            vilar,
            f"{tuesday} 14:00",
            f"{tuesday} 17:00",
            at=f"{tuesday - timedelta(days=7)} 11:00",
        )
        if week % 3 == 2:
            s.cancel(reserved, f"{tuesday - timedelta(days=1)} 12:00")
    s.transfer(tab2, vilar, mistral, centre, mistral_partner, "2026-11-18 12:00")
    s.lose(s.lend(tab3, vilar, "2026-11-03 10:00", "2026-11-17 18:00"), tab3, "2026-11-30 10:00")
    s.status(tab1, "available", "retired", "2026-12-08 12:00")
    s.events.sort(key=lambda envelope: datetime.fromisoformat(envelope["occurred_at"]))
    return s


def test_a_season_appended_as_it_happened_gives_the_rows_of_a_rebuild(session):
    append(session, a_season_told_as_it_happened().events, 3)
    incremental = stored(session)
    assert incremental[0] and incremental[1] and incremental[4]

    figures.rebuild(session, PARIS)
    assert stored(session) == incremental
