"""The authorisation matrix: every role against every registered route, on objects it
owns and objects it does not, over HTTP against the whole running system.

Five callers: nobody, the city's administrator, a manager, a member of staff of
Centre Jean Vilar, and Amina, a resident registered there. Centre Jean Vilar's
objects (and Amina's) are "own"; Espace Mistral's (and Yusuf's, a resident of
Mistral who borrows there) are "other"; "missing" ones do not exist.

- A role a route does not allow gets 401 (nobody) or 403, as a bare problem.
- An object of the other side is answered exactly as a missing one: 404, same
  problem, no data; a write to it changes nothing. Objects everyone may read
  (sites, partners) are refused with 403 when someone may not change them.
- Own objects are served; managers and the administrator read both sides.
- Lists hold nothing of the other side, whatever filter is asked for, and show
  managers no resident's contact details.
- Pages serve one role each and send every other one away (to sign in, or home),
  showing it nothing; to the role they serve, they show the other side's object
  exactly as a missing one, and a form naming it changes nothing.

MATRIX names what every route deals with. It is checked against the registry
of routes, so a new route or page without its line here fails
`test_every_registered_route_is_in_the_matrix` (and a page for signed-in people
without the role it serves, `test_every_page_for_signed_in_people_says_whom_it_serves`). Writes on own objects are the
journeys' business (test_gateway_journeys.py), not this module's.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from services.gateway.pages.frame import REFUSAL_MARK as REFUSED_MARK
from services.gateway.routing import ANYONE, ROUTES
from services.gateway.service import Service  # noqa: F401 -- registers every route
from tests.e2e.gateway_system import local_window
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROLES = ("nobody", "admin", "manager", "staff", "resident")
EMAILS = {
    "admin": "admin@angers.test",
    "manager": "manager@angers.test",
    "staff": "staff@jean-vilar.test",
}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors", "code", "details"}
MISSING_ID = 987654
MISSING_TAG = "ZZ-NONE-999"
# Where each role's pages start: a page for another role sends them there.
HOME = {"admin": "/manage", "manager": "/manage", "staff": "/desk", "resident": "/my-loans"}
# The double-submit CSRF token a browser holds (cookie and form field alike).
CSRF = "c" * 43


# --- what each route deals with ---------------------------------------------------------


@dataclass(frozen=True)
class Gated:
    """Nothing in it belongs to a partner or a resident: only the role gate applies
    (accounts, the network's shape, the caller's own session)."""


@dataclass(frozen=True)
class Open:
    """Anyone may call it, signed in or not (sign-in, the API's documents)."""


@dataclass(frozen=True)
class Page:
    """A web page. `signed_in`: nobody is sent to sign in, and gets no data.
    `serves`: the role it is for; every other one is sent home. `ask(objects, side)`:
    {"path": …, "query": …, "form": …} naming the "own", "other" or "missing" object,
    when the page names one. `shows(objects)`: what the page shows of its own object
    (or of the caller's own records) to the role it serves."""

    signed_in: bool = True
    serves: str | None = None
    # A second role it serves (managers' pages are the administrator's too).
    also: str | None = None
    ask: Callable | None = None
    shows: Callable | None = None


@dataclass(frozen=True)
class Object:
    """A route about one object named in its path. `path(objects, side)` gives the
    path values for the "own", "other" and "missing" object; `body(objects, side)`
    a valid body, so that the refusal is about the object and not the input."""

    path: Callable
    body: Callable | None = None
    query: Callable | None = None
    # Everyone may read it (a site, a partner): refused with 403, not hidden.
    public: bool = False
    # Staff do it only acting for the resident at the desk (?acting_for=).
    acting: bool = False


@dataclass(frozen=True)
class Action:
    """A write naming its objects in the body. `other(objects)` is a valid body that
    would act for the other side: refused with 403 or 404, and nothing done."""

    other: Callable
    expect: tuple = (403, 404)


@dataclass(frozen=True)
class Listing:
    """A list (or a feed, a file). `queries(objects)`: query strings to try, including
    ones that ask for the other side's records."""

    queries: Callable = lambda objects: [{}]


def tag(kind):
    """Path values naming an item of each side."""

    def path(o, side):
        return {
            "asset_tag": {"own": f"JV-{kind}", "other": f"MI-{kind}", "missing": MISSING_TAG}[side]
        }

    return path


def object_id(name, key):
    def path(o, side):
        return {key: MISSING_ID if side == "missing" else o.ids[name][side]}

    return path


def partner_id(o, side):
    return {"partner_id": MISSING_ID if side == "missing" else o.partner[side]}


def site_code(o, side):
    return {"site_code": {"own": "jean-vilar", "other": "mistral", "missing": "nowhere"}[side]}


def card(o, side):
    return {
        "card_number": {"own": o.card["own"], "other": o.card["other"], "missing": "RS-NONE"}[side]
    }


def in_path(values):
    return lambda o, side: {"path": values(o, side)}


def in_query(name, kind):
    return lambda o, side: {"query": {name: MISSING_ID if side == "missing" else o.ids[kind][side]}}


def desk_form(**fields):
    """A desk form naming each side's thing in one field: {field: {side: value}}."""
    return lambda o, side: {
        "form": {
            name: value(o)[side] if callable(value) else value for name, value in fields.items()
        }
    }


def in_a_month(o, side=None):
    return local_window(days_ahead=30, hour=10, hours=2)


def in_days(days: int) -> str:
    """A day within the horizon input dates may reach (PARTANUM_DATE_HORIZON_DAYS)."""
    return str(date.today() + timedelta(days=days))


MATRIX = {
    # sign-in and the caller's own session
    "POST /api/sign-in": Open(),
    "POST /api/residents/sign-in": Open(),
    "POST /api/residents/sign-in/verify": Open(),
    "POST /api/sign-out": Gated(),
    "GET /api/me": Gated(),
    "POST /api/me/password": Gated(),  # the caller's own account, by its token
    "GET /openapi.json": Open(),
    "GET /docs": Open(),
    # the city's administration
    "GET /api/accounts": Gated(),
    "POST /api/accounts": Gated(),
    "GET /api/accounts/<int:account_id>": Gated(),
    "PATCH /api/accounts/<int:account_id>": Gated(),
    "DELETE /api/accounts/<int:account_id>": Gated(),
    "POST /api/partners": Gated(),
    "POST /api/sites": Gated(),
    "POST /api/categories": Gated(),
    "PUT /api/categories/<int:category_id>/loan-policy": Gated(),
    # names mistyped at creation, corrected by the city only
    "PATCH /api/partners/<int:partner_id>": Gated(),
    "PATCH /api/sites/<site_code>": Gated(),
    "PATCH /api/categories/<int:category_id>": Gated(),
    "GET /api/partners": Gated(),
    "GET /api/sites": Gated(),
    "GET /api/categories": Gated(),
    "GET /api/sites/<site_code>": Object(site_code, public=True),
    "PUT /api/sites/<site_code>/opening-hours": Object(
        site_code,
        public=True,
        body=lambda o, side: {"opening_hours": {"monday": [["09:00", "12:00"]]}},
    ),
    "POST /api/sites/<site_code>/closures": Object(
        site_code,
        public=True,
        body=lambda o, side: {
            "starts_on": in_days(200),
            "ends_on": in_days(214),
            "reason": "congés",
        },
    ),
    # inventory
    "GET /api/items": Listing(
        lambda o: [{}, {"owner": "mistral"}, {"site": "mistral"}, {"format": "csv"}]
    ),
    "GET /api/items/<asset_tag>": Object(tag("TAB-003")),
    "GET /api/items/<asset_tag>/history": Object(tag("TAB-003")),
    "POST /api/items": Action(
        lambda o: {
            "asset_tag": "MI-TAB-099",
            "make": "Samsung",
            "model": "Tab",
            "category": "tablet",
            "owner": "mistral",
            "home_site": "mistral",
        }
    ),
    "PATCH /api/items/<asset_tag>": Object(
        tag("TAB-003"), body=lambda o, side: {"notes": "mine now"}
    ),
    "POST /api/items/<asset_tag>/status": Object(
        tag("TAB-003"), body=lambda o, side: {"status": "in_maintenance", "reason": "écran cassé"}
    ),
    "POST /api/items/<asset_tag>/wipe": Object(tag("TAB-003"), body=lambda o, side: {}),
    "POST /api/items/<asset_tag>/transfer": Object(
        tag("TAB-003"), body=lambda o, side: {"to_site": "jean-vilar", "reason": "prêt"}
    ),
    "PUT /api/items/<asset_tag>/shareable": Object(
        tag("TAB-003"), body=lambda o, side: {"shareable": False}
    ),
    "POST /api/items/import": Action(
        lambda o: {
            "partner": "mistral",
            "csv": "asset_tag,make,model,category,owner,home_site\n"
            "MI-TAB-098,Samsung,Tab,tablet,mistral,mistral\n",
        }
    ),
    "POST /api/items/labels": Action(lambda o: {"asset_tags": ["MI-TAB-003"]}),
    "GET /api/kits": Listing(),
    "POST /api/kits": Action(
        lambda o: {"code": "mi-kit", "name": "Kit Mistral", "asset_tags": ["MI-TAB-003"]}
    ),
    # reservations and sharing
    "GET /api/availability": Gated(),  # what may be reserved: others' shared devices, by design
    "POST /api/reservations": Action(
        lambda o: {
            "partner_id": o.partner["other"],
            "site": "mistral",
            "category_id": o.tablet,
            "quantity": 1,
            **in_a_month(o),
        }
    ),
    "GET /api/reservations": Listing(
        lambda o: [{}, {"partner_id": o.partner["other"]}, {"site": "mistral"}, {"format": "csv"}]
    ),
    "GET /api/reservations/<int:reservation_id>": Object(
        object_id("reservation", "reservation_id")
    ),
    "POST /api/reservations/<int:reservation_id>/cancel": Object(
        object_id("reservation", "reservation_id")
    ),
    "POST /api/reservations/<int:reservation_id>/pick-up": Object(
        object_id("reservation", "reservation_id")
    ),
    "POST /api/reservations/<int:reservation_id>/return": Object(
        object_id("reservation", "reservation_id")
    ),
    "POST /api/reservation-series": Action(
        lambda o: {
            "partner_id": o.partner["other"],
            "site": "mistral",
            "category_id": o.tablet,
            "quantity": 1,
            "until": in_days(120),
            **local_window(days_ahead=60, hour=10, hours=2),
        }
    ),
    "POST /api/reservation-series/<int:series_id>/cancel": Object(
        object_id("series", "series_id"), body=lambda o, side: {}
    ),
    "GET /api/sharing-rules": Listing(),  # always the caller's own partner's
    "PUT /api/sharing-rules": Action(lambda o: {"partner_id": o.partner["other"], "shared": False}),
    "GET /api/partners/<int:partner_id>/reservations.ics": Object(partner_id),
    "GET /api/sites/<site_code>/desk.ics": Object(site_code),
    # residents
    "POST /api/residents": Action(
        lambda o: {
            "display_name": "Quelqu'un",
            "consent": True,
            "channel": "email",
            "email": "quelquun@residents.test",
            "registered_by_partner_id": o.partner["other"],
        }
    ),
    "GET /api/residents": Listing(
        lambda o: [
            {},
            {"partner_id": o.partner["other"]},
            {"search": "Yusuf"},
            {"search": o.card["other"]},
        ]
    ),
    "GET /api/residents/<int:resident_id>": Object(object_id("resident", "resident_id")),
    # Before by-card, which relates the caller's partner to the resident it finds.
    "POST /api/residents/<int:resident_id>/mandates": Object(
        object_id("resident", "resident_id"),
        body=lambda o, side: {"scopes": ["loans"], "expires_at": in_a_month(o)["ends_at"]},
    ),
    "GET /api/residents/<int:resident_id>/mandates": Object(object_id("resident", "resident_id")),
    "POST /api/mandates/<int:mandate_id>/withdraw": Object(object_id("mandate", "mandate_id")),
    "GET /api/residents/by-card/<card_number>": Object(card),
    "POST /api/residents/at-desk": Action(
        lambda o: {"card_number": o.card["other"], "partner_id": o.partner["other"]}
    ),
    "PATCH /api/residents/<int:resident_id>": Object(
        object_id("resident", "resident_id"), body=lambda o, side: {"language": "tr"}
    ),
    "POST /api/residents/<int:resident_id>/contact": Object(
        object_id("resident", "resident_id"), body=lambda o, side: {"phone": "07 00 00 00 01"}
    ),
    "POST /api/residents/<int:resident_id>/contact/confirm": Object(
        object_id("resident", "resident_id"), body=lambda o, side: {"code": "123456"}
    ),
    "GET /api/residents/<int:resident_id>/export": Object(
        object_id("resident", "resident_id"), acting=True
    ),
    "POST /api/residents/<int:resident_id>/erase": Object(
        object_id("resident", "resident_id"), acting=True
    ),
    # loans
    "POST /api/loans": Action(
        lambda o: {
            "asset_tag": "MI-LAP-002",
            "site": "mistral",
            "resident_id": o.ids["resident"]["other"],
        }
    ),
    "GET /api/loans": Listing(
        lambda o: [
            {},
            {"partner_id": o.partner["other"]},
            {"resident_id": o.ids["resident"]["other"]},
            {"site": "mistral"},
            {"asset_tag": "MI-LAP-001"},
            {"format": "csv"},
        ]
    ),
    "GET /api/loans/<int:loan_id>": Object(object_id("loan", "loan_id")),
    "POST /api/loans/<int:loan_id>/renew": Object(object_id("loan", "loan_id")),
    "POST /api/loans/<int:loan_id>/lost": Object(object_id("loan", "loan_id")),
    "POST /api/check-ins": Action(lambda o: {"asset_tag": "MI-LAP-001", "condition": "good"}),
    # waiting lists
    "POST /api/waiting-entries": Action(
        lambda o: {
            "category_id": o.laptop,
            "site": "mistral",
            "resident_id": o.ids["resident"]["other"],
        }
    ),
    "GET /api/waiting-entries": Listing(
        lambda o: [
            {},
            {"partner_id": o.partner["other"]},
            {"resident_id": o.ids["resident"]["other"]},
        ]
    ),
    "POST /api/waiting-entries/<int:entry_id>/leave": Object(object_id("entry", "entry_id")),
    "GET /api/waiting-lists": Object(
        lambda o, side: {},
        query=lambda o, side: {
            "category_id": o.laptop,
            "site": {"own": "jean-vilar", "other": "mistral", "missing": "nowhere"}[side],
        },
    ),
    # notifications
    "GET /api/delivery-log": Listing(
        lambda o: [
            {},
            {"partner_id": o.partner["other"]},
            {"resident_id": o.ids["resident"]["other"]},
        ]
    ),
    "GET /api/partners/<int:partner_id>/notices": Object(partner_id),
    "POST /api/notices/<int:notice_id>/done": Object(object_id("notice", "notice_id")),
    "PUT /api/partners/<int:partner_id>/contact": Object(
        partner_id, public=True, body=lambda o, side: {"email": "accueil@example.org"}
    ),
    # usage reports and the audit log: managers and the administrator read them all,
    # staff and residents none (the role gate)
    "GET /api/reports/utilisation": Gated(),
    "GET /api/reports/idle-items": Gated(),
    "GET /api/reports/overdue-and-lost": Gated(),
    "GET /api/reports/activity": Gated(),
    "GET /api/reports/unmet-demand": Gated(),
    "GET /api/reports/suggestions": Gated(),
    "POST /api/reports/suggestions/accept": Gated(),
    "GET /api/reports/open-data.csv": Gated(),
    "GET /api/reports/chart": Gated(),
    "GET /api/audit-log": Gated(),
    "GET /api/audit-log/verify": Gated(),
    # web pages
    "GET /sign-in": Page(signed_in=False),
    "POST /sign-in": Page(signed_in=False),
    "POST /sign-out": Page(signed_in=False),
    "GET /resident/sign-in": Page(signed_in=False),
    "POST /resident/sign-in": Page(signed_in=False),
    "GET /resident/sign-in/code": Page(signed_in=False),
    "POST /resident/sign-in/code": Page(signed_in=False),
    "GET /pages/pages.css": Page(signed_in=False),
    "GET /": Page(signed_in=False),
    # the public guide: /help and the poster for everyone, the help offers for staff
    # (another partner's offer answers 404: tests/browser/test_guide.py)
    "GET /help": Page(signed_in=False),
    "GET /guide/poster.pdf": Page(signed_in=False),
    # managers and the administrator: reports, suggestions, the audit log, open data
    "GET /manage": Page(serves="manager", also="admin"),
    "GET /manage/report.csv": Page(serves="manager", also="admin"),
    "POST /manage/suggestions/accept": Page(serves="manager", also="admin"),
    "POST /manage/suggestions/dismiss": Page(serves="manager", also="admin"),
    "GET /audit": Page(serves="manager", also="admin"),
    "GET /audit/summary.txt": Page(serves="manager", also="admin"),
    "GET /open-data": Page(serves="manager", also="admin"),
    "GET /open-data.csv": Page(serves="manager", also="admin"),
    # what the partner lets the others reserve: always the caller's own partner's
    "GET /sharing": Page(serves="staff"),
    "POST /sharing": Page(serves="staff"),
    "GET /help-offers": Page(serves="staff"),
    "POST /help-offers": Page(serves="staff"),  # always for the caller's own sites
    "GET /help-offers/<int:offer_id>": Page(serves="staff"),
    "POST /help-offers/<int:offer_id>": Page(serves="staff"),
    "POST /help-offers/<int:offer_id>/remove": Page(serves="staff"),
    # the administrator: accounts, partners, sites and their hours, categories (they read
    # every partner's; their journeys and refusals: tests/browser/test_admin.py)
    "GET /admin/accounts": Page(serves="admin", shows=lambda o: "staff@jean-vilar.test"),
    "POST /admin/accounts": Page(serves="admin"),
    "GET /admin/accounts/<int:account_id>": Page(serves="admin"),
    "POST /admin/accounts/<int:account_id>": Page(serves="admin"),
    "POST /admin/accounts/<int:account_id>/disable": Page(serves="admin"),
    "POST /admin/accounts/<int:account_id>/enable": Page(serves="admin"),
    "POST /admin/accounts/<int:account_id>/password": Page(serves="admin"),
    "GET /admin/partners": Page(serves="admin"),
    "POST /admin/partners": Page(serves="admin"),
    "GET /admin/partners/<int:partner_id>": Page(serves="admin"),
    "POST /admin/partners/<int:partner_id>/contact": Page(serves="admin"),
    "POST /admin/partners/<int:partner_id>/name": Page(serves="admin"),
    "GET /admin/sites": Page(serves="admin"),
    "POST /admin/sites": Page(serves="admin"),
    "GET /admin/sites/<site_code>": Page(serves="admin"),
    "POST /admin/sites/<site_code>/details": Page(serves="admin"),
    "POST /admin/sites/<site_code>/hours": Page(serves="admin"),
    "POST /admin/sites/<site_code>/closures": Page(serves="admin"),
    "POST /admin/sites/<site_code>/closures/<int:closure_id>/remove": Page(serves="admin"),
    "GET /admin/categories": Page(serves="admin"),
    "POST /admin/categories": Page(serves="admin"),
    "GET /admin/categories/<int:category_id>": Page(serves="admin"),
    "POST /admin/categories/<int:category_id>/policy": Page(serves="admin"),
    "POST /admin/categories/<int:category_id>/name": Page(serves="admin"),
    "GET /my-loans": Page(serves="resident", shows=lambda o: "JV-LAP-001"),
    "POST /my-loans/<int:loan_id>/renew": Page(
        serves="resident", ask=in_path(object_id("loan", "loan_id"))
    ),
    "GET /desk": Page(
        serves="staff",
        ask=in_query("loan", "loan"),
        shows=lambda o: "JV-LAP-001</bdi> est prêté",
    ),
    "POST /desk/check-out": Page(
        serves="staff",
        ask=desk_form(
            asset_tag="MI-LAP-002",
            card_number=lambda o: {"other": o.card["own"], "missing": o.card["own"]},
            site=lambda o: {"other": "mistral", "missing": "nowhere"},
        ),
    ),
    "POST /desk/check-in": Page(
        serves="staff",
        ask=desk_form(
            return_asset_tag=lambda o: {"other": "MI-LAP-001", "missing": MISSING_TAG},
            condition="damaged",
        ),
    ),
    # lending at the desk, step 2, and a loan's own pages
    "POST /desk/lend": Page(
        serves="staff",
        ask=desk_form(
            asset_tag=lambda o: {"other": "MI-LAP-002", "missing": MISSING_TAG},
            card_number=lambda o: {"other": o.card["own"], "missing": o.card["own"]},
            site="jean-vilar",
        ),
    ),
    "POST /desk/take-back": Page(
        serves="staff",
        ask=desk_form(
            return_asset_tag=lambda o: {"other": "MI-LAP-001", "missing": MISSING_TAG},
            condition="damaged",
        ),
    ),
    "GET /desk/loan": Page(
        serves="staff",
        ask=lambda o, side: {
            "query": {"find_asset_tag": {"other": "MI-LAP-001", "missing": MISSING_TAG}[side]}
        },
    ),
    "GET /desk/loans/<int:loan_id>": Page(
        serves="staff", ask=in_path(object_id("loan", "loan_id")), shows=lambda o: "JV-LAP-001"
    ),
    "GET /desk/loans/<int:loan_id>/slip.pdf": Page(
        serves="staff", ask=in_path(object_id("loan", "loan_id"))
    ),
    "GET /desk/loans/<int:loan_id>/lost": Page(
        serves="staff", ask=in_path(object_id("loan", "loan_id"))
    ),
    "POST /desk/loans/<int:loan_id>/lost": Page(
        serves="staff", ask=in_path(object_id("loan", "loan_id"))
    ),
    "POST /desk/loans/<int:loan_id>/renew": Page(
        serves="staff", ask=in_path(object_id("loan", "loan_id"))
    ),
    "GET /reserve": Page(
        serves="staff",
        ask=in_query("reservation", "reservation"),
        shows=lambda o: f"Réservation n° {o.ids['reservation']['own']} confirmée",
    ),
    "POST /reserve": Page(serves="staff"),  # always for the caller's own partner
    # the desk's queue and calendars
    "GET /queue": Page(serves="staff"),
    # how far each language's translations are reviewed
    "GET /languages": Page(serves="staff"),
    "POST /queue/notices/<int:notice_id>/done": Page(
        serves="staff", ask=in_path(object_id("notice", "notice_id"))
    ),
    "GET /feeds": Page(serves="staff"),  # the caller's own addresses
    "POST /feeds": Page(serves="staff"),
    "POST /feeds/<int:feed_id>/revoke": Page(serves="staff"),
    # a secret address stands for its maker: without one, nothing (tests/browser/test_feeds.py)
    "GET /feeds/<secret>/partners/<int:partner_id>/reservations.ics": Open(),
    "GET /feeds/<secret>/sites/<site_code>/desk.ics": Open(),
    # equipment: a partner's devices (the page's forms name the device in the path)
    "GET /equipment": Page(serves="staff", shows=lambda o: "JV-TAB-001"),
    "GET /equipment/new": Page(serves="staff"),
    "POST /equipment/new": Page(serves="staff"),  # always for the caller's own partner
    "GET /equipment/import": Page(serves="staff"),
    "POST /equipment/import": Page(serves="staff"),  # always into the caller's own fleet
    "POST /equipment/import/confirm": Page(serves="staff"),
    "GET /equipment/export.csv": Page(serves="staff", shows=lambda o: "JV-TAB-001"),
    "GET /equipment/labels.pdf": Page(
        serves="staff", ask=lambda o, side: {"query": tag("TAB-003")(o, side)}
    ),
    "GET /equipment/<asset_tag>": Page(
        serves="staff", ask=in_path(tag("TAB-003")), shows=lambda o: "JV-TAB-003"
    ),
    "GET /equipment/<asset_tag>/edit": Page(serves="staff", ask=in_path(tag("TAB-003"))),
    "POST /equipment/<asset_tag>/edit": Page(
        serves="staff",
        ask=lambda o, side: {
            "path": tag("TAB-003")(o, side),
            "form": {"device_make": "Samsung", "device_model": "Tab", "device_notes": "mine"},
        },
    ),
    "POST /equipment/<asset_tag>/status": Page(
        serves="staff",
        ask=lambda o, side: {
            "path": tag("TAB-003")(o, side),
            "form": {"device_action": "retire", "device_reason": "cassé"},
        },
    ),
    "POST /equipment/<asset_tag>/wipe": Page(
        serves="staff", ask=lambda o, side: {"path": tag("TAB-003")(o, side), "form": {}}
    ),
    "POST /equipment/<asset_tag>/transfer": Page(
        serves="staff",
        ask=lambda o, side: {
            "path": tag("TAB-003")(o, side),
            "form": {
                "device_to_site": "jean-vilar",
                "device_to_partner": "jean-vilar",
                "device_transfer_reason": "prêt",
            },
        },
    ),
    # the reservation pages: a site's list and week (its own reservations elsewhere), one
    # reservation and what is done to it
    "GET /reservations": Page(serves="staff"),
    "GET /reservations/week": Page(serves="staff"),
    "GET /reservations/<int:reservation_id>": Page(
        serves="staff",
        ask=in_path(object_id("reservation", "reservation_id")),
        shows=lambda o: f"Réservation n° {o.ids['reservation']['own']}",
    ),
    "POST /reservations/<int:reservation_id>/pick-up": Page(
        serves="staff", ask=in_path(object_id("reservation", "reservation_id"))
    ),
    "POST /reservations/<int:reservation_id>/return": Page(
        serves="staff", ask=in_path(object_id("reservation", "reservation_id"))
    ),
    "POST /reservations/<int:reservation_id>/cancel": Page(
        serves="staff", ask=in_path(object_id("reservation", "reservation_id"))
    ),
    "POST /reservations/<int:reservation_id>/cancel-series": Page(
        serves="staff", ask=in_path(object_id("reservation", "reservation_id"))
    ),
    # residents: the search holds the partner's own, a profile is one they reach
    "GET /residents": Page(
        serves="staff",
        ask=lambda o, side: {"query": {"resident_search": card(o, side)["card_number"]}},
        shows=lambda o: "Amina B.",
    ),
    "POST /residents/at-desk": Page(serves="staff"),  # a whole card presented: found anywhere
    "GET /residents/new": Page(serves="staff"),
    "POST /residents/new": Page(serves="staff"),  # always for the caller's own partner
    # By the time pages are asked, by-card has related Jean Vilar to Yusuf (he presented
    # his card): his profile shows, masked. tests/browser/test_residents.py asks these two
    # of a resident Jean Vilar never met.
    "GET /residents/<int:resident_id>": Page(serves="staff"),
    "POST /residents/<int:resident_id>/mandates": Page(serves="staff"),
    # Yusuf's masked to Jean Vilar, which holds no mandate of his covering "contact".
    "POST /residents/<int:resident_id>/settings": Page(
        serves="staff", ask=in_path(object_id("resident", "resident_id"))
    ),
    "POST /residents/<int:resident_id>/mandates/<int:mandate_id>/withdraw": Page(
        serves="staff",
        ask=lambda o, side: {
            "path": {
                **object_id("resident", "resident_id")(o, side),
                **object_id("mandate", "mandate_id")(o, side),
            }
        },
    ),
    "GET /residents/<int:resident_id>/export": Page(
        serves="staff",
        ask=in_path(object_id("resident", "resident_id")),
        shows=lambda o: "Amina B.",
    ),
    "GET /residents/<int:resident_id>/erasure": Page(
        serves="staff",
        ask=in_path(object_id("resident", "resident_id")),
        shows=lambda o: "Amina B.",
    ),
    "POST /residents/<int:resident_id>/erasure": Page(
        serves="staff", ask=in_path(object_id("resident", "resident_id"))
    ),
    # a resident's own pages: home, history, details (their own records only)
    "GET /pages/kinds/<kind>.svg": Page(signed_in=False),
    "POST /my-loans/waiting": Page(serves="resident"),
    "POST /my-loans/waiting/<int:entry_id>/leave": Page(
        serves="resident", ask=in_path(object_id("entry", "entry_id"))
    ),
    "GET /my-loans/history": Page(serves="resident"),
    "GET /my-details": Page(serves="resident"),
    "POST /my-details/settings": Page(serves="resident"),
    "POST /my-details/contact": Page(serves="resident"),
    "POST /my-details/contact/confirm": Page(serves="resident"),
    "GET /my-details/export": Page(serves="resident"),
    "POST /my-details/erasure": Page(serves="resident"),
}


def key(route) -> str:
    return f"{route.method} {route.path}"


ROUTE_BY_KEY = {key(route): route for route in ROUTES}


def allowed(route, role) -> bool:
    return ANYONE in route.allow or role in route.allow


def url(route, values) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route.path)


