"""Residents, for partner staff: register one who agrees to it, find one among the
partner's own (by name, or the whole card or phone number) or the one presenting
their card or phone at the desk, see their profile, record their consent for the
desk to act for them (a mandate), and under it download or erase their data.

Through the same operations as the API's /api/residents…: an id alone opens
nothing (another partner's resident answers as a page that does not exist), and
acting for a resident needs their mandate, as `acting_for=` does."""

import json
from datetime import UTC, date, datetime, time, timedelta

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.errors import Conflict, InvalidInput, NotFound
from partanum.i18n import LANGUAGES, NAMES
from services.booking.exceptions import CardNumberTaken, StillHoldsDevice
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import TIME_ZONE, FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_
from services.gateway.pages.sessions import lookup_of

CHANNELS = {
    "sms": N_("Par SMS"),
    "email": N_("Par e-mail"),
    "none": N_("Pas de message : l'accueil l'appelle"),
}
# What a mandate lets the desk do for the resident (the booking's MANDATE_SCOPES).
MANDATE_SCOPES = {
    "loans": N_("Emprunter, garder plus longtemps, attendre un appareil"),
    "data": N_("Télécharger ou effacer ses données"),
    "contact": N_("Changer ses coordonnées"),
}
DATA, CONTACT = ("data",), ("contact",)
# The booking refuses a mandate of more than a year; the page offers the days before.
MANDATE_DAYS = 365
MANDATE_DEFAULT_DAYS = 90
# The form's fields, by the booking's names.
REGISTRATION_FIELDS = {
    "display_name": "resident_name",
    "phone": "resident_phone",
    "email": "resident_email",
    "channel": "resident_channel",
    "language": "resident_language",
    "consent": "resident_consent",
    "mandate": "resident_mandate",
    "card_number": "resident_card",
}
NOT_FOUND_AT_DESK = N_("Aucun habitant n'a ce numéro. Vérifiez le numéro, ou inscrivez l'habitant.")
NOTICES = {
    "registered": N_("L'habitant est inscrit."),
    "mandate": N_("Son accord est enregistré."),
    "withdrawn": N_("Son accord est retiré."),
    "settings": N_("Sa langue et le moyen de le prévenir sont changés."),
    "refused": N_(
        "Impossible d'effacer ses données : il a encore un appareil en prêt. "
        "Il doit d'abord le rendre."
    ),
}


