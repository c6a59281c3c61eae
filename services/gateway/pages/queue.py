"""The desk's queue: on one page, what a partner's front desk has to do today.

Its late loans, the devices kept for residents in line, its waiting lists, the
residents to call (each with a "done" button), its other notices and the messages
that did not reach its residents. Read through the same operations as the API's
lists (/api/loans?overdue=true, /api/waiting-entries, /api/partners/…/notices,
/api/delivery-log); residents are named only where the API shows their name.
"""

from datetime import UTC, datetime, timedelta

from werkzeug.utils import redirect

from partanum.errors import NotFound
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

# Messages that did not reach a resident are shown this long after they failed.
UNDELIVERED_SINCE = timedelta(days=30)
# The desk's tasks: call a resident.
CALLS = ("call_resident", "call_to_tell")
# Said by "messages not delivered" from the delivery log itself.
UNDELIVERABLE = "undeliverable"

QUEUE_DONE = N_("C'est noté : cette tâche est faite.")
# What each message to a resident was for.
QUEUE_PURPOSES = {
    "pickup_ready": N_("l'appareil est prêt à retirer"),
    "hold_offered": N_("un appareil est gardé pour lui"),
    "loan_confirmed": N_("la confirmation du prêt"),
    "due_soon": N_("le rappel de la date de retour"),
    "overdue": N_("le prêt est en retard"),
    "return_confirmed": N_("le retour est bien noté"),
    "sign_in_code": N_("un code de connexion"),
}
# The desk's other notices, about one of its reservations.
QUEUE_NOTICES = {
    "reservation_confirmed": N_("La réservation n° %(number)s est confirmée."),
    "reservation_changed": N_("La réservation n° %(number)s a changé."),
    "reservation_cancelled": N_("La réservation n° %(number)s est annulée."),
    "item_withdrawn": N_("Un appareil de la réservation n° %(number)s est retiré."),
    # a resident's own pages: their request to be erased
    "erasure_requested": N_(
        "Un habitant demande d'effacer ses données. Sa fiche : habitant n° %(resident)s."
    ),
}
QUEUE_NOTICE = N_("Un message pour l'accueil.")


class DeskQueue:
    @page("GET", "/queue")
    def page_queue(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        now = datetime.now(UTC)
        people: dict = {}

        def person(resident_id) -> dict:
            """The resident's name (and phone) where the desk may see them."""
            if resident_id not in people:
                seen = operations.resident_seen(self, who, resident_id) or {}
                people[resident_id] = {
                    "id": resident_id,
                    "name": seen.get("display_name"),
                    "phone": seen.get("phone") if seen.get("view") == "full" else None,
                }
            return people[resident_id]

        sites = {site["id"]: site["name"] for site in operations.own_sites(self, who)}
        language = i18n.negotiate(request)
        categories = {c["id"]: i18n.category_name(c, language) for c in operations.categories(self)}
        late = [
            {
                **loan,
                "resident": person(loan["resident_id"]),
                "days_late": max((now - datetime.fromisoformat(loan["due_at"])).days, 1),
            }
            for loan in operations.overdue_loans(self, who)
        ]
        held, waiting = (
            [
                {
                    **entry,
                    "resident": person(entry["resident_id"]),
                    "category": categories.get(entry["category_id"], "?"),
                    "site": sites.get(entry["site_id"], "?"),
                }
                for entry in operations.desk_waiting_entries(self, who, status)
            ]
            for status in ("held", "waiting")
        )
        notices = operations.desk_notices(self, who)
        calls = [
            self.page_queue_call(request, notice, person(notice["resident_id"]))
            for notice in notices
            if notice["kind"] in CALLS
        ]
        others = [
            {
                "id": notice["id"],
                "created_at": notice["created_at"],
                "text": self.page_text(
                    request,
                    QUEUE_NOTICES.get(notice["kind"], QUEUE_NOTICE),
                    number=notice["reservation_id"] or "?",
                    resident=notice["resident_id"] or "?",  # an erasure request's resident
                ),
            }
            for notice in notices
            if notice["kind"] not in CALLS and notice["kind"] != UNDELIVERABLE
        ]
        undelivered = [
            {
                **message,
                "resident": person(message["resident_id"]),
                "what": self.page_text(
                    request, QUEUE_PURPOSES.get(message["purpose"], QUEUE_NOTICE)
                ),
            }
            for message in operations.undelivered_messages(self, who, now - UNDELIVERED_SINCE)
        ]
        said = [self.page_text(request, QUEUE_DONE)] if request.args.get("done") else []
        return self.page_render(
            request,
            who,
            "queue_page.html",
            N_("À faire"),
            notices=said,
            late=late,
            held=held,
            waiting=waiting,
            calls=calls,
            desk_notices=others,
            undelivered=undelivered,
        )

    def page_queue_call(self, request, notice, resident) -> dict:
        """A resident to call, and what to tell them."""
        context = notice.get("context") or {}
        if notice["kind"] == "call_resident":
            why = self.page_text(
                request, N_("Son prêt n° %(number)s est en retard."), number=notice["loan_id"]
            )
        else:
            what = QUEUE_PURPOSES.get(context.get("tell"), QUEUE_NOTICE)
            why = self.page_text(
                request,
                N_("Il ne reçoit pas de messages. Dites-lui : %(what)s."),
                what=self.page_text(request, what),
            )
        return {"id": notice["id"], "resident": resident, "why": why}

    @page("POST", "/queue/notices/<int:notice_id>/done")
    def page_queue_done(self, request, who, notice_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            operations.mark_notice_done(self, who, notice_id)
        except (NotFound, Denied):
            return self.page_not_found(request, who)  # another desk's: as if it did not exist
        return redirect(f"/queue?done={notice_id}", 303)
