"""Partner staff reserving through the running services, on both databases: kits,
alternatives instead of a bare refusal, sharing caps, weekly series around a
closure, pickup and return, no-shows released, and items withdrawn by the
inventory replaced in the reservations that held them."""

from datetime import datetime, time, timedelta

import eventlet
import pytest
from sqlalchemy import text

from partanum.dependencies import Database, Transaction
from services.booking import reservations
from services.booking.exceptions import NotAvailable, NotShared
from tests.integration.helpers import call, lock_waits, next_tuesday, register_network, tablet
from tests.waiting import wait_until

MISTRAL_HOURS = {"tuesday": [["13:00", "18:00"]], "thursday": [["13:00", "18:00"]]}
MISTRAL_HOURS_SQL = "SELECT opening_hours FROM sites WHERE code = 'mistral'"


def tuesday(hour, minute=0, weeks=0):
    return (next_tuesday(time(hour, minute)) + timedelta(weeks=weeks)).isoformat()


TUESDAY_AFTERNOON = {"starts_at": tuesday(14), "ends_at": tuesday(17)}


def booking_tx(container) -> Transaction:
    """A transaction of the running booking service, as its scheduled jobs get one:
    on SQLite a second engine would wait for the file lock and block the hub."""
    database = next(d for d in container.dependencies if isinstance(d, Database))
    return Transaction(database.sessions(), "booking", "system", database.relay_loop.wake)


def scalar(container, sql, **params):
    with booking_tx(container) as tx:
        return tx.session.execute(text(sql), params).scalar()


@pytest.fixture
def network(inventory, booking):
    """Jean Vilar owns JV-TAB-001..003 at its site, Mistral owns MI-TAB-001..003 at
    its own; both sites open on Tuesday afternoons. Waits for booking's copy."""
    register_network(inventory)
    call(inventory, "set_opening_hours", "mistral", {"opening_hours": MISTRAL_HOURS})
    for n in range(1, 4):
        call(inventory, "register_item", tablet(f"JV-TAB-00{n}"))
        call(
            inventory,
            "register_item",
            tablet(f"MI-TAB-00{n}", owner="mistral", home_site="mistral"),
        )
    partners = {p["code"]: p["id"] for p in call(inventory, "list_partners")}
    container, _url = booking

    wait_until(
        lambda: (
            scalar(container, "SELECT count(*) FROM items") == 6
            and scalar(container, "SELECT count(*) FROM sites") == 2
        ),
        what="booking's copy of the inventory",
    )
    wait_until(
        lambda: "tuesday" in str(scalar(container, MISTRAL_HOURS_SQL)),
        what="Mistral's hours in booking's copy",
    )
    return {
        "booking": container,
        "jean_vilar": partners["jean-vilar"],
        "mistral": partners["mistral"],
        "tablet": call(inventory, "list_categories")[0]["id"],
    }


def tablets(network, partner="jean_vilar", quantity=1, site="jean-vilar", **window):
    return {
        "partner_id": network[partner],
        "site": site,
        "category_id": network["tablet"],
        "quantity": quantity,
        **(window or TUESDAY_AFTERNOON),
    }


def test_a_kit_is_reserved_whole_or_not_at_all(network, inventory, events_seen):
    booking = network["booking"]
    call(
        inventory,
        "register_kit",
        {"code": "jv-atelier", "name": "Kit atelier", "asset_tags": ["JV-TAB-001", "JV-TAB-002"]},
    )
    wait_until(lambda: scalar(booking, "SELECT count(*) FROM kits") == 1, what="the kit in booking")
    unmet = events_seen("booking.demand_unmet")
    kit = {
        "partner_id": network["jean_vilar"],
        "site": "jean-vilar",
        "kit": "jv-atelier",
        **TUESDAY_AFTERNOON,
    }

    reserved = call(booking, "reserve", kit)

    assert reserved["asset_tags"] == ["JV-TAB-001", "JV-TAB-002"]
    with pytest.raises(NotAvailable) as refused:
        call(booking, "reserve", {**kit, "partner_id": network["mistral"]})
    assert refused.value.details["busy"] == ["JV-TAB-001", "JV-TAB-002"]
    (event,) = unmet.wait(1)
    assert event["data"]["quantity"] == 2
    # Half of it is enough to refuse the kit.
    call(booking, "cancel_reservation", reserved["id"])
    call(booking, "reserve", tablets(network, quantity=1))
    with pytest.raises(NotAvailable):
        call(booking, "reserve", kit)