def dummy_values(route) -> dict:
    """Any path values will do where the role gate refuses before anything is read."""
    return {
        name: (1 if converter == "int" else "X")
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route.path)
    }


def cases(kind, roles=ROLES):
    """(route, role) for the routes of this kind, for each of `roles` the route allows."""
    return [
        pytest.param(route_key, role, id=f"{route_key} as {role}")
        for route_key, entry in MATRIX.items()
        if isinstance(entry, kind) and route_key in ROUTE_BY_KEY
        for role in roles
        if allowed(ROUTE_BY_KEY[route_key], role)
    ]


# --- the people and their objects --------------------------------------------------------


@dataclass
class Objects:
    partner: dict  # side -> partner id
    tablet: int
    laptop: int
    ids: dict  # kind -> {"own": id, "other": id}
    card: dict
    markers: dict  # role -> strings that must never reach that role in a list
    before: dict = field(default_factory=dict)  # the other side's objects, as a manager read them


@pytest.fixture(scope="module")
def callers(system):
    people = {
        "nobody": system.client(),
        "resident": system.resident_session(system.world.residents["jean-vilar"]),
    }
    people.update({role: system.sign_in(email) for role, email in EMAILS.items()})
    people["staff-mistral"] = system.sign_in("staff@mistral.test")
    return people


