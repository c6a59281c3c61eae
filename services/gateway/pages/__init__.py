"""The web pages: sign-in, a resident's loans, the front desk, reserving for a workshop.

Plain HTML forms that work without JavaScript: each POST checks its CSRF token,
then answers with a redirect to a page that shows what happened (POST-redirect-GET),
or shows the form again with an error summary naming each field at fault. Pages
speak the reader's language (see i18n.py). They call the services through the
same RPC proxies, and with the same session as the JSON API.
"""
from datetime import datetime, timezone

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.errors import Conflict, InvalidInput, NotFound
from services.booking.exceptions import (
    LoanNotActive, NotAvailable, NotLendable, OverdueLoanBlocks, TooManyLoans,
)
from services.gateway.authz import RESIDENT, STAFF
from services.gateway.pages import forms, i18n, sessions
from services.gateway.pages.sessions import page
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.i18n import N_

STYLE_SHEET = (i18n.HERE / "static" / "pages.css").read_bytes()
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

# Reserve form fields the booking names differently.
BOOKING_FIELDS = {"starts_at": "starts", "ends_at": "ends", "category_id": "category_id",
                  "quantity": "quantity", "site": "site", "note": "note"}


class Pages(sessions.SignIn):
    # --- the frame --------------------------------------------------------------------

    def page_render(self, request, who, template, title, status=200, **context) -> Response:
        language = i18n.negotiate(request)
        env = i18n.environment(language)
        token = forms.csrf_token(request)
        html = env.get_template(template).render(
            title=i18n.translations(language).gettext(title), who=who if who.signed_in else None,
            here=request.path, csrf_token=token, labels=forms.LABELS,
            errors=context.pop("errors", None), notices=context.pop("notices", []),
            form=_Form(request.form if request.method == "POST" else {}), **context)
        response = Response(html, status=status, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
        if request.cookies.get(forms.CSRF_COOKIE) != token:
            response.set_cookie(forms.CSRF_COOKIE, token, httponly=True, samesite="Strict",
                                secure=request.is_secure, path="/")
        if i18n.known(request.args.get("lang")):
            response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS,
                                samesite="Lax", secure=request.is_secure, path="/")
        return response

    def page_text(self, request, message, **values) -> str:
        """`message` in the reader's language, for what Python puts on a page."""
        translated = i18n.translations(i18n.negotiate(request)).gettext(message)
        return translated % values if values else translated

    def page_refuse_forgery(self, request, who):
        return self.page_render(request, who, "problem.html", N_("Formulaire expiré"), status=403,
                           explanation=self.page_text(request, N_(
                               "Ce formulaire a expiré. Revenez à la page et envoyez-le à nouveau.")),
                           back=request.referrer if _same_site(request) else "/")

    @page("GET", "/pages/pages.css")
    def page_style_sheet(self, request, who):
        return Response(STYLE_SHEET, content_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})

    @page("GET", "/")
    def page_home(self, request, who):
        return redirect(sessions.home_of(who) if who.signed_in else "/sign-in", 303)

    # --- a resident's loans ---------------------------------------------------------

    @page("GET", "/my-loans")
    def page_my_loans(self, request, who):
        if who.role != RESIDENT:
            return self.page_sign_in_first(request, who, "/resident/sign-in")
        loans = [loan for loan in self.booking.resident_loans(who.resident_id)
                 if loan["status"] == "active"]
        sites = {site["id"]: site for site in self.inventory.list_sites()}
        now = datetime.now(timezone.utc)
        for loan in loans:
            item = self.inventory.get_item(loan["asset_tag"])
            loan["device"] = f"{item['make']} {item['model']}"
            loan["site"] = sites.get(loan["return_site_id"] or loan["site_id"], {})
            loan["late"] = datetime.fromisoformat(loan["due_at"]) < now
        notices = []
        if request.args.get("renewed"):
            notices.append(self.page_text(request, N_("C'est noté : vous pouvez garder l'appareil plus longtemps. La nouvelle date est ci-dessous.")))
        if request.args.get("refused"):
            notices.append(self.page_text(request, N_("Impossible de garder cet appareil plus longtemps : quelqu'un l'attend, ou il a déjà été prolongé. Rapportez-le à la date prévue.")))
        return self.page_render(request, who, "my_loans.html", N_("Mes prêts"), loans=loans,
                           notices=notices)

    @page("POST", "/my-loans/<int:loan_id>/renew")
    def page_renew_loan(self, request, who, loan_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_sign_in_first(request, who, "/resident/sign-in")
        try:
            loan = self.booking.get_loan(loan_id)
        except NotFound:
            loan = None
        if loan is None or loan["resident_id"] != who.resident_id:
            return self.page_not_found(request, who)
        try:
            self.booking.renew_loan(loan_id)
        except Conflict:  # someone waits for it, too many renewals, no return day ahead…
            return redirect(f"/my-loans?refused={loan_id}", 303)
        return redirect(f"/my-loans?renewed={loan_id}", 303)

    def page_not_found(self, request, who):
        return self.page_render(request, who, "problem.html", N_("Page introuvable"), status=404,
                           explanation=self.page_text(request, N_("Cette page n'existe pas.")),
                           back="/")

    # --- the front desk ---------------------------------------------------------------

    def page_partner_sites(self, who) -> list[dict]:
        """The sites of the staff member's partner: where they lend and take back."""
        partners = {partner["id"]: partner["code"] for partner in self.inventory.list_partners()}
        code = partners.get(who.partner_id)
        return [site for site in self.inventory.list_sites() if site["partner"] == code]

    def page_desk(self, request, who, status=200, errors=None, done=None):
        sites = self.page_partner_sites(who)
        conditions = [(value, self.page_text(request, label))
                      for value, label in forms.CONDITIONS.items()]
        return self.page_render(request, who, "desk.html", N_("Accueil : prêts et retours"),
                           status=status, errors=errors, done=done,
                           sites=[(site["code"], site["name"]) for site in sites],
                           conditions=conditions)

    @page("GET", "/desk")
    def page_desk_form(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        done = None
        if request.args.get("loan", "").isdigit():
            done = self.page_desk_outcome(request, who, int(request.args["loan"]))
        return self.page_desk(request, who, done=done)

    def page_desk_outcome(self, request, who, loan_id):
        """What the desk just did, read back from the loan (so a reload shows it again)."""
        try:
            loan = self.booking.get_loan(loan_id)
        except NotFound:
            return None
        sites = {site["id"]: site for site in self.page_partner_sites(who)}
        if loan["site_id"] not in sites and loan["return_site_id"] not in sites:
            return None  # another partner's loan: nothing to say about it
        if loan["status"] == "active":
            site = sites.get(loan["return_site_id"] or loan["site_id"]) or {}
            return {"title": self.page_text(request, N_("%(tag)s est prêté."), tag=loan["asset_tag"]),
                    "due_at": loan["due_at"], "site": site.get("name", "?")}
        return {"title": self.page_text(request, N_("%(tag)s est rendu. Merci !"), tag=loan["asset_tag"]),
                "missing": loan.get("missing_accessories") or []}

    @page("POST", "/desk/check-out")
    def page_check_out(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        form = request.form
        try:
            wrong = []
            tag = card = None
            try:
                tag = forms.asset_tag(form, "asset_tag")
            except FormErrors:
                wrong.append("asset_tag")
            card = forms.text(form, "card_number").upper()
            if not forms.CARD_NUMBER.match(card):
                wrong.append("card_number")
            site = forms.text(form, "site")
            if site not in {s["code"] for s in self.page_partner_sites(who)}:
                wrong.append("site")
            if wrong:
                raise FormErrors(*wrong)
            loan = self.page_lend(tag, card, site)
        except FormErrors as refused:
            return self.page_desk(request, who, status=400, errors=refused.errors)
        return redirect(f"/desk?loan={loan['id']}", 303)

    def page_lend(self, tag, card, site):
        try:
            resident = self.booking.get_resident(card)
        except (NotFound, InvalidInput):
            raise FormErrors.refused("card_number", N_("Aucun habitant n'a cette carte.")) from None
        try:
            item = self.inventory.get_item(tag)
        except (NotFound, InvalidInput):
            raise FormErrors.refused("asset_tag", N_("Aucun appareil n'a ce numéro.")) from None
        try:
            return self.booking.check_out({"asset_tag": tag, "resident_id": resident["id"],
                                           "site": site, "accessories": item["accessories"]})
        except NotLendable:
            raise FormErrors.refused("asset_tag", N_(
                "Cet appareil ne peut pas être prêté maintenant : il est déjà prêté, "
                "réservé, ou à effacer.")) from None
        except NotAvailable:
            raise FormErrors.refused("asset_tag", N_(
                "Cet appareil est réservé pour un atelier : prêtez-en un autre.")) from None
        except OverdueLoanBlocks:
            raise FormErrors.refused("card_number", N_(
                "Cet habitant a un prêt en retard : il doit d'abord le rapporter.")) from None
        except TooManyLoans:
            raise FormErrors.refused("card_number", N_(
                "Cet habitant a déjà autant d'appareils que permis.")) from None
        except InvalidInput as refused:
            raise FormErrors(*[name for name in refused.fields
                               if name in ("asset_tag", "site")] or ["asset_tag"]) from None
        except Conflict:  # e.g. no opening day ahead to bring it back on
            raise FormErrors.refused("asset_tag", N_(
                "Ce prêt est refusé pour le moment. Demandez à un responsable.")) from None

    @page("POST", "/desk/check-in")
    def page_check_in(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        form = request.form
        try:
            tag = forms.asset_tag(form, "return_asset_tag")
            condition = forms.text(form, "condition")
            if condition not in forms.CONDITIONS:
                raise FormErrors("condition")
            try:
                item = self.inventory.get_item(tag)
            except (NotFound, InvalidInput):
                raise FormErrors.refused("return_asset_tag", N_("Aucun appareil n'a ce numéro.")) from None
            returned = item["accessories"] if form.get("all_accessories") == "yes" else []
            try:
                loan = self.booking.check_in({"asset_tag": tag, "condition": condition,
                                              "accessories": returned})
            except (LoanNotActive, NotFound):
                raise FormErrors.refused("return_asset_tag", N_("Cet appareil n'est pas en prêt.")) from None
        except FormErrors as refused:
            return self.page_desk(request, who, status=400, errors=refused.errors)
        return redirect(f"/desk?loan={loan['id']}", 303)

    # --- reserving for a workshop ---------------------------------------------------

    def page_reserve(self, request, who, status=200, errors=None, refusal=None,
                     reservation=None):
        categories = [(c["id"], c["name"]) for c in self.inventory.list_categories()]
        sites = [(s["code"], s["name"]) for s in self.inventory.list_sites()]
        return self.page_render(request, who, "reserve.html", N_("Réserver pour un atelier"),
                           status=status, errors=errors, refusal=refusal,
                           reservation=reservation, categories=categories, sites=sites)

    @page("GET", "/reserve")
    def page_reserve_form(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        reservation = None
        if request.args.get("reservation", "").isdigit():
            try:
                reservation = self.booking.get_reservation(int(request.args["reservation"]))
            except NotFound:
                pass
            if reservation and who.may_see_reservation(reservation):
                names = {s["id"]: s["name"] for s in self.inventory.list_sites()}
                reservation["site"] = names.get(reservation["site_id"], "?")
            else:
                reservation = None
        return self.page_reserve(request, who, reservation=reservation)

    @page("POST", "/reserve")
    def page_reserve_submit(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            wanted = forms.reservation_request(request.form)
            wanted.update(forms.chosen_alternative(request.form))
            reservation = self.booking.reserve({"partner_id": who.partner_id, **wanted})
        except FormErrors as refused:
            return self.page_reserve(request, who, status=400, errors=refused.errors)
        except InvalidInput as refused:
            return self.page_reserve(request, who, status=400,
                                     errors=forms.booking_errors(refused.fields, BOOKING_FIELDS)
                                     or forms.errors_for(["category_id"]))
        except NotAvailable as refused:
            return self.page_reserve(request, who, status=409,
                                     refusal={"choices": self.page_alternatives(request, refused,
                                                                           wanted)})
        return redirect(f"/reserve?reservation={reservation['id']}", 303)

    def page_alternatives(self, request, refused: Conflict, wanted: dict) -> list[tuple[str, str]]:
        """The booking's alternatives as choices: (value sent back, what it says)."""
        names = {s["code"]: s["name"] for s in self.inventory.list_sites()}
        writer = i18n.Writer(i18n.negotiate(request))
        offered = refused.details.get("alternatives") or {}
        choices = []
        for other in offered.get("other_sites") or []:
            choices.append((f"site:{other['site']}", self.page_text(
                request, N_("%(site)s, au même moment (%(free)s libres)"),
                site=names.get(other["site"], other["site"]), free=other["free"])))
        for window in offered.get("other_windows") or []:
            choices.append((f"window:{window['starts_at']}/{window['ends_at']}", self.page_text(
                request, N_("%(day)s, de %(start)s à %(end)s, à %(site)s"),
                day=writer.day(window["starts_at"]), start=writer.clock(window["starts_at"]),
                end=writer.clock(window["ends_at"]), site=names.get(wanted["site"], wanted["site"]))))
        return choices


class _Form(dict):
    """The values sent, to fill the form again; a field not sent reads as empty."""

    def __init__(self, form):
        super().__init__((name, form.get(name)) for name in form.keys()
                         if name not in ("password", "code", forms.CSRF_FIELD))

    def __getattr__(self, name):
        return self.get(name) or ""

    def __getitem__(self, name):
        return self.get(name) or ""


def _same_site(request) -> bool:
    referrer = request.referrer or ""
    return referrer.startswith(request.host_url)
