"""What each message says, in the recipient's language.

    render("due_soon", "ar", context) -> Rendered(subject, text, html, sms)

Plain language: short sentences, the day spelt out, the place and its hours,
one action. The French texts below are the source; every other language comes
from the standard gettext catalogue locale/<lang>/LC_MESSAGES/notifications.po
(`make catalogues` updates and compiles them). Dates
and times are written the recipient's way by Babel, in the sites' time zone.

An SMS always fits one segment: 160 GSM-7 characters, or 70 UCS-2 characters as
soon as one character lies outside the GSM-7 alphabet (Arabic, Cyrillic, Turkish
ş, French û…). The SMS texts are written to fit with long site names; should a
name be longer still, it is shortened rather than sending two segments.
"""

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.support import NullTranslations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from partanum import i18n

# UNKNOWN stands for a value the sender did not know (a site not announced yet): a
# message with a gap is better than none.
from partanum.i18n import UNKNOWN

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "notifications"
EMAIL = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
).get_template("email.html")

# What a message is for. Residents: the first group; partner staff: the second.
RESIDENT_PURPOSES = (
    "pickup_ready",  # reservation or hold ready: where, until when, the site's hours
    "hold_offered",  # waiting list: a device is kept for you until …
    "loan_confirmed",  # you borrowed …, bring it back on … at …
    "due_soon",  # reminder: bring it back on … (sent two days before and the day before)
    "overdue",  # gentle notice, escalating by level 1, 2, 3 without threats
    "return_confirmed",  # thank you, we got it back
    "sign_in_code",  # the one-time code a resident asked for to sign in (never stored)
)
STAFF_PURPOSES = (
    "reservation_confirmed",
    "reservation_changed",
    "reservation_cancelled",
    "item_withdrawn",  # an item you reserved was withdrawn; replacement proposed (or none)
    "call_resident",  # a loan is overdue for more than N days: call the resident (a task)
    "call_to_tell",  # a resident who chose no channel: call them to tell them (a task)
    "undeliverable",  # a message to a resident could not be delivered
)

_PLACE = ("site_name", "site_address", "site_hours")

# What each purpose needs in its context. Dates (due_at, expires_at, starts_at,
# ends_at) are aware datetimes or ISO 8601 strings; site_hours is the site's weekly
# hours as the inventory gives them ({"monday": [["13:30", "18:30"]], …}), or None
# when unknown. A value may be None when the sender does not know it: it reads "?".
# Optional keys: time_zone (default Europe/Paris) for every purpose;
# reason ("released": nobody picked it up) for reservation_cancelled; due_moved (true:
# a closure moved the due date) for loan_confirmed.
CONTEXT_KEYS: dict[str, tuple[str, ...]] = {
    "pickup_ready": ("item_label", *_PLACE, "expires_at"),
    "hold_offered": ("item_label", *_PLACE, "expires_at"),
    "loan_confirmed": ("item_label", *_PLACE, "due_at"),
    "due_soon": ("item_label", *_PLACE, "due_at"),
    # overdue_level: 1, 2, 3 (higher levels read as 3)
    "overdue": ("item_label", *_PLACE, "due_at", "overdue_level", "days_overdue"),
    "return_confirmed": ("item_label", "site_name"),
    # code: the digits to type; code_minutes: how long it works
    "sign_in_code": ("code", "code_minutes"),
    "reservation_confirmed": ("reservation_id", "site_name", "starts_at", "ends_at", "quantity"),
    # change: "outside_hours" (the site's new hours or closures leave it while closed),
    # anything else reads as a change to check
    "reservation_changed": ("reservation_id", "site_name", "starts_at", "ends_at", "change"),
    "reservation_cancelled": ("reservation_id", "site_name", "starts_at"),
    # replacement_label: None when no replacement was free
    "item_withdrawn": (
        "reservation_id",
        "site_name",
        "starts_at",
        "item_label",
        "replacement_label",
    ),
    # resident_display_name: None once erased (the id is shown instead)
    "call_resident": (
        "resident_id",
        "resident_display_name",
        "item_label",
        "due_at",
        "days_overdue",
    ),
    # failed_purpose: one of RESIDENT_PURPOSES
    "undeliverable": ("resident_id", "resident_display_name", "failed_purpose"),
    # told_purpose: one of RESIDENT_PURPOSES, what the resident is to be told;
    # since_at: when the message was to go
    "call_to_tell": (
        "resident_id",
        "resident_display_name",
        "told_purpose",
        "item_label",
        "since_at",
    ),
}


