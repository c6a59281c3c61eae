"""A partner's fleet in and out as files, through the running inventory service."""

import base64

import pytest

from partanum.errors import InvalidInput
from services.inventory import csv_io
from tests.integration.helpers import call, register_network

HEADER = ",".join(csv_io.COLUMNS)
FLEET = (
    "\n".join(
        [
            HEADER,
            "JV-TAB-001,R9JT30ABC,Samsung,Galaxy Tab A8,tablet,jean-vilar,chargeur;housse,good,,2024-09-15,249.90",
            "JV-TAB-002,R9JT30ABD,Samsung,Galaxy Tab A8,tablet,jean-vilar,chargeur,fair,coin abîmé,2024-09-15,249.90",
            'JV-TAB-003,,Apple,"iPad 9, 64 Go",tablet,jean-vilar,,new,"écran ""anti-reflet""\nsous garantie",,',
        ]
    )
    + "\n"
)


def test_a_partners_fleet_is_registered_from_a_file_and_announced(inventory, events_seen):
    listen = events_seen("inventory.item_registered")
    register_network(inventory)

    report = call(inventory, "import_items_csv", "jean-vilar", FLEET)

    assert report == {"created": 3, "updated": 0, "unchanged": 0}
    assert sorted(event["data"]["asset_tag"] for event in listen.wait(3)) == [
        "JV-TAB-001",
        "JV-TAB-002",
        "JV-TAB-003",
    ]
    tablet = call(inventory, "get_item", "JV-TAB-001")
    assert (tablet["owner"], tablet["current_site"]) == ("jean-vilar", "jean-vilar")
    assert (tablet["accessories"], tablet["purchase_cost"]) == (["chargeur", "housse"], "249.90")


def test_importing_the_same_file_again_changes_nothing(inventory, events_seen):
    listen = events_seen(
        "inventory.item_registered", "inventory.item_updated", "inventory.category_registered"
    )
    register_network(inventory)
    call(inventory, "import_items_csv", "jean-vilar", FLEET)

    report = call(inventory, "import_items_csv", "jean-vilar", FLEET)

    assert report == {"created": 0, "updated": 0, "unchanged": 3}
    # Events are published in commit order: once this one is in, the import's would be too.
    call(inventory, "register_category", {"code": "laptop", "name": "Portable"})
    types = [event["type"].removeprefix("inventory.") for event in listen.wait(5)]
    assert types == ["category_registered"] + ["item_registered"] * 3 + ["category_registered"]


def test_a_preview_says_what_the_file_would_change_and_registers_nothing(inventory):
    register_network(inventory)

    preview = call(inventory, "preview_items_csv", "jean-vilar", FLEET)

    assert (preview["created"], preview["updated"], preview["unchanged"]) == (3, 0, 0)
    assert [(row["line"], row["change"]) for row in preview["rows"]] == [
        (2, "created"),
        (3, "created"),
        (4, "created"),
    ]
    assert call(inventory, "list_items_page", {"search": "JV-TAB-00"})["total"] == 0


def test_a_file_with_bad_rows_is_refused_whole_naming_each_line_and_column(inventory):
    register_network(inventory)
    bad = "\n".join(
        [
            HEADER,
            "JV-TAB-001,,Samsung,Galaxy Tab A8,tablet,jean-vilar,,good,,,",
            "JV-TAB-002,,Samsung,Galaxy Tab A8,laptop,jean-vilar,,good,,15/09/2024,",
            "jv-tab-3,,Samsung,Galaxy Tab A8,tablet,nowhere,,good,,,deux cents",
        ]
    )

    with pytest.raises(InvalidInput) as refused:
        call(inventory, "import_items_csv", "jean-vilar", bad)

    assert [(row["line"], row["column"]) for row in refused.value.fields["rows"]] == [
        (3, "category"),
        (3, "purchase_date"),
        (4, "asset_tag"),
        (4, "home_site"),
        (4, "purchase_cost"),
    ]
    assert call(inventory, "list_items") == []


def test_a_french_spreadsheet_export_imports(inventory):
    register_network(inventory)
    french = (
        "\ufeff"
        + "\r\n".join(
            [
                ";".join(csv_io.COLUMNS),
                'JV-TAB-001;;Samsung;Galaxy Tab A8;tablet;jean-vilar;chargeur;good;"rayure; légère";2024-09-15;249,90',
            ]
        )
        + "\r\n"
    )

    assert call(inventory, "import_items_csv", "jean-vilar", french)["created"] == 1
    tablet = call(inventory, "get_item", "JV-TAB-001")
    assert (tablet["purchase_cost"], tablet["notes"]) == ("249.90", "rayure; légère")


def test_a_partners_export_imports_back_unchanged(inventory):
    register_network(inventory)
    call(inventory, "import_items_csv", "jean-vilar", FLEET)
    call(
        inventory,
        "transfer_item",
        "JV-TAB-002",
        {"to_site": "mistral", "reason": "atelier du jeudi"},
    )

    exported = call(inventory, "export_items_csv", {"owner": "jean-vilar"})

    assert exported.splitlines()[0] == HEADER + ",owner,current_site,status"
    assert call(inventory, "import_items_csv", "jean-vilar", exported) == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert call(inventory, "get_item", "JV-TAB-002")["current_site"] == "mistral"


def test_labels_come_back_as_a_base64_pdf(inventory):
    register_network(inventory)
    call(inventory, "import_items_csv", "jean-vilar", FLEET)

    encoded = call(inventory, "labels_pdf", {"asset_tags": ["JV-TAB-001", "JV-TAB-003"]})

    assert base64.b64decode(encoded, validate=True).startswith(b"%PDF-")
