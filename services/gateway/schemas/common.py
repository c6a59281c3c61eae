"""Building blocks: answer fields, pages, and query-string filters."""

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
