"""What a partner lets the others reserve: its staff see their partner's sharing rules
and set one, for every kind of device or for one kind, through the operations that
decide as /api/sharing-rules does (its own staff only, always for their own partner).

A partner without a rule shares everything, with no limit; a rule for one kind of
device comes before the rule for all of them (the booking's domain.rule_for).
"""

from werkzeug.utils import redirect

from partanum.errors import InvalidInput
from services.gateway import operations
from services.gateway.authz import STAFF
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

SHARING_FIELDS = ("sharing_category", "sharing_shared", "sharing_max")
EVERY_KIND = "all"  # the form's value for the rule of every kind of device
SHARED = {"yes": True, "no": False}
SHARING_MAX = 200  # as many devices as one reservation may ask for
SHARING_SAVED = N_("La règle de partage est enregistrée.")


def sharing_rule_from(form, category_ids) -> dict:
    """The form as typed → the API's rule, or FormErrors naming each field at fault."""
    kind = forms.text(form, "sharing_category")
    shared = forms.text(form, "sharing_shared")
    cap = forms.text(form, "sharing_max")
    wrong = []
    if kind != EVERY_KIND and not (kind.isdigit() and int(kind) in category_ids):
        wrong.append("sharing_category")
    if shared not in SHARED:
        wrong.append("sharing_shared")
    if cap and not (cap.isdigit() and 1 <= int(cap) <= SHARING_MAX):
        wrong.append("sharing_max")
    if wrong:
        raise FormErrors(*wrong)
    return {
        "category_id": None if kind == EVERY_KIND else int(kind),
        "shared": SHARED[shared],
        "max_per_reservation": int(cap) if cap else None,
    }


class SharingPages:
    def page_sharing_categories(self, request) -> dict[int, str]:
        language = i18n.negotiate(request)
        return {
            category["id"]: i18n.category_name(category, language)
            for category in operations.categories(self)
        }

    @page("GET", "/sharing")
    def page_sharing(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        names = self.page_sharing_categories(request)
        every = self.page_text(request, N_("Tous les types d'appareils"))
        rules = [
            {
                **rule,
                "kind": every if rule["category_id"] is None else names.get(rule["category_id"]),
            }
            for rule in operations.own_sharing_rules(self, who)
        ]
        choices = [(EVERY_KIND, every)] + sorted(
            ((str(category_id), name) for category_id, name in names.items()),
            key=lambda choice: choice[1],
        )
        said = [self.page_text(request, SHARING_SAVED)] if request.args.get("done") else []
        return self.page_render(
            request,
            who,
            "sharing.html",
            N_("Partage avec les autres structures"),
            notices=said,
            rules=rules,
            kinds=choices,
            answers=[
                (
                    "yes",
                    self.page_text(request, N_("Oui, les autres structures peuvent les réserver")),
                ),
                ("no", self.page_text(request, N_("Non, nous les gardons pour nous"))),
            ],
        )

    @page("POST", "/sharing")
    def page_sharing_set(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            rule = sharing_rule_from(request.form, set(self.page_sharing_categories(request)))
            try:
                operations.set_own_sharing_rule(self, who, rule)
            except InvalidInput as refused:
                names = {
                    "category_id": "sharing_category",
                    "shared": "sharing_shared",
                    "max_per_reservation": "sharing_max",
                }
                wrong = [names.get(str(field), "sharing_max") for field in refused.fields]
                raise FormErrors(*dict.fromkeys(wrong or ["sharing_max"])) from None
        except FormErrors as refused:
            return self.page_refused(request, who, "/sharing", refused.errors, keep=SHARING_FIELDS)
        return redirect("/sharing?done=1", 303)
