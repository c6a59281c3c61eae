"""The booking's lists through the running services, on both databases: overdue
loans for managers, a partner's reservations for its calendar, the residents a
partner may see, each filtered and one page at a time."""

from datetime import datetime, timedelta

import pytest

from partanum.errors import InvalidInput, NotFound
from tests.integration.helpers import call, lend, make_overdue, register

JEAN_VILAR, MISTRAL = 1, 2  # partner ids, in the order register_network registers them


def test_a_manager_lists_the_overdue_loans_and_only_them(desk):
    amina = register(desk)
    yusuf = register(desk, display_name="Yusuf K.", card_number="RS-0043")
    late = lend(desk, amina["id"], "JV-LAP-001")
    on_time = lend(desk, yusuf["id"], "JV-LAP-002")
    make_overdue(desk, late["id"])

    overdue = call(desk.booking, "list_loans", {"overdue": True})
    not_overdue = call(desk.booking, "list_loans", {"overdue": False})

    assert [loan["id"] for loan in overdue["items"]] == [late["id"]] and overdue["total"] == 1
    assert overdue["items"][0]["resident_id"] == amina["id"]
    assert overdue["items"][0]["partner_id"] == JEAN_VILAR
    assert [loan["id"] for loan in not_overdue["items"]] == [on_time["id"]]


def test_loans_are_listed_soonest_due_first_a_page_at_a_time_with_the_total(desk):
    amina = register(desk)
    first = lend(desk, amina["id"], "JV-LAP-001")
    second = lend(desk, amina["id"], "JV-LAP-002")
    make_overdue(desk, second["id"])

    page_one = call(desk.booking, "list_loans", {"resident_id": amina["id"], "limit": 1})
    page_two = call(
        desk.booking, "list_loans", {"resident_id": amina["id"], "limit": 1, "offset": 1}
    )

    assert page_one["total"] == page_two["total"] == 2
    assert [page_one["items"][0]["id"], page_two["items"][0]["id"]] == [second["id"], first["id"]]
    assert call(desk.booking, "list_loans", {"partner_id": MISTRAL})["total"] == 0
    assert (
        call(desk.booking, "list_loans", {"asset_tag": "JV-LAP-002"})["items"][0]["id"]
        == second["id"]
    )
    assert (
        call(desk.booking, "list_loans", {"site": "jean-vilar", "status": "active"})["total"] == 2
    )


def test_a_partners_reservations_are_listed_by_window_and_status(desk):
    made = [
        call(
            desk.booking,
            "reserve",
            {**desk.tuesday, "partner_id": JEAN_VILAR, "asset_tags": [tag], "note": f"atelier {n}"},
        )
        for n, tag in enumerate(("JV-LAP-001", "JV-LAP-002"))
    ]
    call(desk.booking, "cancel_reservation", made[1]["id"])
    tuesday_starts = desk.tuesday["starts_at"]

    mine = call(desk.booking, "list_reservations", {"partner_id": JEAN_VILAR})
    confirmed = call(
        desk.booking, "list_reservations", {"status": "confirmed", "site": "jean-vilar"}
    )
    before_it = call(desk.booking, "list_reservations", {"starts_before": tuesday_starts})

    assert [r["id"] for r in mine["items"]] == [made[0]["id"], made[1]["id"]] and mine["total"] == 2
    assert mine["items"][0]["note"] == "atelier 0"
    assert [r["id"] for r in confirmed["items"]] == [made[0]["id"]]
    assert before_it["total"] == 0
    assert call(desk.booking, "list_reservations", {"partner_id": MISTRAL})["items"] == []

    # What a desk asks before lending a device: the reservations holding it, in any
    # of the statuses that still hold it.
    def holding(tag, statuses):
        found = call(desk.booking, "list_reservations", {"asset_tag": tag, "statuses": statuses})
        return [r["id"] for r in found["items"]]

    assert holding("JV-LAP-001", ["confirmed", "picked_up"]) == [made[0]["id"]]
    assert holding("JV-LAP-002", ["confirmed", "picked_up"]) == []  # cancelled: released
    assert holding("JV-LAP-003", ["confirmed"]) == []
    with pytest.raises(InvalidInput) as refused:
        call(desk.booking, "list_reservations", {"statuses": ["confirmed", "lent"]})
    assert "statuses" in refused.value.fields


