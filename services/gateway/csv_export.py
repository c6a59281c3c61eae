"""Lists as CSV files for the spreadsheets partners already keep.

Made for people, who open them with a double click in a French spreadsheet: UTF-8
with a byte-order mark (accents shown right), separated by ";" (the list separator
of a French Excel, which puts a ","-separated file in one column), one header line;
a list in a cell (accessories, asset tags) is joined with ";" inside its quoted
cell, as the inventory's own import reads it (it takes ";" and "," files). A text
that a spreadsheet would run as a formula is quoted (partanum.csv_cells).
"""

import csv
import io

from werkzeug.wrappers import Response

from partanum.csv_cells import neutralised

CSV = "text/csv; charset=utf-8"
SEPARATOR = ";"
BOM = "\ufeff"


def csv_text(rows, columns) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return BOM + out.getvalue()


def for_people(text: str) -> str:
    """A ","-separated CSV file made by a service, as people open it (see above)."""
    out = io.StringIO()
    csv.writer(out, delimiter=SEPARATOR, lineterminator="\r\n").writerows(
        csv.reader(io.StringIO(text.removeprefix(BOM), newline=""))
    )
    return BOM + out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return neutralised(";".join(map(str, value)))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(neutralised(value))


def csv_response(rows, columns, filename: str) -> Response:
    return Response(
        csv_text(rows, columns).encode("utf-8"),
        content_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def columns_of(schema) -> list[str]:
    """The columns of a file: the fields of the JSON answer, in their order."""
    return [name for name, field in schema().fields.items() if not getattr(field, "nested", None)]
