"""Keeping gettext catalogues with Babel, for every catalogue of the project (the
messages' and the pages'): extracting the French source texts, merging them into
each language's catalogue, compiling, and the review status each catalogue carries
in its header:

    "X-Review-Status: awaiting native-speaker review\\n"

A reviewer who signs a catalogue off replaces the value with
"reviewed by <name>, <date>". Babel does not keep header fields it does not know,
so `write_catalogue` puts the field back when it rewrites a catalogue.
"""
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from partanum.i18n import DEFAULT_LANGUAGE, LANGUAGES

REVIEW_HEADER = "X-Review-Status"
AWAITING_REVIEW = "awaiting native-speaker review"


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


@dataclass(frozen=True)
class Catalogues:
    """One gettext domain: its French source files, and a catalogue per language in
    `locale_dir`/<lang>/LC_MESSAGES/<domain>.po, compiled to the .mo beside it.

    `sources` gives, for each file, Babel's extraction method ("python", or
    "jinja2.ext:babel_extract" for templates)."""

    domain: str
    locale_dir: Path
    sources: Callable[[], list[tuple[str, Path]]]
    keywords: tuple[str, ...] = ("N_",)

    @property
    def template(self) -> Path:
        return self.locale_dir / f"{self.domain}.pot"

    @property
    def translated(self) -> tuple[str, ...]:
        return tuple(language for language in LANGUAGES if language != DEFAULT_LANGUAGE)

    def po_path(self, language: str) -> Path:
        return self.locale_dir / language / "LC_MESSAGES" / f"{self.domain}.po"

    def mo_path(self, language: str) -> Path:
        return self.po_path(language).with_suffix(".mo")

    def review_status(self, language: str) -> str | None:
        return headers(self.po_path(language)).get(REVIEW_HEADER)

    def source_messages(self) -> dict[str, list[str]]:
        """Every French source text → its translator comments."""
        messages: dict[str, list[str]] = {}
        for method, path in self.sources():
            options = ({"extensions": "jinja2.ext.i18n", "trimmed": "true"}
                       if method.startswith("jinja2") else {})
            for _, message, comments, _ in extract_from_file(
                    method, str(path), keywords=dict.fromkeys(self.keywords),
                    comment_tags=("TRANSLATORS:",), options=options):
                if isinstance(message, tuple):
                    message = message[0]
                messages.setdefault(message, [])
                messages[message] += [c for c in comments if c not in messages[message]]
        return messages

    def template_catalog(self) -> Catalog:
        catalog = Catalog(project="Partanum", domain=self.domain, fuzzy=False,
                          msgid_bugs_address="", copyright_holder="Partanum")
        for message, comments in self.source_messages().items():
            catalog.add(message, auto_comments=comments)
        return catalog

    def update(self) -> None:
        """Extract the sources into the template, merge it into every catalogue (new
        texts arrive untranslated, changed ones fuzzy), compile each."""
        template = self.template_catalog()
        write_catalogue(template, self.template, None)
        for language in LANGUAGES:
            merge_into(self.po_path(language), language, template, self.domain)
            self.mo_path(language).write_bytes(compiled(self.po_path(language)))
            print(f"{language}: {self.review_status(language)}")
