"""The gettext catalogues of the notification texts (texts.py).

    .venv/bin/python -m services.notifications.catalogues

extracts the French source texts into locale/notifications.pot, merges them into
every locale/<lang>/LC_MESSAGES/notifications.po and compiles each (see
partanum/catalogues.py). Translators work on the .po files with any gettext
editor (Poedit, Lokalize, Weblate…), then run this again.
"""
from pathlib import Path

from partanum.catalogues import Catalogues
from services.notifications import texts

CATALOGUES = Catalogues(domain=texts.DOMAIN, locale_dir=texts.LOCALE_DIR,
                        sources=lambda: [("python", Path(texts.__file__))])

if __name__ == "__main__":
    CATALOGUES.update()
