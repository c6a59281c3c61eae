"""Every error the gateway answers, as `application/problem+json` (RFC 9457), mapped here once.

    {"type": "/docs#problem-400", "title": "Invalid input", "status": 400,
     "detail": "invalid input: quantity", "errors": {"quantity": ["Must be at least 1."]}}

Remote errors come back from the services as the same classes (partanum.errors and
each service's exceptions register themselves with nameko). Nothing here ever sends
a stack trace: anything unexpected is logged and answered with a bare 500.
"""

import json
import logging

from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

# Registered on import, so that their instances come back from RPC as themselves.
import services.booking.exceptions  # noqa: F401 -- registers the booking's refusals
import services.inventory.exceptions  # noqa: F401 -- registers the inventory's refusals
from partanum.errors import Conflict, InvalidInput, NotFound
from services.gateway.authz import Denied

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# What a client is told to wait before trying again when a service does not answer.
RETRY_AFTER_SECONDS = 5


class Problem(Exception):
    """An HTTP error raised on purpose by the gateway itself."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        headers: dict | None = None,
        **extra,
    ):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.extra = extra


def unauthorised(detail="Sign in first: a bearer token or the session cookie.") -> Problem:
    return Problem(
        401, "Not signed in", detail, headers={"WWW-Authenticate": 'Bearer realm="partanum"'}
    )


def too_many_requests(retry_after: int) -> Problem:
    return Problem(
        429,
        "Too many attempts",
        "Wait before trying again.",
        headers={"Retry-After": str(max(1, int(retry_after)))},
    )


def invalid(fields: dict) -> Problem:
    return problem_for(InvalidInput(fields))


def response(status: int, title: str, detail=None, headers=None, **extra) -> Response:
    body = {"type": f"/docs#problem-{status}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(
        json.dumps(body, default=str), status=status, headers=headers, content_type=PROBLEM_JSON
    )


def problem_for(exc: BaseException) -> Problem:
    """The Problem an exception stands for."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, Denied):
        if exc.action:
            return Problem(403, "Forbidden", "Your role does not allow this.")
        return Problem(404, "Not found")
    if isinstance(exc, InvalidInput):
        return Problem(400, "Invalid input", str(exc), errors=exc.fields)
    if isinstance(exc, NotFound):
        return Problem(404, "Not found")
    if isinstance(exc, Conflict):
        return Problem(409, "Conflict", exc.message, code=type(exc).__name__, details=exc.details)
    if isinstance(exc, (UnknownService, RpcTimeout, OperationalError, ConnectionError)):
        return Problem(
            503,
            "Service unavailable",
            "A service behind the gateway is not answering; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return Problem(exc.code, exc.name, exc.description)
    if isinstance(exc, RemoteError):
        log.error("unexpected error in a service: %s", exc)
    else:
        log.error("unexpected error: %r", exc, exc_info=exc)
    return Problem(500, "Internal error", "Something went wrong on our side; it was logged.")


def response_for(exc: BaseException) -> Response:
    problem = problem_for(exc)
    return response(problem.status, problem.title, problem.detail, problem.headers, **problem.extra)


# Raised inside a worker, these are answers, not failures: nameko logs them quietly.
EXPECTED = (Problem, Denied, InvalidInput, NotFound, Conflict, UnknownService, RpcTimeout)
