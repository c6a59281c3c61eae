"""Property-based tests of the HTTP API from its own OpenAPI document (schemathesis),
against the whole running system on a real RabbitMQ: whatever is sent, valid or
not, the gateway never answers 5xx, and every answer (status, content type,
headers, body) is one the document announces.

Each role signs in once and every documented operation is tried as that role:
a member of partner staff (who may call most of the API), a manager (who reads
everything) and a resident (who sees only their own). Generated requests change
the network as they go (they may register items, cancel reservations); the
system is this module's own.

`POST /api/sign-out` is left out of the generated requests: it would revoke the
very token the run uses, and every later request would only test the 401. Its
behaviour is tested in test_gateway_journeys.py.
"""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway import openapi
from services.gateway.service import Service  # noqa: F401 -- registers every route

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 4  # per operation and role, for the three roles: about a minute on two cores
ROLES = ("staff@jean-vilar.test", "manager@angers.test", "resident")


@pytest.fixture(scope="module")
def sessions(system):
    """One signed-in session per role, kept for the whole run."""
    return {
        role: (
            system.resident_session(system.world.residents["jean-vilar"])
            if role == "resident"
            else system.sign_in(role)
        )
        for role in ROLES
    }


# The document is built here from the same routes and schemas as the gateway builds
# it (schemathesis' pytest plugin cannot yet load it from a fixture under pytest 9);
# the first test checks that the running gateway serves exactly this document.
DOCUMENT = openapi.build()
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(method="POST", path="/api/sign-out")


def test_the_gateway_serves_the_document_these_tests_are_generated_from(system):
    served = system.client().get("/openapi.json")

    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(DOCUMENT))


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def call(case, session, system):
    case.call_and_validate(
        base_url=system.url.rstrip("/"),
        session=session,
        checks=CHECKS,
        headers={"Authorization": session.headers["Authorization"]},
    )
    system.check_alive()


@schema.parametrize()
@FUZZ
def test_partner_staff_get_no_server_error_and_answers_as_documented(case, sessions, system):
    call(case, sessions["staff@jean-vilar.test"], system)


@schema.parametrize()
@FUZZ
def test_a_manager_gets_no_server_error_and_answers_as_documented(case, sessions, system):
    call(case, sessions["manager@angers.test"], system)


@schema.parametrize()
@FUZZ
def test_a_resident_gets_no_server_error_and_answers_as_documented(case, sessions, system):
    call(case, sessions["resident"], system)
