"""The gettext catalogues of the web pages: the templates' `_("…")` and the pages'
Python modules' `N_("…")`.

    .venv/bin/python -m services.gateway.pages.catalogues

extracts the French source texts into locale/pages.pot, merges them into every
locale/<lang>/LC_MESSAGES/pages.po and compiles each (see partanum/catalogues.py).
"""
from pathlib import Path

from partanum.catalogues import Catalogues
from services.gateway.pages import i18n


def sources() -> list[tuple[str, Path]]:
    python = sorted(path for path in i18n.HERE.glob("*.py") if path.name != "catalogues.py")
    templates = sorted(i18n.TEMPLATES_DIR.glob("*.html"))
    return ([("python", path) for path in python]
            + [("jinja2.ext:babel_extract", path) for path in templates])


CATALOGUES = Catalogues(domain=i18n.DOMAIN, locale_dir=i18n.LOCALE_DIR, sources=sources,
                        keywords=("_", "gettext", "N_"))

if __name__ == "__main__":
    CATALOGUES.update()