def test_a_refusal_offers_other_sites_and_the_nearest_later_windows(network, events_seen):
    booking = network["booking"]
    unmet = events_seen("booking.demand_unmet")
    call(booking, "reserve", tablets(network, quantity=3))

    with pytest.raises(NotAvailable) as refused:
        call(booking, "reserve", tablets(network, quantity=2))

    alternatives = refused.value.details["alternatives"]
    assert alternatives["other_sites"] == [{"site": "mistral", "free": 3}]
    # Tuesday afternoon is held until 17:00 and then charging: Jean Vilar's next
    # opening that fits three hours is the following Monday afternoon.
    assert [
        (datetime.fromisoformat(w["starts_at"]), datetime.fromisoformat(w["ends_at"]))
        for w in alternatives["other_windows"]
    ] == [
        (_monday(13, 30), _monday(16, 30)),
        (_monday(14), _monday(17)),
        (_monday(14, 30), _monday(17, 30)),
    ]
    (event,) = unmet.wait(1)
    assert event["data"]["quantity"] == 2 and event["data"]["category_id"] == network["tablet"]
    # What was offered can be booked.
    call(booking, "reserve", tablets(network, quantity=2, **alternatives["other_windows"][0]))
    call(booking, "reserve", tablets(network, quantity=2, site="mistral"))


def _monday(hour, minute=0):
    """The Monday after next Tuesday."""
    return next_tuesday(time(hour, minute)) + timedelta(days=6)


def test_a_partner_takes_at_most_the_owners_cap_of_its_shared_items(network):
    booking = network["booking"]
    call(
        booking,
        "set_sharing_rule",
        {
            "partner_id": network["mistral"],
            "category_id": network["tablet"],
            "shared": True,
            "max_per_reservation": 2,
        },
    )
    ask = {"category_id": network["tablet"], "site": "mistral", **TUESDAY_AFTERNOON}

    seen = call(booking, "availability", {**ask, "partner_id": network["jean_vilar"]})
    assert (seen["free"], seen["sites"][0]["reservable"]) == (3, 2)
    with pytest.raises(NotAvailable):
        call(booking, "reserve", tablets(network, quantity=3, site="mistral"))
    with pytest.raises(NotShared) as refused:
        call(
            booking,
            "reserve",
            {
                "partner_id": network["jean_vilar"],
                "site": "mistral",
                "asset_tags": ["MI-TAB-001", "MI-TAB-002", "MI-TAB-003"],
                **TUESDAY_AFTERNOON,
            },
        )
    assert refused.value.details["over_cap"] == ["MI-TAB-003"]

    taken = call(booking, "reserve", tablets(network, quantity=2, site="mistral"))

    assert taken["asset_tags"] == ["MI-TAB-001", "MI-TAB-002"]
    # Its owner keeps the last one for itself; its own items are always its own.
    call(booking, "set_item_shareable", {"asset_tag": "MI-TAB-003", "shareable": False})
    assert call(booking, "availability", {**ask, "partner_id": network["jean_vilar"]})["free"] == 0
    assert call(booking, "reserve", tablets(network, "mistral", site="mistral"))["asset_tags"] == [
        "MI-TAB-003"
    ]
    # A partner that stops sharing is out of everyone else's searches.
    call(booking, "set_sharing_rule", {"partner_id": network["jean_vilar"], "shared": False})
    everywhere = call(
        booking,
        "availability",
        {"category_id": network["tablet"], "partner_id": network["mistral"], **TUESDAY_AFTERNOON},
    )
    assert everywhere["free"] == 0


def test_a_weekly_series_around_a_closure_books_each_week_it_can(network, inventory, events_seen):
    booking = network["booking"]
    closed_day = tuesday(14, weeks=1)[:10]
    call(
        inventory,
        "add_closure",
        "jean-vilar",
        {"starts_on": closed_day, "ends_on": closed_day, "reason": "formation"},
    )
    closures = "SELECT closures FROM sites WHERE code = 'jean-vilar'"
    wait_until(
        lambda: closed_day in str(scalar(booking, closures)), what="the closure in booking's copy"
    )
    unmet = events_seen("booking.demand_unmet")
    weekly = {**tablets(network, quantity=2), "until": tuesday(14, weeks=3)[:10]}

    with pytest.raises(NotAvailable) as refused:
        call(booking, "reserve_weekly", weekly)
    assert [week["date"] for week in refused.value.details["unavailable"]] == [closed_day]
    assert unmet.wait(1)[0]["data"]["starts_at"][:10] == closed_day
    assert scalar(booking, "SELECT count(*) FROM reservations") == 0

    made = call(booking, "reserve_weekly", {**weekly, "skip_unavailable": True})

    booked = made["reservations"]
    assert [r["starts_at"][:10] for r in booked] == [tuesday(14, weeks=w)[:10] for w in (0, 2, 3)]
    assert [skip["date"] for skip in made["skipped"]] == [closed_day]
    assert all(r["series_id"] == made["series"]["id"] and len(r["asset_tags"]) == 2 for r in booked)
    # One occurrence, then the rest of the series from a date on.
    assert call(booking, "cancel_reservation", booked[1]["id"])["status"] == "cancelled"
    cancelled = call(
        booking, "cancel_series", made["series"]["id"], {"from": tuesday(14, weeks=1)[:10]}
    )
    assert cancelled["cancelled"] == [booked[2]["id"]]
    assert call(booking, "get_reservation", booked[0]["id"])["status"] == "confirmed"
    assert (
        call(booking, "cancel_series", made["series"]["id"], {"from": closed_day})["cancelled"]
        == []
    )


