"""The gettext catalogues of the project (the messages' and the pages'), as
`make catalogues` keeps them with pybabel: each domain's French source texts are
listed by the babel.cfg beside them, extracted into locale/<domain>.pot, merged
into every locale/<lang>/LC_MESSAGES/<domain>.po and compiled into the .mo beside
it. This module reads them the same way, for the tests and for staff.

Each catalogue's header comment says whether a native speaker has checked it:

    # Review: awaiting native-speaker review

A reviewer who signs a catalogue off writes "reviewed by <name>, <date>" instead.
(A comment, because pybabel keeps the header comment and drops unknown fields.)
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from partanum.i18n import DEFAULT_LANGUAGE, LANGUAGES

AWAITING_REVIEW = "awaiting native-speaker review"
REVIEW = re.compile(r"^# Review: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Catalogues:
    """One gettext domain: its sources (`source_dir`/babel.cfg) and its catalogues
    (`source_dir`/locale)."""

    domain: str
    source_dir: Path

    @property
    def locale_dir(self) -> Path:
        return self.source_dir / "locale"

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
        found = REVIEW.search(self.po_path(language).read_text(encoding="utf-8"))
        return found.group(1).strip() if found else None

    def source_messages(self) -> set[str | tuple[str, ...]]:
        """Every French source text, extracted as `make catalogues` does: a counted
        one (ngettext) as its (singular, plural), the way its catalogue entry holds it."""
        with (self.source_dir / "babel.cfg").open(encoding="utf-8") as cfg:
            method_map, options_map = parse_mapping_cfg(cfg)
        messages = set()
        for _, _, message, _, _ in extract_from_dir(
            str(self.source_dir), method_map, options_map, keywords={**DEFAULT_KEYWORDS, "N_": None}
        ):  # pybabel's, with -k N_
            messages.add(message)
        return messages


def compiled(po_file: Path) -> bytes:
    """The .mo that `po_file` compiles to (fuzzy entries left out, as pybabel does)."""
    with po_file.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


CHECK_FIRST = re.compile(r"^# Check first: (.*(?:\n# (?!Review:).+)*)", re.MULTILINE)


def check_first(po_file: Path) -> str | None:
    """The words a native speaker should check first, from the catalogue's header
    comment ("# Check first: …", wrapped over the comment lines that follow)."""
    header = po_file.read_text(encoding="utf-8").split("\nmsgid", 1)[0]
    found = CHECK_FIRST.search(header)
    if not found:
        return None
    return " ".join(line.removeprefix("# ").strip() for line in found.group(1).splitlines())


def review(domain: Catalogues) -> list[dict]:
    """Each translated language's review status and the words a native speaker should
    check first: what staff see of a domain's catalogues (a page, an RPC)."""
    return [
        {
            "language": language,
            "status": domain.review_status(language),
            "check_first": check_first(domain.po_path(language)),
        }
        for language in domain.translated
    ]


def report(domains: list[Catalogues]) -> str:
    """Each catalogue's review status and the words to check first, as text."""
    lines = []
    for domain in domains:
        for entry in review(domain):
            lines.append(f"{domain.domain}/{entry['language']}: {entry['status']}")
            if entry["check_first"]:
                lines.append(f"  check first: {entry['check_first']}")
    return "\n".join(lines)
