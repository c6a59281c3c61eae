"""Errors every service raises across RPC.

They are registered with nameko so that a caller gets the same exception class
back, with its fields, instead of a bare RemoteError; the gateway maps them once
to HTTP statuses.
"""

from nameko.exceptions import RpcTimeout, deserialize_to_instance


class PartanumError(Exception):
    """Base of the errors a caller is expected to handle."""


@deserialize_to_instance
class InvalidInput(PartanumError):
    """The request is malformed; `fields` maps each field at fault to its messages."""

    def __init__(self, fields: dict):
        super().__init__(fields)
        self.fields = fields

    def __str__(self):
        return "invalid input: " + ", ".join(sorted(map(str, self.fields)))


class InvalidEvent(Exception):
    """An event that breaks the envelope or its contract: a bug, not a user's mistake."""

    def __init__(self, fields: dict):
        super().__init__(fields)
        self.fields = fields


@deserialize_to_instance
class NotFound(PartanumError):
    def __init__(self, kind: str, key):
        super().__init__(kind, key)
        self.kind, self.key = kind, key

    def __str__(self):
        return f"{self.kind} {self.key!r} not found"


@deserialize_to_instance
class Conflict(PartanumError):
    """The request is valid but the current state refuses it."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message, details or {})
        self.message, self.details = message, details or {}

    def __str__(self):
        return self.message


def load(schema, payload) -> dict:
    """Load `payload` with a marshmallow schema, or raise InvalidInput naming each field."""
    from marshmallow import ValidationError

    from partanum.inputs import refusals

    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["expected a JSON object"]})
    # Here too, for a schema that is not partanum.inputs.Input.
    if refusals(payload):
        raise InvalidInput(refusals(payload))
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise InvalidInput(error.normalized_messages()) from None


@deserialize_to_instance
class DeadlinePassed(PartanumError, RpcTimeout):
    """The caller has given up waiting, or is about to: nothing was done (partanum.deadline).

    An RpcTimeout too, so that the gateway answers it as it answers a service that did
    not answer in time: 503 and Retry-After, and the pages their "try again"."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what

    def __str__(self):
        return f"{self.what}: past its caller's deadline, nothing done"