def test_reservations_nobody_picks_up_are_released_and_returns_free_items_early(
    network, events_seen
):
    booking = network["booking"]
    released = events_seen("booking.reservation_released")
    collected = call(booking, "reserve", tablets(network, quantity=2))
    forgotten = call(booking, "reserve", tablets(network, quantity=1))
    later = {"starts_at": tuesday(16), "ends_at": tuesday(18)}

    assert call(booking, "pick_up", collected["id"])["status"] == "picked_up"
    assert not set(collected["asset_tags"]) & set(_free_tags(network, later))
    returned = call(booking, "return_reservation", collected["id"])

    assert returned["status"] == "returned" and returned["returned_at"]
    assert set(collected["asset_tags"]) <= set(_free_tags(network, later))

    grace_passed = next_tuesday(time(14, 31))
    for attempt in range(2):  # the job may run twice: the second time changes nothing
        with booking_tx(booking) as tx:
            ids = reservations.release_no_shows(tx, grace_passed, timedelta(minutes=30))
            tx.commit()
        assert ids == ([forgotten["id"]] if attempt == 0 else [])

    (event,) = released.wait(1)
    assert event["data"]["reservation_id"] == forgotten["id"]
    assert call(booking, "get_reservation", forgotten["id"])["status"] == "released"
    assert forgotten["asset_tags"][0] in _free_tags(network, TUESDAY_AFTERNOON)


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_two_replicas_ticking_at_once_release_a_missed_reservation_once(
    network, booking, events_seen, engine_for
):
    """Every replica of the booking runs the no-show timer: the second tick, waiting
    for the first's locks, finds the reservation released and does nothing. On
    PostgreSQL only: SQLite's writers never overlap (BEGIN IMMEDIATE), and its lock
    wait would block this process's hub."""
    container, url = booking
    released = events_seen("booking.reservation_released")
    forgotten = call(container, "reserve", tablets(network, quantity=1))
    grace_passed = next_tuesday(time(14, 31))
    grace = timedelta(minutes=30)

    def other_replica():
        with booking_tx(container) as tx:
            ids = reservations.release_no_shows(tx, grace_passed, grace)
            tx.commit()
            return ids

    with booking_tx(container) as first:
        assert reservations.release_no_shows(first, grace_passed, grace) == [forgotten["id"]]
        second = eventlet.spawn(other_replica)
        engine = engine_for(url)
        wait_until(lambda: lock_waits(engine) == 1, what="the second tick waiting for the lock")
        first.commit()

    assert second.wait() == []
    (event,) = released.wait(1)
    assert event["data"]["reservation_id"] == forgotten["id"]


def _free_tags(network, window):
    return call(
        network["booking"],
        "availability",
        {"category_id": network["tablet"], "site": "jean-vilar", **window},
    )["asset_tags"]


def test_an_item_leaving_service_is_replaced_in_the_reservations_holding_it(
    network, inventory, events_seen
):
    booking = network["booking"]
    withdrawn = events_seen("booking.reservation_item_withdrawn")
    reservation = call(booking, "reserve", tablets(network, quantity=2))
    assert reservation["asset_tags"] == ["JV-TAB-001", "JV-TAB-002"]

    call(inventory, "change_status", "JV-TAB-001", {"status": "in_maintenance", "reason": "écran"})

    (event,) = withdrawn.wait(1)
    ids = {i["asset_tag"]: i["id"] for i in call(inventory, "list_items")}
    assert event["data"] == {
        "reservation_id": reservation["id"],
        "item_id": ids["JV-TAB-001"],
        "replacement_item_id": ids["JV-TAB-003"],
        "partner_id": network["jean_vilar"],
    }
    now = call(booking, "get_reservation", reservation["id"])
    assert now["asset_tags"] == ["JV-TAB-002", "JV-TAB-003"]
    assert "JV-TAB-001" in now["attention"] and "JV-TAB-003" in now["attention"]

    call(inventory, "change_status", "JV-TAB-002", {"status": "lost", "reason": "disparue"})

    assert withdrawn.wait(2)[1]["data"]["replacement_item_id"] is None
    now = call(booking, "get_reservation", reservation["id"])
    assert now["asset_tags"] == ["JV-TAB-003"] and "no replacement" in now["attention"]


def test_a_new_closure_flags_the_reservations_it_falls_on(network, inventory, events_seen):
    booking = network["booking"]
    flagged = events_seen("booking.reservation_outside_hours")
    kept = call(
        booking,
        "reserve",
        tablets(network, starts_at=tuesday(14, weeks=1), ends_at=tuesday(17, weeks=1)),
    )
    hit = call(booking, "reserve", tablets(network))
    closed_day = hit["starts_at"][:10]

    call(
        inventory,
        "add_closure",
        "jean-vilar",
        {"starts_on": closed_day, "ends_on": closed_day, "reason": "dégât des eaux"},
    )

    (event,) = flagged.wait(1)
    assert event["data"]["reservation_id"] == hit["id"]
    flagged_now = call(booking, "get_reservation", hit["id"])
    assert flagged_now["status"] == "confirmed"  # staff decide; nothing is cancelled for them
    assert "the site's hours changed" in flagged_now["attention"]
    assert call(booking, "get_reservation", kept["id"])["attention"] is None
