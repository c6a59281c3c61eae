"""What every service's input schemas refuse, whoever calls (partanum.inputs): each
refusal is an InvalidInput naming the field, before anything could change."""

from datetime import date, timedelta

import pytest

from partanum.errors import InvalidInput, load
from services.booking import schemas as booking
from services.inventory import schemas as inventory
from services.notifications import schemas as notifications

RESERVATION = {
    "partner_id": 1,
    "site": "jean-vilar",
    "category_id": 2,
    "quantity": 1,
    "starts_at": "2026-12-10T14:00:00+01:00",
    "ends_at": "2026-12-10T17:00:00+01:00",
}
ITEM = {
    "asset_tag": "JV-TAB-001",
    "make": "Samsung",
    "model": "Tab A8",
    "category": "tablet",
    "owner": "jean-vilar",
    "home_site": "jean-vilar",
}


def refused(schema, payload) -> dict:
    with pytest.raises(InvalidInput) as refusal:
        load(schema, payload)
    return refusal.value.fields


def in_days(days: int) -> str:
    return f"{date.today() + timedelta(days=days)}T10:00:00+01:00"


@pytest.mark.parametrize(
    "field, value",
    [
        ("note", "screen broken\x00"),
        ("note", "caf\udce9"),
        ("site", "\x00"),
        ("asset_tags", ["JV-TAB-001", "JV\x00"]),
    ],
)
def test_text_with_a_nul_or_a_lone_surrogate_is_refused_naming_its_field(field, value):
    payload = {**RESERVATION, field: value}
    if field == "asset_tags":
        del payload["category_id"], payload["quantity"]
    assert list(refused(booking.ReservationIn(), payload)) == [field]


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64 + 1, -(2**31) - 1])
def test_an_integer_beyond_what_the_databases_hold_is_refused_naming_its_field(value):
    assert list(refused(booking.ReservationIn(), {**RESERVATION, "category_id": value})) == [
        "category_id"
    ]


def test_digits_read_as_an_integer_are_bounded_too():
    assert list(refused(notifications.DeliveryLogIn(), {"resident_id": "9223372036854775808"})) == [
        "resident_id"
    ]


@pytest.mark.parametrize("cost", [float("inf"), float("nan"), 1e12, 10**9])
def test_a_purchase_cost_must_be_finite_and_fit_its_column(cost):
    assert list(refused(inventory.ItemIn(), {**ITEM, "purchase_cost": cost})) == ["purchase_cost"]


def test_a_value_nested_too_deep_is_refused_naming_its_field():
    deep = "chargeur"
    for _ in range(50):
        deep = [deep]
    assert list(refused(inventory.ItemIn(), {**ITEM, "accessories": deep})) == ["accessories"]


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-01-01T10:00:00+01:00",
        "0001-01-01T00:30:00+01:00",
        "1999-12-31T10:00:00+01:00",
        in_days(400),
    ],
)
def test_a_date_before_2000_or_beyond_a_year_ahead_is_refused(starts_at):
    assert "starts_at" in refused(booking.ReservationIn(), {**RESERVATION, "starts_at": starts_at})


def test_the_horizon_is_a_setting(monkeypatch):
    monkeypatch.setenv("PARTANUM_DATE_HORIZON_DAYS", "30")
    near = {**RESERVATION, "starts_at": in_days(20), "ends_at": in_days(21)}
    far = {**RESERVATION, "starts_at": in_days(40), "ends_at": in_days(41)}

    assert load(booking.ReservationIn(), near)["quantity"] == 1
    assert set(refused(booking.ReservationIn(), far)) == {"starts_at", "ends_at"}
    assert list(
        refused(
            inventory.ItemIn(), {**ITEM, "purchase_date": str(date.today() + timedelta(days=32))}
        )
    ) == ["purchase_date"]  # past the day in any zone


def test_a_field_name_that_is_not_text_a_database_could_hold_is_refused():
    assert list(refused(booking.ReservationIn(), {**RESERVATION, "no\x00te": "x"})) == ["_schema"]


def test_every_service_load_refuses_them_whatever_the_schemas_base():
    from services.booking.entrypoints.sign_in import SignInLookup

    assert list(refused(SignInLookup(), {"card_number": "RS-0042\x00"})) == ["card_number"]
