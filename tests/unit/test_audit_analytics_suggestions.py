"""Rebalancing suggestions: idle devices at one site, unmet demand at another."""

from datetime import date

import pytest

from services.audit import suggestions
from services.audit.analytics import History, Period, SiteHours
from tests.unit.audit_stream import JEAN_VILAR_HOURS, PARIS, Stream, local

AUTUMN = Period(date(2026, 9, 1), date(2026, 11, 30), PARIS)
AS_OF = local("2026-11-30 23:00")


@pytest.fixture
def town():
    stream = Stream()
    stream.centre, stream.espace = stream.partner("centre-social"), stream.partner("mistral")
    stream.vilar = stream.site("jean-vilar", stream.centre)
    stream.mistral = stream.site("mistral", stream.espace)
    stream.tablet = stream.category("tablet")
    stream.vilar_tablets = [
        stream.item(f"JV-TAB-{n}", stream.tablet, stream.centre, stream.vilar) for n in range(2)
    ]
    stream.mistral_tablets = [
        stream.item(f"MI-TAB-{n}", stream.tablet, stream.espace, stream.mistral) for n in range(6)
    ]
    stream.hours = {
        stream.vilar: SiteHours(JEAN_VILAR_HOURS, name="Centre Jean Vilar"),
        stream.mistral: SiteHours(JEAN_VILAR_HOURS, name="Espace Frédéric Mistral"),
    }
    return stream


def suggest(stream):
    return suggestions.suggest(History.from_events(stream.events), AUTUMN, AS_OF, stream.hours)


def test_idle_tablets_are_proposed_where_requests_were_refused(town):
    town.reserve(town.vilar_tablets, town.vilar, "2026-11-24 09:00", "2026-11-24 12:00")
    town.unmet(town.vilar, town.tablet, 3, "2026-11-25 09:00")
    town.join_waiting_list(town.vilar, town.tablet, "2026-11-25 10:00")
    [proposal] = suggest(town)
    assert proposal.reason == "move 4 tablets from Espace Frédéric Mistral to Centre Jean Vilar"
    assert (proposal.from_site_id, proposal.to_site_id) == (town.mistral, town.vilar)
    assert len(proposal.item_ids) == 4
    assert proposal.figures["target_waiting"] == 1
    assert proposal.figures["target_largest_request"] == 3
    assert proposal.figures["source_idle_items"] == 6
    assert proposal.figures["source_utilisation"] == 0.0


def test_the_idlest_devices_move_first(town):
    town.reserve(town.vilar_tablets, town.vilar, "2026-11-24 09:00", "2026-11-24 12:00")
    used_recently, used_long_ago = town.mistral_tablets[0], town.mistral_tablets[1]
    town.reserve([used_recently], town.mistral, "2026-10-20 09:00", "2026-10-20 12:00")
    town.reserve([used_long_ago], town.mistral, "2026-09-08 09:00", "2026-09-08 12:00")
    town.unmet(town.vilar, town.tablet, 5, "2026-11-25 09:00")
    [proposal] = suggest(town)
    # Five may go (one was in use at a time): the four never used, then the one used longest ago.
    assert len(proposal.item_ids) == 5
    assert proposal.item_ids[-1] == used_long_ago
    assert used_recently not in proposal.item_ids
    assert proposal.figures["source_most_days_idle"] > proposal.figures["source_least_days_idle"]


def test_a_site_keeps_as_many_devices_as_it_once_used_at_the_same_time(town):
    town.reserve(town.vilar_tablets, town.vilar, "2026-11-24 09:00", "2026-11-24 12:00")
    town.reserve(town.mistral_tablets[:4], town.mistral, "2026-09-15 09:00", "2026-09-15 12:00")
    town.unmet(town.vilar, town.tablet, 10, "2026-11-25 09:00")
    [proposal] = suggest(town)
    assert len(proposal.item_ids) == 2
    assert proposal.figures["source_peak_in_use"] == 4


def test_nothing_is_proposed_when_no_demand_went_unmet(town):
    assert suggest(town) == []


def test_a_site_with_idle_devices_of_its_own_is_sent_only_what_they_cannot_cover(town):
    # Jean Vilar's two tablets sat idle all autumn; five were asked for at once.
    town.unmet(town.vilar, town.tablet, 5, "2026-11-25 09:00")
    [proposal] = suggest(town)
    assert len(proposal.item_ids) == 3
    assert proposal.figures["target_idle_items"] == 2


def test_a_suggestion_carries_what_accepting_it_takes(town):
    town.unmet(town.vilar, town.tablet, 4, "2026-11-25 09:00")
    [proposal] = suggest(town)
    payload = proposal.as_payload(b"key")
    assert set(payload) == {
        "item_ids",
        "to_site_id",
        "reason",
        "from_site_id",
        "category_id",
        "figures",
        "signature",
    }
    assert all(isinstance(value, (int, float)) for value in payload["figures"].values())
