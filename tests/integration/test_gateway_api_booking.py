"""Reservations, residents, loans and waiting lists through the gateway's JSON API,
over real HTTP, RabbitMQ and both databases: each partner sees its own, residents
see theirs, managers read everything but residents' contacts, and who acted
travels into the events."""

import csv
import io
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tests.integration.gateway import sqlite_only
from tests.integration.gateway_network import JEAN_VILAR, MISTRAL, TIMEOUT
from tests.integration.helpers import call, make_overdue
from tests.waiting import wait_until

database_kind = sqlite_only  # see its docstring


def in_days(days):
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def workshop(network, **extra):
    return {"site": "jean-vilar", **network.tuesday, **extra}


def status(client, network, method, path, **kwargs):
    return client.request(method, network.url(path), timeout=TIMEOUT, **kwargs).status_code


# --- reservations -----------------------------------------------------------------------------


def test_a_partner_reserves_laptops_for_a_workshop_and_only_it_and_managers_see_it(network):
    made = network.ok(
        network.jv,
        "POST",
        "/api/reservations",
        201,
        json=workshop(network, category_id=network.laptop_id, quantity=2, note="atelier CV"),
    )

    assert made["partner_id"] == JEAN_VILAR and len(made["asset_tags"]) == 2
    mine = network.ok(network.jv, "GET", "/api/reservations")
    assert [r["id"] for r in mine["items"]] == [made["id"]] and mine["total"] == 1
    assert (
        network.ok(network.manager, "GET", f"/api/reservations/{made['id']}")["note"]
        == "atelier CV"
    )
    assert status(network.mi, network, "GET", f"/api/reservations/{made['id']}") == 404
    assert status(network.mi, network, "POST", f"/api/reservations/{made['id']}/cancel") == 404
    assert network.ok(network.mi, "GET", "/api/reservations")["total"] == 0
    assert (
        network.ok(network.mi, "GET", "/api/reservations", params={"partner_id": JEAN_VILAR})[
            "items"
        ]
        == []
    )
    cancelled = network.ok(network.jv, "POST", f"/api/reservations/{made['id']}/cancel")
    assert cancelled["status"] == "cancelled"


def test_a_reservation_that_cannot_be_met_is_a_409_naming_the_alternatives(network):
    refused = network.jv.post(
        network.url("/api/reservations"),
        timeout=TIMEOUT,
        json=workshop(network, category_id=network.laptop_id, quantity=5),
    )

    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["code"] == "NotAvailable"
    assert {"other_sites", "other_windows"} <= set(problem["details"]["alternatives"])


def test_staff_reserve_only_in_their_own_partners_name(network):
    answer = network.jv.post(
        network.url("/api/reservations"),
        timeout=TIMEOUT,
        json=workshop(network, partner_id=MISTRAL, category_id=network.laptop_id, quantity=1),
    )

    assert answer.status_code == 403
    assert network.ok(network.manager, "GET", "/api/reservations")["total"] == 0


def test_availability_shows_staff_what_their_partner_may_reserve(network):
    query = {"category_id": network.laptop_id, **network.tuesday}

    assert network.ok(network.jv, "GET", "/api/availability", params=query)["free"] == 3
    network.ok(network.jv, "PUT", "/api/sharing-rules", json={"shared": False})
    assert network.ok(network.mi, "GET", "/api/availability", params=query)["free"] == 0
    assert network.ok(network.jv, "GET", "/api/availability", params=query)["free"] == 3


def test_staff_read_their_own_partners_sharing_rules_only(network):
    assert network.ok(network.jv, "GET", "/api/sharing-rules") == []  # all shared, no cap
    network.ok(network.jv, "PUT", "/api/sharing-rules", json={"shared": True})
    capped = {"category_id": network.laptop_id, "shared": True, "max_per_reservation": 2}
    network.ok(network.jv, "PUT", "/api/sharing-rules", json=capped)
    network.ok(network.mi, "PUT", "/api/sharing-rules", json={"shared": False})

    rules = network.ok(network.jv, "GET", "/api/sharing-rules")

    assert rules == [
        {
            "partner_id": JEAN_VILAR,
            "category_id": None,
            "shared": True,
            "max_per_reservation": None,
        },
        {**capped, "partner_id": JEAN_VILAR},
    ]
    assert [r["shared"] for r in network.ok(network.mi, "GET", "/api/sharing-rules")] == [False]
    answer = network.manager.get(network.url("/api/sharing-rules"), timeout=TIMEOUT)
    assert answer.status_code == 403


