"""Languages: the one list every service and page follows, and the reader's way of
writing dates, times, opening hours and lists (Babel, CLDR).

A language is in LANGUAGES only when every text of the pages and of the messages
is translated into it (the catalogue tests check it). A resident registered in a
language that was offered once and is not now keeps it stored, and reads French
(`reads_in`) until it is complete again; their desk sees both.
"""

import re
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time, get_day_names
from babel.lists import format_list
from babel.support import NullTranslations, Translations

LANGUAGES = ("fr", "en", "ar", "tr", "ru", "fa", "ps")
DEFAULT_LANGUAGE = "fr"
DEFAULT_TIME_ZONE = ZoneInfo("Europe/Paris")
# Languages residents were registered in before their texts were complete: stored
# as given, read as French.
STORED_ONLY = ("es", "it", "pt", "de", "uk", "ro")

# The Babel locale that writes each language: British English (24-hour clock, day
# before month); Dari and Pashto as written in Afghanistan.
BABEL_LOCALES = {
    "fr": "fr_FR",
    "en": "en_GB",
    "ar": "ar",
    "tr": "tr_TR",
    "ru": "ru_RU",
    "fa": "fa_AF",
    "ps": "ps_AF",
}
# The HTML lang attribute (BCP 47): "fa-AF" is Dari.
HTML_LANG = {"fa": "fa-AF", "ps": "ps-AF"}
# Each language named in itself, for a language switcher (a reader looks for their own).
NAMES = {
    "fr": "Français",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
    "ru": "Русский",
    "fa": "دری",
    "ps": "پښتو",
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# What stands for a date or time nobody knows yet: "?" reads the same in every language.
UNKNOWN = "?"


def known(code: str | None) -> str | None:
    """ "ar", "ar-MA" or "AR_ma" → "ar"; a language not offered → None."""
    code = re.split(r"[-_]", (code or "").strip().lower())[0]
    return code if code in LANGUAGES else None


def reads_in(code: str | None) -> str:
    """The language a reader is written to: theirs when offered, else French."""
    return known(code) or DEFAULT_LANGUAGE


def direction(language: str) -> str:
    return Locale.parse(BABEL_LOCALES[reads_in(language)]).text_direction


def html_lang(language: str) -> str:
    return HTML_LANG.get(language, language)


@cache
def catalogue(locale_dir: Path, domain: str, language: str) -> NullTranslations:
    """The compiled gettext catalogue of `language` in `locale_dir` (French, the
    source language, needs none)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(locale_dir), [language], domain)


class Writer:
    """Dates, times, opening hours and lists written the reader's way, in a time zone.

    `gettext` translates `date_pattern`, the CLDR pattern of a day spelt out
    ("EEEE d MMMM": "mardi 4 mars"), which each catalogue lets translators adapt.
    """

    def __init__(self, language: str, gettext, date_pattern: str, zone: ZoneInfo | None = None):
        self.locale = BABEL_LOCALES[reads_in(language)]
        self.zone = zone or DEFAULT_TIME_ZONE
        self.gettext = gettext
        self.date_pattern = date_pattern

    def local(self, value) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.zone)

    def day(self, value) -> str:
        """ "mardi 4 mars": the weekday and the month spelt out (a date or a moment)."""
        if value in (None, ""):
            return UNKNOWN
        if isinstance(value, str) and "T" not in value and " " not in value:
            value = date.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            return self._day(datetime.combine(value, time(12)), zone=None)
        return self._day(self.local(value), zone=self.zone)

    def _day(self, moment: datetime, zone) -> str:
        try:
            return format_datetime(
                moment, self.gettext(self.date_pattern), tzinfo=zone, locale=self.locale
            )
        except (ValueError, KeyError):  # a translated pattern Babel cannot read
            return format_datetime(moment, self.date_pattern, tzinfo=zone, locale=self.locale)

    def clock(self, value) -> str:
        """ "16:00": a moment in the time zone, or a wall-clock "16:00" as it is."""
        if value in (None, ""):
            return UNKNOWN
        if isinstance(value, str) and "T" not in value and " " not in value:
            return format_time(time.fromisoformat(value), "short", locale=self.locale)
        return format_time(self.local(value), "short", tzinfo=self.zone, locale=self.locale)

    def moment(self, value) -> tuple[str, str]:
        """(the day spelt out, the time) of a moment; a date alone has no time."""
        if value in (None, ""):
            return UNKNOWN, UNKNOWN
        if isinstance(value, str) and "T" not in value and " " not in value:
            return self.day(value), ""
        if isinstance(value, date) and not isinstance(value, datetime):
            return self.day(value), ""
        return self.day(value), self.clock(value)

    def listing(self, parts) -> str:
        """ "9:00–12:00 et 13:30–18:30", "9:00–12:00 و13:30–18:30": the reader's own words."""
        return format_list(list(parts), locale=self.locale)

    def hours(self, opening_hours) -> list[tuple[str, str]]:
        """[("lundi", "09:00–12:00 et 13:30–18:30"), …] for the days a site opens."""
        names = get_day_names("wide", context="format", locale=self.locale)
        lines = []
        for index, weekday in enumerate(WEEKDAYS):
            spans = (opening_hours or {}).get(weekday) or []
            if spans:
                lines.append(
                    (
                        names[index],
                        self.listing(
                            f"{self.clock(opens)}–{self.clock(closes)}" for opens, closes in spans
                        ),
                    )
                )
        return lines
