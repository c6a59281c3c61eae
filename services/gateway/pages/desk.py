"""The front desk: lend a device to the holder of a resident's card, take one back."""
from werkzeug.utils import redirect

from partanum.errors import Conflict, InvalidInput, NotFound
from services.booking.exceptions import (
    LoanNotActive, NotAvailable, NotLendable, OverdueLoanBlocks, TooManyLoans,
)
from services.gateway.authz import STAFF
from services.gateway.pages import forms
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

NO_SUCH_DEVICE = N_("Aucun appareil n'a ce numéro.")


class FrontDesk:
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
        tag = loan["asset_tag"]
        if loan["status"] == "active":
            site = sites.get(loan["return_site_id"] or loan["site_id"]) or {}
            return {"title": self.page_text(request, N_("%(tag)s est prêté."), tag=tag),
                    "due_at": loan["due_at"], "site": site.get("name", "?")}
        return {"title": self.page_text(request, N_("%(tag)s est rendu. Merci !"), tag=tag),
                "missing": loan.get("missing_accessories") or []}

    @page("POST", "/desk/check-out")
    def page_check_out(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        form = request.form
        tag = forms.text(form, "asset_tag").upper()
        card = forms.text(form, "card_number").upper()
        site = forms.text(form, "site")
        wrong = [name for name, ok in (
            ("asset_tag", forms.ASSET_TAG.match(tag)),
            ("card_number", forms.CARD_NUMBER.match(card)),
            ("site", site in {s["code"] for s in self.page_partner_sites(who)})) if not ok]
        try:
            if wrong:
                raise FormErrors(*wrong)
            loan = self.page_lend(who, tag, card, site)
        except FormErrors as refused:
            return self.page_desk(request, who, status=400, errors=refused.errors)
        return redirect(f"/desk?loan={loan['id']}", 303)

    def page_lend(self, who, tag, card, site):
        try:
            # Holding their card, the resident is at this desk: its partner may serve them.
            resident = self.booking.find_resident_at_desk({"partner_id": who.partner_id,
                                                           "card_number": card})
        except (NotFound, InvalidInput):
            raise FormErrors.refused("card_number", N_("Aucun habitant n'a cette carte.")) from None
        try:
            item = self.inventory.get_item(tag)
        except (NotFound, InvalidInput):
            raise FormErrors.refused("asset_tag", NO_SUCH_DEVICE) from None
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
            loan = self.page_take_back(tag, condition, form.get("all_accessories") == "yes")
        except FormErrors as refused:
            return self.page_desk(request, who, status=400, errors=refused.errors)
        return redirect(f"/desk?loan={loan['id']}", 303)

    def page_take_back(self, tag, condition, all_accessories: bool):
        try:
            item = self.inventory.get_item(tag)
        except (NotFound, InvalidInput):
            raise FormErrors.refused("return_asset_tag", NO_SUCH_DEVICE) from None
        # Ticked (the default): everything lent with it came back; else the loan records
        # every accessory as missing, for staff to follow up.
        returned = item["accessories"] if all_accessories else []
        try:
            return self.booking.check_in({"asset_tag": tag, "condition": condition,
                                          "accessories": returned})
        except (LoanNotActive, NotFound):
            raise FormErrors.refused("return_asset_tag", N_(
                "Cet appareil n'est pas en prêt.")) from None
