"""Reserving equipment for a workshop; a refusal offers the booking's alternatives
(another site at the same time, a later time at the same site) as choices. Through
the same operations as the API's /api/reservations."""

from werkzeug.utils import redirect

from partanum.errors import InvalidInput, NotFound
from services.booking.exceptions import NotAvailable
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

# What a refused form shows again as it was typed.
RESERVE_FIELDS = ("category_id", "quantity", "site", "date", "starts", "ends", "note")
# The booking's fields → the form's.
BOOKING_FIELDS = {
    "starts_at": "starts",
    "ends_at": "ends",
    "category_id": "category_id",
    "quantity": "quantity",
    "site": "site",
    "note": "note",
}


class WorkshopReservations:
    def page_reserve(self, request, who, status=200, errors=None, refusal=None, reservation=None):
        categories = [(c["id"], c["name"]) for c in operations.categories(self)]
        sites = [(s["code"], s["name"]) for s in operations.sites(self)]
        own = operations.own_sites(self, who)
        return self.page_render(
            request,
            who,
            "reserve.html",
            N_("Réserver pour un atelier"),
            status=status,
            errors=errors,
            refusal=refusal,
            reservation=reservation,
            categories=categories,
            sites=sites,
            # The desk's own site, chosen until another is.
            own_site=own[0]["code"] if own else "",
        )

    @page("GET", "/reserve")
    def page_reserve_form(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        reservation, refusal = None, None
        refused = self.page_refusal(request, who)
        if refused is not None and "offered" in refused.extra:
            choices = self.page_alternatives(
                request, refused.extra["offered"], refused.extra.get("site", "")
            )
            refusal = {"choices": choices}
        if request.args.get("reservation", "").isdigit():
            try:
                reservation = operations.reservation(self, who, int(request.args["reservation"]))
            except (NotFound, Denied):
                pass  # another partner's: nothing to say about it
            if reservation:
                names = {s["id"]: s["name"] for s in operations.sites(self)}
                reservation["site"] = names.get(reservation["site_id"], "?")
        return self.page_reserve(request, who, refusal=refusal, reservation=reservation)

    @page("POST", "/reserve")
    def page_reserve_submit(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            wanted = forms.reservation_request(request.form)
            wanted.update(forms.chosen_alternative(request.form))
            reservation = operations.reserve(self, who, wanted)
        except FormErrors as refused:
            return self.page_refused(request, who, "/reserve", refused.errors, keep=RESERVE_FIELDS)
        except InvalidInput as refused:
            errors = forms.booking_errors(refused.fields, BOOKING_FIELDS)
            return self.page_refused(
                request,
                who,
                "/reserve",
                errors or forms.errors_for(["category_id"]),
                keep=RESERVE_FIELDS,
            )
        except NotAvailable as refused:
            # The alternatives wait with the form, to be offered on the GET page.
            offered = {"alternatives": refused.details.get("alternatives") or {}}
            return self.page_refused(
                request,
                who,
                "/reserve",
                {},
                keep=RESERVE_FIELDS,
                offered=offered,
                site=wanted["site"],
            )
        return redirect(f"/reserve?reservation={reservation['id']}", 303)

    def page_alternatives(self, request, details: dict, site: str) -> list[tuple[str, str]]:
        """The booking's alternatives as choices: (the value sent back, what it says)."""
        names = {s["code"]: s["name"] for s in operations.sites(self)}
        writer = i18n.writer(i18n.negotiate(request))
        offered = details.get("alternatives") or {}
        choices = []
        for other in offered.get("other_sites") or []:
            choices.append(
                (
                    f"site:{other['site']}",
                    self.page_text(
                        request,
                        N_("%(site)s, au même moment (%(free)s libres)"),
                        site=names.get(other["site"], other["site"]),
                        free=other["free"],
                    ),
                )
            )
        for window in offered.get("other_windows") or []:
            choices.append(
                (
                    f"window:{window['starts_at']}/{window['ends_at']}",
                    self.page_text(
                        request,
                        N_("%(day)s, de %(start)s à %(end)s, à %(site)s"),
                        day=writer.day(window["starts_at"]),
                        start=writer.clock(window["starts_at"]),
                        end=writer.clock(window["ends_at"]),
                        site=names.get(site, site),
                    ),
                )
            )
        return choices
