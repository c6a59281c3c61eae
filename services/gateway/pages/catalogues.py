"""The gettext catalogues of the web pages, kept with Babel like the notification texts.

    .venv/bin/python -m services.gateway.pages.catalogues

extracts the French source texts of the templates (`_("…")`) and of the pages'
Python modules (`N_("…")`) into locale/pages.pot, merges them into every
locale/<lang>/LC_MESSAGES/pages.po (new texts arrive untranslated, changed ones
marked fuzzy) and compiles each .po into the .mo beside it. Each catalogue's
header says whether a native speaker has checked it (X-Review-Status, see
services/notifications/catalogues.py); every one starts "awaiting native-speaker
review".
"""
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file

from services.gateway.pages import i18n
from services.notifications.catalogues import (  # noqa: F401 -- AWAITING_REVIEW: what a new one says
    AWAITING_REVIEW, REVIEW_HEADER, compiled, headers, merge_into, write_catalogue,
)
from services.notifications.texts import LANGUAGES

TEMPLATE = i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot"
KEYWORDS = {"_": None, "gettext": None, "N_": None}
TRANSLATED = tuple(language for language in LANGUAGES if language != i18n.DEFAULT_LANGUAGE)


def po_path(language: str) -> Path:
    return i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def sources() -> list[tuple[str, Path]]:
    python = sorted(path for path in i18n.HERE.glob("*.py") if path.name != "catalogues.py")
    templates = sorted(i18n.TEMPLATES_DIR.glob("*.html"))
    return [("python", path) for path in python] + [("jinja2", path) for path in templates]


def source_messages() -> dict[str, list[str]]:
    """Every French source text of the pages → its translator comments."""
    messages: dict[str, list[str]] = {}
    for method, path in sources():
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if method == "jinja2" else {}
        for _, message, comments, _ in extract_from_file(
                "jinja2.ext:babel_extract" if method == "jinja2" else "python", str(path),
                keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), options=options):
            if isinstance(message, tuple):
                message = message[0]
            messages.setdefault(message, [])
            messages[message] += [c for c in comments if c not in messages[message]]
    return messages


def review_status(language: str) -> str | None:
    return headers(po_path(language)).get(REVIEW_HEADER)


def template_catalog() -> Catalog:
    catalog = Catalog(project="Partanum", domain=i18n.DOMAIN, fuzzy=False,
                      msgid_bugs_address="", copyright_holder="Partanum")
    for message, comments in source_messages().items():
        catalog.add(message, auto_comments=comments)
    return catalog


def update(language: str, template: Catalog) -> None:
    merge_into(po_path(language), language, template, i18n.DOMAIN)


def main() -> None:
    template = template_catalog()
    write_catalogue(template, TEMPLATE, None)
    for language in LANGUAGES:
        update(language, template)
        mo_path(language).write_bytes(compiled(po_path(language)))
        print(f"{language}: {review_status(language)}")


if __name__ == "__main__":
    main()