class MissingContext(ValueError):
    """The context lacks what the message needs: a programming error, not a send failure."""

    def __init__(self, purpose: str, missing: list[str]):
        super().__init__(f"{purpose!r} needs {', '.join(missing)} in its context")
        self.purpose, self.missing = purpose, missing


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # plain-text email body
    html: str  # HTML email body
    sms: str  # one SMS segment: 160 GSM-7 characters, or 70 UCS-2


def N_(message: str) -> str:
    """Marks a French source text for the catalogues (pybabel extract -k N_)."""
    return message


@dataclass(frozen=True)
class Counted:
    """A text that counts something: its singular and plural French forms, and the
    value that chooses between the reader's plural forms (gettext's ngettext: Arabic
    has six, "دقيقة" for 1 and 11 and more, "دقائق" for 3 to 10)."""

    singular: str
    plural: str
    count: str  # the context key of the number counted


def ngettext(singular: str, plural: str, count: str) -> Counted:
    """Marks a counted French source text for the catalogues (pybabel extracts ngettext)."""
    return Counted(singular, plural, count)


Text = str | Counted


@dataclass(frozen=True)
class Template:
    subject: str
    sentences: tuple[Text, ...]
    action: str | None
    sms: Text
    place: bool = False  # show the site, its address and its hours


# --- the texts (French, the source) -------------------------------------------------------

GREETING = N_("Bonjour,")
SIGNATURE = N_("L'équipe Partanum")
PLACE_LINE = N_("Lieu : {site}")
ADDRESS_LINE = N_("Adresse : {address}")
HOURS_HEADING = N_("Horaires d'ouverture :")
HOURS_UNKNOWN = N_("Horaires : demandez à l'accueil.")
# TRANSLATORS: one line of opening hours, e.g. "lundi : 09:00–12:00 et 13:30–18:30"
HOURS_LINE = N_("{weekday} : {spans}")
# TRANSLATORS: a Babel/CLDR date pattern: the weekday spelt out, the day, the month
# spelt out, no year (e.g. "EEEE d MMMM" gives "mardi 4 mars"). Keep EEEE, d and MMMM.
DATE_PATTERN = N_("EEEE d MMMM")
# TRANSLATORS: a resident whose name was erased, known by number only
RESIDENT_NUMBER = N_("n° {resident}")

PURPOSE_LABELS = {
    "pickup_ready": N_("matériel prêt à retirer"),
    "hold_offered": N_("appareil gardé (liste d'attente)"),
    "loan_confirmed": N_("confirmation de prêt"),
    "due_soon": N_("rappel de retour"),
    "overdue": N_("retour en retard"),
    "return_confirmed": N_("retour confirmé"),
}

START_LINE = N_("Début : {starts_day}, {starts_time}")
END_LINE = N_("Fin : {ends_day}, {ends_time}")
RETURN_ACTION = N_("Rapportez {item} à {site} le {due_day}, avant {due_time}.")
OVERDUE_ACTION = N_("Rapportez {item} à {site}, aux heures d'ouverture.")
OVERDUE_WAS_DUE = N_("Le retour de {item} était prévu le {due_day}.")
RESERVE_AGAIN = N_("Réservez à nouveau si vous en avez besoin.")

