"""Reservations for partner staff: the list of a site's reservations from today on,
its week as a calendar (days × hours), one reservation with what can be done to it
(picked up, returned, cancelled, the rest of its series cancelled). Reserving
itself is the form of /reserve (workshops.py), which these pages link to.

A desk that works only with these pages must be able to say "picked up": the
booking releases a reservation nobody picked up 30 minutes after it starts, so
the list offers it on every confirmed reservation, today's first."""

from datetime import date, datetime, time, timedelta

from werkzeug.utils import redirect

from partanum.config import date_horizon_days
from partanum.errors import Conflict, NotFound
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

# What each status says on a page.
STATUSES = {
    "confirmed": N_("confirmée, à remettre"),
    "picked_up": N_("matériel remis, à rendre"),
    "returned": N_("matériel rendu"),
    "cancelled": N_("annulée"),
    "released": N_("libérée : personne n'est venu"),
}
# What was just done (?done=), said once the page shows the reservation again.
DONE = {
    "reserved": N_("Réservation n° %(number)s confirmée."),
    "series": N_("Réservation n° %(number)s confirmée, et les semaines suivantes aussi."),
    "picked-up": N_("Réservation n° %(number)s : le matériel est remis."),
    "returned": N_("Réservation n° %(number)s : le matériel est rendu. Merci !"),
    "cancelled": N_("Réservation n° %(number)s annulée."),
    "series-cancelled": N_(
        "Réservation n° %(number)s et les suivantes de la série annulées (%(count)s en tout)."
    ),
}
REFUSED = N_("Ce n'est plus possible : la réservation a changé entre-temps. Voici son état actuel.")
# The hours a week's calendar shows when the site's own say nothing.
DAY_HOURS = (8, 20)
# How far back a week may be shown (no calendar of year 1). Ahead, the list and the
# weeks go as far as the booking takes dates: its horizon, which it reads in the
# latest time zone (partanum/inputs.py), so a local date that far ahead is always in.
WEEK_DAYS_BACK = 10 * 366


def _local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(forms.TIME_ZONE)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=forms.TIME_ZONE)


