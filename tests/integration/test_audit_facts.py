"""The facts the reports read (services/audit/facts.py), kept in the transaction
that appends the events, on both databases: the same rows whatever the order, the
repeats and the batches, the same rows as a rebuild from the log, and every report
read from them equal to the analytics' over the history of the log until `as_of`,
as the reports computed it from the whole log."""

from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.events import require
from services.audit import analytics, exports, facts, facts_report, figures, log, suggestions
from services.audit import events as audit_events
from services.audit.analytics import History, Period, SiteHours
from services.audit.facts import TABLES
from services.audit.models import FactEntry, FactItemUses
from tests.integration.test_audit_figures import (
    AUTUMN,
    CHRISTMAS,
    MISTRAL_HOURS,
    append,
    autumn_at_two_sites,
    shuffled,
    undoing_last,
)
from tests.unit.audit_stream import JEAN_VILAR_HOURS, PARIS, local

require(audit_events)  # an erasure appends audit.payloads_erased

HOURS = {1: SiteHours(JEAN_VILAR_HOURS, CHRISTMAS, "jean-vilar"), 2: SiteHours(MISTRAL_HOURS)}
MID_NOVEMBER = Period(date(2026, 11, 10), date(2026, 11, 20), PARIS)
# Before some cancellations, returns, renewals and losses; after them; after everything.
MOMENTS = ("2026-11-12 09:30", "2026-12-10 12:00", "2027-01-10 12:00")


@pytest.fixture
def session(database_url, engine_for):
    migrate.upgrade("audit", database_url)
    with Session(engine_for(database_url)) as session:
        yield session


def a_season():
    """autumn_at_two_sites, and laptops nobody borrows at Mistral while Jean Vilar
    refuses laptops and keeps a waiting list; residents borrowing more than once, a
    renewal, an overdue loan, a tablet declared lost and found again."""
    s = autumn_at_two_sites()
    centre, mistral_partner = 1, 2
    vilar, mistral = 1, 2
    tablet, laptop = 1, s.category("laptop")
    laptops = [s.item(f"MI-LAP-{n}", laptop, mistral_partner, mistral) for n in range(4)]
    late = s.item("JV-LAP-9", laptop, centre, vilar, at="2026-12-01 09:00")
    first = s.lend(late, vilar, "2026-12-01 10:00", "2026-12-08 18:00", resident_id=2)
    s.add(
        "booking.loan_renewed",
        {
            "loan_id": first,
            "item_id": late,
            "resident_id": 2,
            "due_at": local("2026-12-15 18:00"),
            "renewals": 1,
        },
        "2026-12-07 10:00",
    )
    s.check_in(first, late, "2026-12-14 16:00", resident_id=2)
    s.lend(late, vilar, "2026-12-15 10:00", "2026-12-22 18:00", resident_id=3)  # overdue
    s.lend(laptops[0], mistral, "2026-11-02 14:00", "2026-11-09 18:00", resident_id=2)
    s.unmet(vilar, laptop, 3, "2026-11-12 10:00")
    s.unmet(vilar, laptop, 1, "2026-11-19 10:00")
    s.unmet(None, None, 2, "2026-11-26 10:00")
    waiting = s.join_waiting_list(vilar, laptop, "2026-11-12 10:05", resident_id=4)
    s.join_waiting_list(vilar, laptop, "2026-11-13 11:00", resident_id=5)
    s.join_waiting_list(mistral, tablet, "2026-11-18 11:00", resident_id=6)
    s.leave_waiting_list(waiting, "2026-12-03 12:00", resident_id=4)
    s.status(3, "available", "lost", "2026-11-14 15:00")
    s.status(3, "lost", "available", "2026-11-27 15:00")
    return s


def stored(session):
    return [
        sorted(tuple(getattr(row, c.key) for c in table.__table__.columns) for row in rows)
        for table in (
            FactEntry,
            FactItemUses,
            *(table for tables in TABLES.values() for table in tables),
        )
        for rows in (session.scalars(select(table)),)
    ]


