"""Reports as CSV and as JSON-ready values, and the anonymous open-data export.

Open data: one row per week, site and category, with counts of loans,
reservations, residents served, refused requests and residents who joined a
waiting list, and the hours the devices were used and open. No ids of residents,
items or loans, nor anything else about a person. The rule that keeps anyone
from being singled out:
- a count from 1 to threshold - 1 (default 1 to 4) is published as "<5";
  0 and counts at or above the threshold are published as they are;
- no totals are published beside the rows, so a hidden count cannot be worked
  back out by subtracting the others from a total.
Hours of use are figures about devices, not people, and are published as they are.

A text that a spreadsheet would run as a formula is quoted (partanum.csv_cells).
"""

import csv
import dataclasses
import io
from datetime import date, datetime

from partanum.csv_cells import neutralised
from services.audit import analytics
from services.audit.analytics import History, Period

OPEN_DATA_COLUMNS = (
    "week",
    "site",
    "category",
    "loans",
    "reservations",
    "residents_served",
    "unmet_requests",
    "joined_waiting_list",
    "open_hours",
    "used_hours",
    "utilisation",
)


def plain(value):
    """Dataclasses, dates and tuples as JSON values (dates in ISO 8601)."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def to_csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow("" if value is None else _cell(value) for value in row)
    return out.getvalue()


def _cell(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return neutralised(" ".join(map(str, value)))
    return neutralised(value)


def report_csv(report: str, result) -> str:
    """The CSV of one report's result, as the report functions return it."""
    header, rows = _TABLES[report](result)
    return to_csv(header, rows)


def _utilisation(rows):
    header = ("by", "key", "label", "items", "starts_on", "open_hours", "used_hours", "rate")
    lines = []
    for row in rows:
        lines.append(
            (
                row.by,
                row.key,
                row.label,
                row.items,
                "total",
                row.open_hours,
                row.used_hours,
                row.rate,
            )
        )
        lines += [
            (
                row.by,
                row.key,
                row.label,
                row.items,
                point.starts_on,
                point.open_hours,
                point.used_hours,
                point.rate,
            )
            for point in row.series
        ]
    return header, lines


def _fields(rows, cls):
    names = [f.name for f in dataclasses.fields(cls)]
    return names, [[getattr(row, name) for name in names] for row in rows]


def _overdue_and_lost(report):
    header = ("kind", "loan_id", "item_id", "asset_tag", "site_id", "at", "days_overdue")
    rows = [
        ("overdue", o.loan_id, o.item_id, o.asset_tag, o.site_id, o.due_at, o.days_overdue)
        for o in report.overdue
    ]
    rows += [
        ("lost", lost.loan_id, lost.item_id, lost.asset_tag, lost.site_id, lost.lost_at, None)
        for lost in report.lost
    ]
    return header, rows


def _suggestions(suggestions):
    figure_names = sorted({name for s in suggestions for name in s.figures})
    header = ("from_site_id", "to_site_id", "category_id", "item_ids", "reason", *figure_names)
    return header, [
        (
            s.from_site_id,
            s.to_site_id,
            s.category_id,
            s.item_ids,
            s.reason,
            *(s.figures.get(name) for name in figure_names),
        )
        for s in suggestions
    ]


_TABLES = {
    "utilisation": _utilisation,
    "idle_items": lambda rows: _fields(rows, analytics.IdleItem),
    "overdue_and_lost": _overdue_and_lost,
    "activity": lambda rows: _fields(rows, analytics.Activity),
    "unmet_demand": lambda rows: _fields(rows, analytics.UnmetDemand),
    "suggestions": _suggestions,
}


# --- open data ----------------------------------------------------------------------


def suppressed(count: int, threshold: int):
    """A count as published: hidden as "<threshold" when it could single someone out."""
    return f"<{threshold}" if 0 < count < threshold else count


def open_data(history: History, period: Period, site_hours: dict, threshold: int = 5) -> str:
    rows = OpenDataRows()
    rows.add_activity(analytics.activity(history, period, by_site=True, by_category=True))
    for unmet in history.unmet:
        if period.start <= unmet.at < period.end:
            week = period.bucket(period.local_day(unmet.at), "week")
            rows.add(week, unmet.site_id, unmet.category_id, unmet_requests=1)
    for entry in history.waiting.values():
        if period.start <= entry.joined_at < period.end:
            week = period.bucket(period.local_day(entry.joined_at), "week")
            rows.add(week, entry.site_id, entry.category_id, joined_waiting_list=1)
    for category_id in {item.category_id for item in history.items.values()}:
        rows.add_use(
            category_id,
            analytics.utilisation(
                history.of_category(category_id), period, site_hours, by="site", step="week"
            ),
        )
    return rows.csv(history.label, threshold)


class OpenDataRows:
    """The open data's rows by (week, site, category), gathered from any source."""

    def __init__(self):
        self.rows: dict = {}

    def _row(self, week, site_id, category_id) -> dict:
        key = (week, site_id, category_id)
        if key not in self.rows:
            self.rows[key] = dict.fromkeys(OPEN_DATA_COLUMNS[3:8], 0) | {
                "open_hours": 0.0,
                "used_hours": 0.0,
                "utilisation": None,
            }
        return self.rows[key]

    def add(self, week, site_id, category_id, **counts: int) -> None:
        row = self._row(week, site_id, category_id)
        for name, count in counts.items():
            row[name] += count

    def add_activity(self, activities) -> None:
        """The weekly activity by site and category (its rows of a week)."""
        for a in activities:
            if a.week is not None:
                self.add(
                    a.week,
                    a.site_id,
                    a.category_id,
                    loans=a.loans,
                    reservations=a.reservations,
                    residents_served=a.residents_served,
                )

    def add_use(self, category_id, by_site) -> None:
        """One category's utilisation by site, weekly."""
        for use in by_site:
            for point in use.series:
                if point.open_hours or point.used_hours:
                    self._row(point.starts_on, use.key, category_id).update(
                        open_hours=point.open_hours,
                        used_hours=point.used_hours,
                        utilisation=point.rate,
                    )

    def csv(self, label, threshold: int) -> str:
        """`label(by, key)` names sites and categories."""
        counted = OPEN_DATA_COLUMNS[3:8]
        lines = [
            (
                week,
                label("site", site_id),
                label("category", category_id),
                *(suppressed(figures[name], threshold) for name in counted),
                figures["open_hours"],
                figures["used_hours"],
                figures["utilisation"],
            )
            for (week, site_id, category_id), figures in sorted(
                self.rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] or 0)
            )
        ]
        return to_csv(OPEN_DATA_COLUMNS, lines)
