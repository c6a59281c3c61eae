"""A partner's fleet as CSV: import all or nothing, export in the same shape.

Partners keep their equipment in spreadsheets. The file has a header line with
COLUMNS, in any order; the owner is the partner the import is made for, never a
column. Accessories are separated by `;` inside their cell, dates are ISO
(2024-09-15), a cost may use a decimal comma (249,90). The file may start with
a UTF-8 byte-order mark and may be delimited by `,` or `;` (French spreadsheets
export `;`). An empty cell means the field's default: no serial number, no
accessories, condition "good", no notes, no purchase date or cost. A text that a
spreadsheet would run as a formula is exported behind a quote (partanum.csv_cells),
which the import takes off again.
"""

import csv
import io
from collections.abc import Iterable

from marshmallow import ValidationError
from sqlalchemy import select

from partanum.csv_cells import neutralised, restored
from partanum.db import in_chunks
from partanum.dependencies import Transaction
from partanum.errors import InvalidInput
from services.inventory import commands, schemas
from services.inventory.models import Category, Item, Partner, Site
from services.inventory.vocabulary import COLUMNS, EXPORT_ONLY

# What a re-import compares and updates on an existing item: the fields staff may correct.
DESCRIPTIVE = tuple(schemas.ItemUpdate().fields)
BOM = "\ufeff"


def import_items(tx: Transaction, partner_code: str, csv_text: str) -> dict:
    """Register the file's new items and update the descriptive fields of known ones.

    Idempotent on asset_tag: an item already registered for this partner has its
    descriptive fields (see DESCRIPTIVE) compared with its row and updated with
    only what differs. Its category, home_site and current_site are never
    changed by an import (location changes go through transfer_item): a row that
    differs only there counts as unchanged.

    All or nothing: every row is checked (format, category and home_site codes,
    asset tags repeated in the file or owned by another partner) before anything
    changes. Any problem raises InvalidInput({"rows": [{"line": 3, "column":
    "category", "error": "no category with code 'tablete'"}, …]}), the header
    being line 1 and "column" null when the whole line is at fault; header
    problems are reported alone, since the rows cannot be read without it. An
    unknown partner raises InvalidInput({"partner": […]}).

    Returns {"created": n, "updated": n, "unchanged": n}.
    """
    loaded, existing = _checked(tx, partner_code, csv_text)
    report = {"created": 0, "updated": 0, "unchanged": 0}
    for _, data in loaded:
        item = existing.get(data["asset_tag"])
        if item is None:
            commands.register_item(tx, data)
            report["created"] += 1
            continue
        changes = _changes(item, data)
        if changes:
            commands.update_item(tx, item, changes)
        report["updated" if changes else "unchanged"] += 1
    return report


def preview_import(tx: Transaction, partner_code: str, csv_text: str) -> dict:
    """What import_items would do with this file, changing nothing: the same checks
    and refusals, then {"created": n, "updated": n, "unchanged": n, "rows": [{"line":
    2, "asset_tag": "JV-TAB-001", "change": "updated", "fields": ["notes"]}, …]}, so
    that staff see each row's effect before they commit the file."""
    loaded, existing = _checked(tx, partner_code, csv_text)
    report: dict = {"created": 0, "updated": 0, "unchanged": 0, "rows": []}
    for line, data in loaded:
        item = existing.get(data["asset_tag"])
        fields = sorted(_changes(item, data)) if item is not None else []
        change = "created" if item is None else "updated" if fields else "unchanged"
        report[change] += 1
        report["rows"].append(
            {"line": line, "asset_tag": data["asset_tag"], "change": change, "fields": fields}
        )
    return report


def _changes(item: Item, data: dict) -> dict:
    return {name: data[name] for name in DESCRIPTIVE if getattr(item, name) != data[name]}


def _checked(
    tx: Transaction, partner_code: str, csv_text: str
) -> tuple[list[tuple[int, dict]], dict[str, Item]]:
    """The file's rows as (line, ItemIn data) and the registered items among their
    tags, once every check passed; else InvalidInput naming each line and column."""
    partner = commands.by_code(tx, Partner, partner_code, "partner")
    rows, problems = _read(csv_text)
    loaded = []  # (line, data) of the rows the schema accepts
    for line, cells in rows:
        payload = {name: _value(name, cells[name]) for name in COLUMNS if cells[name]}
        payload["owner"] = partner.code
        try:
            loaded.append((line, schemas.ItemIn().load(payload)))
        except ValidationError as error:
            problems += _schema_problems(line, error.normalized_messages())
            # Still check its references; nothing is valid when the whole row is refused
            # before its fields are read (partanum.inputs: a NUL in a cell).
            loaded.append((line, error.valid_data or {}))

    existing = _items_by_tag(tx, [data["asset_tag"] for _, data in loaded if "asset_tag" in data])
    problems += _reference_problems(tx, loaded)
    problems += _tag_problems(loaded, existing, partner)
    if problems:
        raise InvalidInput({"rows": sorted(problems, key=_in_file_order)})
    return loaded, existing


