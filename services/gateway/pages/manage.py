"""Managers' and the administrator's pages: is the equipment used, and where is it
missing? (/manage: pictures of the audit's reports, each with its table and its CSV
file, and the rebalancing suggestions as cards), the audit log (/audit) and the
open-data file (/open-data). Through the same operations as /api/reports/… and
/api/audit-log; staff and residents are sent home, as the API refuses them (403).

The charts are drawn here as inline SVG bars with their names and figures written
beside each bar (readable without colour), in the reader's language."""

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.errors import Conflict, InvalidInput, NotFound
from services.gateway import dismissals, operations
from services.gateway.authz import ADMIN, MANAGER, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

ZONE = ZoneInfo("Europe/Paris")
DEFAULT_DAYS = 30
MAX_DAYS = 366
LOG_PAGE = 50
IDLE_SHOWN = 20
REPORT_FILES = ("utilisation", "idle_items", "overdue_and_lost", "activity", "unmet_demand")
BAR_HEIGHT, BAR_GAP, CHART_WIDTH = 22, 10, 600


def manage_period(args) -> tuple[date, date]:
    """The period asked for (?from=…&to=…), else the last 30 days; a wrong one gives way
    to the default rather than an error."""
    today = datetime.now(ZONE).date()
    try:
        last = date.fromisoformat(args.get("to", ""))
    except ValueError:
        last = today
    try:
        first = date.fromisoformat(args.get("from", ""))
    except ValueError:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last or (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    return first, last


def manage_bars(bars: list[tuple[str, float, str]], maximum: float | None = None) -> Markup:
    """A horizontal bar chart: (name, value, figure as written) per bar, the name and the
    figure written beside each bar, so no colour is needed to read it. Hidden from
    screen readers: the table beside it says the same."""
    top = maximum or max((value for _, value, _ in bars), default=0) or 1
    height = len(bars) * (BAR_HEIGHT * 2 + BAR_GAP) + BAR_GAP
    parts = [
        f'<svg class="manage-chart" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" direction="ltr" aria-hidden="true" focusable="false">'
    ]
    y = BAR_GAP
    for name, value, written in bars:
        width = max(2, round((CHART_WIDTH - 80) * min(value, top) / top)) if value else 0
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="15" fill="#1a1a1a">{Markup.escape(name)}</text>'
        )
        y += BAR_HEIGHT
        if width:
            parts.append(
                f'<rect x="0" y="{y}" width="{width}" height="{BAR_HEIGHT - 4}" '
                'fill="#1d4f91" stroke="#1a1a1a"/>'
            )
        parts.append(
            f'<text x="{width + 6}" y="{y + 14}" font-size="15" font-weight="700" '
            f'fill="#1a1a1a">{Markup.escape(written)}</text>'
        )
        y += BAR_HEIGHT + BAR_GAP
    parts.append("</svg>")
    return Markup("".join(parts))


def manage_weeks(rows: list[dict]) -> list[tuple[str, int, int, float | None]]:
    """The rows' weekly series added up: (week, hours used, hours open, rate) per week."""
    used: dict[str, float] = {}
    opened: dict[str, float] = {}
    for row in rows:
        for point in row.get("series") or ():
            week = str(point["starts_on"])
            used[week] = used.get(week, 0) + (point["used_hours"] or 0)
            opened[week] = opened.get(week, 0) + (point["open_hours"] or 0)
    return (
        [
            (
                week,
                _whole(used[week]),
                _whole(opened[week]),
                used[week] / opened[week] if opened[week] else None,
            )
            for week in sorted(opened)
        ]
        if any(opened.values())
        else []
    )


def _percent(rate) -> str:
    return "–" if rate is None else f"{round(rate * 100)} %"


