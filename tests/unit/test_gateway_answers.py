"""The gateway answers with the services' own output contracts: a field a service
adds to its output reaches the API's answers and its OpenAPI document without a
second edit, shaped as the JSON the RPC returns."""

from marshmallow import fields

from services.booking import schemas as booking
from services.booking.vocabulary import LoanStatus
from services.gateway.openapi import build
from services.gateway.routing import ANYONE, Route
from services.gateway.schemas.common import answer

ROW = {
    "id": 7,
    "asset_tag": "JV-TAB-001",
    "due_at": "2026-11-20T18:30:00+01:00",
    "resident_id": None,
}


class LoanWithReminder(booking.LoanOut):
    reminded_at = fields.AwareDateTime(metadata={"description": "when the resident was told"})


def _documented(schema) -> dict:
    route = Route("GET", "/api/loans/<int:loan_id>", "loan", (ANYONE,), response=schema())
    return build([route])["components"]["schemas"][schema.__name__]


def test_a_field_added_to_a_services_output_is_answered_by_the_gateway():
    loan = answer(LoanWithReminder, "LoanWithReminder")

    answered = loan().dump({**ROW, "reminded_at": "2026-11-18T09:00:00+01:00"})

    assert answered["reminded_at"] == "2026-11-18T09:00:00+01:00"
    assert answered["due_at"] == ROW["due_at"]


def test_a_field_added_to_a_services_output_is_documented_with_its_description():
    documented = _documented(answer(LoanWithReminder, "LoanWithReminder"))

    assert documented["properties"]["reminded_at"] == {
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "description": "when the resident was told",
    }


def test_computed_fields_are_documented_with_the_type_their_contract_gives():
    documented = _documented(answer(booking.LoanOut, "LoanAnswer"))["properties"]

    assert documented["asset_tag"]["type"] == "string"
    assert documented["partner_id"]["type"] == "integer"
    assert documented["status"]["enum"] == [status.value for status in LoanStatus]
    assert documented["due_at"]["format"] == "date-time"


def test_a_date_of_a_contract_is_documented_as_a_date_and_an_id_as_always_there():
    documented = _documented(answer(booking.SeriesOut, "SeriesAnswer"))

    assert documented["properties"]["first_day"]["format"] == "date"
    assert "nullable" not in documented["properties"]["id"]


def test_what_the_gateway_excludes_is_neither_answered_nor_documented():
    loan = answer(booking.LoanOut, "LoanWithoutReason", exclude=("override_reason",))

    assert "override_reason" not in loan().dump({**ROW, "override_reason": "known to the desk"})
    assert "override_reason" not in _documented(loan)["properties"]