TEMPLATES: dict[tuple[str, str], Template] = {
    ("pickup_ready", ""): Template(
        subject=N_("Votre matériel est prêt : {item}"),
        sentences=(
            N_("{item} est prêt pour vous."),
            N_("Nous le gardons jusqu'au {expires_day}, {expires_time}."),
        ),
        action=N_("Venez à {site} avant le {expires_day}, {expires_time}."),
        sms=N_("Votre matériel est prêt. Venez à {site} avant le {expires_day} {expires_time}."),
        place=True,
    ),
    ("hold_offered", ""): Template(
        subject=N_("Un appareil est gardé pour vous"),
        sentences=(
            N_("Vous êtes sur la liste d'attente pour : {item}."),
            N_("Un appareil est libre. Nous le gardons pour vous."),
            N_("Nous le gardons jusqu'au {expires_day}, {expires_time}."),
        ),
        action=N_("Venez à {site} avant le {expires_day}, {expires_time}."),
        sms=N_("Un appareil vous attend à {site} jusqu'au {expires_day} {expires_time}."),
        place=True,
    ),
    ("loan_confirmed", ""): Template(
        subject=N_("Votre prêt : {item}"),
        sentences=(
            N_("Vous avez emprunté {item}."),
            N_("Le retour est prévu le {due_day}, avant {due_time}."),
        ),
        action=RETURN_ACTION,
        sms=N_("Prêt noté. Retour le {due_day} à {site}."),
        place=True,
    ),
    # The return site closes on the due day: the loan is due on its next open day.
    ("loan_confirmed", "due_moved"): Template(
        subject=N_("Nouvelle date de retour : {due_day}"),
        sentences=(
            N_("Le lieu sera fermé le jour prévu pour rendre {item}."),
            N_("Le retour est maintenant prévu le {due_day}, avant {due_time}."),
        ),
        action=RETURN_ACTION,
        sms=N_("Lieu fermé ce jour-là. Nouveau retour le {due_day} à {site}."),
        place=True,
    ),
    ("due_soon", ""): Template(
        subject=N_("Rappel : retour le {due_day}"),
        sentences=(
            N_("Vous avez emprunté {item}."),
            N_("Le retour est prévu le {due_day}, avant {due_time}."),
        ),
        action=RETURN_ACTION,
        sms=N_("Rappel : retour le {due_day} à {site}."),
        place=True,
    ),
    ("overdue", "1"): Template(
        subject=N_("Retour prévu le {due_day}"),
        sentences=(OVERDUE_WAS_DUE, N_("Un oubli arrive à tout le monde.")),
        action=OVERDUE_ACTION,
        sms=N_("Retour prévu le {due_day}. Passez à {site}."),
        place=True,
    ),
    ("overdue", "2"): Template(
        subject=N_("Nous attendons votre retour : {item}"),
        sentences=(
            OVERDUE_WAS_DUE,
            N_("D'autres habitants attendent cet appareil."),
            N_("Un problème ? L'accueil peut vous aider."),
        ),
        action=OVERDUE_ACTION,
        sms=N_("D'autres habitants attendent l'appareil. Passez à {site}."),
        place=True,
    ),
    ("overdue", "3"): Template(
        subject=N_("Merci de rapporter {item}"),
        sentences=(
            OVERDUE_WAS_DUE,
            N_("D'autres habitants attendent cet appareil."),
            N_("Vous avez un souci ? Venez en parler. Nous cherchons une solution avec vous."),
        ),
        action=OVERDUE_ACTION,
        sms=N_("Merci de rapporter l'appareil à {site}. On peut vous aider."),
        place=True,
    ),
    ("return_confirmed", ""): Template(
        subject=N_("Merci, nous avons reçu {item}"),
        sentences=(N_("Vous avez rendu {item} à {site}."), N_("Merci !")),
        action=None,
        sms=N_("Merci ! Retour bien reçu à {site}."),
    ),
    ("sign_in_code", ""): Template(
        subject=N_("Votre code de connexion : {code}"),
        sentences=(
            N_("Votre code de connexion est : {code}"),
            ngettext(
                "Il marche pendant {minutes} minute, une seule fois.",
                "Il marche pendant {minutes} minutes, une seule fois.",
                "code_minutes",
            ),
            N_("Vous n'avez rien demandé ? Ne faites rien. Ne donnez ce code à personne."),
        ),
        action=None,
        # TRANSLATORS: keep it short: with Arabic, Russian, Turkish… letters an SMS holds 70 characters
        sms=ngettext(
            "Code Partanum : {code}. Valable {minutes} minute. Ne le donnez à personne.",
            "Code Partanum : {code}. Valable {minutes} minutes. Ne le donnez à personne.",
            "code_minutes",
        ),
    ),
    ("reservation_confirmed", ""): Template(
        subject=N_("Réservation {reservation} confirmée"),
        sentences=(
            N_("La réservation {reservation} est confirmée."),
            N_("Nombre d'appareils : {quantity}"),
            PLACE_LINE,
            START_LINE,
            END_LINE,
        ),
        action=N_("Retirez le matériel à {site} le {starts_day}, {starts_time}."),
        sms=N_("Réservation {reservation} confirmée : {starts_day} {starts_time}, {site}."),
    ),
    ("reservation_changed", "outside_hours"): Template(
        subject=N_("Réservation {reservation} : à déplacer"),
        sentences=(
            N_("Les horaires de {site} ont changé."),
            N_("La réservation {reservation} tombe quand le lieu est fermé."),
            START_LINE,
            END_LINE,
        ),
        action=N_("Déplacez ou annulez la réservation {reservation}."),
        sms=N_("Réservation {reservation} : {site} sera fermé. À déplacer."),
    ),
    ("reservation_changed", ""): Template(
        subject=N_("Réservation {reservation} modifiée"),
        sentences=(N_("La réservation {reservation} a changé."), PLACE_LINE, START_LINE, END_LINE),
        action=N_("Vérifiez que la réservation {reservation} vous convient."),
        sms=N_("Réservation {reservation} modifiée. Voir l'e-mail."),
    ),
    ("reservation_cancelled", ""): Template(
        subject=N_("Réservation {reservation} annulée"),
        sentences=(N_("La réservation {reservation} est annulée."), PLACE_LINE, START_LINE),
        action=RESERVE_AGAIN,
        sms=N_("Réservation {reservation} annulée."),
    ),
    ("reservation_cancelled", "released"): Template(
        subject=N_("Réservation {reservation} annulée"),
        sentences=(
            N_("Personne n'est venu chercher le matériel de la réservation {reservation}."),
            N_("La réservation est annulée. Le matériel est de nouveau libre."),
            PLACE_LINE,
            START_LINE,
        ),
        action=RESERVE_AGAIN,
        sms=N_("Réservation {reservation} annulée : matériel non retiré."),
    ),
    ("item_withdrawn", "replaced"): Template(
        subject=N_("Réservation {reservation} : un appareil remplacé"),
        sentences=(
            N_("{item} n'est plus disponible."),
            N_("Nous proposons à la place : {replacement}."),
            PLACE_LINE,
            START_LINE,
        ),
        action=N_("Vérifiez que ce remplacement vous convient."),
        sms=N_("Réservation {reservation} : un appareil remplacé. Voir l'e-mail."),
    ),
    ("item_withdrawn", "none"): Template(
        subject=N_("Réservation {reservation} : un appareil manque"),
        sentences=(
            N_("{item} n'est plus disponible."),
            N_("Aucun autre appareil n'est libre pour le remplacer."),
            PLACE_LINE,
            START_LINE,
        ),
        action=N_("Cherchez un autre appareil ou un autre créneau."),
        sms=N_("Réservation {reservation} : un appareil manque. Voir l'e-mail."),
    ),
    ("call_resident", ""): Template(
        subject=N_("À appeler : {name}"),
        sentences=(N_("{name} devait rendre {item} le {due_day}."), N_("Jours de retard : {days}")),
        action=N_("Appelez {name} pour convenir du retour."),
        sms=N_("Appelez {name} : retour en retard."),
    ),
    # Not the overdue call: the resident chose to be told by phone, about anything.
    ("call_to_tell", ""): Template(
        subject=N_("À appeler : {name} ({what})"),
        sentences=(
            N_("{name} ne reçoit ni SMS ni e-mail de Partanum."),
            N_("À lui dire : {what}"),
            N_("Appareil : {item}"),
            N_("En attente depuis le {since_day}, {since_time}."),
        ),
        action=N_("Appelez {name} pour le lui dire."),
        sms=N_("Appelez {name} : un message à lui dire."),
    ),
    ("undeliverable", ""): Template(
        subject=N_("Message non remis : {name}"),
        sentences=(N_("Un message pour {name} n'a pas pu être envoyé."), N_("Message : {what}")),
        action=N_("Vérifiez le téléphone et l'e-mail de {name}."),
        sms=N_("Message non remis à {name}. Vérifiez ses coordonnées."),
    ),
}

