"""The pages' forms: what each field is called, what its error says, and the CSRF token.

A form field has one label and one error message, both French source texts
translated on the page; the error summary at the top of a page names each field
at fault with its label and links to it. Checks are the booking's own schemas'
(what it would refuse, the page refuses first, in the reader's language).

CSRF: the double-submit cookie. Every page that shows a form sets a random
`csrf` cookie (HttpOnly, SameSite=Strict) and writes the same value in a hidden
field; a POST whose field does not match its cookie is refused before anything
runs. Another site can make a browser send the cookie, but cannot read it.
"""

import hmac
import re
import secrets
from datetime import date, datetime, time

from partanum import inputs
from partanum.i18n import DEFAULT_TIME_ZONE as TIME_ZONE
from services.gateway.pages.i18n import N_

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"

# field → (its label, what to do when it is wrong)
FIELDS = {
    "email": (N_("Adresse e-mail"), N_("Saisissez votre adresse e-mail.")),
    "password": (N_("Mot de passe"), N_("Saisissez votre mot de passe.")),
    "identifier": (
        N_("Carte, téléphone ou e-mail"),
        N_("Saisissez le numéro de votre carte, votre téléphone ou votre e-mail."),
    ),
    "code": (N_("Code reçu"), N_("Saisissez le code reçu, sans espace.")),
    "asset_tag": (
        N_("Numéro d'inventaire"),
        N_("Saisissez le numéro d'inventaire, par exemple JV-LAP-003."),
    ),
    "return_asset_tag": (
        N_("Numéro d'inventaire"),
        N_("Saisissez le numéro d'inventaire, par exemple JV-LAP-003."),
    ),
    "card_number": (
        N_("Carte de l'habitant"),
        N_("Saisissez le numéro de carte, par exemple RS-0042."),
    ),
    "site": (N_("Lieu"), N_("Choisissez un lieu.")),
    "condition": (N_("État de l'appareil"), N_("Choisissez l'état de l'appareil.")),
    "all_accessories": (N_("Tous les accessoires sont rendus"), N_("Cochez ou décochez.")),
    "category_id": (N_("Type d'appareil"), N_("Choisissez un type d'appareil.")),
    "quantity": (N_("Nombre d'appareils"), N_("Saisissez un nombre entre 1 et 200.")),
    "date": (N_("Date"), N_("Saisissez une date, par exemple 2026-12-01.")),
    "starts": (N_("Heure de début"), N_("Saisissez une heure, par exemple 14:00.")),
    "ends": (N_("Heure de fin"), N_("Saisissez une heure de fin après l'heure de début.")),
    "note": (N_("Note"), N_("500 caractères au plus.")),
    # the desk's queue and calendars
    "feed_name": (
        N_("Nom de l'adresse"),
        N_("Saisissez un nom de 100 caractères au plus, par exemple Téléphone de l'accueil."),
    ),
    # equipment: a partner's devices
    "device_search": (N_("Rechercher"), N_("100 caractères au plus.")),
    "device_status": (N_("Statut"), N_("Choisissez un statut.")),
    "device_category": (N_("Type d'appareil"), N_("Choisissez un type d'appareil.")),
    "device_site": (N_("Lieu"), N_("Choisissez un lieu.")),
    "device_owner": (N_("Propriétaire"), N_("Choisissez un partenaire.")),
    "device_serial": (N_("Numéro de série"), N_("100 caractères au plus.")),
    "device_make": (N_("Marque"), N_("Saisissez la marque, par exemple Samsung.")),
    "device_model": (N_("Modèle"), N_("Saisissez le modèle, par exemple Galaxy Tab A8.")),
    "device_home_site": (N_("Lieu de rattachement"), N_("Choisissez un lieu.")),
    "device_accessories": (
        N_("Accessoires"),
        N_("Séparez les accessoires par des virgules. 60 caractères au plus pour chacun."),
    ),
    "device_notes": (N_("Remarques"), N_("2000 caractères au plus.")),
    "device_purchase_date": (
        N_("Date d'achat"),
        N_("Saisissez une date, par exemple 2024-09-15."),
    ),
    "device_purchase_cost": (
        N_("Prix d'achat en euros"),
        N_("Saisissez un prix, par exemple 249,90."),
    ),
    "device_action": (N_("Ce qui arrive à l'appareil"), N_("Choisissez ce qui arrive.")),
    "device_reason": (
        N_("Pourquoi"),
        N_("Dites pourquoi en quelques mots (500 caractères au plus)."),
    ),
    "device_wipe_note": (N_("Ce qui a été fait"), N_("500 caractères au plus.")),
    "device_to_site": (N_("Nouveau lieu"), N_("Choisissez un lieu.")),
    "device_to_partner": (N_("Nouveau propriétaire"), N_("Choisissez un partenaire.")),
    "device_transfer_reason": (
        N_("Pourquoi ce changement"),
        N_("Dites pourquoi en quelques mots (500 caractères au plus)."),
    ),
    "device_file": (N_("Fichier CSV"), N_("Choisissez un fichier CSV.")),
    # reservations: what to reserve, and every week until when
    "reserve_what": (N_("Ce que vous réservez"), N_("Choisissez ce que vous réservez.")),
    "reserve_kit": (N_("Kit"), N_("Choisissez un kit.")),
    "reserve_asset_tags": (
        N_("Numéros d'inventaire"),
        N_("Saisissez les numéros séparés par des virgules, par exemple JV-TAB-001, JV-TAB-002."),
    ),
    "reserve_until": (
        N_("Chaque semaine jusqu'au"),
        N_("Saisissez une date après le premier jour, par exemple 2027-03-25."),
    ),
    # residents: finding, registering, their consent
    "resident_search": (
        N_("Nom, carte ou téléphone"),
        N_("Saisissez une partie du nom, ou le numéro entier de la carte ou du téléphone."),
    ),
    "resident_presented": (
        N_("Carte ou téléphone de l'habitant"),
        N_("Saisissez le numéro entier de la carte ou du téléphone, par exemple RS-0042."),
    ),
    "resident_name": (N_("Nom"), N_("Saisissez le nom de l'habitant, 200 caractères au plus.")),
    "resident_phone": (
        N_("Téléphone"),
        N_("Saisissez un numéro de téléphone, par exemple 06 12 34 56 78."),
    ),
    "resident_email": (
        N_("Adresse e-mail"),
        N_("Saisissez une adresse e-mail, par exemple nom@exemple.fr."),
    ),
    "resident_channel": (N_("Comment le prévenir"), N_("Choisissez comment le prévenir.")),
    "resident_language": (N_("Langue de ses messages"), N_("Choisissez une langue.")),
    "resident_card": (
        N_("Numéro de carte"),
        N_("Saisissez le numéro de carte, par exemple RS-0042, ou laissez vide."),
    ),
    "resident_consent": (
        N_("L'habitant est d'accord pour être inscrit"),
        N_("L'habitant doit être d'accord : cochez la case."),
    ),
    "resident_mandate": (
        N_(
            "Il n'a ni téléphone ni e-mail : il est d'accord pour que l'accueil agisse pour lui "
            "(prêts, données, coordonnées) pendant 1 an"
        ),
        N_("Cochez ou décochez."),
    ),
    "mandate_scopes": (
        N_("Ce que l'accueil peut faire pour lui"),
        N_("Cochez au moins une chose."),
    ),
    "mandate_until": (
        N_("Accord valable jusqu'au"),
        N_("Saisissez une date dans moins d'un an, par exemple 2027-03-31."),
    ),
    "mandate_consent": (
        N_("L'habitant est là et donne son accord"),
        N_("L'habitant doit donner son accord : cochez la case."),
    ),
    # lending at the desk
    "accessories": (
        N_("Accessoires"),
        N_("Cochez chaque accessoire que vous donnez ou que l'habitant rend."),
    ),
    "override_reason": (
        N_("Raison du prêt en plus"),
        N_("Écrivez pourquoi vous prêtez quand même, en 3 à 500 caractères."),
    ),
    "reservation_id": (N_("Réservation"), N_("Choisissez une réservation, ou aucune.")),
    "find_asset_tag": (
        N_("Numéro d'inventaire"),
        N_("Saisissez le numéro d'inventaire, par exemple JV-LAP-003."),
    ),
    # the public guide: the help a partner offers, and when
    "help_site": (N_("Lieu"), N_("Choisissez un de vos lieux.")),
    "help_what": (
        N_("Aide proposée"),
        N_("Décrivez l'aide en 200 caractères au plus, par exemple Aide aux démarches en ligne."),
    ),
    "help_monday": (N_("Lundi"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    "help_tuesday": (N_("Mardi"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    "help_wednesday": (N_("Mercredi"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    "help_thursday": (N_("Jeudi"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    "help_friday": (N_("Vendredi"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    "help_saturday": (N_("Samedi"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    "help_sunday": (N_("Dimanche"), N_("Écrivez les heures ainsi : 09:00-12:00 13:30-18:30.")),
    # a resident's own pages: home, history, details
    "mine_language": (N_("Ma langue"), N_("Choisissez une langue.")),
    "mine_channel": (N_("Comment me prévenir"), N_("Choisissez comment vous prévenir.")),
    "mine_contact": (
        N_("Nouveau téléphone ou nouvel e-mail"),
        N_("Saisissez un téléphone, par exemple 06 12 34 56 78, ou un e-mail."),
    ),
    "mine_code": (N_("Code reçu"), N_("Saisissez les 6 chiffres du code reçu.")),
    # the administrator's pages: accounts, partners, sites, categories
    "admin_email": (
        N_("Adresse e-mail"),
        N_("Saisissez une adresse e-mail, par exemple nom@exemple.fr."),
    ),
    "admin_display_name": (N_("Nom affiché"), N_("Saisissez un nom, 200 caractères au plus.")),
    "admin_role": (N_("Rôle"), N_("Choisissez un rôle.")),
    "admin_partner": (
        N_("Structure"),
        N_("Choisissez la structure de ce membre de l'équipe."),
    ),
    "admin_account_state": (N_("Compte"), N_("Vous ne pouvez pas désactiver votre compte.")),
    "admin_code": (
        N_("Code"),
        N_("Saisissez un code en minuscules, chiffres et tirets, par exemple jean-vilar."),
    ),
    "admin_name": (N_("Nom"), N_("Saisissez un nom, 200 caractères au plus.")),
    "admin_site_partner": (N_("Structure"), N_("Choisissez une structure.")),
    "admin_address": (
        N_("Adresse"),
        N_("Saisissez l'adresse, par exemple 1 place Jean XXIII, 49100 Angers."),
    ),
    "admin_closure_starts": (
        N_("Fermé à partir du"),
        N_("Saisissez une date, par exemple 2026-12-24."),
    ),
    "admin_closure_ends": (
        N_("Fermé jusqu'au"),
        N_("Saisissez une date, le même jour ou après le premier jour."),
    ),
    "admin_closure_reason": (
        N_("Pourquoi"),
        N_("Dites pourquoi en quelques mots (200 caractères au plus)."),
    ),
    "admin_loan_days": (
        N_("Durée du prêt, en jours"),
        N_("Saisissez un nombre de jours entre 1 et 365."),
    ),
    "admin_max_renewals": (
        N_("Nombre de prolongations"),
        N_("Saisissez un nombre entre 0 et 20."),
    ),
    "admin_contact_email": (
        N_("Adresse e-mail de l'accueil"),
        N_("Saisissez une adresse e-mail, par exemple accueil@exemple.fr, ou laissez vide."),
    ),
    "admin_contact_language": (N_("Langue des avis"), N_("Choisissez une langue.")),
    # what the partner lets the others reserve
    "sharing_category": (N_("Type d'appareil"), N_("Choisissez un type d'appareil, ou tous.")),
    "sharing_shared": (
        N_("Les autres structures peuvent-elles les réserver ?"),
        N_("Choisissez oui ou non."),
    ),
    "sharing_max": (
        N_("Au plus par réservation"),
        N_("Saisissez un nombre entre 1 et 200, ou laissez vide."),
    ),
    # managers and the administrator: the audit log's filters, the suggestions
    "manage_device": (N_("Numéro d'inventaire"), N_("Aucun appareil n'a ce numéro.")),
    "manage_partner": (N_("Partenaire"), N_("Choisissez un partenaire.")),
    "manage_site": (N_("Lieu"), N_("Choisissez un lieu.")),
    "manage_actor": (N_("Auteur"), N_("100 caractères au plus.")),
    "manage_type": (N_("Type d'événement"), N_("Par exemple inventory.item_transferred.")),
    "manage_from": (N_("Du"), N_("Saisissez une date, par exemple 2026-12-01.")),
    "manage_to": (N_("Au"), N_("Saisissez une date de fin après la date de début.")),
    "manage_suggestion": (N_("Proposition"), N_("Cette proposition n'existe plus.")),
    "manage_dismiss_reason": (
        N_("Pourquoi refuser cette proposition"),
        N_("Écrivez pourquoi, en 3 à 500 caractères."),
    ),
}
LABELS = {name: label for name, (label, _) in FIELDS.items()}

CONDITIONS = {"new": N_("neuf"), "good": N_("bon état"), "fair": N_("usé"), "damaged": N_("abîmé")}

ASSET_TAG = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")
CARD_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,40}$")


class FormErrors(Exception):
    """The fields at fault, each with its message: {"asset_tag": "Saisissez …"}."""

    def __init__(self, *names: str):
        super().__init__(names)
        self.errors = {name: FIELDS[name][1] for name in names}

    @classmethod
    def refused(cls, name: str, message: str) -> "FormErrors":
        """The field is well formed but refused, for a reason more precise than its usual one."""
        error = cls(name)
        error.errors[name] = message
        return error


def errors_for(names) -> dict:
    return FormErrors(*names).errors


# What the booking says of a moment it refuses, said to the reader.
SITE_CLOSED = N_("Le lieu est fermé à cette heure : choisissez une heure où il est ouvert.")
IN_THE_PAST = N_("Ce moment est déjà passé : choisissez une date à venir.")


def booking_errors(remote: dict, names: dict) -> dict:
    """The booking's InvalidInput fields → the form's, each with the reader's message."""
    errors = {}
    for field, messages in remote.items():
        if field not in names:
            continue
        said = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
        name = names[field]
        errors[name] = (
            SITE_CLOSED if "closed" in said else IN_THE_PAST if "past" in said else FIELDS[name][1]
        )
    return errors


# --- CSRF -----------------------------------------------------------------------------------


def csrf_token(request) -> str:
    """The token of this browser: its cookie's, or a new one (the page then sets it)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if len(token) >= 32 else secrets.token_urlsafe(32)


def csrf_valid(request) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "")
    return len(cookie) >= 32 and hmac.compare_digest(cookie.encode(), sent.encode())


# --- reading fields ---------------------------------------------------------------------------


def text(form, name: str) -> str:
    """The field as typed; one no service could take (a NUL) reads as left empty, so
    that the page names it as it names a missing field, before anything is asked."""
    value = (form.get(name) or "").strip()
    return "" if inputs.unstorable(value) else value


def asset_tag(form, name: str) -> str:
    value = text(form, name).upper()
    if not ASSET_TAG.match(value):
        raise FormErrors(name)
    return value


def desk_time(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TIME_ZONE)


def reservation_request(form) -> dict:
    """The reserve form → {category_id, quantity, site, starts_at, ends_at, note}, or
    FormErrors naming every field at fault."""
    wrong, values = [], {}
    for name, read in (
        ("category_id", int),
        ("quantity", int),
        ("date", date.fromisoformat),
        ("starts", time.fromisoformat),
        ("ends", time.fromisoformat),
    ):
        try:
            values[name] = read(text(form, name))
        except ValueError:
            wrong.append(name)
    if "quantity" in values and not 1 <= values["quantity"] <= 200:
        wrong.append("quantity")
    if not text(form, "site"):
        wrong.append("site")
    if len(text(form, "note")) > 500 or inputs.unstorable(form.get("note") or ""):
        wrong.append("note")
    if "starts" in values and "ends" in values and values["ends"] <= values["starts"]:
        wrong.append("ends")
    if wrong:
        raise FormErrors(*wrong)
    return {
        "category_id": values["category_id"],
        "quantity": values["quantity"],
        "site": text(form, "site"),
        "starts_at": desk_time(values["date"], values["starts"]).isoformat(),
        "ends_at": desk_time(values["date"], values["ends"]).isoformat(),
        "note": text(form, "note"),
    }


def chosen_alternative(form) -> dict:
    """What a choice among a refusal's alternatives changes: "site:mistral" another site,
    "window:<starts_at>/<ends_at>" another window (ISO 8601); nothing when none was chosen."""
    kind, _, value = text(form, "choice").partition(":")
    if kind == "site" and value:
        return {"site": value}
    if kind == "window":
        starts, _, ends = value.partition("/")
        try:
            return {
                "starts_at": datetime.fromisoformat(starts).isoformat(),
                "ends_at": datetime.fromisoformat(ends).isoformat(),
            }
        except ValueError:
            raise FormErrors("date") from None
    return {}
