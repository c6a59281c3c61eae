"""Signing in and out on the pages, with the session cookie the API reads too.

Staff: email and password. Residents, in two steps: their card number, phone or
email, then the one-time code sent to them. The identifier typed at step 1 waits
for step 2 in a short-lived cookie rather than in the address, where a phone
number would stay in the browser's history.
"""

import re
from urllib.parse import quote, unquote

from werkzeug.utils import redirect

from services.gateway import auth, operations, problems, resident_codes
from services.gateway.authz import RESIDENT, Principal
from services.gateway.pages import forms, i18n
from services.gateway.pages.forms import FormErrors
from services.gateway.pages.frame import LANGUAGE_COOKIE_SECONDS, home_of, page
from services.gateway.pages.i18n import N_
from services.gateway.routing import now

PENDING_COOKIE = "partanum_sign_in"
PENDING_SECONDS = 15 * 60


def lookup_of(identifier: str) -> dict:
    """What a resident typed, as the booking's sign-in lookup wants it: an email has an
    @, a phone is 8 digits or more (spaces, dots, dashes, a leading +), else a card."""
    if "@" in identifier:
        return {"email": identifier}
    if re.fullmatch(r"\+?[0-9 .()-]+", identifier) and len(re.sub(r"\D", "", identifier)) >= 8:
        return {"phone": identifier}
    return {"card_number": identifier}


