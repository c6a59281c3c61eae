"""The gettext catalogues of the notification texts, kept with Babel.

    .venv/bin/python -m services.notifications.catalogues

extracts the French source texts of texts.py into locale/notifications.pot, merges
them into every locale/<lang>/LC_MESSAGES/notifications.po (new texts arrive
untranslated, changed ones marked fuzzy for the translator) and compiles each .po
into the .mo beside it. Translators work on the .po files with any gettext editor
(Poedit, Lokalize, Weblate…), then run this again.

Each catalogue's header says whether a native speaker has checked it:

    "X-Review-Status: awaiting native-speaker review\\n"

A reviewer who signs a catalogue off replaces the value with
"reviewed by <name>, <date>". Babel does not keep header fields it does not know,
so this module puts the field back when it rewrites a catalogue.
"""
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from services.notifications import texts

LOCALE_DIR = texts.LOCALE_DIR
TEMPLATE = LOCALE_DIR / f"{texts.DOMAIN}.pot"
REVIEW_HEADER = "X-Review-Status"
AWAITING_REVIEW = "awaiting native-speaker review"
TRANSLATED = tuple(language for language in texts.LANGUAGES if language != texts.DEFAULT_LANGUAGE)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{texts.DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def source_messages() -> dict[str, list[str]]:
    """Every French source text of texts.py → its translator comments."""
    messages: dict[str, list[str]] = {}
    for _, message, comments, _ in extract_from_file(
            "python", str(Path(texts.__file__)), keywords={"N_": None},
            comment_tags=("TRANSLATORS:",)):
        messages.setdefault(message, [])
        messages[message] += [c for c in comments if c not in messages[message]]
    return messages


def headers(path: Path) -> dict[str, str]:
    """The header fields of a .po file, as written (custom fields included)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r'^msgid ""\nmsgstr ""\n((?:".*"\n)+)', text, re.MULTILINE)
    fields: dict[str, str] = {}
    if match:
        raw = "".join(line[1:-1] for line in match.group(1).splitlines())
        for field in raw.replace('\\"', '"').split("\\n"):
            name, _, value = field.partition(":")
            if name.strip():
                fields[name.strip()] = value.strip()
    return fields


def review_status(language: str) -> str | None:
    return headers(po_path(language)).get(REVIEW_HEADER)


def compiled(po_file: Path) -> bytes:
    """The .mo that `po_file` compiles to (fuzzy entries left out, as pybabel does)."""
    with po_file.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def write_catalogue(catalog: Catalog, path: Path, review: str | None) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=False)
    text = out.getvalue().decode("utf-8")
    if review:
        text = text.replace('"Generated-By:', f'"{REVIEW_HEADER}: {review}\\n"\n"Generated-By:', 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def template_catalog() -> Catalog:
    catalog = Catalog(project="Partanum", domain=texts.DOMAIN, fuzzy=False,
                      msgid_bugs_address="", copyright_holder="Partanum")
    for message, comments in source_messages().items():
        catalog.add(message, auto_comments=comments)
    return catalog


def update(language: str, template: Catalog) -> None:
    merge_into(po_path(language), language, template, texts.DOMAIN)


def merge_into(path: Path, language: str, template: Catalog, domain: str) -> None:
    """Merges the source texts into the catalogue at `path`, keeping its translations
    and its review status (a new catalogue awaits review)."""
    if path.exists():
        review = headers(path).get(REVIEW_HEADER)
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
        catalog.update(template, update_header_comment=False)
    else:
        review = AWAITING_REVIEW
        catalog = Catalog(locale=language, project="Partanum", domain=domain,
                          fuzzy=False, msgid_bugs_address="", copyright_holder="Partanum")
        catalog.update(template)
    catalog.fuzzy = False
    write_catalogue(catalog, path, review)


def main() -> None:
    template = template_catalog()
    write_catalogue(template, TEMPLATE, None)
    for language in texts.LANGUAGES:
        update(language, template)
        mo_path(language).write_bytes(compiled(po_path(language)))
        print(f"{language}: {review_status(language)}")


if __name__ == "__main__":
    main()
