"""Query strings of the usage reports and the audit log: the audit service's own
input schemas, read from a query string (numbers arrive as text) and, for the
reports, with `format=csv` for the spreadsheet file."""
import re

from marshmallow import RAISE, Schema, fields, pre_load, validate

from services.audit import schemas as log_schemas
from services.audit import schemas_reports as reports

FORMATS = ("json", "csv")


class _FromQueryString(Schema):
    """The audit's integers are strict (JSON numbers only): a query string's digits
    are read as the number they spell before the audit's schema checks them."""

    class Meta:
        unknown = RAISE

    @pre_load
    def numbers_from_text(self, data, **_kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, field in self.fields.items():
            key = field.data_key or name
            if isinstance(field, fields.Integer) and isinstance(data.get(key), str) \
                    and re.fullmatch(r"-?\d{1,12}", data[key]):
                data[key] = int(data[key])
        return data


class _OrCsv(_FromQueryString):
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS),
                           metadata={"description": "csv: the report as a spreadsheet file"})


def _query(name: str, base, *mixins):
    return type(name, (*mixins, base), {"__doc__": base.__doc__})


# report name (as the audit's RPCs call it) -> its query string
REPORT_QUERIES = {
    report: _query(f"{''.join(p.title() for p in report.split('_'))}ReportQuery",
                   reports.INPUTS[report], _OrCsv)
    for report in reports.REPORTS
}
OpenDataQuery = _query("OpenDataQuery", reports.OpenDataIn, _FromQueryString)
ChartQuery = _query("ChartQuery", reports.ChartIn, _FromQueryString)
AuditLogQuery = _query("AuditLogQuery", log_schemas.LogQueryIn, _FromQueryString)
class ReportOut(Schema):
    """A report: its rows under `items`; the overdue-and-lost report has two lists."""

    # Not an attribute named "items": on a dict without it, that would be dict.items.
    rows = fields.List(fields.Dict(), data_key="items",
                       metadata={"description": "the report's rows"})
    overdue = fields.List(fields.Dict(), metadata={"description": "overdue-and-lost only"})
    lost = fields.List(fields.Dict(), metadata={"description": "overdue-and-lost only"})


# A suggestion as the suggestions report lists it; its extra fields are its figures
# (see the audit's SuggestionIn), so they are not refused.
SuggestionIn = log_schemas.SuggestionIn
