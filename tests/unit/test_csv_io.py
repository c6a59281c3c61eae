"""Importing and exporting a partner's fleet as CSV, on a real SQLite session
(the import's checks are queries; a fake session would lie about them)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from partanum import csv_cells, migrate
from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from services.inventory import commands, csv_io
from services.inventory.models import Item

HEADER = ",".join(csv_io.COLUMNS)


def fleet(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


TABLET = "JV-TAB-001,R9JT30ABC,Samsung,Galaxy Tab A8,tablet,jean-vilar,chargeur;housse,good,,2024-09-15,249.90"
LAPTOP = "JV-PC-001,,Lenovo,ThinkPad E14,laptop,jean-vilar,,fair,clavier usé,,"


@pytest.fixture
def sessions(sqlite_url, engine_for):
    migrate.upgrade("inventory", sqlite_url)
    return sessionmaker(engine_for(sqlite_url), expire_on_commit=False)


@pytest.fixture
def transaction(sessions):
    """Open a transaction as the service would. SQLite has one connection per
    process, so opening one closes (and rolls back) the one before."""
    opened = []

    def begin():
        if opened:
            opened.pop().session.close()
        opened.append(Transaction(sessions(), "inventory", "staff:1", on_commit=lambda: None))
        return opened[-1]

    yield begin
    for tx in opened:
        tx.session.close()


@pytest.fixture
def network(transaction):
    tx = transaction()
    for partner in ("jean-vilar", "mistral"):
        commands.register_partner(tx, {"code": partner, "name": partner.title()})
        commands.register_site(
            tx,
            {
                "code": partner,
                "name": partner.title(),
                "partner": partner,
                "address": "Angers",
                "opening_hours": {},
            },
        )
    for category in ("tablet", "laptop"):
        commands.register_category(tx, {"code": category, "name": category.title()})
    tx.commit()


def import_committed(transaction, csv_text, partner="jean-vilar"):
    tx = transaction()
    report = csv_io.import_items(tx, partner, csv_text)
    tx.commit()
    return report, tx.events


def refusal(transaction, csv_text, partner="jean-vilar"):
    with pytest.raises(InvalidInput) as refused:
        csv_io.import_items(transaction(), partner, csv_text)
    return refused.value.fields


def problems(transaction, csv_text):
    return [(p["line"], p["column"]) for p in refusal(transaction, csv_text)["rows"]]


def items(transaction):
    return {item.asset_tag: item for item in transaction().session.scalars(select(Item))}


def test_a_new_fleet_is_registered_for_the_partner_with_every_field(network, transaction):
    report, events = import_committed(transaction, fleet(TABLET, LAPTOP))

    assert report == {"created": 2, "updated": 0, "unchanged": 0}
    assert [event["type"] for event in events] == ["inventory.item_registered"] * 2
    registered = items(transaction)
    tablet, laptop = registered["JV-TAB-001"], registered["JV-PC-001"]
    assert (tablet.owner.code, tablet.home_site.code, tablet.current_site.code) == (
        "jean-vilar",
    ) * 3
    assert tablet.accessories == ["chargeur", "housse"]
    assert (tablet.purchase_date, tablet.purchase_cost) == (date(2024, 9, 15), Decimal("249.90"))
    assert (tablet.serial_number, tablet.status, tablet.condition) == (
        "R9JT30ABC",
        "available",
        "good",
    )
    assert (laptop.serial_number, laptop.accessories, laptop.notes) == (None, [], "clavier usé")


def test_empty_cells_take_the_defaults(network, transaction):
    import_committed(transaction, fleet("JV-TAB-001,,Samsung,Galaxy Tab A8,tablet,jean-vilar,,,,,"))

    tablet = items(transaction)["JV-TAB-001"]
    assert (tablet.condition, tablet.accessories, tablet.notes, tablet.purchase_cost) == (
        "good",
        [],
        "",
        None,
    )


def test_importing_the_same_file_twice_changes_nothing_the_second_time(network, transaction):
    import_committed(transaction, fleet(TABLET, LAPTOP))

    report, events = import_committed(transaction, fleet(TABLET, LAPTOP))

    assert report == {"created": 0, "updated": 0, "unchanged": 2}
    assert events == []


def test_a_known_item_gets_only_its_changed_fields_updated(network, transaction):
    import_committed(transaction, fleet(TABLET, LAPTOP))
    corrected = TABLET.replace("good,,", "damaged,écran fissuré,")

    report, events = import_committed(transaction, fleet(corrected, LAPTOP))

    assert report == {"created": 0, "updated": 1, "unchanged": 1}
    (event,) = events
    assert event["type"] == "inventory.item_updated"
    assert event["data"]["changed"] == ["condition", "notes"]
    assert items(transaction)["JV-TAB-001"].notes == "écran fissuré"


def test_a_reimport_never_moves_an_item(network, transaction):
    import_committed(transaction, fleet(TABLET))
    elsewhere = TABLET.replace(",jean-vilar,", ",mistral,")

    report, events = import_committed(transaction, fleet(elsewhere))

    assert report == {"created": 0, "updated": 0, "unchanged": 1} and events == []
    tablet = items(transaction)["JV-TAB-001"]
    assert (tablet.home_site.code, tablet.current_site.code) == ("jean-vilar", "jean-vilar")


def test_a_french_spreadsheet_with_a_bom_semicolons_and_decimal_commas_is_read(
    network, transaction
):
    header = ";".join(csv_io.COLUMNS)
    row = 'JV-TAB-001;;Samsung;Galaxy Tab A8;tablet;jean-vilar;"chargeur;housse";good;;2024-09-15;"1\u00a0249,90"'

    report, _ = import_committed(
        transaction, "\ufeff" + fleet(row, header=header).replace("\n", "\r\n")
    )

    assert report["created"] == 1
    tablet = items(transaction)["JV-TAB-001"]
    assert (tablet.purchase_cost, tablet.accessories) == (
        Decimal("1249.90"),
        ["chargeur", "housse"],
    )


def test_columns_may_come_in_any_order_and_header_case(network, transaction):
    columns = list(reversed(csv_io.COLUMNS))
    row = ",".join(reversed(TABLET.split(",")))

    report, _ = import_committed(transaction, fleet(row, header=",".join(columns).upper()))

    assert report["created"] == 1


def test_every_problem_of_every_row_is_reported_and_nothing_changes(network, transaction):
    import_committed(transaction, fleet(TABLET), partner="mistral")
    csv_text = fleet(
        TABLET,  # 2: owned by mistral
        "jv tab 2,,Samsung,,tablete,jean-vilar,,good,,2024-13-01,",  # 3: four problems
        LAPTOP,  # 4: fine
        "JV-TAB-003,,Samsung,Galaxy Tab A8,tablet,nowhere,,broken,,,-5",  # 5: three problems
        "JV-PC-001,,Lenovo,ThinkPad E14,laptop,jean-vilar,,good,,,",  # 6: repeats line 4
        "JV-TAB-004,Samsung,Galaxy Tab A8,tablet",  # 7: cells missing
    )

    assert problems(transaction, csv_text) == [
        (2, "asset_tag"),
        (3, "asset_tag"),
        (3, "model"),
        (3, "category"),
        (3, "purchase_date"),
        (5, "home_site"),
        (5, "condition"),
        (5, "purchase_cost"),
        (6, "asset_tag"),
        (7, None),
    ]
    assert set(items(transaction)) == {"JV-TAB-001"}


def test_the_messages_say_what_is_wrong_in_plain_words(network, transaction):
    import_committed(transaction, fleet(TABLET), partner="mistral")
    csv_text = fleet(
        TABLET,
        "JV-TAB-002,,Samsung,Tab,tablete,jean-vilar,,,,,",
        "JV-TAB-002,,Samsung,Tab,tablet,jean-vilar,,,,,",
    )

    assert refusal(transaction, csv_text) == {
        "rows": [
            {
                "line": 2,
                "column": "asset_tag",
                "error": "JV-TAB-001 is registered to another partner (mistral)",
            },
            {"line": 3, "column": "category", "error": "no category with code 'tablete'"},
            {"line": 4, "column": "asset_tag", "error": "JV-TAB-002 is already on line 3"},
        ]
    }


def test_a_row_is_numbered_by_the_line_it_starts_on(network, transaction):
    multiline = 'JV-TAB-001,,Samsung,Galaxy Tab A8,tablet,jean-vilar,,good,"rayure\nsur le dos",,'

    no_model = "JV-TAB-002,,Samsung,,tablet,jean-vilar,,,,,"

    assert problems(transaction, fleet(multiline, "", no_model)) == [(5, "model")]


def test_a_header_with_unknown_or_missing_columns_is_refused_on_line_1(network, transaction):
    header = HEADER.replace("notes", "remarques").replace(",purchase_cost", "")

    assert problems(transaction, fleet(TABLET, header=header)) == [
        (1, "notes"),
        (1, "purchase_cost"),
        (1, "remarques"),
    ]


def test_an_empty_file_lacks_every_column(network, transaction):
    assert problems(transaction, "") == [(1, column) for column in csv_io.COLUMNS]


def test_a_header_alone_imports_nothing(network, transaction):
    assert import_committed(transaction, fleet())[0] == {"created": 0, "updated": 0, "unchanged": 0}


def test_an_unknown_partner_is_refused(network, transaction):
    assert list(refusal(transaction, fleet(TABLET), partner="nobody")) == ["partner"]


def test_an_export_imports_back_unchanged(network, transaction):
    quoted = (
        'JV-TAB-002,,Apple,"iPad 9, 64 Go",tablet,jean-vilar,câble,new,"écran ""mat""\nneuf",,12'
    )
    import_committed(transaction, fleet(TABLET, LAPTOP, quoted))
    tx = transaction()
    exported = csv_io.export_items(tx.session.scalars(select(Item).order_by(Item.asset_tag)))

    report, events = import_committed(transaction, exported)

    assert report == {"created": 0, "updated": 0, "unchanged": 3} and events == []


def test_an_export_has_a_header_and_one_line_per_item_with_its_owner_site_and_status(
    network, transaction
):
    import_committed(transaction, fleet(TABLET))

    exported = csv_io.export_items(transaction().session.scalars(select(Item)))

    assert exported == (
        ",".join(csv_io.COLUMNS + ("owner", "current_site", "status"))
        + "\n"
        + TABLET
        + ",jean-vilar,jean-vilar,available\n"
    )


def test_a_refused_import_leaves_no_pending_change_in_its_session(network, transaction):
    tx = transaction()
    with pytest.raises(InvalidInput):
        csv_io.import_items(
            tx, "jean-vilar", fleet(TABLET, "JV-TAB-002,,Samsung,,tablet,jean-vilar,,,,,")
        )
    assert tx.events == [] and not tx.session.new
    assert tx.session.scalar(select(func.count()).select_from(Item)) == 0


def test_cells_that_would_start_a_formula_are_exported_as_text_and_import_back_unchanged(
    network, transaction
):
    tx = transaction()
    commands.register_item(
        tx,
        {
            "asset_tag": "JV-TAB-009",
            "serial_number": "-2+3",
            "make": "=cmd|' /C calc'!A0",
            "model": "@SUM(A1)",
            "category": "tablet",
            "owner": "jean-vilar",
            "home_site": "jean-vilar",
            "accessories": ["+chargeur", "housse"],
            "condition": "good",
            "notes": "\t=1+1",
            "purchase_date": None,
            "purchase_cost": None,
        },
    )
    tx.commit()

    exported = csv_io.export_items(transaction().session.scalars(select(Item)))
    row = next(csv.DictReader(io.StringIO(exported)))
    report, events = import_committed(transaction, exported)

    assert (row["serial_number"], row["make"], row["model"], row["accessories"], row["notes"]) == (
        "'-2+3",
        "'=cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'+chargeur;housse",
        "'\t=1+1",
    )
    assert report == {"created": 0, "updated": 0, "unchanged": 1} and events == []


@pytest.mark.parametrize(
    "text", ["=1+2", "+33 6 12", "-", "@x", "\tx", "\rx", "'=1", "''+1", "'quoted", "plain", ""]
)
def test_a_neutralised_cell_reads_back_as_it_was_written(text):
    assert csv_cells.restored(csv_cells.neutralised(text)) == text


def test_numbers_are_not_formulas_and_stay_numbers():
    assert csv_cells.neutralised(-3) == -3 and csv_cells.neutralised(-0.5) == -0.5


def test_a_cell_with_a_nul_is_refused_naming_its_line_and_column(network, transaction):
    assert problems(
        transaction, fleet(TABLET, LAPTOP.replace("clavier usé", "clavier\x00usé"))
    ) == [(3, "notes")]


def test_a_preview_says_what_each_row_would_do_and_changes_nothing(network, transaction):
    import_committed(transaction, fleet(TABLET))
    corrected = TABLET.replace("good,,", "damaged,écran fissuré,")
    tx = transaction()

    preview = csv_io.preview_import(tx, "jean-vilar", fleet(corrected, LAPTOP))

    assert preview == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rows": [
            {
                "line": 2,
                "asset_tag": "JV-TAB-001",
                "change": "updated",
                "fields": ["condition", "notes"],
            },
            {"line": 3, "asset_tag": "JV-PC-001", "change": "created", "fields": []},
        ],
    }
    assert tx.events == [] and not tx.session.new and not tx.session.dirty
    assert set(items(transaction)) == {"JV-TAB-001"}


def test_a_preview_refuses_what_the_import_refuses(network, transaction):
    bad = fleet(TABLET, LAPTOP.replace(",laptop,", ",laptops,"))

    with pytest.raises(InvalidInput) as refused:
        csv_io.preview_import(transaction(), "jean-vilar", bad)

    assert refused.value.fields == refusal(transaction, bad)
    assert [(p["line"], p["column"]) for p in refused.value.fields["rows"]] == [(3, "category")]
