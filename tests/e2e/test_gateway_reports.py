"""Usage reports and the audit log over HTTP, against the whole running system
(tests/e2e/gateway_system.py): managers read them, partner staff are refused,
and a suggestion accepted through the gateway is logged with the manager as its
actor."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.audit.suggestions import signature
from tests.e2e.gateway_system import SECRET_KEY
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

# The reports' days are the sites' days (Angers), not the machine's: between midnight
# in Angers and midnight UTC they differ, and the network registered "today" would
# fall after a week ending on the machine's date.
TODAY = datetime.now(ZoneInfo("Europe/Paris")).date()
WEEK = {"from": (TODAY - timedelta(days=6)).isoformat(), "to": TODAY.isoformat()}


@pytest.fixture(scope="module")
def manager(system):
    return system.sign_in("manager@angers.test")


@pytest.fixture(scope="module")
def staff(system):
    return system.sign_in("staff@jean-vilar.test")


def logged(client, **query) -> list:
    response = client.get("/api/audit-log", params=query)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_a_manager_reads_utilisation_by_partner_as_json_and_csv(system, manager):
    partners = {system.world.jean_vilar.id, system.world.mistral.id}

    def partners_reported():
        response = manager.get("/api/reports/utilisation", params={**WEEK, "by": "partner"})
        assert response.status_code == 200, response.text
        return {row["key"] for row in response.json()["items"]} >= partners

    # The audit log catches up with the network registered at start: on a busy machine
    # (the layers run side by side) that may take a while.
    wait_until(partners_reported, timeout=120, what="every partner in the utilisation report")
    spreadsheet = manager.get("/api/reports/utilisation", params={**WEEK, "format": "csv"})

    assert spreadsheet.status_code == 200
    assert spreadsheet.headers["Content-Type"].startswith("text/csv")
    assert "rate" in spreadsheet.text.splitlines()[0]


@pytest.mark.parametrize(
    "fmt, media_type, starts",
    [("png", "image/png", b"\x89PNG"), ("svg", "image/svg+xml", b"<?xml")],
)
def test_a_manager_gets_a_chart_as_an_image_of_its_media_type(manager, fmt, media_type, starts):
    response = manager.get(
        "/api/reports/chart", params={**WEEK, "kind": "utilisation_by_partner", "format": fmt}
    )

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == media_type
    assert response.content.startswith(starts)


@pytest.mark.parametrize(
    "path",
    [
        "/api/reports/utilisation",
        "/api/reports/chart",
        "/api/reports/open-data.csv",
        "/api/audit-log",
    ],
)
def test_partner_staff_are_refused_the_reports_and_the_log(staff, path):
    response = staff.get(path, params=WEEK if "reports" in path else None)

    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_a_report_query_with_an_unknown_field_is_refused_by_name(manager):
    response = manager.get("/api/reports/idle-items", params={"idle_days": "30", "colour": "red"})

    assert response.status_code == 400
    assert "colour" in response.json()["errors"]


def test_a_suggestion_accepted_over_http_is_logged_with_the_manager_as_actor(
    system, manager, staff
):
    item = manager.get("/api/items/MI-TAB-004").json()
    sites = {site["code"]: site["id"] for site in manager.get("/api/sites").json()}
    categories = {
        category["code"]: category["id"] for category in manager.get("/api/categories").json()
    }
    # As the audit service lists it (signed); one changed on the way is refused.
    listed = {
        "item_ids": [item["id"]],
        "from_site_id": sites[item["current_site"]],
        "to_site_id": sites["jean-vilar"],
        "category_id": categories[item["category"]],
        "reason": "Centre Jean Vilar lends its tablets twice as much",
        "figures": {"rate": 0.8},
    }
    suggestion = {**listed, "signature": signature(listed, SECRET_KEY.encode())}
    wait_until(
        lambda: logged(manager, item_id=item["id"]), timeout=30, what="the tablet in the audit log"
    )

    refused = staff.post("/api/reports/suggestions/accept", json=suggestion)
    changed = manager.post(
        "/api/reports/suggestions/accept",
        json={**suggestion, "item_ids": [item["id"], item["id"] + 1]},
    )
    accepted = manager.post("/api/reports/suggestions/accept", json=suggestion)

    assert refused.status_code == 403
    assert changed.status_code == 400 and list(changed.json()["errors"]) == ["signature"]
    assert accepted.status_code == 202, accepted.text
    [entry] = wait_until(
        lambda: logged(manager, type="audit.transfer_accepted"),
        timeout=30,
        what="the acceptance in the audit log",
    )
    assert entry["actor"] == manager.get("/api/me").json()["actor"]
    assert entry["data"]["item_ids"] == [item["id"]]
    assert manager.get("/api/audit-log/verify").json()["ok"] is True


@pytest.mark.parametrize(
    "report, query",
    [
        ("utilisation", WEEK),
        ("idle-items", {"idle_days": "30"}),
        ("overdue-and-lost", WEEK),
        ("activity", {**WEEK, "by_site": "true"}),
        ("unmet-demand", WEEK),
        ("suggestions", WEEK),
    ],
)
def test_the_administrator_reads_each_report_as_json_and_as_csv(system, report, query):
    admin = system.sign_in("admin@angers.test")

    as_json = admin.get(f"/api/reports/{report}", params=query)
    as_csv = admin.get(f"/api/reports/{report}", params={**query, "format": "csv"})

    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["Content-Type"] == "application/json"
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert as_csv.text.count("\n") >= 1  # its header line at least
