"""Bad input, generated (hypothesis) for every route of the gateway's route table, on
both databases: text with a NUL or a lone surrogate, integers beyond what the
databases hold, lists nested a thousand deep, dates beyond the horizon. Each is put
in one field of a request (its path, query string or JSON body) sent as a role the
route allows, and every answer is a 4xx that names that field, never a 5xx.

Nothing changes: the gateway's tables are the same after every route's attempts,
and no service runs beside the gateway, so a request that got past loading would
reach for one and be answered 503, which fails the test.

The profile is fixed (EXAMPLES per field, derandomized, no deadline): the same
requests on every run, about a thousand per database in some twenty seconds.
"""

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import config, inputs
from services.gateway.models import Base
from services.gateway.routing import ANYONE, ROUTES
from services.gateway.service import Service  # noqa: F401 -- registers every route
from tests.integration.browser import Browser
from tests.integration.gateway import PASSWORD

EXAMPLES = 4  # per field of each route
PROFILE = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
ROLE_ORDER = ("staff", "manager", "admin", "resident")
PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
# Where the bad value goes in the JSON text of the body: a nesting too deep for
# Python's own json.dumps is written as text.
SLOT = "\ufdd0slot\ufdd0"

# --- the classes of bad values --------------------------------------------------------

beyond_int = st.one_of(
    st.integers(min_value=inputs.MAX_INT + 1, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=inputs.MIN_INT - 1),
)
with_nul = st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=5), st.text(max_size=5))
with_surrogate = st.builds(
    lambda a, s, b: f"{a}{chr(s)}{b}",
    st.text(max_size=5),
    st.integers(0xD800, 0xDFFF),
    st.text(max_size=5),
)
too_deep = st.integers(min_value=inputs.MAX_DEPTH + 1, max_value=5000).map(
    lambda depth: _Raw("[" * depth + "]" * depth)
)


def beyond_horizon(field):
    """A date the field's type would read, before 2000 or after the horizon."""
    after = date.today() + timedelta(days=config.date_horizon_days() + 2)  # in every zone
    days = st.one_of(
        st.dates(min_value=after), st.dates(max_value=inputs.EARLIEST - timedelta(days=1))
    )
    if isinstance(field, fields.DateTime):
        return days.map(lambda d: datetime.combine(d, time(10), UTC).isoformat())
    return days.map(date.isoformat)


class _Raw(str):
    """JSON text written into the body as it is."""


def bad_values(field, where: str):
    if where == "path":
        return beyond_int.map(str) if field == "int" else with_nul
    dates = [beyond_horizon(field)] if isinstance(field, (fields.Date, fields.DateTime)) else []
    if where == "query":  # text only: no surrogate survives a URL, digits are text elsewhere
        numbers = [beyond_int.map(str)] if isinstance(field, fields.Integer) else []
        return st.one_of(with_nul, *numbers, *dates)
    return st.one_of(with_nul, with_surrogate, beyond_int, too_deep, *dates)


def targets(route):
    """(where, name, field) for every value a request to the route carries."""
    found = [
        ("path", name, converter or "string")
        for converter, name in PATH_PARAMETER.findall(route.path)
    ]
    for where, schema in (("query", route.query), ("body", route.body)):
        if schema is not None:
            found += [
                (where, field.data_key or name, field)
                for name, field in schema.fields.items()
                if not field.dump_only
            ]
    return found


def request_for(route, where, name, value) -> dict:
    path = route.path
    for converter, parameter in PATH_PARAMETER.findall(route.path):
        given = (
            value if (where, parameter) == ("path", name) else "1" if converter == "int" else "X-1"
        )
        path = path.replace(
            f"<{converter + ':' if converter else ''}{parameter}>", quote(given, safe="")
        )
    request = {"method": route.method, "path": path, "params": None, "data": None}
    if where == "query":
        request["params"] = {name: value}
    if where == "body":
        raw = value if isinstance(value, _Raw) else json.dumps(value)
        request["data"] = json.dumps({name: SLOT}).replace(json.dumps(SLOT), raw).encode()
    return request


