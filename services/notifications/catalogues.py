"""The gettext catalogues of the notification texts (texts.py), kept by
`make catalogues` with pybabel (see partanum/catalogues.py). Translators work on
locale/<lang>/LC_MESSAGES/notifications.po with any gettext editor (Poedit,
Lokalize, Weblate…), then run `make catalogues` again."""

from pathlib import Path

from partanum.catalogues import Catalogues

CATALOGUES = Catalogues(domain="notifications", source_dir=Path(__file__).parent)
