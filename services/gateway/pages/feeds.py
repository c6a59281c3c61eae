"""Calendar subscriptions: each member of staff makes secret addresses for the calendar
applications they use (calendar_feeds.py), sees each one once, and revokes them.

The addresses answer the same calendars as the API's .ics routes, through the same
operations, with the rights of the account that made them: the partner's
reservations, and each of its desks' day. Like those, they never name a resident.
"""

from werkzeug.utils import redirect

from partanum import inputs
from services.gateway import calendar_feeds, ical, operations
from services.gateway.authz import STAFF, require
from services.gateway.pages import forms
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_
from services.gateway.routing import ANYONE, now, route

# The secret of an address just made travels to the next page in this cookie, for
# that page only (post/redirect/get): "<feed id>:<secret>".
FEEDS_JUST_MADE = "feed_made"
FEEDS_REVOKED = N_("L'adresse est supprimée : les agendas qui l'utilisent ne reçoivent plus rien.")


class CalendarFeeds:
    def page_feeds(self, request, who, status=200, errors=None):
        with self.db.transaction() as tx:
            feeds = [
                {
                    "id": feed.id,
                    "name": feed.name,
                    "created_at": feed.created_at.isoformat(),
                    "last_used_at": feed.last_used_at.isoformat() if feed.last_used_at else None,
                }
                for feed in calendar_feeds.of_account(tx.session, who.account_id)
            ]
        made = self.page_feeds_just_made(request, who, feeds)
        said = [self.page_text(request, FEEDS_REVOKED)] if request.args.get("revoked") else []
        response = self.page_render(
            request,
            who,
            "feeds_page.html",
            N_("Agendas"),
            status=status,
            errors=errors,
            notices=said,
            feeds=feeds,
            made=made,
        )
        if FEEDS_JUST_MADE in request.cookies:  # shown once: gone on the next visit
            response.delete_cookie(FEEDS_JUST_MADE, path="/feeds")
        return response

    def page_feeds_just_made(self, request, who, feeds) -> dict | None:
        """The addresses of the feed just made, from its one-time cookie."""
        feed_id, _, secret = request.cookies.get(FEEDS_JUST_MADE, "").partition(":")
        feed = next((feed for feed in feeds if str(feed["id"]) == feed_id), None)
        if feed is None or not secret:
            return None
        base = f"{request.host_url}feeds/{secret}"
        addresses = [
            (
                self.page_text(request, N_("Les réservations de votre structure")),
                f"{base}/partners/{who.partner_id}/reservations.ics",
            )
        ]
        addresses += [
            (
                self.page_text(request, N_("L'accueil de %(site)s"), site=site["name"]),
                f"{base}/sites/{site['code']}/desk.ics",
            )
            for site in operations.own_sites(self, who)
        ]
        return {"name": feed["name"], "addresses": addresses}

    @page("GET", "/feeds")
    def page_feeds_list(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return self.page_feeds(request, who)

    @page("POST", "/feeds")
    def page_feeds_create(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        name = forms.text(request.form, "feed_name")
        if not name or len(name) > calendar_feeds.MAX_NAME or inputs.unstorable(name):
            return self.page_feeds(request, who, status=400, errors=FormErrors("feed_name").errors)
        with self.db.transaction() as tx:
            secret, feed = calendar_feeds.create(tx.session, who.account_id, name, now())
            feed_id = feed.id
            tx.commit()
        response = redirect("/feeds", 303)
        response.set_cookie(
            FEEDS_JUST_MADE,
            f"{feed_id}:{secret}",
            max_age=600,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path="/feeds",
        )
        return response

    @page("POST", "/feeds/<int:feed_id>/revoke")
    def page_feeds_revoke(self, request, who, feed_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        with self.db.transaction() as tx:
            revoked = calendar_feeds.revoke(tx.session, who.account_id, feed_id, now())
            tx.commit()
        if not revoked:  # someone else's, or gone: as if it never existed
            return self.page_not_found(request, who)
        return redirect("/feeds?revoked=1", 303)

    # --- the addresses calendar applications fetch, without any header ----------------------

    def page_feeds_principal(self, secret):
        """Who made the address, or 404 (unknown, revoked, account disabled)."""
        with self.db.transaction() as tx:
            maker = calendar_feeds.principal_for(tx.session, secret, now())
            tx.commit()
        require(maker is not None)
        self.call_context.act_as(maker.actor)
        return maker

    @route(
        "GET",
        "/feeds/<secret>/partners/<int:partner_id>/reservations.ics",
        allow=(ANYONE,),
        produces=("text/calendar",),
        summary="A partner's reservations, at a secret address made on the /feeds page",
        tag="calendars",
    )
    def page_feeds_partner_calendar(self, request, who, secret, partner_id):
        """For calendar applications, which send no Authorization header: the secret in
        the address stands for the account that made it (404 once revoked)."""
        body = operations.partner_calendar(self, self.page_feeds_principal(secret), partner_id)
        return ical.ics_response(body, f"reservations-{partner_id}.ics")

    @route(
        "GET",
        "/feeds/<secret>/sites/<site_code>/desk.ics",
        allow=(ANYONE,),
        produces=("text/calendar",),
        summary="A desk's day, at a secret address made on the /feeds page",
        tag="calendars",
    )
    def page_feeds_desk_calendar(self, request, who, secret, site_code):
        """As the partner's reservations: the secret stands for the account that made it."""
        body = operations.desk_calendar(self, self.page_feeds_principal(secret), site_code)
        return ical.ics_response(body, f"desk-{site_code}.ics")