# Values shortened, in this order, when an SMS would not fit one segment.
_SHORTENABLE = ("site", "name", "item")


# --- rendering -------------------------------------------------------------------------------


def render(purpose: str, language: str, context: dict) -> Rendered:
    """The message for `purpose` in `language` (falling back to French), filled from
    `context`: see CONTEXT_KEYS for what each purpose needs."""
    if purpose not in CONTEXT_KEYS:
        raise ValueError(f"unknown purpose {purpose!r}")
    missing = [key for key in CONTEXT_KEYS[purpose] if key not in context]
    if missing:
        raise MissingContext(purpose, missing)
    language = language_of(language)
    template = TEMPLATES[(purpose, _variant(purpose, context))]
    writer = _Writer(language, context)
    values = writer.values(purpose)
    subject = writer.text(template.subject, values)
    sentences = [writer.text(sentence, values) for sentence in template.sentences]
    action = writer.text(template.action, values) if template.action else None
    place, hours = writer.place(values) if template.place else ([], [])
    return Rendered(
        subject=subject,
        text=_plain(writer, sentences, place, hours, action),
        html=_html(writer, template, values, place, hours),
        sms=writer.sms(template.sms, values),
    )


def language_of(language: str | None) -> str:
    """ "ar", "ar-MA" or "AR_ma" → "ar"; anything we have no texts for → French."""
    return i18n.reads_in(language)