def until(events, as_of: datetime) -> History:
    """The history as the reports built it: the events that occurred by `as_of`."""
    return History.from_events(
        e for e in events if datetime.fromisoformat(e["occurred_at"]) <= as_of
    )


@pytest.mark.parametrize(("order", "batch"), [(shuffled, 1), (shuffled, 7), (undoing_last, 50)])
def test_shuffled_repeated_batches_give_the_facts_of_a_rebuild(session, order, batch):
    append(session, order(a_season().events, batch), batch)
    incremental = stored(session)
    assert all(incremental)  # every kind of fact was written

    facts.rebuild(session, PARIS)
    session.commit()
    assert stored(session) == incremental


@pytest.mark.parametrize("order", [shuffled, undoing_last])
def test_each_report_from_the_facts_is_the_analytics_one_of_the_log_until_as_of(session, order):
    events = a_season().events
    append(session, order(events, 5), 5)
    for moment in MOMENTS:
        as_of = local(moment)
        history = until(events, as_of)
        for days in (1, 20):
            assert facts_report.idle_items(session, as_of, days) == analytics.idle_items(
                history, as_of, days
            )
        for period in (AUTUMN, MID_NOVEMBER):
            assert facts_report.overdue_and_lost(
                session, period, as_of
            ) == analytics.overdue_and_lost(history, period, as_of)
            assert facts_report.unmet_demand(session, period, as_of) == analytics.unmet_demand(
                history, period, as_of
            )
            for by_site in (False, True):
                for by_category in (False, True):
                    assert facts_report.activity(
                        session, period, as_of, by_site, by_category
                    ) == analytics.activity(history, period, by_site, by_category)


def test_the_idle_summary_counts_every_idle_device_and_gives_the_idlest(session):
    """What the managers' page shows: the few idlest of all (or of one site's) and how
    many there are, as the whole list from the log has them."""
    events = a_season().events
    append(session, shuffled(events, 5), 5)
    for moment in MOMENTS:
        as_of = local(moment)
        idle = analytics.idle_items(until(events, as_of), as_of, 20)
        assert facts_report.idle_summary(session, as_of, 20, None, 2) == (len(idle), idle[:2])
        for site_id in {item.site_id for item in idle}:
            there = [item for item in idle if item.site_id == site_id]
            assert facts_report.idle_summary(session, as_of, 20, site_id, 1) == (
                len(there),
                there[:1],
            )
    assert len(idle) > 2


def test_a_device_idle_since_its_last_real_use_whatever_came_after(session):
    """When each device was last used, as kept per device once everything about its
    uses lies in the past, and as worked out before: a cancelled reservation, a
    device taken out of its reservation and a return at the moment of checkout are
    no use; a loan still out is a use until now."""
    s = a_season()
    laptop = s.category("spare-laptop")
    cancelled, withdrawn, unused, out = (
        s.item(f"MI-SPARE-{n}", laptop, 2, 2, at="2026-10-01 09:00") for n in range(4)
    )
    for item in (cancelled, withdrawn, unused):
        loan = s.lend(item, 2, "2026-10-05 10:00", "2026-10-06 18:00", resident_id=7)
        s.check_in(loan, item, "2026-10-06 17:00", resident_id=7)
    later = s.reserve([cancelled], 2, "2026-11-20 09:00", "2026-11-20 12:00", at="2026-11-02 10:00")
    s.cancel(later, "2026-11-03 10:00")
    swapped = s.reserve(
        [withdrawn], 2, "2026-11-21 09:00", "2026-11-21 12:00", at="2026-11-02 10:00"
    )
    s.add(
        "booking.reservation_item_withdrawn",
        {
            "reservation_id": swapped,
            "item_id": withdrawn,
            "replacement_item_id": None,
            "partner_id": 1,
        },
        "2026-11-04 10:00",
    )
    at_once = s.lend(unused, 2, "2026-11-22 10:00", "2026-11-29 18:00", resident_id=8)
    s.check_in(at_once, unused, "2026-11-22 10:00", resident_id=8)
    s.lend(out, 2, "2026-10-07 10:00", "2026-10-14 18:00", resident_id=9)
    events = s.events
    append(session, shuffled(events, 3), 4)

    for moment in ("2026-11-21 10:00", "2027-01-10 12:00"):  # before and after it settled
        as_of = local(moment)
        expected = analytics.idle_items(until(events, as_of), as_of, 20)
        assert facts_report.idle_items(session, as_of, 20) == expected
        idle = {item.asset_tag: item for item in expected}
        assert {"MI-SPARE-0", "MI-SPARE-1", "MI-SPARE-2"} <= set(idle)
        assert "MI-SPARE-3" not in idle  # still out
        assert idle["MI-SPARE-0"].days_idle == (as_of - local("2026-10-06 17:00")).days


