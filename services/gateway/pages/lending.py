"""Lending at the front desk, step by step: the desk scans a tag and a card (desk.py),
then sees the device with its accessories, ticks what it hands over or gets back, and
confirms. A loan has its own page: keep it longer, declare it lost, print its slip.

Every refusal says what the device is doing (lent until when, reserved, waiting for
its wipe, being repaired, at another site) and what to do next."""

from datetime import UTC, datetime, timedelta

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.errors import Conflict, InvalidInput, NotFound
from services.booking.exceptions import (
    LoanNotActive,
    NotAtSite,
    NotAvailable,
    NotLendable,
    OverdueLoanBlocks,
    RenewalRefused,
    TooManyLoans,
)
from services.gateway import operations
from services.gateway.authz import STAFF, Denied
from services.gateway.pages import forms, i18n, slips
from services.gateway.pages.desk import NO_SUCH_DEVICE
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

NO_SUCH_CARD = N_(
    "Aucun habitant n'a cette carte. Cherchez-le, ou inscrivez-le, dans le menu « Habitants »."
)
# Said alike of a device not on loan, another partner's loan and a number nobody has,
# as the API answers them alike.
NOT_LENT_HERE = N_(
    "Cet appareil n'a pas été prêté ici : vérifiez le numéro. Un appareil prêté par un autre "
    "lieu se rapporte à ce lieu."
)

# What a device is doing, when it cannot be lent, and what the desk does next.
NOT_LENDABLE = {
    "awaiting_wipe": N_(
        "Cet appareil attend son effacement : il ne peut pas être prêté avant. Prêtez-en un autre."
    ),
    "in_maintenance": N_("Cet appareil est en réparation. Prêtez-en un autre."),
    "reserved": N_(
        "Cet appareil est réservé pour un atelier. Prêtez-en un autre, "
        "ou prêtez-le avec sa réservation."
    ),
    "on_loan": N_("Cet appareil est déjà prêté. Prêtez-en un autre."),
}
NOT_LENDABLE_ANY = N_("Cet appareil ne se prête plus (perdu ou retiré). Prêtez-en un autre.")
LENT_UNTIL = N_("Cet appareil est déjà prêté, jusqu'au %(day)s. Prêtez-en un autre.")
RESERVED_UNTIL = N_("Cet appareil est réservé jusqu'au %(day)s à %(time)s. Prêtez-en un autre.")
ELSEWHERE = N_("Cet appareil est à %(site)s, pas ici. Prêtez un appareil de ce lieu.")
TOO_MANY = N_(
    "Cet habitant a déjà autant d'appareils que permis. Pour prêter quand même, "
    "écrivez la raison ci-dessous."
)
OVERDUE = N_(
    "Cet habitant a un prêt en retard. Il doit d'abord le rapporter. Pour prêter quand même, "
    "écrivez la raison ci-dessous."
)
NO_RETURN_DAY = N_("Ce prêt est refusé pour le moment. Demandez à un responsable.")
RENEWED = N_("Le prêt est prolongé. La nouvelle date de retour est ci-dessous.")
NOT_RENEWED = N_(
    "Ce prêt ne peut pas être prolongé : quelqu'un attend cet appareil, il est réservé "
    "ensuite, ou il a déjà été prolongé. L'habitant le rapporte à la date prévue."
)


# What the first step of lending found (the device may be lent from this desk, to
# this card's holder, with these accessories, for these reservations), sealed in its
# form for a while, so that confirming asks the services only to lend: the booking
# checks everything again as it lends.
FOUND = "lending"
FOUND_SECONDS = 15 * 60


def found_at_step_one(device: dict, resident: dict, site: str) -> dict:
    return {
        "tag": device["asset_tag"],
        "card": resident["card_number"],
        "site": site,
        "resident_id": resident["id"],
        "accessories": device["accessories"] or [],
        "reservations": [str(held["id"]) for held in device["reservations"]],
    }


