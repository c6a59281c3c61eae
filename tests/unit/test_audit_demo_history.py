"""The demo's months of history (services/audit/demo.py), read by the audit's own
analytics: the dashboard has figures to show on `make run`, and a suggestion to move
idle tablets to where residents are turned away."""

from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from partanum.events import read_event, require
from services.audit import analytics, demo, suggestions
from services.audit.analytics import History, Period, SiteHours
from services.booking import events as booking_events
from services.inventory import demo as inventory_demo
from services.inventory import events as inventory_events
from tests.demo_network import network

require(booking_events, inventory_events)

ZONE = ZoneInfo("Europe/Paris")
TODAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def history():
    """The demo's events, and what the audit reads from its log: the network registered
    this morning by `make run`, and the demo's history after it."""
    made = demo.history(network(), TODAY, ZONE)
    for envelope in made:
        read_event(envelope)  # each one as its contract says, or InvalidEvent
    this_morning = datetime.combine(TODAY, time(8), ZONE).isoformat()
    registered = [
        {**envelope, "id": f"registered-{n}", "occurred_at": this_morning}
        for n, envelope in enumerate(network())
    ]
    return made, History.from_events(registered + made)


def test_every_event_keeps_its_contract_names_the_demo_and_is_over_by_today(history):
    made, _ = history
    now = datetime.combine(TODAY, time(), ZONE)

    assert {envelope["actor"] for envelope in made} == {"demo:history"}
    assert len({envelope["id"] for envelope in made}) == len(made)
    assert all(datetime.fromisoformat(e["occurred_at"]) < now for e in made)
    assert demo.history(network(), TODAY, ZONE) == made  # the same on every machine
    kinds = Counter(envelope["type"] for envelope in made)
    assert kinds["booking.loan_checked_out"] == kinds["booking.loan_checked_in"] > 100
    assert kinds["booking.reservation_created"] > 20 and kinds["booking.demand_unmet"] > 20


def test_the_dashboard_has_months_to_show_and_a_move_to_suggest(history):
    _, lived = history
    hours = {
        n: SiteHours(site["opening_hours"], (), site["name"])
        for n, site in enumerate(inventory_demo.SITES, 1)
    }
    period = Period(date(2026, 9, 1), date(2026, 11, 30), ZONE)
    as_of = datetime.combine(TODAY, time(9), ZONE).astimezone(UTC)

    by_site = analytics.utilisation(lived, period, hours, by="site")
    proposed = suggestions.suggest(lived, period, as_of, hours)

    assert len({row.key for row in by_site if row.used_hours > 0}) >= 6
    sites = {n: site["code"] for n, site in enumerate(inventory_demo.SITES, 1)}
    moves = {(sites[s.from_site_id], sites[s.to_site_id]) for s in proposed}
    assert ("mistral", "jean-vilar") in moves or ("mistral", "maison-quartier") in moves