class ResidentPages:
    # --- finding ------------------------------------------------------------------------

    def page_residents_search(self, request, who, status=200, errors=None, missing_card=None):
        search = forms.text(request.args, "resident_search")[:100]
        results = operations.own_residents(self, who, search) if search else None
        notices = []
        if request.args.get("erased"):
            notices.append(self.page_text(request, N_("Les données de l'habitant sont effacées.")))
        return self.page_render(
            request,
            who,
            "residents_search.html",
            N_("Habitants"),
            status=status,
            errors=errors,
            notices=notices,
            search=search,
            found=results["items"] if results else None,
            found_total=results["total"] if results else 0,
            missing_card=missing_card,
        )

    @page("GET", "/residents")
    def page_residents(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return self.page_residents_search(request, who)

    @page("POST", "/residents/at-desk")
    def page_residents_at_desk(self, request, who):
        """The resident is at the desk and gives their whole card or phone number:
        found among every partner's residents, the partner may serve them from now on."""
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        presented = lookup_of(forms.text(request.form, "resident_presented"))
        card = presented.get("card_number", "").upper()
        if "email" in presented or (
            "card_number" in presented and not forms.CARD_NUMBER.match(card)
        ):
            return self.page_residents_search(
                request, who, status=400, errors=forms.errors_for(["resident_presented"])
            )
        try:
            found = operations.resident_at_desk(
                self, who, {"card_number": card} if card else presented
            )
        except (NotFound, InvalidInput, Denied):
            error = FormErrors.refused("resident_presented", NOT_FOUND_AT_DESK)
            return self.page_residents_search(
                request, who, status=400, errors=error.errors, missing_card=card or None
            )
        return redirect(f"/residents/{found['id']}", 303)

    # --- registering --------------------------------------------------------------------

    def page_residents_new_form(self, request, who, status=200, errors=None):
        card = forms.text(request.args, "card_number").upper()
        return self.page_render(
            request,
            who,
            "residents_new.html",
            N_("Inscrire un habitant"),
            status=status,
            errors=errors,
            card_prefill=card if forms.CARD_NUMBER.match(card) else "",
            channels=[(value, self.page_text(request, text)) for value, text in CHANNELS.items()],
            resident_languages=[(code, NAMES[code]) for code in LANGUAGES],
        )

    @page("GET", "/residents/new")
    def page_residents_new(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return self.page_residents_new_form(request, who)

    @page("POST", "/residents/new")
    def page_residents_register(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            resident = self.page_residents_registration(request.form)
            registered = operations.register_resident(self, who, resident)
        except FormErrors as refused:
            return self.page_residents_new_form(request, who, status=400, errors=refused.errors)
        except CardNumberTaken:
            refused = FormErrors.refused(
                "resident_card", N_("Cette carte est déjà celle d'un autre habitant.")
            )
            return self.page_residents_new_form(request, who, status=400, errors=refused.errors)
        except InvalidInput as refused:
            names = [REGISTRATION_FIELDS[f] for f in refused.fields if f in REGISTRATION_FIELDS]
            errors = forms.errors_for(names or ["resident_name"])
            return self.page_residents_new_form(request, who, status=400, errors=errors)
        return redirect(f"/residents/{registered['id']}?registered=1", 303)

    def page_residents_registration(self, form) -> dict:
        """The registration form → the booking's payload, or FormErrors naming every
        field at fault (the booking's own rules, said first in the reader's words)."""
        name = forms.text(form, "resident_name")
        phone = forms.text(form, "resident_phone") or None
        email = forms.text(form, "resident_email") or None
        card = forms.text(form, "resident_card").upper() or None
        channel = forms.text(form, "resident_channel") or ("sms" if phone else "email")
        language = forms.text(form, "resident_language") or "fr"
        # Reached neither by phone nor by email: served at the desk, under their consent.
        served_at_desk = form.get("resident_mandate") == "yes" and not phone and not email
        errors = {}
        if not 1 <= len(name) <= 200:
            errors["resident_name"] = forms.FIELDS["resident_name"][1]
        if not phone and not email:
            if served_at_desk:
                channel = "none"
            else:
                errors["resident_phone"] = errors["resident_email"] = N_(
                    "Saisissez un téléphone ou une adresse e-mail, ou cochez la case "
                    "« ni téléphone ni e-mail »."
                )
        elif channel == "sms" and not phone:
            errors["resident_phone"] = N_("Pour les SMS, saisissez un téléphone.")
        elif channel == "email" and not email:
            errors["resident_email"] = N_("Pour les e-mails, saisissez une adresse e-mail.")
        if email and ("@" not in email or len(email) > 200):
            errors["resident_email"] = forms.FIELDS["resident_email"][1]
        if card and not forms.CARD_NUMBER.match(card):
            errors["resident_card"] = forms.FIELDS["resident_card"][1]
        if channel not in CHANNELS:
            errors["resident_channel"] = forms.FIELDS["resident_channel"][1]
        if language not in LANGUAGES:
            errors["resident_language"] = forms.FIELDS["resident_language"][1]
        if form.get("resident_consent") != "yes":
            errors["resident_consent"] = forms.FIELDS["resident_consent"][1]
        if errors:
            # In the form's order, each with what to do about it.
            refused = FormErrors(*[name for name in REGISTRATION_FIELDS.values() if name in errors])
            refused.errors.update(errors)
            raise refused
        resident = {
            "display_name": name,
            "phone": phone,
            "email": email,
            "card_number": card,
            "channel": channel,
            "language": language,
            "consent": True,
        }
        if served_at_desk:  # everything the desk may do, for the longest the booking allows
            expires = datetime.now(UTC) + timedelta(days=MANDATE_DAYS, minutes=-5)
            resident["mandate"] = {
                "scopes": list(MANDATE_SCOPES),
                "expires_at": expires.isoformat(),
            }
        return resident

    # --- the profile --------------------------------------------------------------------

    def page_residents_profile(self, request, who, resident_id, status=200, errors=None):
        resident = operations.resident(self, who, resident_id)
        loans = operations.loans_of_resident(self, who, resident_id)
        entries = operations.waiting_entries_of_resident(self, who, resident_id)
        mandates = operations.mandates_of(self, who, resident_id)
        sites = {site["id"]: site["name"] for site in operations.sites(self)}
        language = i18n.negotiate(request)
        categories = {c["id"]: i18n.category_name(c, language) for c in operations.categories(self)}
        now = datetime.now(UTC)
        today = datetime.now(TIME_ZONE).date()
        for loan in loans:
            loan["site"] = sites.get(loan["return_site_id"] or loan["site_id"], "?")
            loan["late"] = (
                loan["status"] == "active" and datetime.fromisoformat(loan["due_at"]) < now
            )
        for entry in entries:
            entry["site"] = sites.get(entry["site_id"], "?")
            entry["category"] = categories.get(entry["category_id"], "?")
        for mandate in mandates:
            mandate["active"] = (
                mandate["withdrawn_at"] is None
                and datetime.fromisoformat(mandate["expires_at"]) > now
            )
            mandate["covers"] = [
                self.page_text(request, MANDATE_SCOPES[scope])
                for scope in mandate["scopes"]
                if scope in MANDATE_SCOPES
            ]
        # What the partner's mandates in force (neither withdrawn nor expired) let it do now.
        covered = {
            scope for mandate in mandates if mandate["active"] for scope in mandate["scopes"]
        }
        may_act_on_data = bool(covered & set(DATA))
        may_change = resident.get("view") == "full" or bool(covered & set(CONTACT))
        notices = [
            self.page_text(request, message)
            for asked, message in NOTICES.items()
            if request.args.get(asked)
        ]
        return self.page_render(
            request,
            who,
            "residents_profile.html",
            N_("Fiche d'un habitant"),
            status=status,
            errors=errors,
            notices=notices,
            resident=resident,
            own=resident.get("registered_by_partner_id") == who.partner_id,
            channel=self.page_text(request, CHANNELS.get(resident.get("channel"), "?")),
            language_name=NAMES.get(resident.get("language"), resident.get("language")),
            current_loans=[loan for loan in loans if loan["status"] == "active"],
            past_loans=[loan for loan in loans if loan["status"] != "active"],
            holds=[entry for entry in entries if entry["status"] == "held"],
            waiting=[entry for entry in entries if entry["status"] == "waiting"],
            mandates=mandates,
            may_act_on_data=may_act_on_data,
            may_change=may_change,
            channels=[(value, self.page_text(request, text)) for value, text in CHANNELS.items()],
            resident_languages=[(code, NAMES[code]) for code in LANGUAGES],
            scopes=[
                (value, self.page_text(request, text)) for value, text in MANDATE_SCOPES.items()
            ],
            chosen_scopes=request.form.getlist("mandate_scopes")
            if request.method == "POST"
            else [],
            mandate_days=[
                (today + timedelta(days=days)).isoformat()
                for days in (1, MANDATE_DEFAULT_DAYS, MANDATE_DAYS)
            ],
        )

    @page("GET", "/residents/<int:resident_id>")
    def page_residents_show(self, request, who, resident_id):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return self.page_residents_profile(request, who, resident_id)

    @page("POST", "/residents/<int:resident_id>/settings")
    def page_residents_change_settings(self, request, who, resident_id):
        """Their language and how they are told: staff who see them whole, or under
        their mandate covering "contact"."""
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        shown = operations.resident(self, who, resident_id)
        acting = who
        if shown.get("view") != "full":
            acting = operations.acting_for(self, who, resident_id, CONTACT)
        language = forms.text(request.form, "resident_language")
        channel = forms.text(request.form, "resident_channel")
        wrong = [
            name
            for name, ok in (
                ("resident_language", language in LANGUAGES),
                ("resident_channel", channel in CHANNELS),
            )
            if not ok
        ]
        try:
            if wrong:
                raise FormErrors(*wrong)
            operations.change_resident_settings(self, acting, resident_id, language, channel)
        except FormErrors as refused:
            return self.page_residents_profile(
                request, who, resident_id, status=400, errors=refused.errors
            )
        except InvalidInput:  # SMS without a phone, email without an address
            refused = FormErrors.refused(
                "resident_channel",
                N_(
                    "Il n'a pas ce moyen : choisissez-en un autre, ou donnez d'abord ses coordonnées."
                ),
            )
            return self.page_residents_profile(
                request, who, resident_id, status=400, errors=refused.errors
            )
        return redirect(f"/residents/{resident_id}?settings=1", 303)

    # --- their consent: mandates --------------------------------------------------------

    @page("POST", "/residents/<int:resident_id>/mandates")
    def page_residents_record_mandate(self, request, who, resident_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        operations.resident(self, who, resident_id)  # 404 before anything is said of the form
        try:
            mandate = self.page_residents_mandate(request.form)
            operations.record_mandate(self, who, resident_id, mandate)
        except FormErrors as refused:
            return self.page_residents_profile(
                request, who, resident_id, status=400, errors=refused.errors
            )
        except InvalidInput as refused:
            names = ["mandate_until" if "expires_at" in refused.fields else "mandate_scopes"]
            return self.page_residents_profile(
                request, who, resident_id, status=400, errors=forms.errors_for(names)
            )
        return redirect(f"/residents/{resident_id}?mandate=1", 303)

    def page_residents_mandate(self, form) -> dict:
        scopes = [scope for scope in form.getlist("mandate_scopes") if scope in MANDATE_SCOPES]
        wrong = [] if scopes else ["mandate_scopes"]
        today = datetime.now(TIME_ZONE).date()
        try:
            until = date.fromisoformat(forms.text(form, "mandate_until"))
            if not today < until <= today + timedelta(days=MANDATE_DAYS):
                raise ValueError(until)
        except ValueError:
            wrong.append("mandate_until")
        if form.get("mandate_consent") != "yes":
            wrong.append("mandate_consent")
        if wrong:
            raise FormErrors(*wrong)
        # The end of the chosen day, within the year the booking allows.
        latest = datetime.now(UTC) + timedelta(days=MANDATE_DAYS, minutes=-5)
        expires = min(datetime.combine(until, time(23, 59), tzinfo=TIME_ZONE), latest)
        return {"scopes": scopes, "expires_at": expires.isoformat()}

    @page("POST", "/residents/<int:resident_id>/mandates/<int:mandate_id>/withdraw")
    def page_residents_withdraw_mandate(self, request, who, resident_id, mandate_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        operations.resident(self, who, resident_id)
        mandates = {m["id"] for m in operations.mandates_of(self, who, resident_id)}
        if mandate_id not in mandates:
            return self.page_not_found(request, who)
        operations.withdraw_mandate(self, who, mandate_id)
        return redirect(f"/residents/{resident_id}?withdrawn=1", 303)

    # --- their data, under their mandate -------------------------------------------------

    @page("GET", "/residents/<int:resident_id>/export")
    def page_residents_export(self, request, who, resident_id):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        acting = operations.acting_for(self, who, resident_id, DATA)
        data = operations.export_resident_data(self, acting, resident_id)
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="habitant-{resident_id}.json"',
                "Cache-Control": "no-store",
            },
        )

    @page("GET", "/residents/<int:resident_id>/erasure")
    def page_residents_erasure(self, request, who, resident_id):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        acting = operations.acting_for(self, who, resident_id, DATA)
        resident = operations.resident(self, acting, resident_id)
        return self.page_render(
            request,
            who,
            "residents_erasure.html",
            N_("Effacer les données d'un habitant"),
            resident=resident,
        )

    @page("POST", "/residents/<int:resident_id>/erasure")
    def page_residents_erase(self, request, who, resident_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        acting = operations.acting_for(self, who, resident_id, DATA)
        try:
            operations.erase_resident(self, acting, resident_id)
        except (StillHoldsDevice, Conflict):
            return redirect(f"/residents/{resident_id}?refused=1", 303)
        return redirect("/residents?erased=1", 303)
