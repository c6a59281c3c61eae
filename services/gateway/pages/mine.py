"""A resident's own pages, after their sign-in: their home (/my-loans: what they
hold, what is kept for them, where they are in line), their history, their details
(language, how they are told, a new phone or email proven with a code, their data,
asking to be erased).

They read the pages in the language they gave when they registered: the sign-in
sets it (sessions.py), changing it here sets it again; a language link still wins
for the page it opens. Every route is for the signed-in resident and their own
records only (operations' "a resident's own pages" block).
"""

import json
from datetime import UTC, date, datetime

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.errors import Conflict, InvalidInput, NotFound
from partanum.i18n import LANGUAGES, NAMES, reads_in
from services.gateway import operations, problems
from services.gateway.authz import RESIDENT, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import LANGUAGE_COOKIE_SECONDS, page
from services.gateway.pages.i18n import N_

KINDS_DIR = i18n.HERE / "static" / "kinds"
# Each kind of device: its name on the residents' pages; any other kind reads "device".
MINE_KINDS = {
    "laptop": N_("Ordinateur portable"),
    "tablet": N_("Tablette"),
    "smartphone": N_("Téléphone"),
    "hotspot": N_("Clé 4G"),
    "projector": N_("Vidéoprojecteur"),
    "webcam": N_("Caméra"),
    "headset": N_("Casque"),
}
MINE_DEVICE = N_("Appareil")
MINE_CHANNELS = {
    "sms": N_("Par SMS"),
    "email": N_("Par e-mail"),
    "none": N_("Pas de message. L'accueil m'appelle."),
}
MINE_NOTICES = {
    "renewed": N_("C'est noté. Vous pouvez garder l'appareil plus longtemps."),
    "refused": N_(
        "Vous ne pouvez pas garder cet appareil plus longtemps. "
        "Quelqu'un l'attend, ou il a déjà été prolongé. Rapportez-le à la date prévue."
    ),
    "joined": N_("C'est noté. Vous êtes dans la file d'attente."),
    "left": N_("C'est noté. Vous n'êtes plus dans cette file d'attente."),
    "settings": N_("C'est noté. Vos choix sont enregistrés."),
    "code": N_("Un code est envoyé. Saisissez-le ci-dessous."),
    "contact": N_("C'est noté. Vos coordonnées sont changées."),
    "erasure": N_("Votre demande est envoyée à l'accueil. L'accueil va vous contacter."),
}


def mine_kind(code) -> str:
    return MINE_KINDS.get(code, MINE_DEVICE)


def mine_picture(code) -> str:
    return f"/pages/kinds/{code if code in MINE_KINDS else 'device'}.svg"


