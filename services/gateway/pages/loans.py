"""A resident's loans: what they hold, when and where to bring it back, and a button
to keep it longer."""

from datetime import UTC, datetime

from werkzeug.utils import redirect

from partanum.errors import Conflict, NotFound
from services.gateway import operations
from services.gateway.authz import RESIDENT, Denied
from services.gateway.pages import forms
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

RENEWED = N_(
    "C'est noté : vous pouvez garder l'appareil plus longtemps. La nouvelle date est ci-dessous."
)
NOT_RENEWED = N_(
    "Impossible de garder cet appareil plus longtemps : quelqu'un l'attend, "
    "ou il a déjà été prolongé. Rapportez-le à la date prévue."
)


class ResidentLoans:
    @page("GET", "/my-loans")
    def page_my_loans(self, request, who):
        if who.role != RESIDENT:
            return self.page_sign_in_first(request, who, "/resident/sign-in")
        loans = operations.active_loans_of(self, who, who.resident_id)
        sites = {site["id"]: site for site in operations.sites(self)}
        now = datetime.now(UTC)
        for loan in loans:
            loan["site"] = sites.get(loan["return_site_id"] or loan["site_id"], {})
            loan["late"] = datetime.fromisoformat(loan["due_at"]) < now
        notices = [
            self.page_text(request, message)
            for asked, message in (("renewed", RENEWED), ("refused", NOT_RENEWED))
            if request.args.get(asked)
        ]
        return self.page_render(
            request, who, "my_loans.html", N_("Mes prêts"), loans=loans, notices=notices
        )

    @page("POST", "/my-loans/<int:loan_id>/renew")
    def page_renew_loan(self, request, who, loan_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != RESIDENT:
            return self.page_sign_in_first(request, who, "/resident/sign-in")
        try:
            operations.renew_loan(self, who, loan_id)
        except (NotFound, Denied):
            return self.page_not_found(request, who)  # as if someone else's did not exist
        except Conflict:  # someone waits for it, too many renewals, no return day ahead…
            return redirect(f"/my-loans?refused={loan_id}", 303)
        return redirect(f"/my-loans?renewed={loan_id}", 303)