@pytest.fixture(scope="module")
def objects(system, callers):
    """A reservation, a weekly series, a loan, a place in line and a desk notice on
    each side."""
    world = system.world
    amina, yusuf = world.residents["jean-vilar"], world.residents["mistral"]
    tablet, laptop = world.categories["tablet"], world.categories["laptop"]
    ids = {
        "resident": {"own": amina["id"], "other": yusuf["id"]},
        "reservation": {},
        "series": {},
        "loan": {},
        "entry": {},
        "notice": {},
        "mandate": {},
    }
    for side, staff, site in (
        ("own", callers["staff"], "jean-vilar"),
        ("other", callers["staff-mistral"], "mistral"),
    ):
        prefix = "JV" if side == "own" else "MI"
        resident = amina if side == "own" else yusuf
        ids["reservation"][side] = created(
            staff.post(
                "/api/reservations",
                json={
                    "site": site,
                    "category_id": tablet,
                    "quantity": 1,
                    **local_window(days_ahead=20, hour=14, hours=2),
                },
            )
        )["id"]
        ids["series"][side] = created(
            staff.post(
                "/api/reservation-series",
                json={
                    "site": site,
                    "category_id": tablet,
                    "quantity": 1,
                    "until": local_window(days_ahead=45, hour=9, hours=1)["starts_at"][:10],
                    **local_window(days_ahead=30, hour=16, hours=2),
                },
            )
        )["series"]["id"]
        ids["loan"][side] = created(
            staff.post(
                "/api/loans",
                json={
                    "asset_tag": f"{prefix}-LAP-001",
                    "site": site,
                    "resident_id": resident["id"],
                    "accessories": ["chargeur"],
                },
            )
        )["id"]
        ids["entry"][side] = created(
            staff.post(
                "/api/waiting-entries",
                json={"category_id": laptop, "site": site, "resident_id": resident["id"]},
            )
        )["id"]
        # The resident's consent for the desk to act for them (acting=True routes).
        ids["mandate"][side] = created(
            staff.post(
                f"/api/residents/{resident['id']}/mandates",
                json={"scopes": ["loans", "data"], "expires_at": in_a_month(None)["ends_at"]},
            )
        )["id"]
        # Each reservation is announced to its partner's desk as a notice.
        notices = f"/api/partners/{staff.get('/api/me').json()['partner_id']}/notices"
        ids["notice"][side] = wait_until(
            lambda staff=staff, notices=notices: staff.get(notices).json()["items"],
            timeout=30,
            what=f"a notice at {site}'s desk",
        )[0]["id"]
    objects = Objects(
        partner={"own": world.jean_vilar.id, "other": world.mistral.id},
        tablet=tablet,
        laptop=laptop,
        ids=ids,
        card={"own": amina["card_number"], "other": yusuf["card_number"]},
        markers={},
    )
    yusuf_says = [yusuf["display_name"], yusuf["email"], yusuf["card_number"], "MI-LAP-001"]
    objects.markers = {
        "staff": yusuf_says + ["MI-TAB", "MI-LAP"],
        "resident": yusuf_says + ["MI-TAB", "MI-LAP", "JV-TAB"],
        "manager": [amina["email"], yusuf["email"], amina["card_number"], yusuf["card_number"]],
        "admin": [],
    }
    objects.before = the_other_side(callers["manager"], objects)
    return objects


