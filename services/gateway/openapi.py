"""The OpenAPI 3 document of the gateway, built from the routes and the very schemas
that validate their requests, and a documentation page made from it.

    GET /openapi.json    the document (apispec with its marshmallow plugin)
    GET /docs            the same, as a plain HTML page (no JavaScript)

Each operation says who may call it (`x-allowed-roles`), its parameters, body and
answers; every error is a Problem (application/problem+json).
"""

import json
import re
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from jinja2 import Environment, select_autoescape
from werkzeug.wrappers import Response

from services.gateway import auth, problems
from services.gateway.routing import ANYONE, JSON, MAX_ID, ROUTES, STAFF, Route, route

TITLE = "Partanum API"
VERSION = "1.0"
DESCRIPTION = """\
One HTTP API for the partners, residents and managers of La Roseraie's pooled
digital-inclusion equipment.

Sign in with `POST /api/sign-in` (staff, managers, administrators) or
`POST /api/residents/sign-in` then `/api/residents/sign-in/verify` (residents), and
send the token as `Authorization: Bearer <token>`. The web pages use the same token
in the `partanum_session` cookie.

Every error is `application/problem+json`: `status`, `title`, `detail`, and for a
400 `errors` (each field at fault with its messages), for a 409 `code` and `details`
(the conflicting period, the alternatives). A 503 carries `Retry-After`. Staff at
the desk act for a resident by adding `acting_for=<resident id>` to the query string,
under the resident's mandate recorded at their partner's desk.
"""

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "400: each field at fault → its messages",
            "additionalProperties": True,
        },
        "code": {"type": "string", "description": "409: which refusal (NotAvailable, …)"},
        "details": {
            "type": "object",
            "description": "409: the conflicting period, the alternatives",
            "additionalProperties": True,
        },
    },
}
RESPONSE_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "Done, nothing to say",
    400: "Invalid input: `errors` names each field at fault",
    401: "Not signed in, or the token expired or was revoked",
    403: "Your role may not do this",
    404: "No such object, or not one you may see",
    409: "Refused by the current state: `details` says why and what is free",
    429: "Too many attempts: wait `Retry-After` seconds",
    503: "A service behind the gateway is not answering: try again after `Retry-After`",
}
_PATH_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": "integer", "float": "number"}
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
_SIGN_IN_PATHS = ("/api/sign-in", "/api/residents/sign-in", "/api/residents/sign-in/verify")


def openapi_path(path: str) -> str:
    """werkzeug's "/api/loans/<int:loan_id>" → OpenAPI's "/api/loans/{loan_id}"."""
    return _PATH_PARAMETER.sub(lambda match: "{" + match["name"] + "}", path)


def _path_parameters(path: str) -> list[dict]:
    return [
        {
            "in": "path",
            "name": match["name"],
            "required": True,
            "schema": _path_schema(match["converter"]),
        }
        for match in _PATH_PARAMETER.finditer(path)
    ]


def _path_schema(converter: str | None) -> dict:
    if converter == "int":  # werkzeug's int takes digits only
        return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {"type": _CONVERTER_TYPES.get(converter, "string")}