def _variant(purpose: str, context: dict) -> str:
    if purpose == "loan_confirmed":
        return "due_moved" if context.get("due_moved") else ""
    if purpose == "overdue":
        return str(min(max(int(context["overdue_level"] or 1), 1), 3))
    if purpose == "reservation_changed":
        return "outside_hours" if context["change"] == "outside_hours" else ""
    if purpose == "reservation_cancelled":
        return "released" if context.get("reason") == "released" else ""
    if purpose == "item_withdrawn":
        return "replaced" if context["replacement_label"] else "none"
    return ""


def translations(language: str) -> NullTranslations:
    """The messages' compiled catalogue of `language`."""
    return i18n.catalogue(LOCALE_DIR, DOMAIN, language)


class _Writer:
    def __init__(self, language: str, context: dict):
        self.language, self.context = language, context
        self.gettext = translations(language).gettext
        self.ngettext = translations(language).ngettext
        zone = ZoneInfo(context["time_zone"]) if context.get("time_zone") else None
        self.written = i18n.Writer(language, self.gettext, DATE_PATTERN, zone)

    def text(self, source: Text, values: dict, escape=None) -> str:
        if isinstance(source, Counted):
            known = str(self.context.get(source.count, ""))
            # An unknown count ("?") reads as a plural of several (5), in every language.
            count = int(known) if known.isdigit() else 5
            translated = self.ngettext(source.singular, source.plural, count)
            source = source.singular if count == 1 else source.plural
        else:
            translated = self.gettext(source)
        if escape:
            translated, source = escape(translated), escape(source)
        try:
            return translated.format(**values)
        except (KeyError, IndexError, ValueError):
            # A translation with a broken placeholder: the French text rather than nothing.
            return source.format(**values)

    def values(self, purpose: str) -> dict:
        context, values = self.context, {}
        simple = {
            "item_label": "item",
            "site_name": "site",
            "site_address": "address",
            "reservation_id": "reservation",
            "quantity": "quantity",
            "days_overdue": "days",
            "replacement_label": "replacement",
            "resident_id": "resident",
            "code": "code",
            "code_minutes": "minutes",
        }
        for key, name in simple.items():
            if key in context:
                values[name] = UNKNOWN if context[key] is None else str(context[key])
        if "replacement" in values and not context["replacement_label"]:
            values["replacement"] = ""
        for key in ("due_at", "expires_at", "starts_at", "ends_at", "since_at"):
            if key in context:
                prefix = key.removesuffix("_at")
                values[f"{prefix}_day"], values[f"{prefix}_time"] = self.moment(context[key])
        if "resident_display_name" in context:
            values["name"] = context["resident_display_name"] or self.text(
                RESIDENT_NUMBER, {"resident": context.get("resident_id")}
            )
        for key in ("failed_purpose", "told_purpose"):
            if key in context:
                label = PURPOSE_LABELS.get(context[key])
                values["what"] = self.text(label, {}) if label else str(context[key] or UNKNOWN)
        return values

    def moment(self, value) -> tuple[str, str]:
        """(the day spelt out, the time) of a datetime, date or ISO string, locally."""
        return self.written.moment(value)

    def place(self, values: dict) -> tuple[list[str], list[str]]:
        """The lines saying where ([site, address]) and when it is open."""
        place = [self.text(PLACE_LINE, values)]
        if values.get("address") not in (None, "", UNKNOWN):
            place.append(self.text(ADDRESS_LINE, values))
        hours = self.context.get("site_hours")
        if isinstance(hours, str) and hours.strip():
            return place, [hours.strip()]
        return place, [
            self.text(HOURS_LINE, {"weekday": weekday, "spans": spans})
            for weekday, spans in self.written.hours(hours)
        ]

    def sms(self, source: Text, values: dict) -> str:
        values = dict(values)
        text = self.sms_text(source, values)
        # Only an unusually long name gets here: shorten it rather than send two segments.
        for name in _SHORTENABLE:
            while not fits_one_sms(text) and len(values.get(name, "")) > 4:
                values[name] = values[name][:-2].rstrip(" ,.-") + "."
                text = self.sms_text(source, values)
        return text

    def sms_text(self, source: Text, values: dict) -> str:
        text = sms_clean(self.text(source, values))
        if self.language in GSM7_LANGUAGES:
            folded = gsm7_folded(text)
            if sms_units(folded)[0] == "gsm7":
                return folded
        return text