# The figures behind a suggestion (services/audit/suggestions.py), in the order a
# manager checks them: where the devices would leave, then where they would go.
SUGGESTION_FIGURES = {
    "source_items": N_("Appareils de ce type au départ"),
    "source_idle_items": N_("Dont sans emploi"),
    "source_least_days_idle": N_("Sans emploi depuis au moins (jours)"),
    "source_most_days_idle": N_("Le plus longtemps sans emploi (jours)"),
    "source_peak_in_use": N_("Au plus en service en même temps au départ"),
    "source_utilisation": N_("Utilisation au départ"),
    "target_unmet_requests": N_("Demandes refusées à l'arrivée"),
    "target_unmet_quantity": N_("Appareils demandés en vain à l'arrivée"),
    "target_largest_request": N_("La plus grande demande refusée"),
    "target_waiting": N_("Habitants en attente à l'arrivée"),
    "target_idle_items": N_("Appareils sans emploi à l'arrivée"),
    "target_utilisation": N_("Utilisation à l'arrivée"),
}


def posted_suggestion(request) -> dict:
    """The suggestion a card's form sends back, as the audit gave it; ValueError if
    it is not one (the audit checks its signature)."""
    suggestion = json.loads(request.form.get("suggestion", ""))
    if not isinstance(suggestion, dict):
        raise ValueError("not a suggestion")
    return suggestion


def suggestion_figures(figures: dict) -> list[tuple[str, str]]:
    """(label to translate, value) for each figure a suggestion gives: rates in per
    cent, counts as whole numbers."""
    return [
        (label, _percent(figures[name]) if name.endswith("utilisation") else f"{figures[name]:.0f}")
        for name, label in SUGGESTION_FIGURES.items()
        if name in figures and (figures[name] is not None or name.endswith("utilisation"))
    ]


def _whole(value) -> int:
    return int(round(value or 0))


