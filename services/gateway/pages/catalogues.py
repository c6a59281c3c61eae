"""The gettext catalogues of the web pages: the templates' `_("…")` and
`{% trans %}`, the pages' Python modules' `N_("…")`, kept by `make catalogues` with
pybabel (see partanum/catalogues.py and babel.cfg beside this module)."""

from pathlib import Path

from partanum.catalogues import Catalogues

CATALOGUES = Catalogues(domain="pages", source_dir=Path(__file__).parent)
