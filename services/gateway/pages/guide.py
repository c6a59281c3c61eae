"""The public guide: where in the neighbourhood one can borrow a device or get help
with online procedures, for anyone, signed in or not (`/`), with the way in for
residents and for staff beside it; how borrowing works (`/help`); the same guide
as a one-page poster for the front desks (`/guide/poster.pdf`); and the pages where
each partner's staff keep the help they offer (`/help-offers`).

The guide reads the network through operations anyone may call: the sites (their
address, hours and closures ahead), and per site and kind of device how many are
lent there and how many are free today, as counts only. The help on offer lives in
the gateway's own table (help_offers.py), kept by each partner for its own sites.
"""

from datetime import date, timedelta

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.i18n import DEFAULT_TIME_ZONE, LANGUAGES, WEEKDAYS
from services.gateway import help_offers, operations
from services.gateway.authz import STAFF
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_
from services.gateway.routing import now

# Closures shown ahead of today.
GUIDE_CLOSURES_AHEAD = timedelta(days=90)
# The kinds of devices, said in the reader's words (else the inventory's French name).
GUIDE_KINDS = {
    "laptop": N_("Ordinateur portable"),
    "tablet": N_("Tablette"),
    "smartphone": N_("Téléphone"),
    "hotspot": N_("Boîtier internet 4G"),
    "projector": N_("Vidéoprojecteur"),
    "webcam": N_("Caméra pour ordinateur"),
    "headset": N_("Casque avec micro"),
}
# The poster is printed in every language of the pages.
GUIDE_POSTER_LANGUAGES = LANGUAGES
GUIDE_HOURS_FIELDS = tuple(f"help_{day}" for day in WEEKDAYS)
GUIDE_OFFER_FIELDS = ("help_site", "help_what", *GUIDE_HOURS_FIELDS)
GUIDE_SAVED = N_("C'est enregistré : le guide montre cette aide.")
GUIDE_REMOVED = N_("L'aide est retirée du guide.")


