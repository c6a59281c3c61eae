"""The year the utilisation benchmark computes is made of real events: each one
keeps its contract, so the figure measures what the audit service would read."""

import json
from datetime import date

from bench import utilisation_year as bench
from partanum.events import read_event, require
from services.audit import analytics
from services.audit.analytics import History, Period
from services.booking import events as booking_events
from services.inventory import events as inventory_events

require(booking_events, inventory_events)


def test_every_event_of_the_benchmark_year_keeps_its_contract_and_comes_in_time_order():
    bodies, site_hours = bench.year_of_events(200)
    envelopes = [json.loads(body) for body in bodies]
    moments = [read_event(envelope).occurred_at for envelope in envelopes]
    assert moments == sorted(moments)
    assert {e["type"] for e in envelopes} >= {
        "booking.reservation_created",
        "booking.reservation_cancelled",
        "booking.loan_checked_out",
        "booking.loan_checked_in",
        "booking.demand_unmet",
    }
    assert len(site_hours) == len(bench.SITES)


def test_every_site_of_the_benchmark_year_is_used_and_never_beyond_its_open_hours():
    bodies, site_hours = bench.year_of_events(400)
    history = History.from_events(json.loads(body) for body in bodies)
    year = Period(date(bench.YEAR, 1, 1), date(bench.YEAR, 12, 31), bench.ZONE)
    rates = [row.rate for row in analytics.utilisation(history, year, site_hours)]
    assert len(rates) == len(bench.SITES)
    assert all(0 < rate < 1 for rate in rates)
