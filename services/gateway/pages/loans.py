"""A resident's loans: what they hold, when and where to bring it back, and a button
to keep it longer."""

from werkzeug.utils import redirect

from partanum.errors import Conflict, NotFound
from services.gateway import operations
from services.gateway.authz import RESIDENT, Denied
from services.gateway.pages import forms
from services.gateway.pages.frame import page


class ResidentLoans:
    @page("GET", "/my-loans")
    def page_my_loans(self, request, who):
        if who.role != RESIDENT:
            return self.page_sign_in_first(request, who, "/resident/sign-in")
        return self.page_mine_home(request, who)  # mine.py: the resident's home

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
