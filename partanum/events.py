"""The event envelope, and the registry of event contracts.

Every event crossing the broker has the same envelope:

    {"id": "9b0c…", "type": "inventory.item_registered", "version": 1,
     "occurred_at": "2026-11-24T09:30:00+00:00", "producer": "inventory",
     "actor": "staff:42", "data": {"item_id": 17, "asset_tag": "JV-TAB-001"}}

`data` is checked against the schema registered for (type, version), both when
the event is produced and when it is consumed. Events carry ids, never a
resident's personal data nor words typed by staff: the contracts only name ids,
codes from fixed lists (validate.OneOf) and references (`reference()`); the
words stay in the service where they were typed, where erasure reaches them.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from partanum.errors import InvalidEvent

_CONTRACTS: dict[tuple[str, int], Schema] = {}
_LATEST: dict[str, int] = {}


def contract(event_type: str, version: int = 1):
    """Class decorator registering the schema of an event's `data`."""

    def register(schema_cls):
        _CONTRACTS[(event_type, version)] = schema_cls(unknown=RAISE)
        _LATEST[event_type] = max(version, _LATEST.get(event_type, 0))
        return schema_cls

    return register


def require(*contract_modules: ModuleType) -> None:
    """Name the contract modules whose events a module produces or reads.

    Importing a contract module registers its events (`@contract`); naming the
    module here says so in code, where a bare import would look unused, and fails
    at import time if one of them declares no contract at all.

        from services.booking import events as booking_events
        require(booking_events)
    """
    declaring = {type(schema).__module__ for schema in _CONTRACTS.values()}
    strangers = [module.__name__ for module in contract_modules if module.__name__ not in declaring]
    if strangers:
        raise ValueError(f"no event contract declared in {', '.join(strangers)}")


def registered_contracts() -> dict[tuple[str, int], Schema]:
    return dict(_CONTRACTS)


def current_version(event_type: str) -> int:
    return _LATEST.get(event_type, 1)


def current_contracts() -> dict[str, Schema]:
    """The contract each event type is produced with now (older ones are only read)."""
    return {
        event_type: _CONTRACTS[(event_type, version)] for event_type, version in _LATEST.items()
    }


# A code, an asset tag or a field's name: one word, so no sentence (a name and a
# phone number in a reason) fits in it.
REFERENCE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$", error="a reference: one word")


def reference(**kwargs) -> fields.String:
    return fields.String(validate=REFERENCE, **kwargs)


# What a place or a device is called, as on its door or its label ("Centre Jean
# Vilar", "4 rue Jean-Baptiste de La Salle, 49100 Angers", "Lenovo ThinkPad E14"):
# public words, never a person's. Refused if it holds anything shaped like an email
# (x@y.z) or a phone number (six digits or more, spaces, dots or dashes between them
# allowed); the inventory refuses such names when they are typed (its schemas).
PUBLIC_NAME = validate.And(
    validate.Length(max=300),
    validate.Regexp(
        r"^(?!.*\S@\S+\.\w)(?!.*\d(?:[ .-]?\d){5}).*$",
        flags=re.S,
        error="a public name: no email or phone number",
    ),
)


# Dates and times of day, in the one form every copy stores: nothing else fits.
ISO_DATE = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="an ISO date, 2026-12-24")
CLOCK = validate.Regexp(r"^\d{2}:\d{2}$", error="a time of day, 16:30")


def public_name(**kwargs) -> fields.String:
    return fields.String(validate=PUBLIC_NAME, **kwargs)


class _FastAwareDateTime(fields.AwareDateTime):
    """An ISO 8601 moment with its offset, read by the standard library's C parser
    (marshmallow's own regular expressions took half the cost of reading an event);
    what that parser refuses gets marshmallow's reading and errors."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                if moment.utcoffset() is not None:
                    return moment
        return super()._deserialize(value, attr, data, **kwargs)


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+\.[a-z_]+$"))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = _FastAwareDateTime(required=True)
    producer = fields.String(required=True, validate=validate.Length(min=1))
    actor = fields.String(required=True, validate=validate.Length(min=1))
    data = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    producer: str
    actor: str
    data: dict


def _data_schema(event_type: str, version: int) -> Schema:
    try:
        return _CONTRACTS[(event_type, version)]
    except KeyError:
        raise InvalidEvent({"type": [f"no contract for {event_type} v{version}"]}) from None


def make_event(
    event_type: str, data: dict, producer: str, actor: str, version: int | None = None
) -> dict:
    """Build the wire form of a new event, refusing data that breaks its contract;
    in its current version unless told (an older one, as logs and queues still hold)."""
    version = version or current_version(event_type)
    schema = _data_schema(event_type, version)
    wire, errors = _serialize(schema, data)
    for name, messages in schema.validate(wire).items():  # required fields, validators
        errors.setdefault(name, messages)
    if errors:
        raise InvalidEvent({"data": errors})
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "actor": actor,
        "data": wire,
    }


def _serialize(schema: Schema, data: dict) -> tuple[dict, dict]:
    """`data` in its JSON form (datetimes, enums, decimals as text), and what is wrong.

    Values may come as Python objects (a datetime, an enum member) or already in
    their JSON form (an ISO string, an enum's value)."""
    errors = {name: ["unknown field"] for name in set(data) - set(schema.fields)}
    wire = {}
    for name, field in schema.fields.items():
        if name not in data:
            continue
        try:
            wire[name] = field.serialize(name, data)
        except (TypeError, ValueError, AttributeError):
            try:
                wire[name] = field.serialize(name, {name: field.deserialize(data[name])})
            except (ValidationError, TypeError, ValueError, AttributeError):
                errors[name] = ["not a valid value"]
    return wire, errors


def read_event(body) -> Event:
    """Parse and check an event received from the broker."""
    try:
        envelope = _ENVELOPE.load(body)
        data = _data_schema(envelope["type"], envelope["version"]).load(envelope["data"])
    except ValidationError as error:
        raise InvalidEvent(error.normalized_messages()) from None
    except TypeError:
        raise InvalidEvent({"_schema": ["an event is a JSON object"]}) from None
    return Event(**{**envelope, "data": data})