def created(response) -> dict:
    assert response.status_code == 201, (response.request.url, response.status_code, response.text)
    return response.json()


def the_other_side(manager, o: Objects) -> dict:
    """The other side's objects as a manager reads them."""
    paths = [
        f"/api/reservations/{o.ids['reservation']['other']}",
        f"/api/loans/{o.ids['loan']['other']}",
        "/api/items/MI-TAB-003",
        f"/api/residents/{o.ids['resident']['other']}",
        f"/api/reservations?series_id={o.ids['series']['other']}",
        f"/api/waiting-entries?resident_id={o.ids['resident']['other']}",
        "/api/sites/mistral",
        f"/api/partners/{o.partner['other']}/notices?include_done=true",
    ]
    return {path: manager.get(path).json() for path in paths}


def send(client, route, values, body=None, query=None):
    kwargs = {}
    if body is not None:
        kwargs["json"] = body
    return client.request(
        route.method, url(route, values), params=query, allow_redirects=False, **kwargs
    )


def assert_bare_problem(response, status):
    assert response.status_code == status, (
        response.request.method,
        response.request.url,
        response.status_code,
        response.text[:500],
    )
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert set(response.json()) <= PROBLEM_KEYS


# --- the matrix ---------------------------------------------------------------------------


def test_every_registered_route_is_in_the_matrix():
    registered = set(ROUTE_BY_KEY)

    assert registered - set(MATRIX) == set(), "routes without a line in MATRIX"
    assert set(MATRIX) - registered == set(), "lines of MATRIX for routes that are gone"


