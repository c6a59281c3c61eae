"""The gateway's CSV files open in columns in a French spreadsheet: ";"-separated,
with a UTF-8 byte-order mark, a list kept in its one cell."""

import csv
import io

from services.gateway import csv_export


def test_a_list_is_a_semicolon_file_with_a_byte_order_mark_and_lists_in_one_cell():
    text = csv_export.csv_text(
        [{"asset_tag": "JV-LAP-001", "accessories": ["chargeur", "souris"], "notes": "=1+1"}],
        ["asset_tag", "accessories", "notes"],
    )

    assert text.startswith("\ufeffasset_tag;accessories;notes\r\n")
    (row,) = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    assert row == {"asset_tag": "JV-LAP-001", "accessories": "chargeur;souris", "notes": "'=1+1"}


def test_a_services_comma_file_is_given_to_people_with_semicolons():
    text = csv_export.for_people('by,key,label\r\npartner,1,"Centre Jean Vilar, Angers"\r\n')

    assert text == "\ufeffby;key;label\r\npartner;1;Centre Jean Vilar, Angers\r\n"
