"""Managers ask how the equipment is used: utilisation, idle devices, overdue and
lost ones, activity, unmet demand, rebalancing suggestions, as JSON, CSV, open
data and charts. Each is read from what the audit keeps as events arrive, never
from the whole log: utilisation from the figures (services/audit/figures.py), the
others from the facts (services/audit/facts.py), as the history of the log until
`as_of` would give them (analytics.py, the reference)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from nameko.dependency_providers import Config

from partanum.config import secret_key
from partanum.errors import InvalidInput, PartanumError, load
from partanum.rpc import RpcProxy, rpc
from services.audit import analytics, charts, exports, facts_report, figures_report, schemas_reports
from services.audit.analytics import Period, SiteHours
from services.audit.settings import Settings

expected = rpc(expected_exceptions=PartanumError)


class ReportEntrypoints:
    inventory = RpcProxy("inventory")
    config = Config()

    @expected
    def utilisation(self, payload):
        """{"from": "2026-11-01", "to": "2026-11-30", "by": "partner", "step": "week"} →
        [{"by": "partner", "key": 2, "label": "centre-social", "items": 40,
          "open_hours": 5440.0, "used_hours": 1210.5, "rate": 0.2225,
          "series": [{"starts_on": "2026-10-26", "open_hours": …, "used_hours": …, "rate": …}]}]
        (by: item, category, site or partner; step: day or week)."""
        return exports.plain(self._report("utilisation", payload))

    @expected
    def idle_items(self, payload):
        """{"idle_days": 30} → the items nobody reserved or borrowed for 30 days, the
        idlest first: [{"item_id": 7, "asset_tag": "JV-TAB-007", "days_idle": 41, …}]"""
        return exports.plain(self._report("idle_items", payload))

    @expected
    def idle_summary(self, payload):
        """{"idle_days": 30, "limit": 20, "site_id": 3} → {"total": 412, "items": […]}:
        how many devices are idle (at that site, if given) and the `limit` idlest of
        them, as idle_items lists them: what a page shows, without the whole list."""
        data = load(schemas_reports.IdleSummaryIn(), payload)
        as_of = data.get("as_of") or datetime.now(UTC)
        with self.db.transaction() as tx:
            total, idlest = facts_report.idle_summary(
                tx.session, as_of, data["idle_days"], data["site_id"], data["limit"]
            )
        return {"total": total, "items": exports.plain(idlest)}

    @expected
    def overdue_and_lost(self, payload):
        """{"from": "2026-11-01", "to": "2026-11-30"} → {"overdue": [{"loan_id": …,
        "days_overdue": 9, …}], "lost": [{"item_id": …, "lost_at": …}]}"""
        return exports.plain(self._report("overdue_and_lost", payload))

    @expected
    def activity(self, payload):
        """{"from": …, "to": …, "by_site": true} → loans, reservations and residents
        served (a count, never who) per week; the row whose week is null is the total."""
        return exports.plain(self._report("activity", payload))

    @expected
    def unmet_demand(self, payload):
        """{"from": …, "to": …} → per site and category: refused requests, devices asked
        for, residents who joined a waiting list and those still waiting."""
        return exports.plain(self._report("unmet_demand", payload))

    @expected
    def suggestions(self, payload):
        """{"from": …, "to": …, "idle_days": 30} → [{"item_ids": [12, 15],
        "from_site_id": 3, "to_site_id": 1, "category_id": 2,
        "reason": "move 2 tablets from Espace Frédéric Mistral to Centre Jean Vilar",
        "figures": {…}, "signature": "…"}]: each can be passed as it is to
        accept_suggestion, and only so."""
        key = secret_key(self.config)
        return [s.as_payload(key) for s in self._report("suggestions", payload)]

    @expected
    def export_csv(self, report, payload):
        """("utilisation", {"from": …, "to": …, "by": "site"}) → CSV text; `report` is
        one of utilisation, idle_items, overdue_and_lost, activity, unmet_demand,
        suggestions, and `payload` what that report takes."""
        if report not in schemas_reports.REPORTS:
            raise InvalidInput({"report": [f"one of {', '.join(schemas_reports.REPORTS)}"]})
        return exports.report_csv(report, self._report(report, payload))

    @expected
    def open_data(self, payload):
        """{"from": …, "to": …, "threshold": 5} → anonymous CSV per week, site and
        category; counts from 1 to 4 read "<5" (see services/audit/exports.py)."""
        data = load(schemas_reports.OpenDataIn(), payload)
        period = self._period(data)
        with self.db.transaction() as tx:
            return facts_report.open_data(
                tx.session, period, self._as_of(period), data["threshold"]
            )

    @expected
    def chart(self, payload):
        """{"from": …, "to": …, "kind": "utilisation_by_partner", "format": "png"} →
        {"media_type": "image/png", "content": base64 text} (SVG: the text itself)."""
        data = load(schemas_reports.ChartIn(), payload)
        period = self._period(data)
        rows = self._utilisation(period, "partner", data["step"])
        return charts.render(data["kind"], rows, period, data["format"])

    # --- shared by the reports ------------------------------------------------------

    def _report(self, report: str, payload):
        data = load(schemas_reports.INPUTS[report](), payload)
        if report == "idle_items":
            as_of = data.get("as_of") or datetime.now(UTC)
            with self.db.transaction() as tx:
                return facts_report.idle_items(tx.session, as_of, data["idle_days"])
        period = self._period(data)
        if report == "utilisation":
            return self._utilisation(period, data["by"], data["step"])
        as_of = data.get("as_of") or self._as_of(period)
        site_hours = self._site_hours() if report == "suggestions" else {}
        with self.db.transaction() as tx:
            if report == "overdue_and_lost":
                return facts_report.overdue_and_lost(tx.session, period, as_of)
            if report == "activity":
                return facts_report.activity(
                    tx.session, period, as_of, data["by_site"], data["by_category"]
                )
            if report == "unmet_demand":
                return facts_report.unmet_demand(tx.session, period, as_of)
            return facts_report.suggest(tx.session, period, as_of, site_hours, data["idle_days"])

    def _utilisation(self, period: Period, by: str, step: str) -> list[analytics.Utilisation]:
        """From the figures kept as events arrive: each day with the hours it had."""
        with self.db.transaction() as tx:
            return figures_report.utilisation(tx.session, period, by, step)

    def _zone(self) -> ZoneInfo:
        return Settings.from_config(self.config).zone

    def _period(self, data) -> Period:
        return Period(data["first_day"], data["last_day"], self._zone())

    @staticmethod
    def _as_of(period: Period) -> datetime:
        """The end of the period, or now if it has not ended yet."""
        return min(datetime.now(UTC), analytics.utc(period.end))

    def _site_hours(self) -> dict[int, SiteHours]:
        """Each site's current hours and closures, from the inventory (its events name
        the site only): past hours are read as today's."""
        return {site["id"]: SiteHours.from_inventory(site) for site in self.inventory.list_sites()}