@pytest.mark.parametrize(
    "route_key, role",
    [
        pytest.param(k, role, id=f"{k} as {role}")
        for k, route in ROUTE_BY_KEY.items()
        for role in ROLES
        if not allowed(route, role)
    ],
)
def test_a_role_a_route_does_not_allow_is_refused_before_anything_is_read(route_key, role, callers):
    route = ROUTE_BY_KEY[route_key]

    response = send(callers[role], route, dummy_values(route))

    assert_bare_problem(response, 401 if role == "nobody" else 403)


@pytest.mark.parametrize("route_key, role", cases(Object, roles=("staff", "resident")))
def test_the_other_sides_object_is_answered_exactly_as_a_missing_one(
    route_key, role, callers, objects
):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]
    client = callers[role]

    def ask(side):
        values = entry.path(objects, side)
        body = entry.body(objects, side) if entry.body else None
        return values, send(client, route, values, body, query_for(entry, objects, side, role))

    other_values, other = ask("other")
    if entry.public:  # seen by everyone, changed by its own
        if route.method == "GET":
            assert other.status_code == 200, other.text[:300]
        else:
            assert_bare_problem(other, 403)
        return
    if route_key == "GET /api/residents/by-card/<card_number>":
        # Holding the card, the resident stands at the desk: any partner's staff learn
        # their id to lend to them, and nothing else.
        assert other.status_code == 200 and set(other.json()) == {"id"}, other.text
        return
    missing_values, missing = ask("missing")
    assert_bare_problem(other, 404)
    assert_bare_problem(missing, 404)
    assert same_problem(other, other_values) == same_problem(missing, missing_values)


