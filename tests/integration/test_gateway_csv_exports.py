"""CSV files from the gateway open safely in a spreadsheet, on both databases: a
make, a note or a reservation note typed as a formula (=, +, -, @) is exported as
text behind a quote, and a partner's own export still imports back unchanged. They
are made for a French spreadsheet: ";"-separated, with a UTF-8 byte-order mark."""

import csv
import io

from tests.integration.gateway_network import TIMEOUT

FORMULA = "=cmd|' /C calc'!A0"


def rows_of(answer) -> list[dict]:
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode()) and ";" in answer.text.splitlines()[0]
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))


def test_a_reservation_note_typed_as_a_formula_is_exported_as_text(network):
    network.ok(
        network.jv,
        "POST",
        "/api/reservations",
        201,
        json={
            "site": "jean-vilar",
            **network.tuesday,
            "asset_tags": ["JV-LAP-002"],
            "note": FORMULA,
        },
    )

    (row,) = rows_of(
        network.jv.get(network.url("/api/reservations"), params={"format": "csv"}, timeout=TIMEOUT)
    )

    assert row["note"] == "'" + FORMULA and row["asset_tags"] == "JV-LAP-002"


def test_a_make_and_notes_typed_as_formulas_export_as_text_and_import_back_unchanged(network):
    network.ok(
        network.jv,
        "POST",
        "/api/items",
        201,
        json={
            "asset_tag": "JV-TAB-009",
            "make": FORMULA,
            "model": "+Tab",
            "category": "laptop",
            "owner": "jean-vilar",
            "home_site": "jean-vilar",
            "notes": "@SUM(A1:A9)",
        },
    )

    exported = network.jv.get(network.url("/api/items"), params={"format": "csv"}, timeout=TIMEOUT)
    row = next(row for row in rows_of(exported) if row["asset_tag"] == "JV-TAB-009")
    report = network.ok(
        network.jv, "POST", "/api/items/import", json={"csv": exported.content.decode("utf-8")}
    )

    assert (row["make"], row["model"], row["notes"]) == ("'" + FORMULA, "'+Tab", "'@SUM(A1:A9)")
    assert report == {"created": 0, "updated": 0, "unchanged": 4}
    item = network.ok(network.jv, "GET", "/api/items/JV-TAB-009")
    assert (item["make"], item["model"], item["notes"]) == (FORMULA, "+Tab", "@SUM(A1:A9)")
