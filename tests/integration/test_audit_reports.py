"""The audit's reports over RPC, computed from the events the real inventory and
booking publish, on real RabbitMQ and both databases: a laptop lent, two reserved,
five asked for in vain at Centre Jean Vilar; idle tablets at Mistral proposed for
Jean Vilar, and moved there once the suggestion is accepted."""

import base64
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from partanum.errors import InvalidInput
from services.booking.exceptions import NotAvailable
from tests.integration.helpers import PARIS, call, entries, lend, register, tablet
from tests.waiting import wait_until

LOGGED = ("booking.loan_checked_out", "booking.reservation_created", "booking.demand_unmet")


@pytest.fixture
def busy_desk(desk, audit):
    """One laptop lent, two reserved next Tuesday 14:00–17:00, five refused; once the
    audit has logged it all."""
    amina = register(desk)
    lend(desk, amina["id"])
    call(desk.booking, "reserve", {"partner_id": 1, **desk.ask, "quantity": 2})
    with pytest.raises(NotAvailable):
        call(desk.booking, "reserve", {"partner_id": 1, **desk.ask, "quantity": 5})
    wait_until(
        lambda: all(entries(audit, type=event_type) for event_type in LOGGED),
        what="the loan, the reservation and the refusal in the audit log",
    )
    tuesday = datetime.fromisoformat(desk.tuesday["starts_at"]).date()
    return audit.container, amina, {"from": tuesday.isoformat(), "to": tuesday.isoformat()}


def test_utilisation_counts_the_lent_and_reserved_hours_within_opening_hours(busy_desk):
    service, _, tuesday = busy_desk
    [site] = [
        row
        for row in call(service, "utilisation", {**tuesday, "by": "site", "step": "day"})
        if row["label"] == "Centre Jean Vilar"
    ]
    # Open 8 hours on Tuesdays: 3 laptops × 8 h; used: the lent one all day, two × 3 h.
    assert (site["items"], site["open_hours"], site["used_hours"]) == (3, 24.0, 14.0)
    assert site["rate"] == round(14 / 24, 4)
    assert [point["starts_on"] for point in site["series"]] == [tuesday["from"]]


def test_activity_counts_residents_served_without_naming_them(busy_desk):
    service, amina, _ = busy_desk
    today = datetime.now(PARIS).date().isoformat()
    rows = call(service, "activity", {"from": today, "to": today})
    total = rows[-1]
    assert (total["week"], total["loans"], total["residents_served"]) == (None, 1, 1)
    assert "resident_id" not in str(rows)


def test_unmet_demand_names_the_site_and_category_that_lacked_devices(busy_desk, desk):
    service, _, _ = busy_desk
    today = datetime.now(PARIS).date().isoformat()
    [row] = call(service, "unmet_demand", {"from": today, "to": today})
    assert (row["site_id"], row["category_id"]) == (1, desk.category_id)
    assert (row["requests"], row["quantity"], row["largest_request"]) == (1, 5, 5)


def test_the_reserved_laptops_are_idle_a_month_after_their_workshop(busy_desk):
    service, _, _ = busy_desk
    later = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    idle = call(service, "idle_items", {"idle_days": 20, "as_of": later})
    assert sorted(item["asset_tag"] for item in idle) == ["JV-LAP-002", "JV-LAP-003"]


def test_the_idle_summary_counts_them_all_and_lists_the_idlest_few(busy_desk, desk):
    service, _, _ = busy_desk
    later = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    summary = call(service, "idle_summary", {"idle_days": 20, "as_of": later, "limit": 1})
    assert summary["total"] == 2
    assert [item["asset_tag"] for item in summary["items"]] in (["JV-LAP-002"], ["JV-LAP-003"])
    elsewhere = call(service, "idle_summary", {"idle_days": 20, "as_of": later, "site_id": 99})
    assert elsewhere == {"total": 0, "items": []}


def test_reports_export_as_csv_open_data_and_charts(busy_desk):
    service, _, tuesday = busy_desk
    today = datetime.now(PARIS).date()
    week = {"from": today.isoformat(), "to": (today + timedelta(days=7)).isoformat()}
    table = list(
        csv.DictReader(
            io.StringIO(call(service, "export_csv", "utilisation", {**tuesday, "by": "item"}))
        )
    )
    assert {row["label"] for row in table} == {"JV-LAP-001", "JV-LAP-002", "JV-LAP-003"}
    open_rows = list(csv.DictReader(io.StringIO(call(service, "open_data", week))))
    assert {row["loans"] for row in open_rows} <= {"0", "<5"}
    assert any(row["loans"] == "<5" for row in open_rows)
    svg = call(service, "chart", {**week, "kind": "utilisation_by_partner"})
    assert svg["media_type"] == "image/svg+xml" and "<title" in svg["content"]
    png = call(service, "chart", {**week, "format": "png"})
    assert base64.b64decode(png["content"]).startswith(b"\x89PNG")


def test_a_report_request_with_an_unknown_field_or_report_is_refused_by_name(audit):
    container = audit.container
    period = {"from": date.today().isoformat(), "to": date.today().isoformat()}
    with pytest.raises(InvalidInput) as refused:
        call(container, "utilisation", {**period, "group": "site"})
    assert set(refused.value.fields) == {"group"}
    with pytest.raises(InvalidInput) as refused:
        call(container, "export_csv", "everything", period)
    assert set(refused.value.fields) == {"report"}


def test_a_suggestion_accepted_as_it_is_moves_idle_tablets_to_where_they_were_refused(desk, audit):
    service = audit.container
    tablets = {
        call(
            desk.inventory,
            "register_item",
            tablet(f"MI-TAB-00{n}", owner="mistral", home_site="mistral"),
        )["id"]: f"MI-TAB-00{n}"
        for n in range(1, 5)
    }
    ask = {**desk.ask, "category_id": 1}  # tablets, none at Jean Vilar
    with pytest.raises(NotAvailable):
        call(desk.booking, "reserve", {"partner_id": 1, **ask, "quantity": 3})
    wait_until(
        lambda: (
            entries(audit, type="booking.demand_unmet")
            and len(entries(audit, type="inventory.item_registered")) == 7
        ),
        what="the refusal and the tablets in the audit log",
    )
    today = datetime.now(PARIS).date()
    later = {
        "from": today.isoformat(),
        "to": (today + timedelta(days=40)).isoformat(),
        "as_of": (datetime.now(UTC) + timedelta(days=40)).isoformat(),
    }

    [proposal] = call(service, "suggestions", later)
    assert proposal["reason"] == (
        "move 3 tablets from Espace Frédéric Mistral to Centre Jean Vilar"
    )
    assert set(proposal["item_ids"]) < set(tablets)
    assert proposal["figures"]["target_largest_request"] == 3

    call(service, "accept_suggestion", proposal, actor="manager:1")
    moved = [tablets[item_id] for item_id in proposal["item_ids"]]
    wait_until(
        lambda: all(
            call(desk.inventory, "get_item", tag)["current_site"] == "jean-vilar" for tag in moved
        ),
        what="the tablets at Jean Vilar",
    )
    wait_until(
        lambda: len(entries(audit, type="inventory.item_transferred")) == 3,
        what="the transfers in the audit log",
    )
    assert call(service, "suggestions", later) == []  # Jean Vilar's idle tablets now cover it
