"""The inventory through the gateway's JSON API, over real HTTP, RabbitMQ and both
databases: who sees which devices, who may change them, lists and CSV files."""

import csv
import io

from tests.integration.gateway import sqlite_only
from tests.integration.gateway_network import JEAN_VILAR, LAPTOPS, TABLETS, TIMEOUT

database_kind = sqlite_only  # see its docstring


def tags(page):
    return [item["asset_tag"] for item in page["items"]]


def test_staff_see_their_partners_devices_and_nothing_of_another_partners(network):
    jv, mi, manager = network.jv, network.mi, network.manager

    assert tags(network.ok(jv, "GET", "/api/items")) == list(LAPTOPS)
    assert tags(network.ok(mi, "GET", "/api/items")) == list(TABLETS)
    assert network.ok(manager, "GET", "/api/items")["total"] == len(LAPTOPS) + len(TABLETS)
    # Another partner's device is not there, exactly like one that does not exist.
    theirs = mi.get(network.url("/api/items/JV-LAP-001"), timeout=TIMEOUT)
    missing = mi.get(network.url("/api/items/JV-LAP-999"), timeout=TIMEOUT)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() and "JV-LAP-001" not in theirs.text
    assert mi.get(network.url("/api/items/JV-LAP-001/history"), timeout=TIMEOUT).status_code == 404


def test_device_lists_come_a_page_at_a_time_with_their_total_and_filters(network):
    page = network.ok(network.manager, "GET", "/api/items", params={"limit": 2, "offset": 2})
    laptops = network.ok(network.manager, "GET", "/api/items", params={"category": "laptop"})

    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 2
    assert len(page["items"]) == 2
    assert tags(laptops) == list(LAPTOPS)
    refused = network.manager.get(
        network.url("/api/items"), params={"colour": "red", "limit": 0}, timeout=TIMEOUT
    )
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert set(refused.json()["errors"]) == {"colour", "limit"}


def test_a_partner_registers_and_changes_only_its_own_devices(network):
    jv, mi = network.jv, network.mi
    tablet = {
        "asset_tag": "JV-TAB-010",
        "make": "Samsung",
        "model": "Tab A8",
        "category": "tablet",
        "home_site": "jean-vilar",
    }

    refused = jv.post(
        network.url("/api/items"), json={**tablet, "owner": "mistral"}, timeout=TIMEOUT
    )
    created = network.ok(jv, "POST", "/api/items", 201, json={**tablet, "owner": "jean-vilar"})
    changed = network.ok(jv, "PATCH", "/api/items/JV-TAB-010", json={"notes": "rayure"})

    assert refused.status_code == 403
    assert created["status"] == "available" and changed["notes"] == "rayure"
    assert (
        mi.patch(
            network.url("/api/items/JV-TAB-010"), json={"notes": "x"}, timeout=TIMEOUT
        ).status_code
        == 404
    )
    assert (
        mi.post(
            network.url("/api/items/JV-TAB-010/status"),
            json={"status": "retired", "reason": "x"},
            timeout=TIMEOUT,
        ).status_code
        == 404
    )
    unknown = jv.patch(
        network.url("/api/items/JV-TAB-010"), json={"colour": "red"}, timeout=TIMEOUT
    )
    assert unknown.status_code == 400 and "colour" in unknown.json()["errors"]


def test_a_device_sent_for_repair_records_which_staff_member_did_it(network):
    me = network.ok(network.jv, "GET", "/api/me")

    item = network.ok(
        network.jv,
        "POST",
        "/api/items/JV-LAP-002/status",
        json={"status": "in_maintenance", "reason": "écran fissuré"},
    )
    history = network.ok(network.jv, "GET", "/api/items/JV-LAP-002/history")

    assert item["status"] == "in_maintenance"
    assert history[-1]["actor"] == me["actor"] == f"staff:{me['account_id']}"
    assert history[-1]["reason"] == "écran fissuré"


def test_a_partners_fleet_exports_as_csv_that_imports_back_unchanged(network):
    exported = network.jv.get(network.url("/api/items"), params={"format": "csv"}, timeout=TIMEOUT)

    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["asset_tag"] for row in rows] == list(LAPTOPS)
    assert {row["owner"] for row in rows} == {"jean-vilar"} and rows[0]["accessories"] == "chargeur"
    report = network.ok(
        network.jv, "POST", "/api/items/import", json={"csv": exported.content.decode("utf-8")}
    )
    assert report == {"created": 0, "updated": 0, "unchanged": 3}
    assert (
        network.mi.post(
            network.url("/api/items/import"),
            json={"csv": exported.text, "partner": "jean-vilar"},
            timeout=TIMEOUT,
        ).status_code
        == 403
    )


def test_qr_labels_are_printed_for_the_callers_own_devices_only(network):
    sheet = network.jv.post(
        network.url("/api/items/labels"),
        json={"asset_tags": ["JV-LAP-001", "JV-LAP-002"]},
        timeout=TIMEOUT,
    )
    theirs = network.mi.post(
        network.url("/api/items/labels"), json={"asset_tags": ["JV-LAP-001"]}, timeout=TIMEOUT
    )

    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    assert theirs.status_code == 404


