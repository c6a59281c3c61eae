"""What every page shares: the `page` route, rendering in the reader's language with
a CSRF token and language links, the pages for errors, the style sheet, and the
post/redirect/get of a refused form.

Errors. Outside /api/, a browser gets a page in its reader's language for every
error: an address that does not exist (404), a method the address does not take,
such as opening a form's POST address (405, with a link to the form), a refusal
(403), a fault (500), a service that does not answer (503). routing.py asks
`wants_page` and `error_page` for the errors no page handles; /api/ keeps
problem+json.

Languages. Each language link points to the page being read, its query kept (a
confirmation such as /desk?loan=12 shows again in the new language); after a POST,
to the GET page of the form (`get_address`), never to the POST address.

A refused form (post/redirect/get). A POST the page refuses answers with a 303 to
the form's GET page, which shows the error summary and what was typed, so that a
reload sends nothing again:

    except FormErrors as refused:
        return self.page_refused(request, who, "/desk", refused.errors,
                                 keep=("asset_tag", "card_number", "site"))

The errors (field → French source text, translated when shown) and the values of the
`keep` fields wait in a signed, short-lived cookie (never in the address: a card
number would stay in the browser's history), under a random mark that the redirect
puts in the address (`/desk?errors=…`), for the person who sent the form only. The
GET page needs nothing more: when the mark matches, `page_render` shows the errors
and fills the form with the values, on a reload and in another language too; any
other page forgets them. What else the GET page needs to show again goes in `extra`
(keywords of JSON values) and is read back with `self.page_refusal(request, who)`:

    return self.page_refused(request, who, "/reserve", {}, keep=FIELDS, offered=choices)
    ...
    refusal = self.page_refusal(request, who)     # None, or Refusal(errors, values, extra)
    offered = refusal.extra.get("offered") if refusal else None

Passwords and codes are never kept: list in `keep` only what may be shown again.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from functools import cache, wraps
from urllib.parse import parse_qsl, urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from partanum.config import secret_key
from partanum.errors import NotFound
from services.gateway import problems
from services.gateway.authz import ADMIN, MANAGER, RESIDENT, STAFF, Denied, Principal
from services.gateway.pages import forms, i18n
from services.gateway.pages.i18n import N_
from services.gateway.routing import ANYONE, ROUTES, route

STYLE_SHEET = (i18n.HERE / "static" / "pages.css").read_bytes()
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Nothing from elsewhere, no script: the pages need none.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# A refused form's errors and values: long enough to read them and reload, short
# enough that a card number does not linger in the browser.
REFUSAL_COOKIE = "partanum_refused"
REFUSAL_SECONDS = 10 * 60
REFUSAL_MARK = "errors"  # the query parameter of the GET page that shows them
# Browsers drop a cookie over 4096 bytes: past this, the values are not kept.
REFUSAL_MAX_BYTES = 3500


def page(method: str, path: str):
    """A page: open to anyone (each page checks who may see it, and sends the others
    to sign in), kept out of the API's document, and answering a page for every
    error, in the reader's language. What an operation refuses and the page did not
    expect is answered as a page that does not exist, as the API answers 404."""

    def decorate(fn):
        @wraps(fn)
        def handler(self, request, who, **values):
            try:
                return fn(self, request, who, **values)
            except (Denied, NotFound):
                return self.page_not_found(request, who)
            except Exception as exc:  # noqa: BLE001 -- a page, never a stack trace
                return error_page(request, problems.problem_for(exc), who)

        return route(method, path, allow=(ANYONE,), documented=False, produces=("text/html",))(
            handler
        )

    return decorate


# The menu of each role: (path, label). Each area of the pages adds its own line;
# the current page is marked with aria-current.
MENUS = {
    RESIDENT: [
        ("/my-loans", N_("Mes prêts")),
        # a resident's own pages: home, history, details
        ("/my-loans/history", N_("Mes anciens prêts")),
        ("/my-details", N_("Mes informations")),
    ],
    STAFF: [
        ("/desk", N_("Accueil : prêts et retours")),
        ("/reserve", N_("Réserver pour un atelier")),
        # the desk's queue and calendars
        ("/queue", N_("À faire")),
        ("/feeds", N_("Agendas")),
        ("/equipment", N_("Appareils")),
        ("/reservations", N_("Réservations")),
        # what the partner lets the others reserve
        ("/sharing", N_("Partage")),
        ("/residents", N_("Habitants")),
        # the public guide: the help the partner offers
        ("/help-offers", N_("Aide proposée")),
        # how far each language's translations are reviewed
        ("/languages", N_("Langues")),
    ],
    # managers and the administrator: reports, suggestions, the audit log, open data
    MANAGER: [
        ("/manage", N_("Le matériel du réseau")),
        ("/audit", N_("Journal d'audit")),
        ("/open-data", N_("Données ouvertes")),
    ],
    # the administrator: the same, and the network's accounts, partners, sites and kinds
    ADMIN: [
        ("/manage", N_("Le matériel du réseau")),
        ("/audit", N_("Journal d'audit")),
        ("/open-data", N_("Données ouvertes")),
        ("/admin/accounts", N_("Comptes")),
        ("/admin/partners", N_("Structures")),
        ("/admin/sites", N_("Lieux")),
        ("/admin/categories", N_("Types d'appareils")),
    ],
}


def home_of(who) -> str:
    if who.role == RESIDENT:
        return "/my-loans"
    if who.role == STAFF:
        return "/desk"
    return "/manage"  # managers and administrators: the network's equipment, in pictures


# Each error a page can show: (title, what happened and what to do).
ERROR_TEXTS = {
    403: (
        N_("Accès refusé"),
        N_("Vous ne pouvez pas ouvrir cette page. Revenez à l'accueil."),
    ),
    404: (
        N_("Page introuvable"),
        N_("Cette page n'existe pas. Vérifiez l'adresse, ou revenez à l'accueil."),
    ),
    405: (
        N_("Cette adresse n'est pas une page"),
        N_("Elle sert seulement à envoyer un formulaire. Revenez au formulaire."),
    ),
    500: (
        N_("Erreur du site"),
        N_("Quelque chose n'a pas marché de notre côté. Réessayez dans quelques minutes."),
    ),
    503: (
        N_("Service indisponible"),
        N_("Le service ne répond pas pour le moment. Réessayez dans quelques minutes."),
    ),
}
OTHER_ERROR = (
    N_("Demande refusée"),
    N_("Cette demande ne peut pas aboutir. Revenez à la page."),
)


class Frame:
    def page_render(self, request, who, template, title, status=200, **context) -> Response:
        refusal = None
        if request.method == "GET" and status < 400:
            refusal = self.page_refusal(request, who)
        errors = context.pop("errors", None)
        if refusal is not None and not errors:
            errors = refusal.errors
        response = render(
            request,
            who,
            template,
            title,
            status=status,
            errors=errors,
            form=_Form(refusal.values if refusal else _sent(request)),
            **context,
        )
        if refusal is None and REFUSAL_COOKIE in request.cookies and status < 400:
            # Another page now: what was typed in the refused form is not kept longer.
            response.delete_cookie(REFUSAL_COOKIE, path="/")
        return response

    def page_text(self, request, message, **values) -> str:
        """`message` in the reader's language, for what Python puts on a page."""
        return text(request, message, **values)

    def page_sign_in_first(self, request, who, where):
        """Someone not signed in (or not in the right role) is sent to sign in, or home."""
        if who.signed_in and home_of(who) != request.path:
            return redirect(home_of(who), 303)
        return redirect(where, 303)

    def page_refused(self, request, who, to: str, errors: dict, keep=(), **extra) -> Response:
        """A refused POST: a 303 to the GET page `to` (a path, its query kept), which
        shows `errors` ({field: French source text}) and the values of the `keep`
        fields as they were sent; `extra`, JSON values the GET page reads back with
        `page_refusal`. See the module's docstring."""
        mark = secrets.token_urlsafe(9)
        target, _, query = to.partition("?")
        # An earlier refusal's mark gives way to this one's.
        query = urlencode(
            [(k, v) for k, v in parse_qsl(query) if k != REFUSAL_MARK] + [(REFUSAL_MARK, mark)]
        )
        kept = {"mark": mark, "path": target, "who": who.actor, "errors": errors, "extra": extra}
        values = {name: request.form.get(name, "") for name in keep}
        cookie = _signed(self.page_secret(), {**kept, "values": values})
        if len(cookie) > REFUSAL_MAX_BYTES:  # a very long note: say what is wrong, at least
            cookie = _signed(self.page_secret(), {**kept, "values": {}})
        response = redirect(f"{target}?{query}", 303)
        response.set_cookie(
            REFUSAL_COOKIE,
            cookie,
            max_age=REFUSAL_SECONDS,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
            path="/",
        )
        return response

    def page_refusal(self, request, who) -> "Refusal | None":
        """The refused form this GET page shows again, when its address carries the
        mark of the refusal this browser keeps for `who`; else None."""
        mark, cookie = request.args.get(REFUSAL_MARK), request.cookies.get(REFUSAL_COOKIE)
        if not mark or not cookie:
            return None
        kept = _verified(self.page_secret(), cookie)
        if kept is None or not hmac.compare_digest(str(kept.get("mark")).encode(), mark.encode()):
            return None
        if kept.get("path") != request.path or kept.get("who") != who.actor:
            return None
        return Refusal(kept.get("errors") or {}, kept.get("values") or {}, kept.get("extra") or {})

    def page_secret(self) -> bytes:
        return secret_key(self.config)

    def page_seal(self, who, purpose: str, payload: dict) -> str:
        """`payload`, signed for `who` and `purpose`, for a form's hidden field: what a
        first step found, which its second step need not ask the services again."""
        sealed = {"purpose": purpose, "who": who.actor, "at": time.time(), "payload": payload}
        return _signed(self.page_secret(), sealed, "sealed")

    def page_unsealed(self, who, purpose: str, value: str | None, max_seconds: float):
        """The payload `page_seal` sealed, if `value` is one, for this purpose and this
        caller, and younger than `max_seconds`; else None (then the page asks again)."""
        sealed = _verified(self.page_secret(), value or "", "sealed")
        if not sealed or sealed.get("purpose") != purpose or sealed.get("who") != who.actor:
            return None
        at = sealed.get("at")
        if not isinstance(at, (int, float)) or not 0 <= time.time() - at <= max_seconds:
            return None
        payload = sealed.get("payload")
        return payload if isinstance(payload, dict) else None

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
            back=get_address(request),
        )

    def page_not_found(self, request, who):
        return error_page(request, problems.Problem(404, "Not found"), who)

    @page("GET", "/pages/pages.css")
    def page_style_sheet(self, request, who):
        return Response(
            STYLE_SHEET,
            content_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @page("GET", "/")
    def page_home(self, request, who):
        # The public guide, to everyone (pages/guide.py); home_of() from the menu.
        return self.page_guide_home(request, who)


@dataclass
class Refusal:
    """A refused form, as its GET page shows it again."""

    errors: dict
    values: dict
    extra: dict = field(default_factory=dict)


# --- rendering, for the pages and for the errors no page handles ------------------------------


def render(request, who, template, title, status=200, form=None, **context) -> Response:
    """`template` in the reader's language, with the frame's context; sets the CSRF
    cookie, and the language cookie when a language link was followed."""
    language = i18n.negotiate(request)
    env = i18n.environment(language)
    token = forms.csrf_token(request)
    html = env.get_template(template).render(
        title=i18n.translations(language).gettext(title),
        who=who if who.signed_in else None,
        menu=MENUS.get(who.role, []) if who.signed_in else [],
        here=request.path,
        language_links=language_links(request),
        csrf_token=token,
        labels=forms.LABELS,
        errors=context.pop("errors", None),
        notices=context.pop("notices", []),
        form=form if form is not None else _Form({}),
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


def text(request, message, **values) -> str:
    """`message` in the reader's language."""
    translated = i18n.translations(i18n.negotiate(request)).gettext(message)
    return translated % values if values else translated


def wants_page(request) -> bool:
    """A browser reading pages: any address outside /api/, unless the client asks
    for JSON rather than HTML."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", problems.PROBLEM_JSON], default="text/html"
    )
    return best == "text/html"


def error_page(request, problem: problems.Problem, who=None) -> Response:
    """The page of an error (problems.Problem) in the reader's language: what
    happened, what to do, and a link back to a page that exists."""
    who = who or Principal()
    title, explanation = ERROR_TEXTS.get(problem.status, OTHER_ERROR)
    back = "/"
    if problem.status == 405:
        back = get_address(request, up_from=request.path)
    elif problem.status in (500, 503):
        back = get_address(request)
    response = render(
        request,
        who,
        "problem.html",
        title,
        status=problem.status,
        explanation=text(request, explanation),
        back=back,
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


# --- addresses --------------------------------------------------------------------------------


@cache
def _get_pages() -> Map:
    """The addresses a browser can open (GET), known once every route is declared."""
    return Map(
        [Rule(r.path, endpoint=r.name) for r in ROUTES if r.method == "GET"],
        strict_slashes=False,
    )


def _opens(path: str) -> bool:
    try:
        _get_pages().bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return True


def get_address(request, up_from: str | None = None) -> str:
    """The GET address of what is on screen: after a GET, itself with its query (the
    language aside); after a POST, the nearest page above it that a browser can open
    (POST /desk/check-out → /desk)."""
    if request.method in ("GET", "HEAD") and up_from is None:
        query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
        return request.path + (f"?{urlencode(query)}" if query else "")
    path = up_from if up_from is not None else request.path
    while path not in ("", "/") and not _opens(path):
        path = path.rsplit("/", 1)[0]
    return path or "/"


def language_links(request) -> dict[str, str]:
    """Each language → the same page in it."""
    address = get_address(request)
    joiner = "&" if "?" in address else "?"
    return {code: f"{address}{joiner}lang={code}" for code in i18n.NAMES}


# --- signed values: the refused form's cookie, a sealed hidden field -----------------------------


def _signed(key: bytes, payload: dict, purpose: str = "refused-form") -> str:
    body = base64.urlsafe_b64encode(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    ).decode()
    return f"{body}.{_signature(key, body, purpose)}"


def _verified(key: bytes, cookie: str, purpose: str = "refused-form") -> dict | None:
    body, _, signature = cookie.rpartition(".")
    expected = _signature(key, body, purpose)
    if not body or not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _signature(key: bytes, body: str, purpose: str) -> str:
    # The purpose in the digest: a refused form's cookie is never taken for a sealed
    # field, nor the other way round.
    digest = hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _sent(request) -> dict:
    return request.form if request.method == "POST" else {}


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
