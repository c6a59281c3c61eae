"""Who may see what, how errors are answered, and the OpenAPI document's shape:
the gateway's rules without a server."""

import json

import pytest
from marshmallow import Schema, fields
from nameko.exceptions import RpcTimeout, UnknownService

from partanum.errors import Conflict, InvalidInput, NotFound
from services.booking.exceptions import NotAvailable
from services.gateway import openapi, problems
from services.gateway.authz import Denied, Principal
from services.gateway.routing import ANYONE, STAFF, Route

DESK = Principal(role="staff", account_id=12, partner_id=3)
MANAGER = Principal(role="manager", account_id=2)
AMINA = Principal(role="resident", resident_id=7)


def test_the_actor_says_who_did_it_and_for_whom():
    assert DESK.actor == "staff:12"
    assert AMINA.actor == "resident:7"
    assert (
        Principal(role="staff", account_id=12, partner_id=3, acting_for=7).actor
        == "staff:12 for resident:7"
    )
    assert Principal().actor == "anonymous"


def test_staff_see_their_partners_records_and_managers_see_all():
    assert DESK.may_see_reservation({"partner_id": 3})
    assert not DESK.may_see_reservation({"partner_id": 4})
    assert MANAGER.may_see_reservation({"partner_id": 4})
    assert not AMINA.may_see_reservation({"partner_id": 3})


def test_a_resident_is_themself_and_no_one_else():
    assert AMINA.is_resident(7) and not AMINA.is_resident(8)
    assert not DESK.is_resident(7)
    assert Principal(role="staff", account_id=12, partner_id=3, acting_for=7).is_resident(7)


def test_managers_read_records_but_not_contact_details():
    assert not MANAGER.may_see_contact_details([3], 7)
    assert DESK.may_see_contact_details([3], 7)
    assert not DESK.may_see_contact_details([4], 7)
    assert AMINA.may_see_contact_details([], 7)


def body(exc):
    response = problems.response_for(exc)
    return response.status_code, json.loads(response.get_data()), response


@pytest.mark.parametrize(
    "exc, status",
    [
        (InvalidInput({"quantity": ["Must be at least 1."]}), 400),
        (NotFound("reservation", 9), 404),
        (Denied(), 404),
        (Denied(action=True), 403),
        (Conflict("taken", {"period": ["a", "b"]}), 409),
        (NotAvailable("taken", {"alternatives": []}), 409),
        (UnknownService("booking"), 503),
        (RpcTimeout("booking.reserve"), 503),
        (ConnectionRefusedError(), 503),
        (KeyError("a bug"), 500),
    ],
)
def test_each_error_is_answered_with_its_status_as_a_problem(exc, status):
    code, problem, response = body(exc)

    assert code == problem["status"] == status
    assert response.content_type == "application/problem+json"
    assert "Traceback" not in json.dumps(problem) and "a bug" not in json.dumps(problem)


def test_a_400_names_the_fields_and_a_409_carries_its_details():
    assert body(InvalidInput({"quantity": ["Must be at least 1."]}))[1]["errors"] == {
        "quantity": ["Must be at least 1."]
    }
    conflict = body(NotAvailable("taken", {"alternatives": [{"site": "mistral"}]}))[1]
    assert conflict["code"] == "NotAvailable"
    assert conflict["details"] == {"alternatives": [{"site": "mistral"}]}


def test_a_503_says_when_to_try_again():
    assert int(body(UnknownService("booking"))[2].headers["Retry-After"]) > 0


def test_a_denied_object_looks_exactly_like_a_missing_one():
    assert body(Denied())[1] == body(NotFound("reservation", 9))[1]


class LoanFilters(Schema):
    overdue = fields.Boolean()


class LoanOut(Schema):
    id = fields.Integer()


ROUTES = [
    Route("GET", "/api/loans/<int:loan_id>", "get_loan", (STAFF,), response=LoanOut(), tag="loans"),
    Route(
        "GET",
        "/api/loans",
        "list_loans",
        (STAFF,),
        query=LoanFilters(),
        response=LoanOut(many=True),
        tag="loans",
        produces=("text/csv",),
    ),
    Route("GET", "/api/health", "health", (ANYONE,), tag="other"),
    Route("GET", "/", "home", (ANYONE,), documented=False),
]


def test_the_document_is_valid_openapi_3_built_from_the_routes_and_their_schemas():
    from openapi_spec_validator import validate

    document = openapi.build(ROUTES)

    validate(document)
    loan = document["paths"]["/api/loans/{loan_id}"]["get"]
    assert loan["parameters"][0] == {
        "in": "path",
        "name": "loan_id",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    }
    assert {"404", "401", "403", "503"} <= set(loan["responses"])
    listing = document["paths"]["/api/loans"]["get"]
    assert "overdue" in [p["name"] for p in listing["parameters"]]
    assert set(listing["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert document["paths"]["/api/health"]["get"]["security"] == []
    assert "/" not in document["paths"]


def test_the_documentation_page_needs_no_javascript():
    html = openapi._PAGE.render(**openapi.page_context(openapi.build(ROUTES)))

    assert "<script" not in html
    assert "/api/loans/{loan_id}" in html and 'lang="en"' in html
