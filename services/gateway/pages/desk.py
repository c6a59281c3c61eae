"""The front desk: lend a device to the holder of a resident's card, take one back.
Through the same operations as the API's /api/loans and /api/check-ins."""

from markupsafe import Markup

from partanum.errors import NotFound
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

NO_SUCH_DEVICE = N_("Aucun appareil n'a ce numéro.")
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
            # The device just lent or taken back shows the shape of this desk's tags as
            # well as any other, and costs no question to the inventory.
            tag_example=done["asset_tag"] if done else operations.tag_example(self, who),
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
        done = {"asset_tag": loan["asset_tag"]}
        if loan["status"] == "active":
            site = sites.get(loan["return_site_id"] or loan["site_id"]) or {}
            return done | {
                "title": Markup.escape(self.page_text(request, N_("%(tag)s est prêté.")))
                % {"tag": tag},
                "due_at": loan["due_at"],
                "site": site.get("name", "?"),
                "loan_id": loan["id"],
                "accessories": loan["accessories_out"] or [],
            }
        if loan["status"] == "lost":
            return done | {
                "title": Markup.escape(self.page_text(request, N_("%(tag)s est déclaré perdu.")))
                % {"tag": tag}
            }
        return done | {
            "title": Markup.escape(self.page_text(request, N_("%(tag)s est rendu. Merci !")))
            % {"tag": tag},
            "missing": loan.get("missing_accessories") or [],
            # Every device taken back is wiped before it is lent again.
            "to_wipe": True,
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
            # Next: the device and its accessories, to tick and confirm (lending.py).
            return self.page_lending_check_out(request, who, tag, card, site)
        except FormErrors as refused:
            return self.page_refused(
                request,
                who,
                "/desk",
                desk_errors(refused),
                keep=("asset_tag", "card_number", "site"),
            )

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
            # Next: the accessories lent with it, each ticked as it comes back (lending.py).
            return self.page_lending_check_in(request, who, tag, condition)
        except FormErrors as refused:
            return self.page_refused(
                request,
                who,
                "/desk",
                desk_errors(refused),
                keep=("return_asset_tag", "condition"),
            )