def _problem(status: int) -> dict:
    answer = {
        "description": RESPONSE_TEXT[status],
        "content": {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in (429, 503):
        answer["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
        }
    return answer


def _operation(spec_route: Route) -> dict:
    operation = {
        "operationId": spec_route.name,
        "summary": spec_route.summary or spec_route.name.replace("_", " "),
        "tags": [spec_route.tag or "other"],
        "x-allowed-roles": list(spec_route.allow),
    }
    if spec_route.description:
        operation["description"] = spec_route.description
    parameters = _path_parameters(spec_route.path)
    if spec_route.query is not None:
        parameters.append({"in": "query", "schema": spec_route.query})
    if STAFF in spec_route.allow and spec_route.acting:
        parameters.append(
            {
                "in": "query",
                "name": "acting_for",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "description": "staff at the desk: the resident they act for, "
                "under their mandate covering any of " + ", ".join(spec_route.acting),
            }
        )
    if parameters:
        operation["parameters"] = parameters
    if spec_route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": spec_route.body}},
        }
    operation["responses"] = _responses(spec_route)
    operation["security"] = [] if spec_route.public else [{"bearer": []}, {"cookie": []}]
    return operation


def _responses(spec_route: Route) -> dict:
    success = {"description": RESPONSE_TEXT.get(spec_route.status, "OK")}
    content = {}
    if spec_route.status != 204:
        if spec_route.response is not None or not spec_route.produces:
            content[JSON] = {
                "schema": spec_route.response
                if spec_route.response is not None
                else {"type": "object"}
            }
        for media_type in spec_route.produces:
            content[media_type] = {"schema": {"type": "string"}}
    if content:
        success["content"] = content
    responses = {str(spec_route.status): success}
    statuses = [400, 503]
    if not spec_route.public:
        statuses += [401, 403]
    if "<" in spec_route.path or not spec_route.public:
        statuses.append(404)
    if spec_route.method in _WRITES:
        statuses.append(409)
    if spec_route.path in _SIGN_IN_PATHS:
        statuses += [401, 429]
    for status in sorted(set(statuses)):
        responses[str(status)] = _problem(status)
    responses["default"] = {
        "description": "Any other error, as a problem",
        "content": {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    return responses


def build(routes=None) -> dict:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "cookie", {"type": "apiKey", "in": "cookie", "name": auth.SESSION_COOKIE}
    )
    spec.components.schema("Problem", PROBLEM)
    paths: dict[str, dict] = {}
    for spec_route in routes if routes is not None else ROUTES:
        if spec_route.documented:
            paths.setdefault(openapi_path(spec_route.path), {})[spec_route.method.lower()] = (
                _operation(spec_route)
            )
    tags = sorted(
        {operation["tags"][0] for methods in paths.values() for operation in methods.values()}
    )
    for tag in tags:
        spec.tag({"name": tag})
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@lru_cache(maxsize=1)
def document_json() -> str:
    """The document, built once: the routes do not change while the process runs."""
    return json.dumps(build(), ensure_ascii=False)


# --- the documentation page -------------------------------------------------------------

_PAGE = Environment(autoescape=select_autoescape(default=True)).from_string("""\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ info.title }}</title>
<style>
body{font-family:sans-serif;line-height:1.5;max-width:60rem;margin:0 auto;padding:1rem;color:#111}
code,pre{background:#f2f2f2;padding:0 .2em}pre{padding:.5em;overflow-x:auto}
.op{border-top:1px solid #999;padding-top:.5rem;margin-top:1rem}
.method{font-weight:bold;text-transform:uppercase}
table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .4em;text-align:left}
a{color:#0645ad}a:focus{outline:3px solid #f90}
</style></head>
<body>
<header><h1>{{ info.title }} <small>{{ info.version }}</small></h1>
<p><a href="/openapi.json">The OpenAPI 3 document (JSON)</a></p></header>
<main>
{% for paragraph in info.description.split("\\n\\n") %}<p>{{ paragraph }}</p>{% endfor %}
<nav aria-label="Sections"><ul>{% for tag in tags %}
<li><a href="#tag-{{ tag }}">{{ tag }}</a></li>{% endfor %}</ul></nav>
{% for tag in tags %}
<section id="tag-{{ tag }}" aria-labelledby="heading-{{ tag }}">
<h2 id="heading-{{ tag }}">{{ tag }}</h2>
{% for op in operations if op.tag == tag %}
<article class="op" id="{{ op.id }}" aria-labelledby="op-{{ op.id }}">
<h3 id="op-{{ op.id }}"><span class="method">{{ op.method }}</span> <code>{{ op.path }}</code></h3>
<p>{{ op.summary }}</p>
{% if op.description %}<pre>{{ op.description }}</pre>{% endif %}
<p>Who may call it: {{ op.roles }}</p>
{% if op.parameters %}<table><caption>Parameters</caption>
<tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Required</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p.in }}</td>
<td>{{ p.type }}</td><td>{{ "yes" if p.required else "no" }}</td></tr>{% endfor %}
</table>{% endif %}
{% if op.body %}<p>Body (<code>application/json</code>):</p>{{ fields(op.body) }}{% endif %}
<p>Answers: {% for status, text in op.responses %}<code>{{ status }}</code> {{ text }}
{%- if not loop.last %}; {% endif %}{% endfor %}</p>
</article>
{% endfor %}
</section>
{% endfor %}
<section id="problems" aria-labelledby="heading-problems"><h2 id="heading-problems">Problems</h2>
{% for status, text in problem_texts %}<p id="problem-{{ status }}"><code>{{ status }}</code> {{ text }}</p>{% endfor %}
</section>
</main></body></html>
""")


def _type_of(schema: dict, components: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return "list of " + _type_of(schema.get("items", {}), components)
    kind = schema.get("type", "object")
    if "enum" in schema:
        kind += " (" + ", ".join(map(str, schema["enum"])) + ")"
    if "format" in schema:
        kind += f" ({schema['format']})"
    return kind


def page_context(document: dict) -> dict:
    components = document.get("components", {}).get("schemas", {})

    def resolve(schema):
        while "$ref" in schema:
            schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return schema

    def fields(schema) -> str:
        from markupsafe import Markup, escape

        schema = resolve(schema)
        required = set(schema.get("required", ()))
        rows = "".join(
            f"<tr><td><code>{escape(name)}</code></td><td>{escape(_type_of(prop, components))}"
            f"</td><td>{'yes' if name in required else 'no'}</td></tr>"
            for name, prop in schema.get("properties", {}).items()
        )
        return Markup(
            '<table><tr><th scope="col">Field</th><th scope="col">Type</th>'
            f'<th scope="col">Required</th></tr>{rows}</table>'
        )

    operations = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required"),
                    "type": _type_of(p.get("schema", {}), components),
                }
                for p in operation.get("parameters", [])
            ]
            body = operation.get("requestBody", {}).get("content", {}).get(JSON, {}).get("schema")
            roles = operation.get("x-allowed-roles", [])
            operations.append(
                {
                    "id": operation["operationId"],
                    "tag": operation["tags"][0],
                    "method": method,
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description"),
                    "roles": "anyone" if ANYONE in roles else ", ".join(roles),
                    "parameters": parameters,
                    "body": body,
                    "responses": [
                        (status, answer.get("description", ""))
                        for status, answer in operation["responses"].items()
                    ],
                }
            )
    return {
        "info": document["info"],
        "tags": [tag["name"] for tag in document.get("tags", [])],
        "operations": operations,
        "fields": fields,
        "problem_texts": sorted(
            (status, text) for status, text in RESPONSE_TEXT.items() if status >= 400
        ),
    }


@lru_cache(maxsize=1)
def docs_html() -> str:
    return _PAGE.render(**page_context(build()))


class OpenApiDocs:
    @route("GET", "/openapi.json", allow=(ANYONE,), documented=False)
    def openapi_document(self, request, who):
        return Response(document_json(), content_type=JSON)

    @route("GET", "/docs", allow=(ANYONE,), documented=False, produces=("text/html",))
    def documentation(self, request, who):
        return Response(docs_html(), content_type="text/html; charset=utf-8")