class SignIn:
    def page_auth_settings(self):
        return auth.settings_for(self)

    def page_set_session(self, request, response, secret, token):
        max_age = int((token.expires_at - token.created_at).total_seconds())
        response.set_cookie(
            auth.SESSION_COOKIE,
            secret,
            max_age=max_age,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
            path="/",
        )
        return response

    def page_too_many(self, request, who, template, title, problem, **context):
        minutes = max(1, round(int(problem.headers.get("Retry-After", "60")) / 60))
        ngettext = i18n.translations(i18n.negotiate(request)).ngettext  # "1 minute", "3 دقائق"
        response = self.page_render(
            request,
            who,
            template,
            title,
            status=429,
            notices=[
                ngettext(
                    "Trop d'essais. Réessayez dans %(minutes)s minute.",
                    "Trop d'essais. Réessayez dans %(minutes)s minutes.",
                    minutes,
                )
                % {"minutes": minutes}
            ],
            **context,
        )
        response.headers["Retry-After"] = problem.headers.get("Retry-After", "60")
        return response

    # --- staff -------------------------------------------------------------------------

    @page("GET", "/sign-in")
    def page_staff_sign_in_form(self, request, who):
        return self.page_render(request, who, "staff_sign_in.html", N_("Connexion du personnel"))

    @page("POST", "/sign-in")
    def page_staff_sign_in(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        email, password = forms.text(request.form, "email"), request.form.get("password", "")
        missing = [name for name, value in (("email", email), ("password", password)) if not value]
        if missing:
            return self.page_render(
                request,
                who,
                "staff_sign_in.html",
                N_("Connexion du personnel"),
                status=400,
                errors=forms.errors_for(missing),
            )
        settings = self.page_auth_settings()
        try:
            with self.db.transaction() as tx:
                secret, token, account = auth.sign_in(
                    tx.session,
                    email,
                    password,
                    request.remote_addr or "?",
                    now(),
                    settings,
                    device=request.cookies.get(auth.DEVICE_COOKIE),
                )
                tx.commit()
        except problems.Problem as refused:
            if refused.status == 429:
                return self.page_too_many(
                    request, who, "staff_sign_in.html", N_("Connexion du personnel"), refused
                )
            errors = FormErrors.refused("password", N_("Adresse e-mail ou mot de passe incorrect."))
            return self.page_render(
                request,
                who,
                "staff_sign_in.html",
                N_("Connexion du personnel"),
                status=401,
                errors=errors.errors,
            )
        staff = Principal(role=account.role, partner_id=account.partner_id)
        response = self.page_set_session(request, redirect(home_of(staff), 303), secret, token)
        return auth.remember_device(response, request, settings, account.email)

    @page("POST", "/sign-out")
    def page_sign_out(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        if who.token_id is not None:
            with self.db.transaction() as tx:
                auth.revoke_token(tx.session, who.token_id, now())
                tx.commit()
        response = redirect("/resident/sign-in" if who.role == RESIDENT else "/sign-in", 303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    # --- residents: step 1, who they are ------------------------------------------------

    @page("GET", "/resident/sign-in")
    def page_resident_sign_in_form(self, request, who):
        return self.page_render(
            request, who, "resident_sign_in.html", N_("Connexion des habitants")
        )

    @page("POST", "/resident/sign-in")
    def page_resident_sign_in(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        identifier = forms.text(request.form, "identifier")
        if not identifier or len(identifier) > 200:
            return self.page_render(
                request,
                who,
                "resident_sign_in.html",
                N_("Connexion des habitants"),
                status=400,
                errors=forms.errors_for(["identifier"]),
            )
        try:
            self.page_send_resident_code(identifier, request.remote_addr or "?")
        except problems.Problem as refused:
            if refused.status == 429:
                return self.page_too_many(
                    request, who, "resident_sign_in.html", N_("Connexion des habitants"), refused
                )
            raise
        # The same answer whether or not the resident exists.
        response = redirect("/resident/sign-in/code", 303)
        response.set_cookie(
            PENDING_COOKIE,
            quote(identifier),
            max_age=PENDING_SECONDS,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path="/resident/sign-in",
        )
        return response

    # --- residents: step 2, the code ----------------------------------------------------

    @page("GET", "/resident/sign-in/code")
    def page_resident_code_form(self, request, who):
        if not request.cookies.get(PENDING_COOKIE):
            return redirect("/resident/sign-in", 303)
        return self.page_render(request, who, "resident_code.html", N_("Saisissez votre code"))

    @page("POST", "/resident/sign-in/code")
    def page_resident_code(self, request, who):
        if not forms.csrf_valid(request):
            return self.page_refuse_forgery(request, who)
        identifier = request.cookies.get(PENDING_COOKIE)
        if not identifier:
            return redirect("/resident/sign-in", 303)
        code = "".join(forms.text(request.form, "code").split())
        title = N_("Saisissez votre code")
        if not (code.isdigit() and len(code) == 6):
            return self.page_render(
                request,
                who,
                "resident_code.html",
                title,
                status=400,
                errors=forms.errors_for(["code"]),
            )
        try:
            signed_in = self.page_verify_resident_code(
                unquote(identifier), code, request.remote_addr or "?"
            )
        except problems.Problem as refused:
            if refused.status == 429:
                return self.page_too_many(request, who, "resident_code.html", title, refused)
            signed_in = None
        if signed_in is None:
            errors = FormErrors.refused(
                "code",
                N_(
                    "Ce code ne convient pas, ou il a expiré. Vérifiez-le ou demandez-en un nouveau."
                ),
            )
            return self.page_render(
                request, who, "resident_code.html", title, status=400, errors=errors.errors
            )
        secret, token = signed_in
        response = self.page_set_session(request, redirect("/my-loans", 303), secret, token)
        response.delete_cookie(PENDING_COOKIE, path="/resident/sign-in")
        # a resident's own pages: they read them in the language they registered in
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            operations.reading_language_of(self, token.resident_id),
            max_age=LANGUAGE_COOKIE_SECONDS,
            samesite="Lax",
            secure=request.is_secure,
            path="/",
        )
        return response

    # --- residents: the steps of POST /api/residents/sign-in and …/verify ---------------

    def page_send_resident_code(self, identifier: str, address: str) -> None:
        resident_codes.send_code(
            self, lookup_of(identifier), address, self.page_auth_settings(), now()
        )

    def page_verify_resident_code(self, identifier: str, code: str, address: str):
        """(secret, token) for the right code, else None; 429 past the attempts allowed."""
        signed_in = resident_codes.verify_code(
            self, lookup_of(identifier), code, address, self.page_auth_settings(), now()
        )
        return signed_in[:2] if signed_in else None
