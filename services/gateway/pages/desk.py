"""The front desk: lend a device to the holder of a resident's card, take one back.
Through the same operations as the API's /api/loans and /api/check-ins."""

from markupsafe import Markup
from werkzeug.utils import redirect

from partanum.errors import Conflict, InvalidInput, NotFound
from services.booking.exceptions import (
    LoanNotActive,
    NotAvailable,
    NotLendable,
    OverdueLoanBlocks,
    TooManyLoans,
)
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

NO_SUCH_DEVICE = N_("Aucun appareil n'a ce numéro.")
# Said alike of a device not on loan, another desk's loan and a number nobody has,
# as the API answers them alike.
NOT_LENT_HERE = N_("Cet appareil n'a pas été prêté ici.")
# A tag typed wrong, said without an example: the hint beside the field shows one of
# this desk's own devices.
TAG_TYPED_WRONG = N_("Saisissez le numéro d'inventaire écrit sur l'étiquette de l'appareil.")


def desk_errors(refused: FormErrors) -> dict:
    return {
        name: TAG_TYPED_WRONG
        if message == forms.FIELDS[name][1] and "asset_tag" in name
        else message
        for name, message in refused.errors.items()
    }


class FrontDesk:
    def page_desk(self, request, who, status=200, errors=None, done=None):
        sites = operations.own_sites(self, who)
        conditions = [
            (value, self.page_text(request, label)) for value, label in forms.CONDITIONS.items()
        ]
        return self.page_render(
            request,
            who,
            "desk.html",
            N_("Accueil : prêts et retours"),
            status=status,
            errors=errors,
            done=done,
            sites=[(site["code"], site["name"]) for site in sites],
            conditions=conditions,
            tag_example=operations.tag_example(self, who),
        )

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
            loan = operations.loan(self, who, loan_id)
        except (NotFound, Denied):
            return None  # another partner's loan: nothing to say about it
        sites = {site["id"]: site for site in operations.own_sites(self, who)}
        tag = i18n.left_to_right(loan["asset_tag"])  # left to right in a right-to-left page
        if loan["status"] == "active":
            site = sites.get(loan["return_site_id"] or loan["site_id"]) or {}
            return {
                "title": Markup.escape(self.page_text(request, N_("%(tag)s est prêté.")))
                % {"tag": tag},
                "due_at": loan["due_at"],
                "site": site.get("name", "?"),
            }
        return {
            "title": Markup.escape(self.page_text(request, N_("%(tag)s est rendu. Merci !")))
            % {"tag": tag},
            "missing": loan.get("missing_accessories") or [],
        }

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
        wrong = [
            name
            for name, ok in (
                ("asset_tag", forms.ASSET_TAG.match(tag)),
                ("card_number", forms.CARD_NUMBER.match(card)),
                ("site", site in {s["code"] for s in operations.own_sites(self, who)}),
            )
            if not ok
        ]
        try:
            if wrong:
                raise FormErrors(*wrong)
            loan = self.page_lend(who, tag, card, site)
        except FormErrors as refused:
            return self.page_refused(
                request,
                who,
                "/desk",
                desk_errors(refused),
                keep=("asset_tag", "card_number", "site"),
            )
        return redirect(f"/desk?loan={loan['id']}", 303)

    def page_lend(self, who, tag, card, site):
        try:
            # Holding their card, the resident is at this desk: its partner may serve them.
            resident = operations.resident_at_desk(self, who, {"card_number": card})
        except (NotFound, InvalidInput, Denied):
            raise FormErrors.refused(
                "card_number",
                N_(
                    "Aucun habitant n'a cette carte. Cherchez-le, ou inscrivez-le, "
                    "dans le menu « Habitants »."
                ),
            ) from None
        try:
            # Everything that goes with the device goes with it.
            return operations.lend(
                self,
                who,
                {
                    "asset_tag": tag,
                    "resident_id": resident["id"],
                    "site": site,
                    "accessories": None,
                },
            )
        except (NotFound, Denied):
            raise FormErrors.refused("asset_tag", NO_SUCH_DEVICE) from None
        except NotLendable:
            raise FormErrors.refused(
                "asset_tag",
                N_(
                    "Cet appareil ne peut pas être prêté maintenant : il est déjà prêté, "
                    "réservé, ou à effacer."
                ),
            ) from None
        except NotAvailable:
            raise FormErrors.refused(
                "asset_tag", N_("Cet appareil est réservé pour un atelier : prêtez-en un autre.")
            ) from None
        except OverdueLoanBlocks:
            raise FormErrors.refused(
                "card_number",
                N_("Cet habitant a un prêt en retard : il doit d'abord le rapporter."),
            ) from None
        except TooManyLoans:
            raise FormErrors.refused(
                "card_number", N_("Cet habitant a déjà autant d'appareils que permis.")
            ) from None
        except InvalidInput as refused:
            raise FormErrors(
                *[name for name in refused.fields if name in ("asset_tag", "site")] or ["asset_tag"]
            ) from None
        except Conflict:  # e.g. no opening day ahead to bring it back on
            raise FormErrors.refused(
                "asset_tag", N_("Ce prêt est refusé pour le moment. Demandez à un responsable.")
            ) from None

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
            loan = self.page_take_back(who, tag, condition, form.get("all_accessories") == "yes")
        except FormErrors as refused:
            return self.page_refused(
                request,
                who,
                "/desk",
                desk_errors(refused),
                keep=("return_asset_tag", "condition", "all_accessories"),
            )
        return redirect(f"/desk?loan={loan['id']}", 303)

    def page_take_back(self, who, tag, condition, all_accessories: bool):
        # Ticked (the default): everything lent with it came back; else the loan records
        # every accessory as missing, for staff to follow up.
        try:
            return operations.take_back(
                self, who, tag, condition, accessories=None if all_accessories else []
            )
        except (LoanNotActive, NotFound, InvalidInput, Denied):
            raise FormErrors.refused("return_asset_tag", NOT_LENT_HERE) from None
