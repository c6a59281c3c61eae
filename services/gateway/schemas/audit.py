"""Query strings of the usage reports and the audit log: the audit service's own
input schemas, read from a query string (numbers arrive as text) and, for the
reports, with `format=csv` for the spreadsheet file; ids bounded as the databases
hold them."""

import re

from marshmallow import Schema, fields, pre_load, validate

from partanum.inputs import Input
from services.audit import schemas as log_schemas
from services.audit import schemas_reports as reports
from services.gateway.routing import MAX_ID

# A row number SQLite and PostgreSQL take (a 64-bit integer).
MAX_ROW = 2**63 - 1

FORMATS = ("json", "csv")


class _FromQueryString(Input):
    """The audit's integers are strict (JSON numbers only): a query string's digits
    are read as the number they spell before the audit's schema checks them."""

    @pre_load
    def numbers_from_text(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, field in self.fields.items():
            key = field.data_key or name
            if (
                isinstance(field, fields.Integer)
                and isinstance(data.get(key), str)
                and re.fullmatch(r"-?\d{1,12}", data[key])
            ):
                data[key] = int(data[key])
        return data


class _OrCsv(_FromQueryString):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "csv: the report as a spreadsheet file"},
    )


def _query(name: str, base, *mixins):
    return type(name, (*mixins, base), {"__doc__": base.__doc__})


# report name (as the audit's RPCs call it) -> its query string
REPORT_QUERIES = {
    report: _query(
        f"{''.join(p.title() for p in report.split('_'))}ReportQuery",
        reports.INPUTS[report],
        _OrCsv,
    )
    for report in reports.REPORTS
}
OpenDataQuery = _query("OpenDataQuery", reports.OpenDataIn, _FromQueryString)
ChartQuery = _query("ChartQuery", reports.ChartIn, _FromQueryString)


def _ident(**kwargs):
    """An id as the databases hold it: the audit's own schemas set no upper bound,
    and a larger number fails in the database instead of answering 400."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class _BoundedLog(_FromQueryString):
    item_id = _ident()
    partner_id = _ident()
    site_id = _ident()
    offset = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_ROW)
    )
    after_seq = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_ROW))


AuditLogQuery = _query("AuditLogQuery", log_schemas.LogQueryIn, _BoundedLog)


class ReportOut(Schema):
    """A report: its rows under `items`; the overdue-and-lost report has two lists."""

    # Not an attribute named "items": on a dict without it, that would be dict.items.
    rows = fields.List(
        fields.Dict(), data_key="items", metadata={"description": "the report's rows"}
    )
    overdue = fields.List(fields.Dict(), metadata={"description": "overdue-and-lost only"})
    lost = fields.List(fields.Dict(), metadata={"description": "overdue-and-lost only"})


# A suggestion as the suggestions report lists it; its extra fields are its figures
# (see the audit's SuggestionIn), so they are not refused.
class SuggestionIn(log_schemas.SuggestionIn):
    __doc__ = log_schemas.SuggestionIn.__doc__

    item_ids = fields.List(_ident(), required=True, validate=validate.Length(min=1, max=500))
    to_site_id = _ident(required=True)
