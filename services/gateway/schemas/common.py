"""Building blocks: answers made from the services' output contracts, answer fields,
pages, and query-string filters."""

from marshmallow import Schema, fields, validate

from partanum.inputs import Input  # noqa: F401 -- the base of the gateway's own inputs too
from services.gateway.routing import MAX_ID

# Every list answer: {"items": [...], "total": 120, "limit": 50, "offset": 0}
MAX_LIMIT = 1000


def ident(**kwargs):
    """An id in a query string."""
    return fields.Integer(validate=validate.Range(min=0, max=MAX_ID), **kwargs)


def text(**metadata):
    return fields.String(allow_none=True, metadata=metadata)


def number(**metadata):
    return fields.Integer(allow_none=True, metadata=metadata)


def moment(**metadata):
    """An aware time as the services send it: ISO 8601 with its offset."""
    return fields.String(allow_none=True, metadata={"format": "date-time", **metadata})


def day(**metadata):
    return fields.String(allow_none=True, metadata={"format": "date", **metadata})


def texts(**metadata):
    return fields.List(fields.String(), allow_none=True, metadata=metadata)


# --- answers from the services' contracts ------------------------------------------------

# Each contract's answer schema, made once: a contract nested in several answers
# is one component of the OpenAPI document.
_ANSWERS: dict[type, type] = {}


def answer(contract, name: str | None = None, *, exclude=(), doc: str | None = None, **own_fields):
    """The gateway's answer schema for what a service's output `contract` dumps: the
    same field names, descriptions and computed fields' types (their `type` metadata),
    made JSON-shaped (the RPC result is JSON already: times and decimals are text),
    so a field added to the contract is answered and documented without a second edit.

    `exclude` names what the gateway does not show; `own_fields` add or retype what
    only the gateway knows (`view`, a computed field the contract leaves untyped).
    Named `name`, or the contract's name without "Out"."""
    if isinstance(contract, Schema):
        contract = type(contract)
    key = contract if not (name or exclude or doc or own_fields) else None
    if key in _ANSWERS:
        return _ANSWERS[key]
    declared = {
        field_name: _json_field(field_name, field)
        for field_name, field in contract._declared_fields.items()
        if field_name not in exclude
    }
    made = type(
        name or contract.__name__.removesuffix("Out"),
        (Schema,),
        {**declared, **own_fields, "__doc__": doc or contract.__doc__},
    )
    if key is not None:
        _ANSWERS[key] = made
    return made


# Contract field -> its JSON form; the first match wins (Date is a DateTime).
_AS_TEXT = (
    (fields.Date, {"format": "date"}),
    (fields.DateTime, {"format": "date-time"}),
    (fields.Decimal, {}),
    (fields.String, {}),
)


def _json_field(field_name: str, field: fields.Field, nullable: bool = True) -> fields.Field:
    # A record's id is always there; anything else may be null (erased, not yet done).
    nullable = nullable and field_name != "id"
    metadata = dict(field.metadata)
    if isinstance(field, (fields.Function, fields.Method)):
        # Computed from the row: its type is whatever its metadata says.
        return fields.Raw(allow_none=nullable, metadata=metadata)
    if isinstance(field, fields.Nested):
        return fields.Nested(answer(field.schema), allow_none=nullable, metadata=metadata)
    if isinstance(field, fields.List):
        inner = _json_field(field_name, field.inner, nullable=False)
        return fields.List(inner, allow_none=nullable, metadata=metadata)
    for kind, shape in _AS_TEXT:
        if isinstance(field, kind):
            return fields.String(allow_none=nullable, metadata={**shape, **metadata})
    for kind in (fields.Integer, fields.Boolean, fields.Dict):
        if isinstance(field, kind):
            return kind(allow_none=nullable, metadata=metadata)
    raise TypeError(f"no JSON form for {type(field).__name__} {field_name}")


class PageQuery(Input):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


class ListOrCsvQuery(PageQuery):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv")),
        metadata={
            "description": "csv: the whole filtered list as a spreadsheet file, without paging"
        },
    )


def page_schema(item_schema, name: str):
    """The schema of a page of `item_schema`, named `name` in the document."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(metadata={"description": "how many match, on every page"}),
            "limit": fields.Integer(),
            "offset": fields.Integer(),
            "__doc__": f"One page of {item_schema.__name__} records.",
        },
    )


def all_pages(fetch, filters: dict) -> list:
    """Every row of a service's paged list (for a file, a calendar, a check over
    many objects), asked for in pages of the largest size."""
    rows, offset = [], 0
    while True:
        page = fetch({**filters, "limit": MAX_LIMIT, "offset": offset})
        rows += page["items"]
        offset += MAX_LIMIT
        if offset >= page["total"]:
            return rows


def one_page(rows: list, query: dict) -> dict:
    """A page cut from a whole list (for the services that answer whole lists)."""
    start, limit = query["offset"], query["limit"]
    return {
        "items": rows[start : start + limit],
        "total": len(rows),
        "limit": limit,
        "offset": start,
    }