def query_for(entry: Object, o: Objects, side: str, role: str) -> dict | None:
    query = entry.query(o, side) if entry.query else {}
    if entry.acting and role == "staff":
        query["acting_for"] = entry.path(o, side)["resident_id"]
    return query or None


def same_problem(response, values) -> dict:
    """The problem with the object's name or number taken out of its text."""
    text = json.dumps({k: v for k, v in response.json().items() if k != "instance"})
    for value in values.values():
        text = text.replace(str(value), "…")
    return json.loads(text)


READS = [case for case in cases(Object) if case.values[0].startswith("GET ")]


@pytest.mark.parametrize("route_key, role", READS)
def test_own_objects_are_read_and_managers_read_both_sides(route_key, role, callers, objects):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]
    sides = ("own", "other") if role in ("admin", "manager") else ("own",)
    for side in sides:
        query = query_for(entry, objects, side, role)
        response = send(callers[role], route, entry.path(objects, side), query=query)
        assert response.status_code == 200, (route_key, role, side, response.text[:300])


@pytest.mark.parametrize(
    "route_key, role", cases(Listing, roles=("admin", "manager", "staff", "resident"))
)
def test_lists_hold_nothing_of_the_other_side_whatever_is_asked(route_key, role, callers, objects):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]
    for query in entry.queries(objects):
        response = send(callers[role], route, {}, query=query)
        assert response.status_code == 200, (route_key, role, query, response.text[:300])
        leaked = [marker for marker in objects.markers[role] if marker in response.text]
        assert leaked == [], f"{route_key}?{query} as {role} shows {leaked}"
        if response.headers["Content-Type"].startswith("application/json"):
            assert_no_record_of_the_other_side(response.json(), role, objects, route_key, query)