# --- the gateway, and who asks ------------------------------------------------------------


@pytest.fixture
def callers(gateway):
    """A bearer token per role (None: nobody signed in)."""
    tokens = {None: None, "resident": gateway.token_for(resident_id=1)}
    for role, partner in (("staff", 1), ("manager", None), ("admin", None)):
        account = gateway.add_account(f"{role}@angers.example", role=role, partner_id=partner)
        tokens[role] = gateway.token_for(account_id=account)
    return tokens


def caller_for(route) -> str | None:
    return None if ANYONE in route.allow else next(r for r in ROLE_ORDER if r in route.allow)


def tables_of(gateway) -> dict:
    with Session(gateway.engine) as session:
        return {
            table.name: sorted(map(tuple, session.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


def test_bad_input_in_any_field_of_any_route_is_a_4xx_naming_it_and_changes_nothing(
    gateway, callers
):
    routes_tried = 0
    for route in ROUTES:
        token = callers[caller_for(route)]
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        before = tables_of(gateway)
        for where, name, field in targets(route):
            attempt_bad_values(gateway, route, headers, where, name, field)
        assert tables_of(gateway) == before, f"{route.method} {route.path} changed the gateway"
        routes_tried += bool(targets(route))
    assert routes_tried >= 78  # every route that takes input (of 102 routes, pages included)


def attempt_bad_values(gateway, route, headers, where, name, field):
    for value in examples(bad_values(field, where)):
        sent = request_for(route, where, name, value)
        answer = requests.request(
            sent["method"],
            gateway.url(sent["path"]),
            params=sent["params"],
            data=sent["data"],
            headers=headers,
            timeout=10,
            allow_redirects=False,
        )
        said = (
            f"{route.method} {route.path} with {where} {name}={value!r}: "
            f"{answer.status_code} {answer.text[:300]}"
        )
        if where == "path" and field == "int":
            assert answer.status_code == 404, said  # as any id that is not there
        else:
            assert answer.status_code == 400, said
            assert name in answer.json()["errors"], said


def examples(strategy) -> list:
    """What hypothesis generates, sent afterwards: while it runs an example it seeds
    the global `random`, and any green thread drawing from it meanwhile (nameko's
    fixtures name the next test's RabbitMQ vhost so) would draw the same values
    in every test."""
    found = []

    @PROFILE
    @given(strategy)
    def collect(value):
        found.append(value)

    collect()
    return found


@pytest.fixture
def body_cap(gateway_config):
    gateway_config["MAX_BODY_BYTES"] = 2000
    return 2000


def test_a_body_over_the_configured_size_is_refused_413_naming_the_limit(body_cap, gateway):
    body = json.dumps({"email": "ines@jean-vilar.example", "password": "x" * body_cap})

    answer = requests.post(
        gateway.url("/api/sign-in"),
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert answer.status_code == 413, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert "2000 bytes" in answer.json()["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_python_only_json_numbers_are_not_json(gateway, constant):
    answer = requests.post(
        gateway.url("/api/sign-in"),
        data=f'{{"email": {constant}}}',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert answer.status_code == 400 and "_schema" in answer.json()["errors"], answer.text


@pytest.mark.parametrize(
    "path, field", [("/sign-in", "email"), ("/resident/sign-in", "identifier")]
)
def test_a_page_form_with_a_nul_names_the_field_and_changes_nothing(gateway, path, field):
    gateway.add_account("ines@jean-vilar.example", role="staff", partner_id=1)
    browser = Browser(gateway)
    form = browser.get(path)
    before = tables_of(gateway)

    page = browser.submit(path, form, {field: "ines@jean-vilar.example\x00", "password": PASSWORD})

    assert page.status == 400, page.text
    assert page.first("a", href=f"#{field}") is not None
    assert tables_of(gateway) == before