def test_reserved_laptops_are_picked_up_and_brought_back_at_the_desk(network):
    made = network.ok(
        network.jv,
        "POST",
        "/api/reservations",
        201,
        json=workshop(network, asset_tags=["JV-LAP-001"]),
    )
    path = f"/api/reservations/{made['id']}"

    assert status(network.mi, network, "POST", f"{path}/pick-up") == 404
    assert network.ok(network.jv, "POST", f"{path}/pick-up")["status"] == "picked_up"
    refused = network.jv.post(network.url(f"{path}/cancel"), timeout=TIMEOUT)
    assert refused.status_code == 409 and refused.json()["code"] == "WrongStatus"
    assert network.ok(network.jv, "POST", f"{path}/return")["status"] == "returned"


def test_a_weekly_workshop_is_reserved_and_cancelled_by_its_partner_only(network):
    until = datetime.fromisoformat(network.tuesday["starts_at"]).date() + timedelta(days=21)

    made = network.ok(
        network.jv,
        "POST",
        "/api/reservation-series",
        201,
        json=workshop(network, asset_tags=["JV-LAP-003"], until=until.isoformat()),
    )

    assert len(made["reservations"]) == 4 and made["skipped"] == []
    series = made["series"]["id"]
    assert (
        network.ok(network.jv, "GET", "/api/reservations", params={"series_id": series})["total"]
        == 4
    )
    assert (
        status(network.mi, network, "POST", f"/api/reservation-series/{series}/cancel", json={})
        == 404
    )
    cancelled = network.ok(network.jv, "POST", f"/api/reservation-series/{series}/cancel", json={})
    assert sorted(cancelled["cancelled"]) == sorted(r["id"] for r in made["reservations"])


def test_an_owner_keeps_a_device_for_itself_and_the_city_sets_loan_periods(network):
    path = "/api/items/JV-LAP-001/shareable"

    assert status(network.mi, network, "PUT", path, json={"shareable": False}) == 404
    assert network.ok(network.jv, "PUT", path, json={"shareable": False}) == {
        "asset_tag": "JV-LAP-001",
        "shareable": False,
    }
    policy = {"loan_days": 21, "max_renewals": 1}
    assert (
        status(
            network.jv,
            network,
            "PUT",
            f"/api/categories/{network.laptop_id}/loan-policy",
            json=policy,
        )
        == 403
    )
    assert network.ok(
        network.admin, "PUT", f"/api/categories/{network.laptop_id}/loan-policy", json=policy
    ) == {"category_id": network.laptop_id, **policy}


# --- residents and loans -----------------------------------------------------------------------