class ResidentHome:
    def page_mine_first(self, request, who):
        """Anyone else than a signed-in resident: sent to sign in, or home."""
        return self.page_sign_in_first(request, who, "/resident/sign-in")

    def page_mine_notices(self, request) -> list[str]:
        return [
            self.page_text(request, message)
            for asked, message in MINE_NOTICES.items()
            if request.args.get(asked)
        ]

    # --- the pictograms of the kinds of devices ----------------------------------------

    @page("GET", "/pages/kinds/<kind>.svg")
    def page_mine_pictogram(self, request, who, kind):
        if kind != "device" and kind not in MINE_KINDS:
            return self.page_not_found(request, who)
        return Response(
            (KINDS_DIR / f"{kind}.svg").read_bytes(),
            content_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # --- home: what I have, what waits for me, where I am in line ------------------------

    def page_mine_home(self, request, who):
        today = datetime.now(UTC)
        sites = {site["id"]: site for site in operations.sites(self)}
        categories = {c["id"]: c for c in operations.categories(self)}
        loans = [held for held in operations.own_loans(self, who) if held["status"] == "active"]
        for held in loans:
            site = sites.get(held["return_site_id"] or held["site_id"], {})
            held["site"] = site
            held["late"] = datetime.fromisoformat(held["due_at"]) < today
            held["kind"] = self.page_text(request, mine_kind(held["category"]))
            held["picture"] = mine_picture(held["category"])
            held["closures"] = [
                closure
                for closure in site.get("closures") or []
                if closure["ends_on"] >= today.date().isoformat()
            ]
        entries = operations.own_waiting_entries(self, who)
        for entry in entries:
            code = categories.get(entry["category_id"], {}).get("code")
            entry["site"] = sites.get(entry["site_id"], {})
            entry["kind"] = self.page_text(request, mine_kind(code))
            entry["picture"] = mine_picture(code)
        return self.page_render(
            request,
            who,
            "my_loans.html",
            N_("Mes prêts"),
            loans=loans,
            holds=[entry for entry in entries if entry["status"] == "held"],
            waiting=[entry for entry in entries if entry["status"] == "waiting"],
            kinds=[
                (c["id"], self.page_text(request, mine_kind(c["code"])))
                for c in categories.values()
            ],
            places=[(site["code"], site["name"]) for site in sites.values()],
            notices=self.page_mine_notices(request),
        )

    @page("POST", "/my-loans/waiting")
    def page_mine_join(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        kind, site = forms.text(request.form, "category_id"), forms.text(request.form, "site")
        known_sites = {place["code"] for place in operations.sites(self)}
        wrong = [
            name
            for name, ok in (("category_id", kind.isdigit()), ("site", site in known_sites))
            if not ok
        ]
        try:
            if wrong:
                raise FormErrors(*wrong)
            operations.join_own_waiting_list(self, who, int(kind), site)
        except FormErrors as refused:
            return self.page_refused(
                request, who, "/my-loans", refused.errors, keep=("category_id", "site")
            )
        except (InvalidInput, NotFound, Conflict):  # an unknown kind, already in that line
            refused = FormErrors.refused(
                "category_id",
                N_("Impossible d'attendre ce type d'appareil à ce lieu. Demandez à l'accueil."),
            )
            return self.page_refused(
                request, who, "/my-loans", refused.errors, keep=("category_id", "site")
            )
        return redirect("/my-loans?joined=1", 303)

    @page("POST", "/my-loans/waiting/<int:entry_id>/leave")
    def page_mine_leave(self, request, who, entry_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        try:
            operations.leave_own_waiting_list(self, who, entry_id)
        except (NotFound, Denied):
            return self.page_not_found(request, who)
        return redirect("/my-loans?left=1", 303)

    # --- history -------------------------------------------------------------------------

    @page("GET", "/my-loans/history")
    def page_mine_history(self, request, who):
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        past = [held for held in operations.own_loans(self, who) if held["status"] != "active"]
        sites = {site["id"]: site for site in operations.sites(self)}
        for held in past:
            held["site"] = sites.get(held["site_id"], {})
            held["kind"] = self.page_text(request, mine_kind(held["category"]))
            held["picture"] = mine_picture(held["category"])
        return self.page_render(
            request,
            who,
            "mine_history.html",
            N_("Mes anciens prêts"),
            past=past,
            days=operations.anonymise_after_days(self),
        )

    # --- my details ----------------------------------------------------------------------

    def page_mine_details_page(self, request, who, **context):
        resident = operations.own_details(self, who)
        return self.page_render(
            request,
            who,
            "mine_details.html",
            N_("Mes informations"),
            resident=resident,
            channel_name=self.page_text(request, MINE_CHANNELS.get(resident.get("channel"), "?")),
            language_name=NAMES.get(reads_in(resident.get("language"))),
            channels=[(v, self.page_text(request, t)) for v, t in MINE_CHANNELS.items()],
            mine_languages=[(code, NAMES[code]) for code in LANGUAGES],
            notices=self.page_mine_notices(request),
            request_code=bool(request.args.get("code")),
            **context,
        )

    @page("GET", "/my-details")
    def page_mine_details(self, request, who):
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        return self.page_mine_details_page(request, who)

    @page("POST", "/my-details/settings")
    def page_mine_settings(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        language = forms.text(request.form, "mine_language")
        channel = forms.text(request.form, "mine_channel")
        wrong = [
            name
            for name, ok in (
                ("mine_language", language in LANGUAGES),
                ("mine_channel", channel in MINE_CHANNELS),
            )
            if not ok
        ]
        keep = ("mine_language", "mine_channel")
        try:
            if wrong:
                raise FormErrors(*wrong)
            operations.change_resident_settings(self, who, who.resident_id, language, channel)
        except FormErrors as refused:
            return self.page_refused(request, who, "/my-details", refused.errors, keep=keep)
        except InvalidInput:  # SMS without a phone, email without an address
            refused = FormErrors.refused(
                "mine_channel",
                N_("Vous n'avez pas donné ce moyen. Choisissez-en un autre."),
            )
            return self.page_refused(request, who, "/my-details", refused.errors, keep=keep)
        response = redirect("/my-details?settings=1", 303)
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            reads_in(language),
            max_age=LANGUAGE_COOKIE_SECONDS,
            samesite="Lax",
            secure=request.is_secure,
            path="/",
        )
        return response

    @page("POST", "/my-details/contact")
    def page_mine_contact(self, request, who):
        """A new phone or email: a code is sent to it; the old one stays until it comes back."""
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        address = forms.text(request.form, "mine_contact")
        new = {"email": address} if "@" in address else {"phone": address}
        try:
            if not address or len(address) > 200:
                raise FormErrors("mine_contact")
            operations.propose_own_contact(self, who, new)
        except FormErrors as refused:
            return self.page_refused(
                request, who, "/my-details", refused.errors, keep=("mine_contact",)
            )
        except (InvalidInput, Conflict, problems.Problem):
            refused = FormErrors.refused(
                "mine_contact",
                N_("Impossible d'envoyer un code à cette adresse. Vérifiez-la."),
            )
            return self.page_refused(
                request, who, "/my-details", refused.errors, keep=("mine_contact",)
            )
        return redirect("/my-details?code=1#mine_code", 303)

    @page("POST", "/my-details/contact/confirm")
    def page_mine_contact_confirm(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        code = "".join(forms.text(request.form, "mine_code").split())
        try:
            if not (code.isdigit() and len(code) == 6):
                raise FormErrors("mine_code")
            operations.confirm_own_contact(self, who, code)
        except FormErrors as refused:
            return self.page_refused(request, who, "/my-details?code=1", refused.errors)
        except (InvalidInput, Conflict, NotFound, problems.Problem):
            refused = FormErrors.refused(
                "mine_code",
                N_("Ce code ne convient pas, ou il a expiré. Demandez un nouveau code."),
            )
            return self.page_refused(request, who, "/my-details?code=1", refused.errors)
        return redirect("/my-details?contact=1", 303)

    @page("GET", "/my-details/export")
    def page_mine_export(self, request, who):
        """Everything held about them, as GET /api/residents/<id>/export gives it."""
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        data = operations.export_resident_data(self, who, who.resident_id)
        name = f"my-data-{date.today().isoformat()}.json"
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @page("POST", "/my-details/erasure")
    def page_mine_erasure(self, request, who):
        """A request the desk that registered them confirms with them: a notice in its queue."""
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_mine_first(request, who)
        operations.ask_own_erasure(self, who)
        return redirect("/my-details?erasure=1", 303)