def export_items(items: Iterable[Item]) -> str:
    """The items as CSV with COLUMNS and EXPORT_ONLY: one partner's export imports back unchanged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + EXPORT_ONLY)
    for item in items:
        writer.writerow(
            neutralised(cell)
            for cell in [
                item.asset_tag,
                item.serial_number or "",
                item.make,
                item.model,
                item.category.code,
                item.home_site.code,
                ";".join(item.accessories or []),
                item.condition,
                item.notes or "",
                item.purchase_date.isoformat() if item.purchase_date else "",
                f"{item.purchase_cost:.2f}" if item.purchase_cost is not None else "",
                item.owner.code,
                item.current_site.code,
                item.status,
            ]
        )
    return out.getvalue()


# --- reading ---------------------------------------------------------------------


def _read(csv_text: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    """The rows as (line, {column: stripped cell}), and the rows that do not fit the header.

    A header that is not COLUMNS (plus any of EXPORT_ONLY) is refused at once."""
    text = csv_text.removeprefix(BOM)
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as error:
        raise InvalidInput({"rows": [_problem(1, None, f"unreadable header: {error}")]}) from None
    problems = _header_problems(header)
    if problems:
        raise InvalidInput({"rows": problems})

    rows, problems = [], []
    line = reader.line_num + 1
    try:
        for cells in reader:
            # A cell may span lines (notes); a row is numbered by its first line.
            if any(cell.strip() for cell in cells):
                if len(cells) == len(header):
                    rows.append(
                        (
                            line,
                            {
                                name: restored(cell.strip())
                                for name, cell in zip(header, cells, strict=True)
                            },
                        )
                    )
                else:
                    problems.append(
                        _problem(
                            line, None, f"{len(cells)} cells where the header has {len(header)}"
                        )
                    )
            line = reader.line_num + 1
    except csv.Error as error:
        problems.append(_problem(line, None, f"unreadable: {error}"))
    return rows, problems


def _header_problems(header: list[str]) -> list[dict]:
    problems = [_problem(1, name, "missing column") for name in COLUMNS if name not in header]
    known = set(COLUMNS + EXPORT_ONLY)
    seen = set()
    for name in header:
        if name not in known:
            problems.append(_problem(1, name, f"unknown column (expected {', '.join(COLUMNS)})"))
        elif name in seen:
            problems.append(_problem(1, name, "column appears twice"))
        seen.add(name)
    return problems


def _value(column: str, cell: str):
    """A non-empty cell as ItemIn expects it."""
    if column == "accessories":
        return [part.strip() for part in cell.split(";") if part.strip()]
    if column == "purchase_cost":
        # "1 249,90" from a French spreadsheet, including its no-break spaces
        return "".join(cell.replace(",", ".").split())
    return cell


# --- checking ----------------------------------------------------------------------


def _problem(line: int, column: str | None, error: str) -> dict:
    return {"line": line, "column": column, "error": error}


def _in_file_order(problem: dict) -> tuple:
    column = problem["column"]
    return problem["line"], COLUMNS.index(column) if column in COLUMNS else -1


def _schema_problems(line: int, messages: dict) -> list[dict]:
    problems = []
    for column, errors in messages.items():
        if isinstance(errors, dict):  # a list field: {index: [messages]}
            errors = [
                f"accessory {int(i) + 1}: {m}" for i, ms in sorted(errors.items()) for m in ms
            ]
        problems += [_problem(line, column, message) for message in errors]
    return problems


def _reference_problems(tx: Transaction, loaded: list[tuple[int, dict]]) -> list[dict]:
    problems = []
    for model, column, noun in ((Category, "category", "category"), (Site, "home_site", "site")):
        wanted = {data[column] for _, data in loaded if column in data}
        known = (
            set(tx.session.scalars(select(model.code).where(model.code.in_(wanted))))
            if wanted
            else set()
        )
        problems += [
            _problem(line, column, f"no {noun} with code {data[column]!r}")
            for line, data in loaded
            if column in data and data[column] not in known
        ]
    return problems


def _tag_problems(
    loaded: list[tuple[int, dict]], existing: dict[str, Item], partner: Partner
) -> list[dict]:
    problems, first_line = [], {}
    for line, data in loaded:
        tag = data.get("asset_tag")
        if tag is None:
            continue
        if tag in first_line:
            problems.append(
                _problem(line, "asset_tag", f"{tag} is already on line {first_line[tag]}")
            )
            continue
        first_line[tag] = line
        item = existing.get(tag)
        if item is not None and item.owner_partner_id != partner.id:
            problems.append(
                _problem(
                    line, "asset_tag", f"{tag} is registered to another partner ({item.owner.code})"
                )
            )
    return problems


def _items_by_tag(tx: Transaction, tags: list[str]) -> dict[str, Item]:
    """The registered items among these tags, locked until the import commits."""
    found = {}
    for chunk in in_chunks(sorted(set(tags))):
        query = select(Item).where(Item.asset_tag.in_(chunk)).with_for_update()
        found.update((item.asset_tag, item) for item in tx.session.scalars(query))
    return found