def test_a_resident_borrows_renews_and_returns_a_laptop_and_each_actor_is_recorded(
    network, events_seen
):
    listen = events_seen("booking.loan_checked_out", "booking.loan_renewed")
    me = network.ok(network.jv, "GET", "/api/me")
    amina = network.register(network.jv)
    loan = network.lend(network.jv, amina["id"])
    resident = network.resident(amina["id"])

    mine = network.ok(resident, "GET", "/api/loans")
    renewed = network.ok(resident, "POST", f"/api/loans/{loan['id']}/renew")
    back = network.ok(
        network.jv,
        "POST",
        "/api/check-ins",
        json={"asset_tag": "JV-LAP-001", "condition": "good", "accessories": []},
    )

    assert [entry["id"] for entry in mine["items"]] == [loan["id"]]
    assert renewed["renewals"] == 1 and back["status"] == "returned"
    assert back["missing_accessories"] == []
    lent, renewal = listen.wait(2)
    assert lent["actor"] == f"staff:{me['account_id']}"
    assert renewal["actor"] == f"resident:{amina['id']}"
    # Back on the shelf once wiped, and lent again.
    wait_until(
        lambda: network.ok(network.jv, "GET", "/api/items/JV-LAP-001")["status"] == "awaiting_wipe",
        what="the inventory to know the laptop is back",
    )
    wiped = network.ok(network.jv, "POST", "/api/items/JV-LAP-001/wipe", json={})
    assert wiped["status"] == "available"
    yusuf = network.register(network.jv, name="Yusuf K.", card="RS-0043")
    wait_until(
        lambda: (
            network.jv.post(
                network.url("/api/loans"),
                timeout=TIMEOUT,
                json={"asset_tag": "JV-LAP-001", "resident_id": yusuf["id"], "site": "jean-vilar"},
            ).status_code
            == 201
        ),
        what="the booking to know the laptop was wiped",
    )


def test_nobody_else_sees_or_renews_a_residents_loan(network):
    amina = network.register(network.jv)
    yusuf = network.register(network.jv, name="Yusuf K.", card="RS-0043")
    loan = network.lend(network.jv, amina["id"])
    other = network.resident(yusuf["id"])

    assert status(other, network, "GET", f"/api/loans/{loan['id']}") == 404
    assert status(other, network, "POST", f"/api/loans/{loan['id']}/renew") == 404
    assert network.ok(other, "GET", "/api/loans")["items"] == []
    assert (
        network.ok(other, "GET", "/api/loans", params={"resident_id": amina["id"]})["items"] == []
    )
    assert status(network.mi, network, "GET", f"/api/loans/{loan['id']}") == 404
    assert network.ok(network.mi, "GET", "/api/loans")["total"] == 0
    assert (
        status(
            network.mi,
            network,
            "POST",
            "/api/check-ins",
            json={"asset_tag": "JV-LAP-001", "condition": "good"},
        )
        == 404
    )
    # Lending happens at one's own desk.
    assert (
        status(
            network.mi,
            network,
            "POST",
            "/api/loans",
            json={"asset_tag": "JV-LAP-002", "resident_id": yusuf["id"], "site": "jean-vilar"},
        )
        == 403
    )


def test_a_manager_lists_overdue_loans_and_reads_residents_without_their_contacts(network):
    amina = network.register(network.jv)
    yusuf = network.register(network.jv, name="Yusuf K.", card="RS-0043")
    late = network.lend(network.jv, amina["id"], "JV-LAP-001")
    network.lend(network.jv, yusuf["id"], "JV-LAP-002")
    make_overdue(network, late["id"])

    overdue = network.ok(network.manager, "GET", "/api/loans", params={"overdue": "true"})
    residents = network.ok(network.manager, "GET", "/api/residents")
    one = network.ok(network.manager, "GET", f"/api/residents/{amina['id']}")

    assert [loan["id"] for loan in overdue["items"]] == [late["id"]]
    assert overdue["items"][0]["resident_id"] == amina["id"]
    assert residents["total"] == 2
    for record in residents["items"] + [one]:
        assert not {"phone", "email", "card_number"} & set(record)
    assert "06 12 34 56 78" not in str(residents)
    assert (
        network.ok(network.jv, "GET", f"/api/residents/{amina['id']}")["phone"] == "06 12 34 56 78"
    )


def test_another_partners_staff_see_a_resident_only_once_they_lend_to_them(network):
    amina = network.register(network.jv)

    assert status(network.mi, network, "GET", f"/api/residents/{amina['id']}") == 404
    assert network.ok(network.mi, "GET", "/api/residents")["items"] == []
    assert network.ok(network.mi, "GET", "/api/residents/by-card/RS-0042") == {"id": amina["id"]}
    network.lend(network.mi, amina["id"], "MI-TAB-001", site="mistral")

    seen = network.ok(network.mi, "GET", f"/api/residents/{amina['id']}")
    assert seen["display_name"] == "Amina B." and seen["phone"] == "06 12 34 56 78"
    assert [r["id"] for r in network.ok(network.mi, "GET", "/api/residents")["items"]] == [
        amina["id"]
    ]


