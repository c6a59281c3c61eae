"""The one way to declare an HTTP endpoint of the gateway.

    from services.gateway.routing import route, ADMIN, MANAGER, STAFF, RESIDENT, ANYONE

    class BookingApi:
        @route("POST", "/api/reservations", body=schemas.ReservationIn,
               response=schemas.ReservationOut, status=201, allow=(STAFF,),
               summary="Reserve equipment for a workshop", tag="reservations")
        def reserve(self, request, who, body):
            return self.booking.reserve(body)

For each request the decorator, in this order:
1. authenticates the bearer token or the session cookie into `who` (a Principal);
   no valid token on a route not open to ANYONE → 401;
2. refuses a role not in `allow` → 403;
3. takes `acting_for=<resident id>` from the query string when staff act for a
   resident at the desk, under the resident's valid mandate to the caller's
   partner covering one of the route's `acting` scopes (the actor becomes
   "staff:12 for resident:7 under mandate:3"); without one, or on a route that
   does nothing for a resident, 404 as if there were no such resident;
4. loads `query` from the query string and `body` from the JSON body with their
   marshmallow schemas (an unknown field, or a value partanum.inputs refuses → 400
   naming it; a body over MAX_BODY_BYTES → 413) and passes them as the keyword
   arguments `query` and `body`; path parameters come as keyword arguments;
5. records `who.actor` in the call's context, so every RPC carries it into the
   services' events;
6. dumps what the function returns with `response` (a dict or list is sent as
   JSON; a werkzeug Response, for HTML, iCalendar or CSV, is sent as it is).
Every exception becomes a problem+json response in problems.py. Each route is
recorded in ROUTES, which the OpenAPI document is built from.
"""

import inspect
import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from marshmallow import Schema
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request, Response

from partanum import inputs
from partanum.web_server import ExclusiveWebServer
from services.gateway import auth, problems
from services.gateway.authz import ADMIN, MANAGER, RESIDENT, STAFF, Principal, require
from services.gateway.settings import Settings

__all__ = ["route", "ADMIN", "MANAGER", "STAFF", "RESIDENT", "ANYONE", "ROUTES", "Route"]

log = logging.getLogger(__name__)

# Open to everyone, signed in or not (`who.signed_in` tells which).
ANYONE = "anyone"
JSON = "application/json"
# Ids are 32-bit integers in every service's tables.
MAX_ID = inputs.MAX_INT


@dataclass
class Route:
    method: str
    path: str
    name: str
    allow: tuple
    body: Schema | None = None
    query: Schema | None = None
    response: Schema | None = None
    status: int = 200
    summary: str | None = None
    description: str | None = None
    tag: str | None = None
    # Content types of a successful answer other than JSON ("text/calendar", "text/html").
    produces: tuple = ()
    # Shown in the OpenAPI document; pages keep out of it.
    documented: bool = True
    # What staff may do here for a resident (`acting_for`): the scopes of a mandate
    # that allow it ("loans", "data", "contact"); none, and nobody acts for anyone.
    acting: tuple = ()

    @property
    def public(self) -> bool:
        return ANYONE in self.allow


ROUTES: list[Route] = []


def _schema(schema):
    if schema is None or isinstance(schema, Schema):
        return schema
    return schema()


def route(
    method: str,
    path: str,
    *,
    allow=(ANYONE,),
    body=None,
    query=None,
    response=None,
    status: int = 200,
    summary=None,
    tag=None,
    description=None,
    produces=(),
    documented=True,
    acting=(),
):
    """Declare an endpoint (see the module's docstring)."""
    allow = tuple(allow)
    unknown_roles = set(allow) - {ADMIN, MANAGER, STAFF, RESIDENT, ANYONE}
    if unknown_roles:
        raise ValueError(f"unknown roles {unknown_roles} in allow= of {method} {path}")

    def decorate(fn):
        spec = Route(
            method=method.upper(),
            path=path,
            name=fn.__name__,
            allow=allow,
            body=_schema(body),
            query=_schema(query),
            response=_schema(response),
            status=status,
            summary=summary,
            tag=tag,
            produces=tuple(produces),
            description=description or inspect.cleandoc(fn.__doc__ or "") or None,
            documented=documented,
            acting=tuple(acting),
        )
        ROUTES.append(spec)

        def endpoint(self, request, **path_values):
            try:
                return _serve(self, spec, fn, request, path_values)
            except problems.EXPECTED as exc:  # answers, not failures: no stack trace in the log
                return problems.response_for(exc)

        endpoint.__name__ = fn.__name__
        endpoint.__qualname__ = fn.__qualname__
        endpoint.__doc__ = fn.__doc__
        endpoint.route = spec
        return RouteEntrypoint.decorator(spec.method, path, route=spec)(endpoint)

    return decorate