def test_a_kit_is_seen_by_the_partner_whose_devices_it_groups(network):
    kit = network.ok(
        network.jv,
        "POST",
        "/api/kits",
        201,
        json={"code": "jv-atelier", "name": "Kit atelier", "asset_tags": list(LAPTOPS[:2])},
    )

    assert kit["asset_tags"] == list(LAPTOPS[:2])
    assert [k["code"] for k in network.ok(network.jv, "GET", "/api/kits")] == ["jv-atelier"]
    assert network.ok(network.mi, "GET", "/api/kits") == []
    assert (
        network.mi.post(
            network.url("/api/kits"),
            json={"code": "mi-kit", "name": "x", "asset_tags": ["JV-LAP-003"]},
            timeout=TIMEOUT,
        ).status_code
        == 404
    )


def test_everyone_reads_the_network_and_only_the_city_or_a_sites_own_staff_change_it(network):
    resident = network.resident(1)
    hours = {"opening_hours": {"wednesday": [["09:00", "12:00"]]}}

    sites = network.ok(resident, "GET", "/api/sites")
    assert {site["code"] for site in sites} == {"jean-vilar", "mistral"}
    assert network.ok(resident, "GET", "/api/sites/mistral")["partner"] == "mistral"
    assert (
        network.jv.post(
            network.url("/api/partners"), json={"code": "x", "name": "X"}, timeout=TIMEOUT
        ).status_code
        == 403
    )
    assert (
        network.ok(
            network.admin,
            "POST",
            "/api/partners",
            201,
            json={"code": "mairie", "name": "Mairie de quartier"},
        )["code"]
        == "mairie"
    )
    assert (
        network.jv.put(
            network.url("/api/sites/mistral/opening-hours"), json=hours, timeout=TIMEOUT
        ).status_code
        == 403
    )
    changed = network.ok(network.mi, "PUT", "/api/sites/mistral/opening-hours", json=hours)
    assert changed["opening_hours"] == hours["opening_hours"]
    assert resident.get(network.url("/api/items"), timeout=TIMEOUT).status_code == 403


def test_a_device_sent_to_another_partners_site_is_handled_there_but_stays_its_owners(network):
    moved = network.ok(
        network.jv,
        "POST",
        "/api/items/JV-LAP-003/transfer",
        json={"to_site": "mistral", "reason": "atelier à Mistral"},
    )

    assert moved["current_site"] == "mistral" and moved["owner"] == "jean-vilar"
    assert network.ok(network.mi, "GET", "/api/items/JV-LAP-003")["asset_tag"] == "JV-LAP-003"
    assert "JV-LAP-003" in tags(network.ok(network.mi, "GET", "/api/items"))
    assert (
        network.mi.post(
            network.url("/api/items/JV-LAP-003/transfer"),
            timeout=TIMEOUT,
            json={"to_site": "mistral", "reason": "x"},
        ).status_code
        == 403
    )
    back = network.ok(
        network.jv,
        "POST",
        "/api/items/JV-LAP-003/transfer",
        json={"to_site": "jean-vilar", "reason": "retour"},
    )
    assert back["current_site"] == "jean-vilar"
    assert network.mi.get(network.url("/api/items/JV-LAP-003"), timeout=TIMEOUT).status_code == 404


def test_a_site_closes_for_holidays_by_its_own_staff_and_the_city_adds_categories(network):
    closure = {"starts_on": "2026-12-24", "ends_on": "2027-01-02", "reason": "Fêtes"}

    site = network.ok(network.jv, "POST", "/api/sites/jean-vilar/closures", 201, json=closure)

    assert site["closures"][0]["reason"] == "Fêtes"
    assert (
        network.mi.post(
            network.url("/api/sites/jean-vilar/closures"), json=closure, timeout=TIMEOUT
        ).status_code
        == 403
    )
    assert (
        network.jv.post(
            network.url("/api/categories"),
            json={"code": "phone", "name": "Téléphone"},
            timeout=TIMEOUT,
        ).status_code
        == 403
    )
    assert (
        network.ok(
            network.admin,
            "POST",
            "/api/categories",
            201,
            json={"code": "phone", "name": "Téléphone"},
        )["code"]
        == "phone"
    )


def test_only_the_city_renames_a_partner_a_site_or_a_kind_of_device(network):
    partner = {"name": "Centre social Jean Vilar"}
    site = {"name": "Centre social Jean Vilar", "address": "3 place Jean XXIII, 49100 Angers"}
    category = {"name": "Ordinateur portable 14 pouces"}
    paths = (
        (f"/api/partners/{JEAN_VILAR}", partner),
        ("/api/sites/jean-vilar", site),
        (f"/api/categories/{network.laptop_id}", category),
    )
    for path, body in paths:
        assert network.jv.patch(network.url(path), json=body, timeout=TIMEOUT).status_code == 403

    for path, body in paths:
        assert network.ok(network.admin, "PATCH", path, json=body)["name"] == body["name"]

    assert network.ok(network.jv, "GET", "/api/sites/jean-vilar")["address"] == site["address"]
    names = {p["code"]: p["name"] for p in network.ok(network.jv, "GET", "/api/partners")}
    assert names["jean-vilar"] == partner["name"]
    kinds = {c["id"]: c["name"] for c in network.ok(network.jv, "GET", "/api/categories")}
    assert kinds[network.laptop_id] == category["name"]
    # A phone number is no public name: refused, the field named.
    refused = network.admin.patch(
        network.url("/api/sites/jean-vilar"),
        json={"name": "Appelez le 02 41 00 00 00"},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"name"}
