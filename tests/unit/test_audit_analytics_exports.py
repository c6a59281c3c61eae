"""CSV exports of the reports, the anonymous open data, and the charts."""

import base64
import csv
import io
import xml.etree.ElementTree as ElementTree
from datetime import date

import pytest

from partanum.errors import InvalidInput, load
from services.audit import analytics, charts, exports, schemas_reports
from services.audit.analytics import History, Period, SiteHours
from tests.unit.audit_stream import JEAN_VILAR_HOURS, PARIS, Stream, local

# Two weeks: Monday 16 to Sunday 29 November 2026.
FORTNIGHT = Period(date(2026, 11, 16), date(2026, 11, 29), PARIS)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def lending():
    """Six residents borrow in the first week, three in the second."""
    stream = Stream()
    partner = stream.partner("centre-social")
    stream.vilar = stream.site("jean-vilar", partner)
    tablet = stream.category("tablet")
    items = [stream.item(f"JV-TAB-{n}", tablet, partner, stream.vilar) for n in range(6)]
    for n, item in enumerate(items):
        loan = stream.lend(
            item, stream.vilar, "2026-11-17 10:00", "2026-11-20 18:00", resident_id=4200 + n
        )
        stream.check_in(loan, item, "2026-11-17 11:00", resident_id=4200 + n)
    for n, item in enumerate(items[:3]):
        stream.lend(
            item, stream.vilar, "2026-11-24 10:00", "2026-12-08 18:00", resident_id=4300 + n
        )
    stream.hours = {stream.vilar: SiteHours(JEAN_VILAR_HOURS, name="Centre Jean Vilar")}
    return stream


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_open_data_hides_counts_under_the_threshold_and_names_nobody(lending):
    text = exports.open_data(History.from_events(lending.events), FORTNIGHT, lending.hours)
    rows = read_csv(text)
    assert [(r["week"], r["loans"], r["residents_served"]) for r in rows] == [
        ("2026-11-16", "6", "6"),
        ("2026-11-23", "<5", "<5"),
    ]
    assert rows[0]["reservations"] == "0"  # nobody to single out in a zero
    assert set(rows[0]) == set(exports.OPEN_DATA_COLUMNS)
    assert "42" not in text and "43" not in text  # no resident id, not even in part


def test_every_report_exports_as_csv_with_a_header(lending):
    history = History.from_events(lending.events)
    results = {
        "utilisation": analytics.utilisation(history, FORTNIGHT, lending.hours),
        "idle_items": analytics.idle_items(history, local("2026-11-30 12:00"), 1),
        "overdue_and_lost": analytics.overdue_and_lost(
            history, FORTNIGHT, local("2026-12-10 12:00")
        ),
        "activity": analytics.activity(history, FORTNIGHT),
        "unmet_demand": analytics.unmet_demand(history, FORTNIGHT),
        "suggestions": [],
    }
    assert set(results) == set(schemas_reports.REPORTS)
    tables = {
        report: read_csv(exports.report_csv(report, result)) for report, result in results.items()
    }
    assert [(r["starts_on"], r["used_hours"]) for r in tables["utilisation"]] == [
        ("total", "90.0"),
        ("2026-11-16", "6.0"),
        ("2026-11-23", "84.0"),
    ]  # 6 × 1 h, 3 × 28 h
    assert [r["days_overdue"] for r in tables["overdue_and_lost"]] == ["1", "1", "1"]
    assert [r["residents_served"] for r in tables["activity"]] == ["6", "3", "9"]
    assert "resident_id" not in exports.report_csv("activity", results["activity"])


@pytest.mark.parametrize("kind", schemas_reports.CHARTS)
def test_an_svg_chart_has_a_title_and_a_description(lending, kind):
    rows = analytics.utilisation(
        History.from_events(lending.events), FORTNIGHT, lending.hours, by="partner"
    )
    chart = charts.render(kind, rows, FORTNIGHT, "svg")
    root = ElementTree.fromstring(chart["content"])
    assert chart["media_type"] == "image/svg+xml"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    assert root.find(f"{SVG}title").text.startswith("Equipment utilisation")
    assert "centre-social" in root.find(f"{SVG}desc").text


def test_a_png_chart_comes_with_the_description_for_its_alt_text(lending):
    rows = analytics.utilisation(
        History.from_events(lending.events), FORTNIGHT, lending.hours, by="partner"
    )
    chart = charts.render("utilisation_by_partner", rows, FORTNIGHT, "png")
    assert base64.b64decode(chart["content"]).startswith(b"\x89PNG")
    assert "centre-social 22 % (90 of 408 hours, 6 devices)" in chart["description"]


def test_a_report_refuses_unknown_fields_and_a_period_running_backwards():
    with pytest.raises(InvalidInput) as refused:
        load(
            schemas_reports.UtilisationIn(),
            {"from": "2026-11-01", "to": "2026-11-30", "by": "room", "colour": "red"},
        )
    assert set(refused.value.fields) == {"by", "colour"}
    with pytest.raises(InvalidInput) as refused:
        load(schemas_reports.UtilisationIn(), {"from": "2026-11-30", "to": "2026-11-01"})
    assert set(refused.value.fields) == {"to"}


def test_daily_figures_per_item_are_refused_over_more_than_a_quarter():
    year = {"from": "2026-01-01", "to": "2026-12-31"}
    assert load(schemas_reports.UtilisationIn(), {**year, "by": "item"})["step"] == "week"
    with pytest.raises(InvalidInput) as refused:
        load(schemas_reports.UtilisationIn(), {**year, "by": "item", "step": "day"})
    assert set(refused.value.fields) == {"step"}


def test_a_site_name_that_would_start_a_formula_is_exported_as_text(lending):
    lending.hours[lending.vilar] = SiteHours(
        JEAN_VILAR_HOURS, name='=HYPERLINK("http://x.example")'
    )
    use = analytics.utilisation(History.from_events(lending.events), FORTNIGHT, lending.hours)

    rows = read_csv(exports.report_csv("utilisation", use))

    assert {row["label"] for row in rows} == {'\'=HYPERLINK("http://x.example")'}
