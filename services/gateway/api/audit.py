"""HTTP endpoints for the audit service: usage reports (as JSON or CSV), open data,
charts, rebalancing suggestions and their acceptance, the audit log and its check.

Managers and the city's administrator read every report and the log; only managers
accept a suggestion. Partner staff get none of them: the reports and the log mix
every partner's items and sites, and cutting them down to one partner's would mean
re-reading each row's owner from the inventory (the log's entries and the reports'
rows do not all name a partner) — they are refused with 403 rather than half-filtered.
"""

import base64
from datetime import date, datetime

from werkzeug.wrappers import Response

from services.gateway import operations
from services.gateway.api.scope import wire
from services.gateway.csv_export import CSV, for_people
from services.gateway.routing import ADMIN, MANAGER, route
from services.gateway.schemas import audit as schemas

READERS = (ADMIN, MANAGER)


def _report_route(report: str, path: str, summary: str):
    schema = schemas.REPORT_QUERIES[report]

    def endpoint(self, request, who, query):
        return self._report(who, report, query)

    endpoint.__name__ = endpoint.__qualname__ = report  # names the route and its operation
    endpoint.__doc__ = schema.__doc__
    return route(
        "GET",
        path,
        query=schema,
        response=schemas.ReportOut,
        allow=READERS,
        produces=("text/csv",),
        summary=summary,
        tag="reports",
    )(endpoint)


class AuditApi:
    utilisation = _report_route(
        "utilisation",
        "/api/reports/utilisation",
        "Hours in use against hours open, by item, category, site or partner",
    )
    idle_items = _report_route(
        "idle_items",
        "/api/reports/idle-items",
        "Items nobody reserved or borrowed for `idle_days`, the idlest first",
    )
    overdue_and_lost = _report_route(
        "overdue_and_lost",
        "/api/reports/overdue-and-lost",
        "Loans overdue at the period's end, items lost within it",
    )
    activity = _report_route(
        "activity",
        "/api/reports/activity",
        "Loans, reservations and residents served (counts) per week",
    )
    unmet_demand = _report_route(
        "unmet_demand",
        "/api/reports/unmet-demand",
        "Refused requests and waiting lists, per site and category",
    )
    suggestions = _report_route(
        "suggestions",
        "/api/reports/suggestions",
        "Rebalancing suggestions: idle items to move where they are asked for",
    )

    def _report(self, who, report: str, query: dict):
        """The report as JSON ({"items": [...]} for a list), or its CSV file."""
        fmt = query.pop("format")
        payload = wire(schemas.REPORT_QUERIES[report](), query)
        if fmt == "csv":
            return _file(
                for_people(operations.manage_report_csv(self, who, report, payload)),
                CSV,
                f"{report.replace('_', '-')}.csv",
            )
        result = operations.manage_report(self, who, report, payload)
        return {"rows": result} if isinstance(result, list) else result

    @route(
        "POST",
        "/api/reports/suggestions/accept",
        body=schemas.SuggestionIn,
        status=202,
        allow=(MANAGER,),
        tag="reports",
        summary="Accept a suggestion: the inventory moves the items",
    )
    def accept_suggestion(self, request, who, body):
        """A suggestion as /api/reports/suggestions lists it: {"item_ids": [12, 15],
        "from_site_id": 3, "to_site_id": 1, "category_id": 2, "reason": "move 2 tablets…",
        "figures": {…}, "signature": "…"}, unchanged (else 400). The decision is
        logged with the manager as its actor; the inventory carries out the transfer."""
        return operations.manage_accept_suggestion(self, who, body)

    @route(
        "GET",
        "/api/reports/open-data.csv",
        query=schemas.OpenDataQuery,
        allow=READERS,
        produces=("text/csv",),
        tag="reports",
        summary="Anonymous counts per week, site and category, fit to publish",
    )
    def open_data(self, request, who, query):
        payload = wire(schemas.OpenDataQuery(), query)
        return _file(operations.manage_open_data(self, who, payload), CSV, "open-data.csv")

    @route(
        "GET",
        "/api/reports/chart",
        query=schemas.ChartQuery,
        allow=READERS,
        produces=("image/svg+xml", "image/png"),
        tag="reports",
        summary="A chart of utilisation, as an SVG or PNG image",
    )
    def chart(self, request, who, query):
        """The SVG holds its title and a description in words; a PNG's alt text is
        in the X-Chart-Description header."""
        chart = self.audit.chart(wire(schemas.ChartQuery(), query))
        if chart["media_type"] == "image/png":
            content = base64.b64decode(chart["content"])
        else:
            content = chart["content"].encode("utf-8")
        response = Response(content, content_type=chart["media_type"])
        description = chart.get("description")
        if description and description.isascii():
            response.headers["X-Chart-Description"] = " ".join(description.split())
        return response

    @route(
        "GET",
        "/api/audit-log",
        query=schemas.AuditLogQuery,
        allow=READERS,
        tag="audit",
        summary="Every event of every service, in log order, filtered",
    )
    def audit_log(self, request, who, query):
        """?item_id=17&type=inventory.item_transferred&from=2026-11-01T00:00:00%2B01:00
        → {"entries": [...], "next_after_seq": 1234 or null}"""
        return operations.manage_audit_log(
            self, who, {name: _iso(value) for name, value in query.items()}
        )

    @route(
        "GET",
        "/api/audit-log/verify",
        allow=READERS,
        tag="audit",
        summary="Check the log's hash chain: nothing altered, removed or inserted",
    )
    def verify_audit_log(self, request, who):
        return operations.manage_verify_audit_log(self, who)


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _file(text: str, media_type: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        content_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