class Lending:
    def page_lending_staff_only(self, request, who):
        """The answer to anyone but staff, or None (then CSRF is checked by the caller)."""
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        return None

    # --- lending: the device and its accessories --------------------------------------------

    def page_lending_check_out(self, request, who, tag: str, card: str, site: str):
        """Step 2 of lending: what is lent, with what, against which reservation; or
        FormErrors for step 1 (no such device or card, the device cannot be lent)."""
        device = self.page_lending_device(request, who, tag, site)
        resident = self.page_lending_resident(who, card)
        return self.page_lending_check_out_form(
            request, who, device, resident, site, ticked=device["accessories"]
        )

    def page_lending_device(self, request, who, tag: str, site: str) -> dict:
        try:
            device = operations.device_at_desk(self, who, tag)
        except (NotFound, Denied, InvalidInput):
            raise FormErrors.refused("asset_tag", NO_SUCH_DEVICE) from None
        # Handed over for a reservation of this desk, or lent to whoever comes (walk-in).
        now = datetime.now(UTC)  # a reservation is handed over from an hour before it starts
        between = (now.isoformat(), (now + timedelta(hours=1)).isoformat())
        reservations = operations.reservations_holding(self, who, site, tag, between)
        if device["status"] not in ("available", "reserved") or (
            device["status"] == "reserved" and not reservations
        ):
            raise FormErrors.refused(
                "asset_tag", self.page_lending_not_lendable(request, who, tag, device["status"])
            )
        if device["current_site"] != site and not reservations:  # a reservation's was brought
            raise FormErrors.refused("asset_tag", self.page_lending_elsewhere(request, device))
        device["reservations"] = reservations
        return device

    def page_lending_resident(self, who, card: str) -> dict:
        try:
            # Holding their card, the resident is at this desk: its partner may serve them.
            resident = operations.resident_at_desk(self, who, {"card_number": card})
        except (NotFound, InvalidInput, Denied):
            raise FormErrors.refused("card_number", NO_SUCH_CARD) from None
        resident["card_number"] = card
        return resident

    def page_lending_not_lendable(self, request, who, tag: str, status: str) -> str:
        if status == "on_loan":
            lent = operations.active_loan_of(self, who, tag)
            if lent:
                day = i18n.writer(i18n.negotiate(request)).day(lent["due_at"])
                return self.page_text(request, LENT_UNTIL, day=day)
        return self.page_text(request, NOT_LENDABLE.get(status, NOT_LENDABLE_ANY))

    def page_lending_elsewhere(self, request, device: dict) -> str:
        names = {site["code"]: site["name"] for site in operations.sites(self)}
        where = names.get(device["current_site"], device["current_site"])
        return self.page_text(request, ELSEWHERE, site=where)

    def page_lending_check_out_form(
        self, request, who, device, resident, site, ticked, status=200, errors=None, reason=False
    ):
        holds = operations.holds_of(self, who, resident["id"])
        reserved = [
            (str(held["id"]), self.page_lending_reservation_label(request, held))
            for held in device["reservations"]
        ]
        if reserved and device["status"] == "available":
            reserved.append(("", self.page_text(request, N_("Aucune : prêt sans réservation"))))
        return self.page_render(
            request,
            who,
            "lending_check_out.html",
            N_("Prêter : vérifier et confirmer"),
            status=status,
            errors=errors,
            device=device,
            resident=resident,
            desk_site=site,
            ticked=ticked,
            reserved=reserved,
            held_here=any(held["held_item_id"] == device["id"] for held in holds),
            held_other=bool(holds),
            ask_reason=reason,
            found=self.page_seal(who, FOUND, found_at_step_one(device, resident, site)),
        )

    def page_lending_reservation_label(self, request, held: dict) -> str:
        written = i18n.writer(i18n.negotiate(request))
        return self.page_text(
            request,
            N_("Réservation n° %(number)s, jusqu'au %(day)s à %(time)s"),
            number=held["id"],
            day=written.day(held["ends_at"]),
            time=written.clock(held["ends_at"]),
        )

    @page("POST", "/desk/lend")
    def page_lending_lend(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if refused := self.page_lending_staff_only(request, who):
            return refused
        form = request.form
        tag = forms.text(form, "asset_tag").upper()
        card = forms.text(form, "card_number").upper()
        site = forms.text(form, "site")
        if not (forms.ASSET_TAG.match(tag) and forms.CARD_NUMBER.match(card)):
            return redirect("/desk", 303)
        if site not in {s["code"] for s in operations.own_sites(self, who)}:
            return redirect("/desk", 303)
        found = self.page_unsealed(who, FOUND, form.get("found"), FOUND_SECONDS)
        if not found or (found["tag"], found["card"], found["site"]) != (tag, card, site):
            try:  # a form older than that, or sent by hand: found again
                found = found_at_step_one(
                    self.page_lending_device(request, who, tag, site),
                    self.page_lending_resident(who, card),
                    site,
                )
            except FormErrors as refused:
                return self.page_refused(
                    request, who, "/desk", refused.errors, keep=("asset_tag", "card_number", "site")
                )
        ticked = [name for name in form.getlist("accessories") if name in found["accessories"]]
        reason = forms.text(form, "override_reason")
        reservation = forms.text(form, "reservation_id")
        asked_reason = form.get("reason_asked") == "yes"
        try:
            if reservation and reservation not in found["reservations"]:
                raise FormErrors("reservation_id")
            if asked_reason and not 3 <= len(reason) <= 500:
                raise FormErrors("override_reason")
            loan = self.page_lending_lend_now(
                request,
                who,
                {
                    "asset_tag": tag,
                    "resident_id": found["resident_id"],
                    "site": site,
                    "accessories": ticked,
                    "reservation_id": int(reservation) if reservation else None,
                    "override_reason": reason if asked_reason else None,
                },
            )
        except FormErrors as refused:
            try:  # the form again, as it is now
                device = self.page_lending_device(request, who, tag, site)
                resident = self.page_lending_resident(who, card)
            except FormErrors as gone:
                return self.page_refused(
                    request, who, "/desk", gone.errors, keep=("asset_tag", "card_number", "site")
                )
            return self.page_lending_check_out_form(
                request,
                who,
                device,
                resident,
                site,
                ticked,
                status=400,
                errors=refused.errors,
                reason=asked_reason or "override_reason" in refused.errors,
            )
        return redirect(f"/desk?loan={loan['id']}", 303)

    def page_lending_lend_now(self, request, who, loan: dict) -> dict:
        try:
            return operations.lend(self, who, loan)
        except (NotFound, Denied):
            raise FormErrors.refused("asset_tag", NO_SUCH_DEVICE) from None
        except NotLendable as refused:
            status = refused.details.get("status", "")
            raise FormErrors.refused(
                "asset_tag", self.page_lending_not_lendable(request, who, loan["asset_tag"], status)
            ) from None
        except NotAtSite as refused:
            where = {"current_site": refused.details.get("current_site", "?")}
            raise FormErrors.refused(
                "asset_tag", self.page_lending_elsewhere(request, where)
            ) from None
        except NotAvailable as refused:
            written = i18n.writer(i18n.negotiate(request))
            until = refused.details.get("taken_until")
            raise FormErrors.refused(
                "asset_tag",
                self.page_text(
                    request, RESERVED_UNTIL, day=written.day(until), time=written.clock(until)
                )
                if until
                else self.page_text(request, NOT_LENDABLE["reserved"]),
            ) from None
        except OverdueLoanBlocks:
            raise FormErrors.refused("override_reason", OVERDUE) from None
        except TooManyLoans:
            raise FormErrors.refused("override_reason", TOO_MANY) from None
        except InvalidInput as refused:
            names = [n for n in refused.fields if n in ("reservation_id", "override_reason")]
            raise FormErrors(*names or ["asset_tag"]) from None
        except Conflict:  # e.g. no opening day ahead to bring it back on
            raise FormErrors.refused("asset_tag", NO_RETURN_DAY) from None

    # --- taking back: which accessories came back --------------------------------------------

    def page_lending_check_in(self, request, who, tag: str, condition: str):
        """Step 2 of taking back: the accessories lent with it, each ticked as it comes
        back; or FormErrors for step 1."""
        try:
            loan = operations.loan_to_take_back(self, who, tag)
        except (LoanNotActive, NotFound, InvalidInput, Denied):
            raise FormErrors.refused("return_asset_tag", NOT_LENT_HERE) from None
        return self.page_lending_check_in_form(
            request, who, loan, condition, ticked=loan["accessories_out"]
        )

    def page_lending_check_in_form(self, request, who, loan, condition, ticked, status=200):
        conditions = [
            (value, self.page_text(request, label)) for value, label in forms.CONDITIONS.items()
        ]
        return self.page_render(
            request,
            who,
            "lending_check_in.html",
            N_("Reprendre : vérifier les accessoires"),
            status=status,
            loan=loan,
            ticked=ticked,
            conditions=conditions,
            chosen_condition=condition,
        )

    @page("POST", "/desk/take-back")
    def page_lending_take_back(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if refused := self.page_lending_staff_only(request, who):
            return refused
        form = request.form
        tag = forms.text(form, "return_asset_tag").upper()
        condition = forms.text(form, "condition")
        if not forms.ASSET_TAG.match(tag):
            return redirect("/desk", 303)
        try:
            loan = operations.loan_to_take_back(self, who, tag)
        except (LoanNotActive, NotFound, InvalidInput, Denied):
            errors = FormErrors.refused("return_asset_tag", NOT_LENT_HERE).errors
            return self.page_refused(
                request, who, "/desk", errors, keep=("return_asset_tag", "condition")
            )
        lent = loan["accessories_out"] or []
        ticked = [name for name in form.getlist("accessories") if name in lent]
        if condition not in forms.CONDITIONS:
            return self.page_lending_check_in_form(
                request, who, loan, condition, ticked, status=400
            )
        returned = operations.check_in(self, who, loan, condition, accessories=ticked)
        return redirect(f"/desk?loan={returned['id']}", 303)

    # --- a loan: keep it longer, declare it lost, its slip -------------------------------------

    @page("GET", "/desk/loan")
    def page_lending_find(self, request, who):
        """A loan found by its device's tag: the desk's way to a loan's page."""
        if refused := self.page_lending_staff_only(request, who):
            return refused
        tag = (request.args.get("find_asset_tag") or "").strip().upper()
        lent = operations.active_loan_of(self, who, tag) if forms.ASSET_TAG.match(tag) else None
        if lent is None:
            errors = FormErrors.refused("find_asset_tag", N_("Cet appareil n'est pas prêté ici."))
            return self.page_desk(request, who, status=404, errors=errors.errors)
        return redirect(f"/desk/loans/{lent['id']}", 303)

    @page("GET", "/desk/loans/<int:loan_id>")
    def page_lending_loan(self, request, who, loan_id):
        if refused := self.page_lending_staff_only(request, who):
            return refused
        loan = operations.loan(self, who, loan_id)
        notices = [
            self.page_text(request, message)
            for asked, message in (("renewed", RENEWED), ("refused", NOT_RENEWED))
            if request.args.get(asked)
        ]
        return self.page_render(
            request,
            who,
            "lending_loan.html",
            N_("Un prêt"),
            notices=notices,
            loan=loan,
            device=self.page_lending_device_name(who, loan),
            return_site=self.page_lending_return_site(loan),
        )

    def page_lending_device_name(self, who, loan: dict) -> str:
        try:
            item = operations.lent_device(self, who, loan)
        except NotFound:
            return loan["asset_tag"]
        return f"{item['make']} {item['model']}"

    def page_lending_return_site(self, loan: dict) -> dict:
        sites = {site["id"]: site for site in operations.sites(self)}
        return sites.get(loan["return_site_id"] or loan["site_id"]) or {}

    @page("POST", "/desk/loans/<int:loan_id>/renew")
    def page_lending_renew(self, request, who, loan_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if refused := self.page_lending_staff_only(request, who):
            return refused
        try:
            operations.renew_loan(self, who, loan_id)
        except (RenewalRefused, LoanNotActive, Conflict):
            return redirect(f"/desk/loans/{loan_id}?refused=1", 303)
        return redirect(f"/desk/loans/{loan_id}?renewed=1", 303)

    @page("GET", "/desk/loans/<int:loan_id>/lost")
    def page_lending_lost_form(self, request, who, loan_id):
        if refused := self.page_lending_staff_only(request, who):
            return refused
        loan = operations.loan(self, who, loan_id)
        if loan["status"] != "active":
            return redirect(f"/desk/loans/{loan_id}", 303)
        return self.page_render(
            request,
            who,
            "lending_lost.html",
            N_("Déclarer un appareil perdu"),
            loan=loan,
            device=self.page_lending_device_name(who, loan),
        )

    @page("POST", "/desk/loans/<int:loan_id>/lost")
    def page_lending_lost(self, request, who, loan_id):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if refused := self.page_lending_staff_only(request, who):
            return refused
        try:
            operations.declare_lost(self, who, loan_id)
        except LoanNotActive:
            pass  # already settled: its page says how
        return redirect(f"/desk/loans/{loan_id}", 303)

    @page("GET", "/desk/loans/<int:loan_id>/slip.pdf")
    def page_lending_slip(self, request, who, loan_id):
        if refused := self.page_lending_staff_only(request, who):
            return refused
        loan = operations.loan(self, who, loan_id)
        resident = operations.borrower(self, who, loan["resident_id"])
        pdf = slips.loan_slip(
            loan,
            device=self.page_lending_device_name(who, loan),
            site=self.page_lending_return_site(loan),
            language=resident.get("language") or "fr",
        )
        return Response(
            pdf,
            content_type="application/pdf",
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'inline; filename="pret-{loan_id}.pdf"',
            },
        )