def _serve(service, spec: Route, fn, request, path_values):
    who = authenticate(service, request, spec)
    service.call_context.act_as(who.actor)
    if "acting_for" in request.args:
        who = _acting_for(service, spec, who, request.args.get("acting_for"))
        service.call_context.act_as(who.actor)
    if any(isinstance(value, int) and value > MAX_ID for value in path_values.values()):
        raise problems.Problem(404, "Not found")  # beyond any id the databases hold
    kwargs = load_path(path_values)
    if spec.query is not None:
        kwargs["query"] = load(spec.query, query_dict(request, exclude=("acting_for",)))
    if spec.body is not None:
        kwargs["body"] = load(spec.body, json_body(request))
    result = fn(service, request, who, **kwargs)
    return to_response(spec, result)


def now() -> datetime:
    return datetime.now(UTC)


def authenticate(service, request, spec: Route) -> Principal:
    secret = auth.token_from(request)
    who = None
    if secret:
        with service.db.transaction() as tx:
            who = auth.principal_for(tx.session, secret, now())
    if who is None:
        if spec.public:
            return Principal()
        raise problems.unauthorised()
    require(spec.public or who.role in spec.allow, action=True)
    return who


def _acting_for(service, spec: Route, who: Principal, value) -> Principal:
    """Staff act for a resident only under the resident's valid mandate to their
    partner covering what the route does; anything else answers 404, as if there
    were no such resident."""
    require(who.role == STAFF, action=True)
    try:
        resident_id = int(value)
    except (TypeError, ValueError):
        raise problems.invalid({"acting_for": ["Not a valid integer."]}) from None
    require(0 < resident_id <= MAX_ID and bool(spec.acting))
    # NotFound (a 404) when the partner has no relationship with the resident.
    mandate_id = service.booking.valid_mandate(
        {"resident_id": resident_id, "partner_id": who.partner_id, "scopes": list(spec.acting)}
    )["mandate_id"]
    require(mandate_id is not None)
    return replace(who, acting_for=resident_id, mandate_id=mandate_id)


def query_dict(request, exclude=()) -> dict:
    """The query string; a name given several times becomes a list."""
    out = {}
    for name in request.args:
        if name in exclude:
            continue
        values = request.args.getlist(name)
        out[name] = values[0] if len(values) == 1 else values
    return out


def load_path(path_values: dict) -> dict:
    """The path's parameters; text no service could look up (a NUL) → 400 naming it."""
    refused = {
        name: [inputs.unstorable(value)]
        for name, value in path_values.items()
        if inputs.unstorable(value)
    }
    if refused:
        raise problems.invalid(refused)
    return dict(path_values)


def json_body(request):
    try:
        if not request.get_data():
            return {}
    except RequestEntityTooLarge:
        raise problems.Problem(
            413, "Body too large", f"Send at most {request.max_content_length} bytes."
        ) from None
    if request.mimetype != JSON:
        raise problems.invalid({"_schema": [f"send the body as {JSON}"]})
    text = request.get_data(as_text=True)
    try:
        return json.loads(text, parse_constant=_not_json)
    except RecursionError:  # too deep for Python's parser: the schemas cannot see which field
        raise problems.invalid(
            {_field_nested_too_deep(text): [f"nested deeper than {inputs.MAX_DEPTH} levels"]}
        ) from None
    except ValueError:
        raise problems.invalid({"_schema": ["the body is not valid JSON"]}) from None


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")  # Python's json takes NaN and Infinity


JSON_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[][{}]', re.DOTALL)


