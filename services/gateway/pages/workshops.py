"""Reserving equipment for a workshop: a number of devices of one kind, a kit, or
devices by their numbers, once or every week until a date. A refusal offers the
booking's alternatives (another site at the same time, a later time at the same
site; for a series, only the weeks that can be met) as choices. Through the same
operations as the API's /api/reservations and /api/reservation-series; what is
reserved is then shown, and handled, by the reservation pages (reservations.py)."""

import re
from datetime import date

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
RESERVE_FIELDS = (
    "reserve_what",
    "category_id",
    "quantity",
    "reserve_kit",
    "reserve_asset_tags",
    "site",
    "date",
    "starts",
    "ends",
    "reserve_until",
    "note",
)
# The booking's fields → the form's.
BOOKING_FIELDS = {
    "starts_at": "starts",
    "ends_at": "ends",
    "category_id": "category_id",
    "quantity": "quantity",
    "site": "site",
    "note": "note",
    "kit": "reserve_kit",
    "asset_tags": "reserve_asset_tags",
    "until": "reserve_until",
}
# What can be reserved, and the field that says which.
KINDS = {"category": "category_id", "kit": "reserve_kit", "items": "reserve_asset_tags"}
SEPARATORS = re.compile(r"[\s,;]+")


def reserve_wanted(form) -> tuple[dict, str | None]:
    """The reserve form → (the booking's reserve payload, the last day of a weekly
    series or None), or FormErrors naming every field at fault."""
    kind = forms.text(form, "reserve_what") or "category"
    if kind not in KINDS:
        raise FormErrors("reserve_what")
    sent = {name: form.get(name) for name in form.keys()}
    if kind != "category":  # the window is read as for a category, which is then dropped
        sent.update(category_id="0", quantity="1")
    wrong, wanted = [], {}
    try:
        wanted = forms.reservation_request(sent)
    except FormErrors as refused:
        wrong += list(refused.errors)
    if kind != "category":
        wanted.pop("category_id", None)
        wanted.pop("quantity", None)
    if kind == "kit":
        kit = forms.text(form, "reserve_kit")
        if not 1 <= len(kit) <= 40:
            wrong.append("reserve_kit")
        wanted["kit"] = kit
    if kind == "items":
        tags = sorted(set(SEPARATORS.split(forms.text(form, "reserve_asset_tags").upper())) - {""})
        if not 1 <= len(tags) <= 200 or not all(forms.ASSET_TAG.match(tag) for tag in tags):
            wrong.append("reserve_asset_tags")
        wanted["asset_tags"] = tags
    until = forms.text(form, "reserve_until") or None
    if until:
        try:
            first = date.fromisoformat(forms.text(form, "date"))
            if date.fromisoformat(until) < first:
                wrong.append("reserve_until")
        except ValueError:
            wrong.append("reserve_until")
    if wrong:
        raise FormErrors(*dict.fromkeys(wrong))
    return wanted, until


class WorkshopReservations:
    def page_reserve(self, request, who, status=200, errors=None, refusal=None, reservation=None):
        language = i18n.negotiate(request)
        categories = [
            (c["id"], i18n.category_name(c, language)) for c in operations.categories(self)
        ]
        sites = [(s["code"], s["name"]) for s in operations.sites(self)]
        kits = [
            (k["code"], f"{k['name']} ({len(k['asset_tags'])})") for k in operations.kits(self, who)
        ]
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
            kits=kits,
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
        elif refused is not None and "unmet" in refused.extra:
            refusal = self.page_reserve_weeks(request, **refused.extra["unmet"])
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
        wanted, until = {}, None
        try:
            wanted, until = reserve_wanted(request.form)
            wanted.update(forms.chosen_alternative(request.form))
            if until:
                series = operations.reserve_weekly(
                    self,
                    who,
                    {
                        **wanted,
                        "until": until,
                        "skip_unavailable": forms.text(request.form, "choice") == "skip",
                    },
                )
                first = series["reservations"][0]["id"]
                return redirect(f"/reservations/{first}?done=series", 303)
            reservation = operations.reserve(self, who, wanted)
        except FormErrors as refused:
            return self.page_refused(request, who, "/reserve", refused.errors, keep=RESERVE_FIELDS)
        except InvalidInput as refused:
            kind = forms.text(request.form, "reserve_what") or "category"
            errors = forms.booking_errors(refused.fields, BOOKING_FIELDS)
            return self.page_refused(
                request,
                who,
                "/reserve",
                errors or forms.errors_for([KINDS.get(kind, "category_id")]),
                keep=RESERVE_FIELDS,
            )
        except NotAvailable as refused:
            # What the booking offers waits with the form, to be offered on the GET page
            # in whatever language it is then read.
            if "unavailable" in refused.details:  # a series: the weeks that cannot be met
                unmet = {
                    "unmet": refused.details["unavailable"],
                    "starts_at": wanted["starts_at"],
                    "until": until,
                }
                return self.page_refused(
                    request, who, "/reserve", {}, keep=RESERVE_FIELDS, unmet=unmet
                )
            return self.page_refused(
                request,
                who,
                "/reserve",
                {},
                keep=RESERVE_FIELDS,
                offered={"alternatives": refused.details.get("alternatives") or {}},
                site=wanted["site"],
            )
        return redirect(f"/reservations/{reservation['id']}?done=reserved", 303)

    def page_reserve_weeks(self, request, unmet: list, starts_at: str, until: str) -> dict:
        """A refused series: the weeks that cannot be met, and the choice of booking
        the others (when there are others)."""
        writer = i18n.writer(i18n.negotiate(request))
        first = date.fromisoformat(starts_at[:10])
        weeks = (date.fromisoformat(until) - first).days // 7 + 1
        choices = [("skip", self.page_text(request, N_("Réserver seulement les autres semaines")))]
        return {
            "weeks": [writer.day(week["date"]) for week in unmet],
            "choices": choices if len(unmet) < weeks else [],
        }

    def page_alternatives(self, request, details: dict, site: str) -> list[tuple[str, str]]:
        """The booking's alternatives as choices: (the value sent back, what it says)."""
        names = {s["code"]: s["name"] for s in operations.sites(self)}
        writer = i18n.writer(i18n.negotiate(request))
        ngettext = i18n.translations(i18n.negotiate(request)).ngettext  # "1 libre", "2 libres"
        offered = details.get("alternatives") or {}
        choices = []
        for other in offered.get("other_sites") or []:
            choices.append(
                (
                    f"site:{other['site']}",
                    ngettext(
                        "%(site)s, au même moment (%(free)s libre)",
                        "%(site)s, au même moment (%(free)s libres)",
                        int(other["free"]),
                    )
                    % {"site": names.get(other["site"], other["site"]), "free": other["free"]},
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
