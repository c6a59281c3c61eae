"""What every page shares: the `page` route, rendering in the reader's language with
a CSRF token, the pages for refusals, the style sheet."""

from functools import wraps

from nameko.exceptions import RpcTimeout, UnknownService
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.errors import NotFound
from services.gateway import problems
from services.gateway.authz import RESIDENT, STAFF, Denied
from services.gateway.pages import forms, i18n
from services.gateway.pages.i18n import N_
from services.gateway.routing import ANYONE, route

STYLE_SHEET = (i18n.HERE / "static" / "pages.css").read_bytes()
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Nothing from elsewhere, no script: the pages need none.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def page(method: str, path: str):
    """A page: open to anyone (each page checks who may see it, and sends the others
    to sign in), kept out of the API's document, and answering HTML even when a
    service is down. What an operation refuses and the page did not expect is
    answered as a page that does not exist, as the API answers 404."""

    def decorate(fn):
        @wraps(fn)
        def handler(self, request, who, **values):
            try:
                return fn(self, request, who, **values)
            except (Denied, NotFound):
                return self.page_not_found(request, who)
            except (UnknownService, RpcTimeout, ConnectionError):
                response = self.page_render(
                    request,
                    who,
                    "problem.html",
                    N_("Service indisponible"),
                    status=503,
                    explanation=self.page_text(
                        request,
                        N_(
                            "Le service ne répond pas pour le moment. Réessayez dans quelques minutes."
                        ),
                    ),
                    back=request.path,
                )
                response.headers["Retry-After"] = str(problems.RETRY_AFTER_SECONDS)
                return response

        return route(method, path, allow=(ANYONE,), documented=False, produces=("text/html",))(
            handler
        )

    return decorate


# The menu of each role: (path, label). Each area of the pages adds its own line;
# the current page is marked with aria-current.
MENUS = {
    RESIDENT: [
        ("/my-loans", N_("Mes prêts")),
    ],
    STAFF: [
        ("/desk", N_("Accueil : prêts et retours")),
        ("/reserve", N_("Réserver pour un atelier")),
        ("/residents", N_("Habitants")),
    ],
}


def home_of(who) -> str:
    if who.role == RESIDENT:
        return "/my-loans"
    if who.role == STAFF:
        return "/desk"
    return "/docs"  # managers and administrators work with the API and its documentation


class Frame:
    def page_render(self, request, who, template, title, status=200, **context) -> Response:
        language = i18n.negotiate(request)
        env = i18n.environment(language)
        token = forms.csrf_token(request)
        html = env.get_template(template).render(
            title=i18n.translations(language).gettext(title),
            who=who if who.signed_in else None,
            menu=MENUS.get(who.role, []) if who.signed_in else [],
            here=request.path,
            csrf_token=token,
            labels=forms.LABELS,
            errors=context.pop("errors", None),
            notices=context.pop("notices", []),
            form=_Form(request.form if request.method == "POST" else {}),
            **context,
        )
        response = Response(html, status=status, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        if request.cookies.get(forms.CSRF_COOKIE) != token:
            response.set_cookie(
                forms.CSRF_COOKIE,
                token,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
                path="/",
            )
        if i18n.known(request.args.get("lang")):
            response.set_cookie(
                i18n.LANGUAGE_COOKIE,
                language,
                max_age=LANGUAGE_COOKIE_SECONDS,
                samesite="Lax",
                secure=request.is_secure,
                path="/",
            )
        return response

    def page_text(self, request, message, **values) -> str:
        """`message` in the reader's language, for what Python puts on a page."""
        translated = i18n.translations(i18n.negotiate(request)).gettext(message)
        return translated % values if values else translated

    def page_sign_in_first(self, request, who, where):
        """Someone not signed in (or not in the right role) is sent to sign in, or home."""
        if who.signed_in and home_of(who) != request.path:
            return redirect(home_of(who), 303)
        return redirect(where, 303)

    def page_refuse_forgery(self, request, who):
        return self.page_render(
            request,
            who,
            "problem.html",
            N_("Formulaire expiré"),
            status=403,
            explanation=self.page_text(
                request, N_("Ce formulaire a expiré. Revenez à la page et envoyez-le à nouveau.")
            ),
            back=request.referrer if _same_site(request) else "/",
        )

    def page_not_found(self, request, who):
        return self.page_render(
            request,
            who,
            "problem.html",
            N_("Page introuvable"),
            status=404,
            explanation=self.page_text(request, N_("Cette page n'existe pas.")),
            back="/",
        )

    @page("GET", "/pages/pages.css")
    def page_style_sheet(self, request, who):
        return Response(
            STYLE_SHEET,
            content_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @page("GET", "/")
    def page_home(self, request, who):
        return redirect(home_of(who) if who.signed_in else "/sign-in", 303)


class _Form(dict):
    """The values sent, to fill the form again; a field not sent reads as empty."""

    def __init__(self, form):
        super().__init__(
            (name, form.get(name))
            for name in form.keys()
            if name not in ("password", "code", forms.CSRF_FIELD)
        )

    def __getattr__(self, name):
        return self.get(name) or ""

    def __getitem__(self, name):
        return self.get(name) or ""


def _same_site(request) -> bool:
    referrer = request.referrer or ""
    return referrer.startswith(request.host_url)
