"""The pages' language: chosen, translated and written the reader's way.

A page speaks the language asked for by `?lang=` (a plain link of the language
switcher, remembered in the `lang` cookie), else the `lang` cookie, else the
browser's Accept-Language, else French. Texts are French in the templates and
translated through the gettext catalogues in locale/ (`make catalogues`), the way
the notification texts are; dates are written by Babel in the sites' time zone.
"""

from functools import cache
from pathlib import Path

from babel.support import NullTranslations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from partanum import i18n
from partanum.i18n import DEFAULT_LANGUAGE, NAMES, direction, html_lang, known

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
TEMPLATES_DIR = HERE / "templates"
DOMAIN = "pages"
LANGUAGE_COOKIE = "lang"


def N_(message: str) -> str:
    """Marks a French source text for the catalogues (pybabel extract -k N_)."""
    return message


# TRANSLATORS: a Babel/CLDR date pattern: the weekday spelt out, the day, the month
# spelt out, no year (e.g. "EEEE d MMMM" gives "mardi 4 mars"). Keep EEEE, d and MMMM.
DATE_PATTERN = N_("EEEE d MMMM")


# The inventory's categories carry a French name; the known ones are translated here,
# keyed by their code. A category added since (or renamed by a partner) shows its own
# name, in French, until it is added below.
CATEGORY_NAMES = {
    "laptop": N_("Ordinateur portable"),
    "tablet": N_("Tablette"),
    "smartphone": N_("Smartphone"),
    "hotspot": N_("Routeur 4G"),
    "projector": N_("Vidéoprojecteur"),
    "webcam": N_("Webcam"),
    "headset": N_("Casque-micro"),
}


# Accessories are typed by staff with each device, in French; the usual ones are
# translated here, keyed by the word as typed (in lower case). Another keeps its words.
ACCESSORY_NAMES = {
    # TRANSLATORS: an accessory lent with a device, in lower case as in a list
    "chargeur": N_("chargeur"),
    "housse": N_("housse"),
    "souris": N_("souris"),
    "câble": N_("câble"),
    "clavier": N_("clavier"),
    "stylet": N_("stylet"),
    "écouteurs": N_("écouteurs"),
}


def accessory_name(name: str, language: str) -> str:
    """An accessory as the reader says it: "chargeur" reads "зарядное устройство" in
    Russian; one the list does not know, as staff typed it."""
    source = ACCESSORY_NAMES.get(name.strip().lower())
    if language == DEFAULT_LANGUAGE or source is None:
        return name
    return translations(language).gettext(source)


def category_name(category: dict, language: str) -> str:
    """A category of devices named in the reader's language: "Ordinateur portable" reads
    "حاسوب محمول" in Arabic; French readers see the inventory's own name."""
    source = CATEGORY_NAMES.get(category.get("code", ""))
    if language == DEFAULT_LANGUAGE or source is None:
        return category["name"]
    return translations(language).gettext(source)


def negotiate(request) -> str:
    """The reader's language: the link they followed, their cookie, their browser, French."""
    for asked in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if known(asked):
            return known(asked)
    for asked, _quality in request.accept_languages:
        if known(asked):
            return known(asked)
    return DEFAULT_LANGUAGE


def translations(language: str) -> NullTranslations:
    """The pages' compiled catalogue of `language`."""
    return i18n.catalogue(LOCALE_DIR, DOMAIN, language)


def writer(language: str) -> i18n.Writer:
    """Dates, times and opening hours the reader's way, in the sites' time zone."""
    return i18n.Writer(language, translations(language).gettext, DATE_PATTERN)


@cache
def environment(language: str) -> Environment:
    """One Jinja environment per language, its gettext installed once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)
    written = writer(language)
    env.filters.update(
        day=written.day,
        clock=written.clock,
        hours=written.hours,
        bdi=isolated,
        ltr=left_to_right,
        # "chargeur, housse et souris", "شاحن وغطاء": a list joined the reader's way
        listing=written.listing,
    )
    env.globals.update(
        language=language,
        html_lang=html_lang(language),
        dir=direction(language),
        languages=NAMES,
    )
    return env


def isolated(value) -> Markup:
    """A name kept in its own direction inside a sentence: "Centre Jean Vilar" in Arabic."""
    return Markup("<bdi>{}</bdi>").format(value)


def left_to_right(value) -> Markup:
    """A code written left to right whatever the page's direction: "JV-LAP-003" in an
    Arabic sentence stays "JV-LAP-003", not "003-LAP-JV"."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)