def test_a_resident_exports_their_data_themself_or_with_staff_acting_for_them(network):
    amina = network.register(network.jv)
    yusuf = network.register(network.jv, name="Yusuf K.", card="RS-0043")
    path = f"/api/residents/{amina['id']}/export"
    network.ok(
        network.jv,
        "POST",
        f"/api/residents/{amina['id']}/mandates",
        201,
        json={"scopes": ["data"], "expires_at": in_days(30)},
    )

    assert (
        network.ok(network.resident(amina["id"]), "GET", path)["resident"]["display_name"]
        == "Amina B."
    )
    assert status(network.resident(yusuf["id"]), network, "GET", path) == 404
    assert status(network.jv, network, "GET", path) == 404
    acting = network.ok(network.jv, "GET", path, params={"acting_for": amina["id"]})
    assert acting["resident"]["id"] == amina["id"]


def test_a_resident_is_forgotten_on_request_once_nothing_is_on_loan(network):
    amina = network.register(network.jv)
    network.lend(network.jv, amina["id"])
    resident = network.resident(amina["id"])
    path = f"/api/residents/{amina['id']}/erase"

    still = resident.post(network.url(path), timeout=TIMEOUT)
    network.ok(
        network.jv, "POST", "/api/check-ins", json={"asset_tag": "JV-LAP-001", "condition": "good"}
    )
    erased = network.ok(resident, "POST", path)

    assert still.status_code == 409 and still.json()["code"] == "StillHoldsDevice"
    assert erased["display_name"] is None and erased["erased_at"] is not None
    assert status(network.jv, network, "GET", f"/api/residents/{amina['id']}") == 404


def test_staff_correct_the_contact_details_of_their_own_residents_only(network):
    amina = network.register(network.jv)
    path = f"/api/residents/{amina['id']}"

    assert status(network.mi, network, "PATCH", path, json={"language": "fr"}) == 404
    # A new email is proven by the code sent to it (its sending: test_gateway_sign_in_limits.py).
    code = call(
        network.booking, "propose_contact_change", amina["id"], {"email": "amina@example.org"}
    )["code"]
    changed = network.ok(network.jv, "POST", path + "/contact/confirm", json={"code": code})
    assert changed["email"] == "amina@example.org"
    refused = network.jv.patch(
        network.url(path), json={"phone": None, "email": None}, timeout=TIMEOUT
    )
    assert refused.status_code == 400 and {"phone", "email"} <= set(refused.json()["errors"])


def test_loans_and_reservations_export_as_csv(network):
    amina = network.register(network.jv)
    loan = network.lend(network.jv, amina["id"])
    network.ok(
        network.jv,
        "POST",
        "/api/reservations",
        201,
        json=workshop(network, asset_tags=["JV-LAP-002", "JV-LAP-003"]),
    )

    loans = network.jv.get(network.url("/api/loans"), params={"format": "csv"}, timeout=TIMEOUT)
    reservations = network.jv.get(
        network.url("/api/reservations"), params={"format": "csv"}, timeout=TIMEOUT
    )

    assert loans.headers["Content-Type"].startswith("text/csv")
    (row,) = csv.DictReader(io.StringIO(loans.content.decode("utf-8-sig")), delimiter=";")
    assert row["id"] == str(loan["id"]) and row["asset_tag"] == "JV-LAP-001"
    assert "Amina" not in loans.text
    (row,) = csv.DictReader(io.StringIO(reservations.content.decode("utf-8-sig")), delimiter=";")
    assert row["asset_tags"] == "JV-LAP-002;JV-LAP-003"
    assert (
        network.mi.get(
            network.url("/api/loans"), params={"format": "csv"}, timeout=TIMEOUT
        ).text.strip()
        == loans.text.splitlines()[0].strip()
    )


