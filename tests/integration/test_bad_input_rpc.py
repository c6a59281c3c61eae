"""Bad input sent straight to the services over RPC, as a caller other than the
gateway would, on both databases: text with a NUL (PostgreSQL refuses it) or a
lone surrogate, integers beyond what the databases hold (SQLite overflows at
2^63), dates beyond the horizon. Each is refused with InvalidInput naming the
field, and nothing is stored."""

from datetime import date, time, timedelta

import pytest
from nameko.exceptions import IncorrectSignature

from partanum.errors import InvalidInput, NotFound
from partanum.standalone import ServiceRpcProxy
from tests.integration.helpers import call, next_tuesday, register_network, tablet


def refused_fields(container, method, *args) -> list:
    with pytest.raises(InvalidInput) as refusal:
        call(container, method, *args)
    return list(refusal.value.fields)


@pytest.mark.parametrize(
    "field, value",
    [
        ("notes", "écran cassé\x00"),
        ("make", "Sams\udcf9ng"),
        ("accessories", ["chargeur\x00"]),
        ("purchase_cost", 10**12),
        ("purchase_date", f"{date.today() + timedelta(days=400)}"),
    ],
)
def test_the_inventory_refuses_values_no_database_holds_and_registers_nothing(
    inventory, field, value
):
    register_network(inventory)

    assert refused_fields(inventory, "register_item", tablet(**{field: value})) == [field]
    assert call(inventory, "list_items") == []


def test_an_item_or_a_site_named_with_a_nul_is_not_found(inventory):
    register_network(inventory)

    with pytest.raises(NotFound):
        call(inventory, "get_item", "JV-TAB\x00")
    with pytest.raises(NotFound):
        call(inventory, "get_site", "jean-vilar\x00")


def test_the_booking_refuses_a_reservation_in_the_year_9999_and_ids_beyond_2_63(booking):
    container, _url = booking
    tuesday = {
        "partner_id": 1,
        "site": "jean-vilar",
        "category_id": 1,
        "quantity": 1,
        "starts_at": next_tuesday(time(14)).isoformat(),
        "ends_at": next_tuesday(time(17)).isoformat(),
    }

    assert refused_fields(
        container,
        "reserve",
        {
            **tuesday,
            "starts_at": "9999-06-01T14:00:00+02:00",
            "ends_at": "9999-06-01T17:00:00+02:00",
        },
    ) == ["starts_at", "ends_at"]
    assert refused_fields(container, "reserve", {**tuesday, "category_id": 2**63}) == [
        "category_id"
    ]
    assert refused_fields(container, "reserve", {**tuesday, "note": "appeler le\x00 06"}) == [
        "note"
    ]
    assert call(container, "list_reservations", {})["total"] == 0


def test_the_booking_refuses_bad_ids_and_search_text_before_querying(booking):
    container, _url = booking

    assert refused_fields(
        container,
        "check_out",
        {"asset_tag": "JV-TAB-001", "resident_id": 2**63, "site": "jean-vilar"},
    ) == ["resident_id"]
    assert refused_fields(container, "list_residents", {"search": "Amina\x00"}) == ["search"]
    assert refused_fields(container, "get_waiting_entry", 2**63) == ["entry_id"]
    assert call(container, "list_loans", {})["total"] == 0


def test_a_call_with_arguments_the_method_does_not_take_is_refused_before_it_runs(booking):
    container, _url = booking

    with ServiceRpcProxy("booking", container.config, timeout=30) as proxy:
        with pytest.raises(IncorrectSignature, match="loan_id"):
            proxy.get_loan()
        with pytest.raises(IncorrectSignature, match="branch"):
            proxy.check_out({"asset_tag": "JV-TAB-001"}, branch="jean-vilar")
        answered = proxy.list_loans({})

    assert answered["total"] == 0  # the service serves on