def test_a_partner_sees_the_residents_it_registered_or_lent_to_and_no_others(desk):
    amina = register(desk)  # registered at Jean Vilar
    yusuf = register(
        desk, display_name="Yusuf K.", card_number="RS-0043", registered_by_partner_id=MISTRAL
    )
    nadia = register(
        desk, display_name="Nadia S.", card_number="RS-0044", registered_by_partner_id=MISTRAL
    )
    lend(desk, yusuf["id"])  # Mistral's resident borrows at Jean Vilar

    def names(filters):
        return [r["display_name"] for r in call(desk.booking, "list_residents", filters)["items"]]

    assert names({"partner_id": JEAN_VILAR}) == ["Amina B.", "Yusuf K."]
    assert names({"partner_id": MISTRAL}) == ["Nadia S.", "Yusuf K."]
    assert call(desk.booking, "resident_partners", yusuf["id"]) == {
        "resident_id": yusuf["id"],
        "partner_ids": [JEAN_VILAR, MISTRAL],
    }
    assert call(desk.booking, "resident_partners", nadia["id"])["partner_ids"] == [MISTRAL]
    assert names({"search": "AMI"}) == ["Amina B."]
    assert names({"search": "rs-0044"}) == ["Nadia S."]
    assert names({"search": "100%"}) == []
    with pytest.raises(NotFound):
        call(desk.booking, "resident_partners", amina["id"] + 100)


def test_a_residents_places_in_line_are_listed_with_their_position(desk):
    amina, yusuf = register(desk), register(desk, display_name="Yusuf K.", card_number="RS-0043")
    # Every laptop is out: whoever joins the line waits.
    lend(desk, amina["id"], "JV-LAP-001")
    lend(desk, amina["id"], "JV-LAP-002")
    lend(desk, yusuf["id"], "JV-LAP-003")
    join = {"category_id": desk.category_id, "site": "jean-vilar"}
    call(desk.booking, "join_waiting_list", {**join, "resident_id": yusuf["id"]})

    entries = call(desk.booking, "list_waiting_entries", {"resident_id": yusuf["id"]})

    (entry,) = entries["items"]
    assert entry["status"] == "waiting" and entry["position"] == 1
    assert call(desk.booking, "get_waiting_entry", entry["id"]) == entry
    assert call(desk.booking, "list_waiting_entries", {"partner_id": MISTRAL})["total"] == 0
    assert call(desk.booking, "list_waiting_entries", {"resident_id": amina["id"]})["items"] == []


def test_bad_filters_are_refused_naming_each_field(desk):
    with pytest.raises(InvalidInput) as refused:
        call(desk.booking, "list_loans", {"overdue": "sometimes", "colour": "red", "limit": 0})
    assert set(refused.value.fields) == {"overdue", "colour", "limit"}
    with pytest.raises(InvalidInput) as refused:
        call(desk.booking, "list_reservations", {"ends_after": "tomorrow", "offset": -1})
    assert set(refused.value.fields) == {"ends_after", "offset"}
    with pytest.raises(InvalidInput) as refused:
        call(desk.booking, "list_residents", {"site": "jean-vilar"})
    assert set(refused.value.fields) == {"site"}
    with pytest.raises(InvalidInput) as refused:
        call(desk.booking, "list_reservations", {"site": "nowhere"})
    assert set(refused.value.fields) == {"site"}


def test_a_loans_window_is_filtered_by_due_date(desk):
    amina = register(desk)
    loan = lend(desk, amina["id"])
    just_after = (datetime.fromisoformat(loan["due_at"]) + timedelta(minutes=1)).isoformat()
    assert call(desk.booking, "list_loans", {"due_before": just_after})["total"] == 1
    assert call(desk.booking, "list_loans", {"due_after": just_after})["total"] == 0