def test_the_reports_say_something(session):
    """The comparisons above are not between empty answers."""
    events = a_season().events
    append(session, events, 10)
    as_of = local("2026-12-10 12:00")
    missing = facts_report.overdue_and_lost(session, AUTUMN, as_of)
    assert [o.asset_tag for o in missing.overdue] == ["MI-LAP-0"]
    assert {i.asset_tag for i in missing.lost} == {"JV-TAB-002", "MI-TAB-003"}
    [total] = [a for a in facts_report.activity(session, AUTUMN, as_of) if a.week is None]
    assert (total.loans, total.residents_served) == (4, 2)
    unmet = facts_report.unmet_demand(session, AUTUMN, as_of)
    assert [(u.site_id, u.requests, u.joined_waiting_list, u.waiting) for u in unmet] == [
        (None, 1, 0, 0),
        (1, 2, 2, 1),
        (2, 0, 1, 1),
    ]
    assert len(facts_report.idle_items(session, as_of, 20)) >= 4


def test_suggestions_and_open_data_from_the_facts_are_those_of_the_log(session):
    """At a moment after every event (the utilisation they quote is the figures')."""
    events = a_season().events
    append(session, shuffled(events, 11), 3)
    as_of = local(MOMENTS[-1])
    history = until(events, as_of)
    expected = suggestions.suggest(history, AUTUMN, as_of, HOURS, 20)
    assert [s.reason for s in expected] == ["move 3 laptops from mistral to jean-vilar"]
    assert facts_report.suggest(session, AUTUMN, as_of, HOURS, 20) == expected
    assert facts_report.peak_in_use(session, AUTUMN, as_of) == analytics.peak_in_use(
        history, AUTUMN
    )
    assert facts_report.open_data(session, AUTUMN, as_of, 2) == exports.open_data(
        history, AUTUMN, HOURS, 2
    )


def test_an_erasure_takes_the_residents_loans_and_places_out_of_the_facts(session):
    events = a_season().events
    append(session, events, 10)
    for resident_id in (1, 4):  # as record_events does: the figures and facts follow
        figures.update(session, log.erase_payloads(session, resident_id, "staff:1"), PARIS)
    session.commit()
    erased = stored(session)

    facts.rebuild(session, PARIS)
    session.commit()
    assert stored(session) == erased
    as_of = local(MOMENTS[-1])
    left = History.from_events(log.events(session))
    assert {loan.resident_id for loan in left.loans.values()} == {2, 3}
    assert facts_report.activity(session, AUTUMN, as_of, True) == analytics.activity(
        left, AUTUMN, True
    )
    assert facts_report.unmet_demand(session, AUTUMN, as_of) == analytics.unmet_demand(
        left, AUTUMN, as_of
    )


def test_migrating_a_log_already_there_gives_it_its_facts(database_url, engine_for):
    from alembic import command

    from partanum.migrate import alembic_config

    engine = engine_for(database_url)
    with engine.connect() as connection:
        config = alembic_config("audit", database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0004_audit_figures")
        connection.commit()
    with Session(engine) as session:
        log.append_many(session, a_season().events)
        session.commit()

    migrate.upgrade("audit", database_url)

    with Session(engine) as session:
        migrated = stored(session)
        assert all(migrated)
        facts.rebuild(session, PARIS)
        session.commit()
        assert stored(session) == migrated