def _field_nested_too_deep(text: str) -> str:
    """The top-level field whose value nests deeper than MAX_DEPTH in this JSON text."""
    depth, field = 0, "_schema"
    for token in JSON_STRING_OR_BRACKET.finditer(text):
        token = token.group()
        if token in ("[", "{"):
            depth += 1
            if depth > inputs.MAX_DEPTH:
                return field
        elif token in ("]", "}"):
            depth -= 1
        elif depth == 1:  # a key of the body, or its value: a key comes just before its value
            field = json.loads(token)
    return "_schema"


def load(schema: Schema, payload) -> dict:
    from marshmallow import ValidationError

    if not isinstance(payload, dict):
        raise problems.invalid({"_schema": ["expected a JSON object"]})
    # Here too, for the few schemas that are not partanum.inputs.Input (accounts, sign-in).
    refused = inputs.refusals(payload)
    if refused:
        raise problems.invalid(refused)
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise problems.invalid(error.normalized_messages()) from None


def json_response(payload, status: int = 200, headers=None) -> Response:
    return Response(
        json.dumps(payload, default=str, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type=JSON,
    )


def to_response(spec: Route, result) -> Response:
    if isinstance(result, Response):
        return result
    if spec.status == 204 or (result is None and spec.response is None):
        return Response(status=204)
    if spec.response is not None:
        result = spec.response.dump(result)
    return json_response(result, spec.status)


# --- nameko plumbing -----------------------------------------------------------------


class CallContext(DependencyProvider):
    """Lets a route put the actor in the worker's context data, which nameko copies
    into the headers of every RPC the worker makes (partanum.dependencies reads it
    on the other side). `worker_ctx.context_data` is a copy: the entry goes in
    `worker_ctx.data`."""

    def get_dependency(self, worker_ctx):
        return _CallContext(worker_ctx)


class _CallContext:
    def __init__(self, worker_ctx):
        self._worker_ctx = worker_ctx

    def act_as(self, actor: str) -> None:
        self._worker_ctx.data["actor"] = actor


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, answering problem+json for unknown paths and methods too,
    and a page in the reader's language to a browser outside /api/ (pages/frame.py)."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        # Read no further than this: werkzeug raises RequestEntityTooLarge (413).
        request.max_content_length = self.max_body_bytes
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            if exc.code < 400:  # a redirect (a missing trailing slash): as werkzeug says
                return exc(environ, start_response)
            response = problems.response_for(exc)
            if getattr(exc, "valid_methods", None):
                response.headers["Allow"] = ", ".join(exc.valid_methods)
        except Exception as exc:  # noqa: BLE001 -- never a stack trace to the client
            response = problems.response_for(exc)
        return _for_browser(request, response)(environ, start_response)


def _for_browser(request, response: Response) -> Response:
    """A problem answered outside /api/ to a browser becomes a page saying it."""
    if response.mimetype != problems.PROBLEM_JSON:
        return response
    # The pages build on this module: imported when first needed.
    from services.gateway.pages import frame

    try:
        if not frame.wants_page(request):
            return response
        problem = problems.Problem(response.status_code, "", headers=dict(response.headers.items()))
        problem.headers.pop("Content-Type", None)
        problem.headers.pop("Content-Length", None)
        return frame.error_page(request, problem)
    except Exception:  # noqa: BLE001 -- the problem+json answer is still right
        log.exception("the error page failed")
        return response


class ProblemWebServer(ExclusiveWebServer):
    def get_wsgi_app(self):
        settings = Settings.from_config(self.container.config)
        app = ProblemWsgiApp(self)
        app.max_body_bytes = settings.max_body_bytes
        # Behind N reverse proxies (TLS), the client's address is the one the
        # nearest proxy appended to X-Forwarded-For: the rate limits count it.
        proxies = settings.trusted_proxies
        return ProxyFix(app, x_for=proxies, x_proto=proxies) if proxies else app


class RouteEntrypoint(HttpRequestHandler):
    """nameko's http entrypoint carrying its Route, answering problems for errors."""

    server = ProblemWebServer()

    def __init__(self, method, url, route: Route = None, **kwargs):
        kwargs.setdefault("expected_exceptions", problems.EXPECTED)
        super().__init__(method, url, **kwargs)
        self.route = route

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        return to_response(self.route, result)

    def response_from_exception(self, exc):
        return problems.response_for(exc)