class ManagerPages:
    def page_manage_allowed(self, who) -> bool:
        return who.role in (ADMIN, MANAGER)

    @page("GET", "/manage")
    def page_manage_home(self, request, who):
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        first, last = manage_period(request.args)
        period = {"from": first.isoformat(), "to": last.isoformat()}
        # Every question that does not wait for another's answer is asked at once: the
        # services work on them together while the gateway waits for the first.
        names = operations.names_ahead(self)
        reports = operations.manage_reports_ahead(
            self,
            who,
            {
                "by_partner": ("utilisation", {**period, "by": "partner", "step": "week"}),
                "by_site": ("utilisation", {**period, "by": "site", "step": "week"}),
                "missing": ("overdue_and_lost", period),
                "unmet": ("unmet_demand", period),
                "suggestions": ("suggestions", period),
            },
        )
        language = i18n.negotiate(request)
        sites = {site["id"]: site for site in names["sites"].result()}
        site_code = request.args.get("site", "")
        chosen = next((s for s in sites.values() if s["code"] == site_code), None)
        # The idlest few and how many in all: a year of devices unused would be
        # thousands of rows nobody reads (the CSV file lists them all).
        reports.update(
            operations.manage_reports_ahead(
                self,
                who,
                {
                    "idle": (
                        "idle_summary",
                        {"limit": IDLE_SHOWN, "site_id": chosen["id"] if chosen else None},
                    ),
                    "activity": ("activity", {**period, "by_site": chosen is not None}),
                },
            )
        )
        dismissed_marks, dismissed = operations.manage_dismissed(self, who)
        categories = {
            category["id"]: i18n.category_name(category, language)
            for category in names["categories"].result()
        }

        def kept(row, key="site_id"):
            return chosen is None or row.get(key) == chosen["id"]

        partners = {partner["id"]: partner["name"] for partner in names["partners"].result()}
        by_partner = [
            {**row, "label": partners.get(row.get("key"), row["label"])}
            for row in reports["by_partner"].result()
        ]
        by_site = [
            {**row, "label": sites[row["key"]]["name"] if row.get("key") in sites else row["label"]}
            for row in reports["by_site"].result()
            if kept(row, "key")
        ]
        missing = reports["missing"].result()
        overdue = [row for row in missing["overdue"] if kept(row)]
        lost = [row for row in missing["lost"] if kept(row)]
        unmet = [row for row in reports["unmet"].result() if kept(row)]
        activity = [row for row in reports["activity"].result() if kept(row)]
        idle = reports["idle"].result()
        over_time = manage_weeks(by_site if chosen else by_partner)
        suggestions = [
            s for s in reports["suggestions"].result() if s.get("signature") not in dismissed_marks
        ]

        found = self.page_manage_found(who, lost)

        def site_name(site_id):
            return sites[site_id]["name"] if site_id in sites else "–"

        def category(category_id):
            return categories.get(category_id, "–")

        totals = {
            name: sum(row[name] for row in activity)
            for name in ("loans", "reservations", "residents_served")
        }
        weeks = [
            (row["week"], row["loans"], row["reservations"], row["residents_served"])
            for row in activity
        ]
        cards = [
            {
                "count": len(s["item_ids"]),
                "category": category(s["category_id"]),
                "from_site": site_name(s["from_site_id"]),
                "to_site": site_name(s["to_site_id"]),
                "figures": suggestion_figures(s.get("figures") or {}),
                "payload": json.dumps(s, separators=(",", ":")),
                "signature": s.get("signature"),
            }
            for s in suggestions
        ]
        refusal = self.page_refusal(request, who)
        accepted = request.args.get("accepted", "")
        query = f"from={period['from']}&to={period['to']}"
        return self.page_render(
            request,
            who,
            "manage_home.html",
            N_("Le matériel du réseau"),
            period=period,
            query=query,
            site_choices=[("", self.page_text(request, N_("Tous les lieux")))]
            + [(s["code"], s["name"]) for s in sites.values()],
            chosen_site=site_code if chosen else "",
            by_partner=_utilisation_rows(by_partner),
            partner_chart=_utilisation_chart(by_partner),
            by_site=_utilisation_rows(by_site),
            site_chart=_utilisation_chart(by_site),
            over_time=[
                (week, used, opened, _percent(rate)) for week, used, opened, rate in over_time
            ],
            time_chart=manage_bars(
                [(week, (rate or 0) * 100, _percent(rate)) for week, _, _, rate in over_time],
                maximum=100,
            ),
            activity_chart=manage_bars(
                [(i18n_day(w), loans, str(loans)) for w, loans, _, _ in weeks]
            ),
            weeks=weeks,
            totals=totals,
            idle=[
                (
                    r["asset_tag"],
                    category(r["category_id"]),
                    site_name(r["site_id"]),
                    r["days_idle"],
                )
                for r in idle["items"]
            ],
            idle_total=idle["total"],
            overdue=[(r["asset_tag"], site_name(r["site_id"]), r["days_overdue"]) for r in overdue],
            lost=[
                (
                    r["asset_tag"],
                    site_name(r["site_id"]),
                    r["lost_at"][:10],
                    r["asset_tag"] in found,
                )
                for r in lost
            ],
            unmet=[
                (
                    site_name(r["site_id"]),
                    category(r["category_id"]),
                    r["requests"],
                    r["quantity"],
                    r["joined_waiting_list"],
                    r["waiting"],
                )
                for r in unmet
            ],
            unmet_chart=manage_bars(
                [
                    (
                        f"{site_name(r['site_id'])}, {category(r['category_id'])}",
                        r["requests"] + r["waiting"],
                        str(r["requests"] + r["waiting"]),
                    )
                    for r in unmet
                ]
            ),
            cards=cards,
            may_accept=who.role == MANAGER,
            refused_card=refusal.extra.get("card") if refusal else None,
            dismissed=[
                {
                    "count": len(row["suggestion"].get("item_ids") or []),
                    "category": category(row["suggestion"].get("category_id")),
                    "from_site": site_name(row["suggestion"].get("from_site_id")),
                    "to_site": site_name(row["suggestion"].get("to_site_id")),
                    "reason": row["reason"],
                    "day": row["dismissed_at"].astimezone(ZONE).date().isoformat(),
                }
                for row in dismissed
            ],
            was_dismissed=request.args.get("dismissed") == "1",
            accepted=accepted if accepted.isdigit() else "",
        )

    def page_manage_found(self, who, lost: list[dict]) -> set[str]:
        """The devices lost in the period that are no longer lost now: found again (one
        question to the inventory for them all, not one each)."""
        if not lost:
            return set()
        devices = operations.devices_by_tag(self, who, sorted({r["asset_tag"] for r in lost}))
        return {device["asset_tag"] for device in devices if device["status"] != "lost"}

    @page("GET", "/manage/report.csv")
    def page_manage_report_csv(self, request, who):
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        report = request.args.get("report", "")
        if report not in REPORT_FILES:
            return self.page_not_found(request, who)
        first, last = manage_period(request.args)
        query = {} if report == "idle_items" else {"from": str(first), "to": str(last)}
        if report == "utilisation":
            query["by"] = "partner" if request.args.get("by") == "partner" else "site"
        return _download(
            operations.manage_report_csv(self, who, report, query),
            "text/csv; charset=utf-8",
            f"{report.replace('_', '-')}-{first}-{last}.csv",
        )

    @page("POST", "/manage/suggestions/accept")
    def page_manage_accept(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        gone = {"manage_suggestion": forms.FIELDS["manage_suggestion"][1]}
        try:
            suggestion = posted_suggestion(request)
            moved = operations.manage_accept_suggestion(self, who, suggestion)
        except (ValueError, InvalidInput, Conflict):
            # Changed on the way, or no longer true (its devices moved or lent since).
            return self.page_refused(request, who, "/manage", gone)
        count = len(moved.get("item_ids") or suggestion.get("item_ids") or [])
        return redirect(f"/manage?accepted={count}#manage_suggestion", 303)

    @page("POST", "/manage/suggestions/dismiss")
    def page_manage_dismiss(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        gone = {"manage_suggestion": forms.FIELDS["manage_suggestion"][1]}
        try:
            suggestion = posted_suggestion(request)
        except ValueError:
            return self.page_refused(request, who, "/manage", gone)
        reason = dismissals.read_reason(request.form.get("manage_dismiss_reason", ""))
        if reason is None:
            return self.page_refused(
                request,
                who,
                "/manage",
                {"manage_dismiss_reason": forms.FIELDS["manage_dismiss_reason"][1]},
                keep=("manage_dismiss_reason",),
                card=str(suggestion.get("signature", "")),
            )
        try:
            first, last = manage_period(request.form)
            period = {"from": str(first), "to": str(last)}
            operations.manage_dismiss_suggestion(self, who, suggestion, period, reason)
        except InvalidInput:
            return self.page_refused(request, who, "/manage", gone)
        return redirect("/manage?dismissed=1#manage_suggestion", 303)

    @page("GET", "/audit")
    def page_manage_audit(self, request, who):
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        sites = {site["id"]: site for site in operations.sites(self)}
        partners = {partner["id"]: partner for partner in operations.partners(self)}
        args = request.args
        query: dict = {"limit": LOG_PAGE}
        offset = int(args["offset"]) if args.get("offset", "").isdigit() else 0
        query["offset"] = min(offset, 10**9)
        errors = {}
        tag = args.get("manage_device", "").strip().upper()
        if tag:
            try:
                query["item_id"] = operations.device(self, who, tag)["id"]
            except (NotFound, Denied):
                errors["manage_device"] = forms.FIELDS["manage_device"][1]
        for name, known in (("partner", partners), ("site", sites)):
            value = args.get(f"manage_{name}", "")
            if value.isdigit() and int(value) in known:
                query[f"{name}_id"] = int(value)
        actor = args.get("manage_actor", "").strip()[:100]
        if actor:
            query["actor"] = actor
        kind = args.get("manage_type", "").strip()
        if kind:
            query["type"] = kind
        for name, moment in (("from", time()), ("to", time(23, 59, 59))):
            value = args.get(f"manage_{name}", "")
            if value:
                try:
                    day = date.fromisoformat(value)
                except ValueError:
                    errors[f"manage_{name}"] = forms.FIELDS["manage_from"][1]
                    continue
                query[name] = datetime.combine(day, moment, ZONE).isoformat()
        if "from" in query and "to" in query and query["to"] <= query["from"]:
            errors["manage_to"] = forms.FIELDS["manage_to"][1]
        entries, more = [], False
        if not errors:
            found = operations.manage_audit_log(self, who, query)
            entries = found["entries"]
            more = len(entries) == LOG_PAGE
        chain = operations.manage_verify_audit_log(self, who)
        base = urlencode([(k, v) for k, v in args.items() if k not in ("offset", "lang") and v])
        return self.page_render(
            request,
            who,
            "manage_audit.html",
            N_("Journal d'audit"),
            status=400 if errors else 200,
            errors=errors or None,
            entries=[
                {
                    **entry,
                    "site": sites.get(entry["site_id"], {}).get("name"),
                    "partner": partners.get(entry["partner_id"], {}).get("name"),
                    "when": entry["occurred_at"][:16].replace("T", " "),
                }
                for entry in entries
            ],
            chain=chain,
            sites=[("", "")] + [(str(i), s["name"]) for i, s in sites.items()],
            partners=[("", "")] + [(str(i), p["name"]) for i, p in partners.items()],
            previous=f"?{base}&offset={max(0, offset - LOG_PAGE)}" if offset else None,
            following=f"?{base}&offset={offset + LOG_PAGE}" if more else None,
            first_row=offset + 1,
            request_values=dict(args),
        )

    @page("GET", "/audit/summary.txt")
    def page_manage_audit_summary(self, request, who):
        """The chain's head hash, its count and the date, signed with the deployment's
        key: kept elsewhere, it proves later that the log has not been rewritten."""
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        chain = operations.manage_verify_audit_log(self, who)
        body = (
            "Partanum audit log summary\n"
            f"date: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
            f"verified: {'yes' if chain['ok'] else 'no'}\n"
            f"count: {chain.get('count', '')}\n"
            f"head_hash: {chain.get('head_hash') or ''}\n"
        )
        mark = hmac.new(self.page_secret(), body.encode(), hashlib.sha256).hexdigest()
        return _download(
            f"{body}signature (HMAC-SHA256): {mark}\n",
            "text/plain; charset=utf-8",
            "audit-log-summary.txt",
        )

    @page("GET", "/open-data")
    def page_manage_open_data(self, request, who):
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        first, last = manage_period(request.args)
        return self.page_render(
            request,
            who,
            "manage_open_data.html",
            N_("Données ouvertes"),
            period={"from": str(first), "to": str(last)},
        )

    @page("GET", "/open-data.csv")
    def page_manage_open_data_csv(self, request, who):
        if not self.page_manage_allowed(who):
            return self.page_sign_in_first(request, who, "/sign-in")
        first, last = manage_period(request.args)
        text = operations.manage_open_data(self, who, {"from": str(first), "to": str(last)})
        return _download(text, "text/csv; charset=utf-8", f"open-data-{first}-{last}.csv")


def i18n_day(week) -> str:
    return str(week or "")


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        content_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _utilisation_rows(rows: list[dict]) -> list[tuple]:
    """A utilisation report's rows as the table beside its chart shows them."""
    return [
        (
            r["label"],
            r["items"],
            _whole(r["used_hours"]),
            _whole(r["open_hours"]),
            _percent(r["rate"]),
        )
        for r in rows
    ]


def _utilisation_chart(rows: list[dict]):
    """The same rows as bars, each its rate in per cent."""
    return manage_bars(
        [(r["label"], (r["rate"] or 0) * 100, _percent(r["rate"])) for r in rows], maximum=100
    )
