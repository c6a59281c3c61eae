"""The pages' language: chosen, translated and written the reader's way.

A page speaks the language asked for by `?lang=` (a plain link of the language
switcher, remembered in the `lang` cookie), else the `lang` cookie, else the
browser's Accept-Language, else French. Texts are French in the templates and
translated through the gettext catalogues in locale/ (see catalogues.py), the way
the notification texts are; dates are written by Babel in the sites' time zone.
"""
from datetime import datetime, time, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time, get_day_names
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from services.notifications.texts import BABEL_LOCALES, HTML_LANG, LANGUAGES

DEFAULT_LANGUAGE = "fr"
TIME_ZONE = ZoneInfo("Europe/Paris")
HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
TEMPLATES_DIR = HERE / "templates"
DOMAIN = "pages"
LANGUAGE_COOKIE = "lang"

# Each language named in itself, for the switcher (a reader looks for their own).
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية", "tr": "Türkçe",
                  "ru": "Русский", "fa": "دری", "ps": "پښتو"}

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def N_(message: str) -> str:
    """Marks a French source text for the catalogues (pybabel extract -k N_)."""
    return message


# TRANSLATORS: a Babel/CLDR date pattern: the weekday spelt out, the day, the month
# spelt out, no year (e.g. "EEEE d MMMM" gives "mardi 4 mars"). Keep EEEE, d and MMMM.
DATE_PATTERN = N_("EEEE d MMMM")


def known(code: str | None) -> str | None:
    """"ar", "ar-MA" or "AR_ma" → "ar"; a language we have no pages in → None."""
    code = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def negotiate(request) -> str:
    """The reader's language: the link they followed, their cookie, their browser, French."""
    for asked in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if known(asked):
            return known(asked)
    for asked, _quality in request.accept_languages:
        if known(asked):
            return known(asked)
    return DEFAULT_LANGUAGE


def html_lang(language: str) -> str:
    return HTML_LANG.get(language, language)


def direction(language: str) -> str:
    return Locale.parse(BABEL_LOCALES[language]).text_direction


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of `language` (French, the source, needs none)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


@lru_cache(maxsize=None)
def environment(language: str) -> Environment:
    """One Jinja environment per language, its gettext installed once."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    writer = Writer(language)
    env.filters.update(day=writer.day, clock=writer.clock, hours=writer.hours, bdi=isolated)
    env.globals.update(language=language, html_lang=html_lang(language),
                       dir=direction(language), languages=LANGUAGE_NAMES)
    return env


def isolated(value) -> Markup:
    """A name kept in its own direction inside a sentence: "Centre Jean Vilar" in Arabic."""
    return Markup("<bdi>{}</bdi>").format(value)


class Writer:
    """Dates, times and opening hours, the reader's way, in the sites' time zone."""

    def __init__(self, language: str):
        self.locale = BABEL_LOCALES[language]
        self.gettext = translations(language).gettext

    def local(self, value) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(TIME_ZONE)

    def day(self, value) -> str:
        """"mardi 4 mars": the weekday and the month spelt out."""
        if value in (None, ""):
            return "?"
        local = self.local(value)
        try:
            return format_datetime(local, self.gettext(DATE_PATTERN), tzinfo=TIME_ZONE,
                                   locale=self.locale)
        except (ValueError, KeyError):  # a translated pattern Babel cannot read
            return format_datetime(local, DATE_PATTERN, tzinfo=TIME_ZONE, locale=self.locale)

    def clock(self, value) -> str:
        if value in (None, ""):
            return "?"
        if isinstance(value, str) and "T" not in value:
            return format_time(time.fromisoformat(value), "short", locale=self.locale)
        return format_time(self.local(value), "short", tzinfo=TIME_ZONE, locale=self.locale)

    def hours(self, opening_hours) -> list[tuple[str, str]]:
        """[("lundi", "13:30–18:30"), …] for the days the site opens."""
        names = get_day_names("wide", context="format", locale=self.locale)
        lines = []
        for index, weekday in enumerate(WEEKDAYS):
            spans = (opening_hours or {}).get(weekday) or []
            if spans:
                lines.append((names[index], ", ".join(
                    f"{self.clock(opens)}–{self.clock(closes)}" for opens, closes in spans)))
        return lines