def test_bad_filters_are_a_400_naming_each_field(network):
    answer = network.manager.get(
        network.url("/api/loans"),
        timeout=TIMEOUT,
        params={"overdue": "maybe", "colour": "red", "resident_id": 2**64},
    )

    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"overdue", "colour", "resident_id"}


def test_an_id_no_database_could_hold_names_nothing(network):
    for path in (f"/api/loans/{2**64}", f"/api/residents/{2**64}", f"/api/reservations/{2**70}"):
        answer = network.manager.get(network.url(path), timeout=TIMEOUT)
        assert answer.status_code == 404, path


# --- waiting lists ---------------------------------------------------------------------------


def test_a_resident_waits_in_line_and_leaves_it_and_nobody_else_can_remove_them(network):
    amina = network.register(network.jv)
    yusuf = network.register(network.jv, name="Yusuf K.", card="RS-0043")
    for tag in ("JV-LAP-001", "JV-LAP-002", "JV-LAP-003"):
        network.lend(network.jv, yusuf["id"], tag, override_reason="formation longue")
    resident = network.resident(amina["id"])

    entry = network.ok(
        resident,
        "POST",
        "/api/waiting-entries",
        201,
        json={"category_id": network.laptop_id, "site": "jean-vilar"},
    )
    line = network.ok(
        network.jv,
        "GET",
        "/api/waiting-lists",
        params={"category_id": network.laptop_id, "site": "jean-vilar"},
    )

    assert entry["status"] == "waiting" and entry["position"] == 1
    assert [e["resident_id"] for e in line["entries"]] == [amina["id"]]
    assert (
        status(
            network.mi,
            network,
            "GET",
            "/api/waiting-lists",
            params={"category_id": network.laptop_id, "site": "jean-vilar"},
        )
        == 404
    )
    assert (
        status(
            network.resident(yusuf["id"]),
            network,
            "POST",
            f"/api/waiting-entries/{entry['id']}/leave",
        )
        == 404
    )
    assert network.ok(resident, "GET", "/api/waiting-entries")["total"] == 1
    left = network.ok(resident, "POST", f"/api/waiting-entries/{entry['id']}/leave")
    assert left["status"] == "cancelled"


# --- calendars ---------------------------------------------------------------------------------


def events_of(answer):
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/calendar")
    return [component for component in Calendar.from_ical(answer.content).walk("VEVENT")]


def test_a_partners_reservations_and_a_desks_day_come_as_calendars_without_names(network):
    made = network.ok(
        network.jv,
        "POST",
        "/api/reservations",
        201,
        json=workshop(network, asset_tags=["JV-LAP-002"], note="atelier CV"),
    )
    amina = network.register(network.jv)
    loan = network.lend(network.jv, amina["id"], "JV-LAP-001")

    feed = network.jv.get(
        network.url(f"/api/partners/{JEAN_VILAR}/reservations.ics"), timeout=TIMEOUT
    )
    desk = network.jv.get(network.url("/api/sites/jean-vilar/desk.ics"), timeout=TIMEOUT)

    (event,) = events_of(feed)
    assert str(event["uid"]) == f"reservation-{made['id']}@partanum"
    assert "atelier CV" in str(event["description"])
    assert event.decoded("dtstart") == datetime.fromisoformat(made["starts_at"])
    summaries = sorted(str(e["summary"]) for e in events_of(desk))
    assert summaries == sorted(
        [
            f"Retrait : réservation n°{made['id']} (1 appareil)",
            f"Retour : réservation n°{made['id']} (1 appareil)",
            f"Retour attendu : JV-LAP-001 (prêt n°{loan['id']})",
        ]
    )
    assert "Amina" not in desk.text and "06 12" not in desk.text
    assert status(network.mi, network, "GET", f"/api/partners/{JEAN_VILAR}/reservations.ics") == 404
    assert status(network.mi, network, "GET", "/api/sites/jean-vilar/desk.ics") == 404
    assert (
        len(
            events_of(
                network.manager.get(network.url("/api/sites/jean-vilar/desk.ics"), timeout=TIMEOUT)
            )
        )
        == 3
    )