class StaffReservations:
    # --- helpers -------------------------------------------------------------------------

    def page_reservations_site(self, request, who) -> tuple[dict, list[dict]]:
        """The site asked for (?site=), or the caller's first desk; and every site.
        A code nobody has is a page that does not exist."""
        sites = operations.sites(self)
        asked = request.args.get("site") or next(
            (site["code"] for site in operations.own_sites(self, who)), None
        )
        site = next((site for site in sites if site["code"] == asked), None)
        if site is None and not request.args.get("site") and sites:
            site = sites[0]  # a partner without a desk of its own (yet)
        if site is None:
            raise NotFound("site", asked)
        return site, sites

    def page_reservations_shown(self, request, reservation: dict, names: dict) -> dict:
        """A reservation with what a page writes of it."""
        return {
            **reservation,
            "site": names.get(reservation["site_id"], "?"),
            "status_text": self.page_text(request, STATUSES.get(reservation["status"], "?")),
            "local_day": _local(reservation["starts_at"]).date(),
        }

    # --- the list --------------------------------------------------------------------------

    @page("GET", "/reservations")
    def page_reservations_list(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        site, sites = self.page_reservations_site(request, who)
        today = datetime.now(forms.TIME_ZONE).date()
        coming = operations.reservations_at(
            self,
            who,
            site["code"],
            ends_after=_midnight(today).isoformat(),
            starts_before=_midnight(today + timedelta(days=date_horizon_days())).isoformat(),
        )
        # Devices handed over and not back yet, even past their end: to be returned.
        out = operations.reservations_at(self, who, site["code"], status="picked_up")
        found = {r["id"]: r for r in out + coming}.values()
        names = {s["id"]: s["name"] for s in sites}
        shown = sorted(
            (self.page_reservations_shown(request, r, names) for r in found),
            key=lambda r: (r["starts_at"], r["id"]),
        )
        return self.page_render(
            request,
            who,
            "reservations_list.html",
            N_("Réservations"),
            site=site,
            sites=[(s["code"], s["name"]) for s in sites],
            today_list=[r for r in shown if r["local_day"] <= today],
            later_list=[r for r in shown if r["local_day"] > today],
            week=today.isoformat(),
        )

    # --- the week ----------------------------------------------------------------------------

    @page("GET", "/reservations/week")
    def page_reservations_week(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        site, sites = self.page_reservations_site(request, who)
        today = datetime.now(forms.TIME_ZONE).date()
        try:
            asked = date.fromisoformat(request.args.get("week", ""))
        except ValueError:
            asked = today
        if not -WEEK_DAYS_BACK <= (asked - today).days <= date_horizon_days() - 7:
            asked = today
        monday = asked - timedelta(days=asked.weekday())
        days = [monday + timedelta(days=n) for n in range(7)]
        found = operations.reservations_at(
            self,
            who,
            site["code"],
            ends_after=_midnight(monday).isoformat(),
            starts_before=_midnight(monday + timedelta(days=7)).isoformat(),
        )
        names = {s["id"]: s["name"] for s in sites}
        shown = [
            self.page_reservations_shown(request, r, names)
            for r in found
            if r["status"] not in ("cancelled", "released")
        ]
        hours = self.page_reservations_hours(site)
        writer = i18n.writer(i18n.negotiate(request))
        return self.page_render(
            request,
            who,
            "reservations_week.html",
            N_("Semaine des réservations"),
            site=site,
            sites=[(s["code"], s["name"]) for s in sites],
            days=days,
            hour_rows=[
                (f"{hour:02}:00", self.page_reservations_grid(shown, days, hour, hours))
                for hour in hours
            ],
            by_day=[[r for r in shown if self.page_reservations_on(r, day)] for day in days],
            previous_week=(monday - timedelta(days=7)).isoformat(),
            next_week=(monday + timedelta(days=7)).isoformat(),
            this_week=today.isoformat(),
            first_day=writer.day(days[0]),
            last_day=writer.day(days[-1]),
        )

    def page_reservations_hours(self, site) -> list[int]:
        """The hours the site opens in a week (each hour a row), or 8:00–20:00."""
        spans = [span for day in (site.get("opening_hours") or {}).values() for span in day or []]
        if not spans:
            return list(range(*DAY_HOURS))
        first = min(int(opens[:2]) for opens, _closes in spans)
        last = max(int(closes[:2]) + (closes[3:5] != "00") for _opens, closes in spans)
        return list(range(first, max(last, first + 1)))

    @staticmethod
    def page_reservations_on(reservation, day: date) -> bool:
        start, end = _local(reservation["starts_at"]), _local(reservation["ends_at"])
        return start < _midnight(day + timedelta(days=1)) and end > _midnight(day)

    def page_reservations_grid(self, shown, days, hour, hours) -> list[list[tuple[dict, bool]]]:
        """For each day, the reservations in that hour's cell: (reservation, starts here).
        One starting before the first row starts in the first row."""
        cells = []
        for day in days:
            top = datetime.combine(day, time(hour), tzinfo=forms.TIME_ZONE)
            first_row = datetime.combine(day, time(hours[0]), tzinfo=forms.TIME_ZONE)
            cell = []
            for reservation in shown:
                start, end = _local(reservation["starts_at"]), _local(reservation["ends_at"])
                if not (start < top + timedelta(hours=1) and end > top):
                    continue
                begins = max(start, first_row, _midnight(day))
                cell.append((reservation, top <= begins < top + timedelta(hours=1)))
            cells.append(cell)
        return cells

    # --- one reservation and what is done to it -----------------------------------------------

    @page("GET", "/reservations/<int:reservation_id>")
    def page_reservations_one(self, request, who, reservation_id):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        found = operations.reservation(self, who, reservation_id)
        names = {s["id"]: s["name"] for s in operations.sites(self)}
        codes = {s["id"]: s["code"] for s in operations.sites(self)}
        done, count = request.args.get("done"), request.args.get("count", "")
        notices = []
        if done in DONE:
            notices.append(
                self.page_text(
                    request,
                    DONE[done],
                    number=reservation_id,
                    count=count if count.isdigit() else "?",
                )
            )
        elif done == "refused":
            notices.append(self.page_text(request, REFUSED))
        return self.page_render(
            request,
            who,
            "reservations_one.html",
            self.page_text(request, N_("Réservation n° %(number)s"), number=reservation_id),
            notices=notices,
            reservation=self.page_reservations_shown(request, found, names),
            site_code=codes.get(found["site_id"], ""),
            own=who.is_staff_of(found["partner_id"]),
        )

    def page_reservations_act(self, request, who, reservation_id, act, done):
        """A POST on one reservation: CSRF, role, then the operation (another partner's
        reservation, or one that does not exist: the page that does not exist)."""
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        try:
            extra = act(reservation_id) or ""
        except (NotFound, Denied):
            return self.page_not_found(request, who)
        except Conflict:  # already picked up, returned, cancelled or released
            return redirect(f"/reservations/{reservation_id}?done=refused", 303)
        return redirect(f"/reservations/{reservation_id}?done={done}{extra}", 303)

    @page("POST", "/reservations/<int:reservation_id>/pick-up")
    def page_reservations_pick_up(self, request, who, reservation_id):
        return self.page_reservations_act(
            request,
            who,
            reservation_id,
            lambda number: operations.pick_up(self, who, number) and None,
            "picked-up",
        )

    @page("POST", "/reservations/<int:reservation_id>/return")
    def page_reservations_return(self, request, who, reservation_id):
        return self.page_reservations_act(
            request,
            who,
            reservation_id,
            lambda number: operations.return_reservation(self, who, number) and None,
            "returned",
        )

    @page("POST", "/reservations/<int:reservation_id>/cancel")
    def page_reservations_cancel(self, request, who, reservation_id):
        return self.page_reservations_act(
            request,
            who,
            reservation_id,
            lambda number: operations.cancel_reservation(self, who, number) and None,
            "cancelled",
        )

    @page("POST", "/reservations/<int:reservation_id>/cancel-series")
    def page_reservations_cancel_series(self, request, who, reservation_id):
        def cancel_the_rest(number):
            found = operations.reservation(self, who, number)
            if not found.get("series_id"):
                raise NotFound("reservation series", None)
            day = _local(found["starts_at"]).date().isoformat()
            cancelled = operations.cancel_series(self, who, found["series_id"], {"from": day})
            return f"&count={len(cancelled['cancelled'])}"

        return self.page_reservations_act(
            request, who, reservation_id, cancel_the_rest, "series-cancelled"
        )