def assert_no_record_of_the_other_side(page, role, o: Objects, route_key, query):
    if role not in ("staff", "resident"):
        return
    other = {
        "partner_id": o.partner["other"],
        "resident_id": o.ids["resident"]["other"],
        "registered_by_partner_id": o.partner["other"],
    }
    for record in page if isinstance(page, list) else page.get("items", []):
        for name, value in other.items():
            assert record.get(name) != value, f"{route_key}?{query} as {role}: {record}"
        if "resident" in route_key:
            assert record.get("id") != o.ids["resident"]["other"], record


@pytest.mark.parametrize(
    "route_key", [k for k, e in MATRIX.items() if isinstance(e, Action) and k in ROUTE_BY_KEY]
)
def test_staff_cannot_act_for_another_partner(route_key, callers, objects):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]

    response = send(callers["staff"], route, {}, body=entry.other(objects))

    assert response.status_code in entry.expect, (route_key, response.status_code, response.text)
    assert_bare_problem(response, response.status_code)


@pytest.mark.parametrize(
    "route_key",
    [k for k, e in MATRIX.items() if isinstance(e, Page) and e.signed_in and k in ROUTE_BY_KEY],
)
def test_pages_send_nobody_to_sign_in_and_show_them_nothing(route_key, callers, objects):
    route = ROUTE_BY_KEY[route_key]

    response = send(callers["nobody"], route, dummy_values(route))

    assert response.status_code in (302, 303, 401, 403), (route_key, response.status_code)
    if response.status_code in (302, 303):
        assert "sign-in" in response.headers["Location"]


def test_every_page_for_signed_in_people_says_whom_it_serves():
    unsaid = [
        k for k, e in MATRIX.items() if isinstance(e, Page) and e.signed_in and e.serves not in HOME
    ]

    assert unsaid == [], "pages without the role they serve in MATRIX"