class GuidePages:
    # --- the guide, for everyone -------------------------------------------------------------

    def page_guide_home(self, request, who):
        """`/`: the guide, to everyone (signed-in people reach their pages from the menu)."""
        language = i18n.negotiate(request)
        return self.page_render(
            request,
            who,
            "guide_home.html",
            N_("Emprunter un appareil, trouver de l'aide"),
            places=self.page_guide_places(language),
            poster_languages=GUIDE_POSTER_LANGUAGES,
        )

    def page_guide_places(self, language: str) -> list[dict]:
        """Each site: its address, hours, closures ahead, devices and help on offer."""
        written = i18n.writer(language)
        gettext = i18n.translations(language).gettext
        moment = now()
        today = moment.astimezone(DEFAULT_TIME_ZONE).date()
        devices = operations.devices_free_today(self, moment, DEFAULT_TIME_ZONE)
        names = {category["code"]: category["name"] for category in operations.categories(self)}
        with self.db.transaction() as tx:
            offers = [
                (offer.site_code, offer.what, offer.hours)
                for offer in help_offers.all_offers(tx.session)
            ]
        places = []
        for site in operations.sites(self):
            closures = [
                closure
                for closure in site.get("closures") or []
                if date.fromisoformat(closure["ends_on"]) >= today
                and date.fromisoformat(closure["starts_on"]) <= today + GUIDE_CLOSURES_AHEAD
            ]
            closed_today = any(
                date.fromisoformat(c["starts_on"]) <= today <= date.fromisoformat(c["ends_on"])
                for c in closures
            ) or not (site.get("opening_hours") or {}).get(WEEKDAYS[today.weekday()])
            kinds = devices.get(site["code"], {})
            places.append(
                {
                    "code": site["code"],
                    "name": site["name"],
                    "address": site.get("address") or "",
                    "hours": written.hours(site.get("opening_hours")),
                    "closures": sorted(
                        (
                            (
                                written.day(c["starts_on"]),
                                written.day(c["ends_on"]),
                                c.get("reason") or "",
                            )
                            for c in closures
                        ),
                    ),
                    "closed_today": closed_today,
                    "kinds": [
                        (
                            gettext(GUIDE_KINDS[code]) if code in GUIDE_KINDS else names[code],
                            count["free"],
                        )
                        for code, count in sorted(kinds.items())
                        if code in names
                    ],
                    "help": [
                        (what, written.hours(hours))
                        for code, what, hours in offers
                        if code == site["code"]
                    ],
                }
            )
        return places

    @page("GET", "/help")
    def page_guide_help(self, request, who):
        return self.page_render(request, who, "guide_help.html", N_("Questions et réponses"))

    @page("GET", "/guide/poster.pdf")
    def page_guide_poster(self, request, who):
        language = i18n.known(request.args.get("lang")) or i18n.negotiate(request)
        if language not in GUIDE_POSTER_LANGUAGES:
            return self.page_not_found(request, who)
        from services.gateway.pages import guide_poster

        body = guide_poster.poster(self.page_guide_places(language), language)
        return Response(
            body,
            content_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="partanum-guide-{language}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    # --- the help each partner offers, kept by its staff ----------------------------------

    def page_guide_offers(
        self, request, who, editing=None, offer_values=None, status=200, errors=None
    ):
        sites = [(site["code"], site["name"]) for site in operations.own_sites(self, who)]
        names = dict(sites)
        language = i18n.negotiate(request)
        written = i18n.writer(language)
        with self.db.transaction() as tx:
            offers = [
                {
                    "id": offer.id,
                    "site": names.get(offer.site_code, offer.site_code),
                    "what": offer.what,
                    "hours": written.hours(offer.hours),
                }
                for offer in help_offers.of_partner(tx.session, who.partner_id)
            ]
        said = []
        for flag, message in (("saved", GUIDE_SAVED), ("removed", GUIDE_REMOVED)):
            if request.args.get(flag):
                said.append(self.page_text(request, message))
        return self.page_render(
            request,
            who,
            "guide_offers.html",
            N_("Modifier l'aide proposée") if editing else N_("Aide proposée"),
            status=status,
            errors=errors,
            notices=said,
            offers=offers,
            sites=sites,
            days=GUIDE_HOURS_FIELDS,
            editing=editing,
            offer_values=offer_values or {},
        )

    def page_guide_offer_values(self, offer) -> dict:
        values = {"help_site": offer.site_code, "help_what": offer.what}
        for day in WEEKDAYS:
            values[f"help_{day}"] = help_offers.written_slots(offer.hours.get(day))
        return values

    @page("GET", "/help-offers")
    def page_guide_offers_list(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return self.page_guide_offers(request, who)

    @page("GET", "/help-offers/<int:offer_id>")
    def page_guide_offer_edit(self, request, who, offer_id):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        with self.db.transaction() as tx:
            offer = help_offers.one_of_partner(tx.session, who.partner_id, offer_id)
            if offer is None:  # another partner's, or gone: as if it never existed
                return self.page_not_found(request, who)
            values = self.page_guide_offer_values(offer)
        return self.page_guide_offers(request, who, editing=offer_id, offer_values=values)

    @page("POST", "/help-offers")
    def page_guide_offer_add(self, request, who):
        return self.page_guide_offer_save(request, who, None)

    @page("POST", "/help-offers/<int:offer_id>")
    def page_guide_offer_change(self, request, who, offer_id):
        return self.page_guide_offer_save(request, who, offer_id)

    def page_guide_offer_save(self, request, who, offer_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        own = {site["code"] for site in operations.own_sites(self, who)}
        with self.db.transaction() as tx:
            offer = None
            if offer_id is not None:
                offer = help_offers.one_of_partner(tx.session, who.partner_id, offer_id)
                if offer is None:
                    return self.page_not_found(request, who)
            wrong, hours = [], {}
            site = forms.text(request.form, "help_site")
            if site not in own:
                wrong.append("help_site")
            what = help_offers.read_what(request.form.get("help_what", ""))
            if what is None:
                wrong.append("help_what")
            for weekday in WEEKDAYS:
                slots = help_offers.read_slots(forms.text(request.form, f"help_{weekday}"))
                if slots is None:
                    wrong.append(f"help_{weekday}")
                elif slots:
                    hours[weekday] = slots
            if not wrong and not hours:
                wrong.append("help_monday")
            if wrong:
                back = "/help-offers" if offer_id is None else f"/help-offers/{offer_id}"
                return self.page_refused(
                    request, who, back, FormErrors(*wrong).errors, keep=GUIDE_OFFER_FIELDS
                )
            help_offers.save(tx.session, who.partner_id, site, what, hours, now(), offer)
            tx.commit()
        return redirect("/help-offers?saved=1", 303)

    @page("POST", "/help-offers/<int:offer_id>/remove")
    def page_guide_offer_remove(self, request, who, offer_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        with self.db.transaction() as tx:
            removed = help_offers.remove(tx.session, who.partner_id, offer_id)
            tx.commit()
        if not removed:
            return self.page_not_found(request, who)
        return redirect("/help-offers?removed=1", 303)