def _plain(writer: _Writer, sentences, place, hours, action) -> str:
    blocks = [writer.text(GREETING, {}), "\n".join(sentences)]
    if place:
        heading = writer.text(HOURS_HEADING, {}) if hours else writer.text(HOURS_UNKNOWN, {})
        blocks.append("\n".join([*place, heading, *(f"- {line}" for line in hours)]))
    if action:
        blocks.append(action)
    blocks.append(writer.text(SIGNATURE, {}))
    return "\n\n".join(blocks) + "\n"


def _html(writer: _Writer, template: Template, values: dict, place, hours) -> str:
    """Simple, accessible HTML (templates/email.html, autoescaped): the language and
    direction declared, one heading, short paragraphs, the hours as a list, the action
    in bold; names and addresses isolated (<bdi>) so that a French name reads right
    inside Arabic text."""
    isolated = {name: Markup("<bdi>{}</bdi>").format(value) for name, value in values.items()}

    def line(source: Text) -> Markup:
        return Markup(writer.text(source, isolated, escape=escape))

    return (
        EMAIL.render(
            lang=i18n.html_lang(writer.language),
            dir=i18n.direction(writer.language),
            title=writer.text(template.subject, values),
            heading=line(template.subject),
            greeting=line(GREETING),
            sentences=[line(sentence) for sentence in template.sentences],
            place=[line(PLACE_LINE), line(ADDRESS_LINE)][: len(place)] if template.place else [],
            hours=hours,
            hours_heading=line(HOURS_HEADING),
            hours_unknown=line(HOURS_UNKNOWN),
            action=line(template.action) if template.action else None,
            signature=line(SIGNATURE),
        )
        + "\n"
    )


# --- SMS length ---------------------------------------------------------------------------

# GSM 03.38: the basic alphabet (one septet each) and its extension table (two septets:
# the escape, then the character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_LIMIT, UCS2_LIMIT = 160, 70


def sms_units(text: str) -> tuple[str, int]:
    """("gsm7", septets) when every character is in the GSM-7 alphabet, else
    ("ucs2", UTF-16 code units: a character beyond the BMP, an emoji, counts two)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        return "gsm7", sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def fits_one_sms(text: str) -> bool:
    encoding, units = sms_units(text)
    return units <= (GSM7_LIMIT if encoding == "gsm7" else UCS2_LIMIT)


# Languages whose texts are written in the GSM-7 alphabet: a stray "û" (août), "ê" or
# "ô" in a date or a site's name is written without its accent rather than turning the
# whole SMS into UCS-2 and its limit from 160 characters into 70. (Turkish letters are
# kept: ı and i are different letters.)
GSM7_LANGUAGES = ("fr", "en")
_GSM7_SPELLINGS = {
    "œ": "oe",
    "Œ": "OE",
    "’": "'",
    "‘": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "ç": "c",
}


def gsm7_folded(text: str) -> str:
    """`text` with each character outside GSM-7 replaced by its GSM-7 spelling or its
    unaccented letter, where there is one (ê → e); others are left as they are."""
    out = []
    for c in text:
        if c in GSM7_BASIC or c in GSM7_EXTENSION:
            out.append(c)
        elif c in _GSM7_SPELLINGS:
            out.append(_GSM7_SPELLINGS[c])
        else:
            base = unicodedata.normalize("NFD", c)[0]
            out.append(base if base in GSM7_BASIC else c)
    return "".join(out)


def sms_clean(text: str) -> str:
    """No-break spaces (which Babel and French typography use) become plain spaces:
    one of them alone would turn a GSM-7 message into a shorter UCS-2 one."""
    return re.sub(r"[\u00a0\u202f\u2009]", " ", text).strip()