def pages(where=lambda entry: True):
    return [
        k
        for k, e in MATRIX.items()
        if isinstance(e, Page) and e.serves in HOME and k in ROUTE_BY_KEY and where(e)
    ]


def open_page(client, route, entry: Page, objects, side):
    """The page as a browser asks for it: with its CSRF cookie, and the token in a form."""
    asked = entry.ask(objects, side) if entry.ask else {}
    values = asked.get("path") or dummy_values(route)
    data = {**asked.get("form", {}), "csrf_token": CSRF} if route.method == "POST" else None
    response = client.request(
        route.method,
        url(route, values),
        params=asked.get("query"),
        data=data,
        cookies={"csrf": CSRF},
        allow_redirects=False,
        headers={"Accept": "text/html"},
    )
    if response.status_code == 303 and f"{REFUSED_MARK}=" in response.headers["Location"]:
        # A refused form answers with its GET page, which shows the refusal (post/redirect/get).
        response = client.get(
            response.headers["Location"],
            cookies={"csrf": CSRF},
            allow_redirects=False,
            headers={"Accept": "text/html"},
        )
    return asked, response


def without(text: str, asked: dict) -> str:
    """The page with what was typed or named in its address taken out (whole words
    only: a loan numbered 2 leaves <h2> alone)."""
    for part in asked.values():
        for value in part.values():
            text = re.sub(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", "…", text)
    return re.sub(rf"{REFUSED_MARK}=[\w-]+", "…", text)  # each refusal's own random mark


@pytest.mark.parametrize(
    "route_key, role",
    [
        pytest.param(k, role, id=f"{k} as {role}")
        for k in pages()
        for role in HOME
        if role not in (MATRIX[k].serves, MATRIX[k].also)
    ],
)
def test_a_page_sends_every_role_it_does_not_serve_home_and_shows_it_nothing(
    route_key, role, callers, objects
):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]

    asked, response = open_page(callers[role], route, entry, objects, "other")

    assert response.status_code == 303, (route_key, role, response.status_code, response.text[:300])
    assert response.headers["Location"].endswith(HOME[role])
    leaked = [marker for marker in objects.markers[role] if marker in without(response.text, asked)]
    assert leaked == []


@pytest.mark.parametrize("route_key", pages(lambda entry: entry.ask is not None))
def test_a_page_shows_the_other_sides_object_exactly_as_a_missing_one(route_key, callers, objects):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]
    client = callers[entry.serves]

    other_asked, other = open_page(client, route, entry, objects, "other")
    missing_asked, missing = open_page(client, route, entry, objects, "missing")

    assert other.status_code == missing.status_code, (route_key, other.text[:500])
    assert other.status_code < 500 and other.status_code != 303, (route_key, other.status_code)
    assert without(other.text, other_asked) == without(missing.text, missing_asked)
    leaked = [
        marker
        for marker in objects.markers[entry.serves]
        if marker in without(other.text, other_asked)
    ]
    assert leaked == []


@pytest.mark.parametrize("route_key", pages(lambda entry: entry.shows is not None))
def test_a_page_shows_the_role_it_serves_their_own_object(route_key, callers, objects):
    route, entry = ROUTE_BY_KEY[route_key], MATRIX[route_key]

    asked, response = open_page(callers[entry.serves], route, entry, objects, "own")

    assert response.status_code == 200, (route_key, response.status_code, response.text[:300])
    assert entry.shows(objects) in response.text
    leaked = [marker for marker in objects.markers[entry.serves] if marker in response.text]
    assert leaked == []


@pytest.mark.parametrize(
    "route_key", [k for k, e in MATRIX.items() if isinstance(e, (Open, Page)) and k in ROUTE_BY_KEY]
)
def test_what_anyone_may_open_shows_nobody_a_residents_data(route_key, callers, objects):
    route = ROUTE_BY_KEY[route_key]

    response = send(callers["nobody"], route, dummy_values(route))

    assert response.status_code < 500, (route_key, response.status_code, response.text[:300])
    leaked = [
        marker
        for marker in objects.markers["staff"] + objects.markers["manager"]
        if marker in response.text
    ]
    assert leaked == []


def test_staff_acting_for_another_partners_resident_see_nothing_of_them(callers, objects):
    """Acting for a resident at the desk does not open the records of a resident the
    partner does not know: their data export, their loans, their places in line."""
    yusuf = objects.ids["resident"]["other"]
    staff = callers["staff"]
    acting = {"acting_for": yusuf}

    objects_of_yusuf = [
        f"/api/residents/{yusuf}/export",
        f"/api/residents/{yusuf}",
        f"/api/loans/{objects.ids['loan']['other']}",
    ]
    lists_of_yusuf = [
        f"/api/loans?resident_id={yusuf}",
        f"/api/waiting-entries?resident_id={yusuf}",
    ]

    answered = {path: staff.get(path, params=acting) for path in objects_of_yusuf + lists_of_yusuf}

    shown = {
        path: response.status_code
        for path, response in answered.items()
        if (path in objects_of_yusuf and response.status_code != 404)
        or (path in lists_of_yusuf and response.status_code != 404 and response.json()["items"])
    }
    assert shown == {}, "shown to staff of another partner acting for Yusuf"


def test_managers_read_residents_without_their_contact_details(callers, objects):
    manager = callers["manager"]

    listing = manager.get("/api/residents").json()["items"]
    one = manager.get(f"/api/residents/{objects.ids['resident']['other']}").json()

    for resident in [*listing, one]:
        assert {"email", "phone", "card_number"}.isdisjoint(k for k, v in resident.items() if v), (
            resident
        )


def test_nothing_of_the_other_side_was_changed_by_what_was_refused(callers, objects):
    """Runs last in this module: every refused write above left the other side as it was."""
    assert the_other_side(callers["manager"], objects) == objects.before
