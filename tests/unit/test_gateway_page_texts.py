"""The web pages' texts: every catalogue has every message, with its placeholders, and
every page renders in every language with its language and direction declared."""

import re
import warnings
from datetime import date, timedelta

import pytest
from babel.messages.pofile import read_po

from partanum.catalogues import AWAITING_REVIEW, compiled
from partanum.i18n import LANGUAGES
from services.gateway.authz import Principal
from services.gateway.pages import forms, i18n
from services.gateway.pages.catalogues import CATALOGUES as catalogues
from services.gateway.pages.manage import suggestion_figures

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_language_catalogue_has_every_message_with_its_placeholders():
    sources = catalogues.source_messages()
    for language in catalogues.translated:
        with catalogues.po_path(language).open("rb") as po:
            catalog = read_po(po)
        for source in sources:
            message = catalog.get(source)
            assert message is not None and all(forms_of(message)), f"{language}: {source!r}"
            assert not message.fuzzy, f"{language}: fuzzy {source!r}"
            # A counted text (ngettext): each plural form keeps the placeholders of the plural.
            expected = set(PLACEHOLDER.findall(source[-1] if isinstance(source, tuple) else source))
            for string in forms_of(message):
                assert set(PLACEHOLDER.findall(string)) == expected, (
                    f"{language}: {string!r} does not keep the placeholders of {source!r}"
                )


def forms_of(message) -> tuple[str, ...]:
    """A catalogue entry's translation, or each of its plural forms."""
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def test_the_template_catalogue_holds_exactly_the_texts_of_the_pages():
    with catalogues.template.open("rb") as pot:
        template = read_po(pot)
    assert {m.id for m in template if m.id} == set(catalogues.source_messages())


def test_every_compiled_catalogue_is_up_to_date_with_its_po_file():
    for language in LANGUAGES:
        assert catalogues.mo_path(language).read_bytes() == compiled(
            catalogues.po_path(language)
        ), f"{language}: run make catalogues"


def test_every_catalogue_says_whether_a_native_speaker_has_reviewed_it():
    statuses = {language: catalogues.review_status(language) for language in LANGUAGES}
    for language, status in statuses.items():
        assert status == AWAITING_REVIEW or (status or "").startswith("reviewed by"), (
            f"{language}: review status is {status!r}"
        )
    awaiting = sorted(lang for lang, status in statuses.items() if status == AWAITING_REVIEW)
    if awaiting:
        warnings.warn(
            f"page catalogues awaiting native-speaker review: {', '.join(awaiting)}", stacklevel=1
        )


# --- pages rendered -----------------------------------------------------------------------

SITE = {
    "id": 1,
    "name": "Centre Jean Vilar",
    "address": "1 place Jean XXIII, 49100 Angers",
    "opening_hours": {"monday": [["13:30", "18:30"]]},
}
ACCOUNT = {
    "id": 1,
    "email": "ines@jean-vilar.test",
    "display_name": "Inès",
    "role": "staff",
    "partner_id": 1,
    "disabled": False,
}
LOAN = {
    "id": 7,
    "device": "Lenovo ThinkPad E14",
    "asset_tag": "JV-LAP-003",
    "late": True,
    "due_at": "2026-12-08T17:30:00+00:00",
    "site": SITE,
}
STAFF = Principal(role="staff", account_id=1, partner_id=1)
DEVICE = {
    "asset_tag": "JV-TAB-001",
    "make": "Samsung",
    "model": "Galaxy Tab A8",
    "category": "tablet",
    "owner": "jean-vilar",
    "home_site": "jean-vilar",
    "current_site": "mistral",
    "status": "available",
    "condition": "good",
    "accessories": ["chargeur"],
    "notes": "coin abîmé",
    "serial_number": "R9JT30ABC",
    "purchase_date": "2024-09-15",
    "purchase_cost": "249.90",
}
CHOICES = {
    "statuses": [("available", "disponible")],
    "categories": [("tablet", "Tablette")],
    "sites": [("mistral", "Mistral")],
    "partners": [("mistral", "Espace Mistral")],
    "conditions": list(forms.CONDITIONS.items()),
}
RESERVATION = {
    "id": 4,
    "starts_at": LOAN["due_at"],
    "ends_at": LOAN["due_at"],
    "site": "Mistral",
    "asset_tags": ["JV-TAB-001"],
    "status": "confirmed",
    "status_text": "confirmée, à remettre",
    "series_id": 2,
    "note": "Atelier CV",
    "attention": "",
    "local_day": date(2026, 12, 8),
}
PAGES = {
    "staff_sign_in.html": {},
    "resident_sign_in.html": {},
    "resident_code.html": {},
    "my_loans.html": {
        "loans": [
            {
                **LOAN,
                "kind": "Ordinateur portable",
                "picture": "/pages/kinds/laptop.svg",
                "closures": [
                    {"starts_on": "2026-12-24", "ends_on": "2026-12-26"},
                    {"starts_on": "2027-01-01", "ends_on": "2027-01-01"},
                ],
            }
        ],
        "holds": [{"id": 4, "site": SITE, "hold_expires_at": LOAN["due_at"], "kind": "Tablette"}],
        "waiting": [{"id": 5, "site": SITE, "position": 2, "kind": "Tablette"}],
        "kinds": [(1, "Tablette")],
        "places": [("jean-vilar", "Centre Jean Vilar")],
        "who": Principal(role="resident", resident_id=3),
    },
    "desk.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "sites": [("jean-vilar", "Centre Jean Vilar"), ("mistral", "Mistral")],
        "conditions": list(forms.CONDITIONS.items()),
        "done": {
            "title": "JV-LAP-003",
            "due_at": LOAN["due_at"],
            "site": "Mistral",
            "missing": ["souris"],
        },
    },
    # lending
    "lending_check_out.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "device": {
            "id": 3,
            "make": "Lenovo",
            "model": "ThinkPad E14",
            "asset_tag": "JV-LAP-003",
            "accessories": ["chargeur", "souris"],
        },
        "resident": {"id": 5, "card_number": "RS-0042", "display_name": "Amina"},
        "desk_site": "jean-vilar",
        "ticked": ["chargeur"],
        "reserved": [("4", "Réservation n° 4")],
        "held_here": True,
        "ask_reason": True,
    },
    "lending_check_in.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "loan": {"id": 7, "asset_tag": "JV-LAP-003", "accessories_out": ["chargeur", "souris"]},
        "ticked": ["chargeur"],
        "conditions": list(forms.CONDITIONS.items()),
        "chosen_condition": "good",
    },
    "lending_loan.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "loan": {
            **LOAN,
            "status": "active",
            "renewals": 1,
            "accessories_out": ["chargeur"],
            "override_reason": "Dossier CAF",
        },
        "device": "Lenovo ThinkPad E14",
        "return_site": SITE,
    },
    "lending_lost.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "loan": LOAN,
        "device": "Lenovo ThinkPad E14",
    },
    "reserve.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "categories": [(1, "Tablette")],
        "sites": [("mistral", "Mistral")],
        "reservation": {
            "id": 4,
            "starts_at": LOAN["due_at"],
            "ends_at": LOAN["due_at"],
            "site": "Mistral",
            "asset_tags": ["JV-TAB-001"],
        },
        "refusal": {"choices": [("site:mistral", "Mistral")]},
    },
    # the desk's queue and calendars
    "queue_page.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "late": [
            {
                "asset_tag": "JV-LAP-003",
                "due_at": LOAN["due_at"],
                "days_late": 3,
                "resident": {"id": 3, "name": "Amina B.", "phone": None},
            }
        ],
        "held": [
            {
                "category": "Tablette",
                "site": "Mistral",
                "hold_expires_at": LOAN["due_at"],
                "resident": {"id": 4, "name": None, "phone": None},
            }
        ],
        "waiting": [],
        "calls": [
            {"id": 9, "why": "…", "resident": {"id": 3, "name": "Amina B.", "phone": "06 12"}}
        ],
        "desk_notices": [{"id": 8, "text": "…", "created_at": LOAN["due_at"]}],
        "undelivered": [],
    },
    "feeds_page.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "feeds": [{"id": 1, "name": "Accueil", "created_at": LOAN["due_at"], "last_used_at": None}],
        "made": {"name": "Accueil", "addresses": [("Mistral", "https://x/feeds/s/desk.ics")]},
    },
    # equipment
    "equipment_list.html": {
        "who": STAFF,
        "devices": [{**DEVICE, "site_name": "Mistral", "status_label": "x", "changeable": True}],
        "total": 30,
        "page_number": 2,
        "pages": 3,
        "asked": {"device_search": "galaxy"},
        "choices": CHOICES,
    },
    "equipment_device.html": {
        "who": STAFF,
        "item": DEVICE,
        "names": {"category": {}, "site": {}, "partner": {}},
        "status_label": "x",
        "condition_label": "y",
        "may_change": True,
        "may_wipe": True,
        "may_move": True,
        "actions": [("lost", "perdu")],
        "history": [{"at": LOAN["due_at"], "what": "x", "reason": "r", "by": "staff:1"}],
        "choices": CHOICES,
    },
    "equipment_form.html": {
        "who": STAFF,
        "item": None,
        "filled": {},
        "own_sites": [("mistral", "Mistral")],
        "choices": CHOICES,
    },
    "equipment_import.html": {
        "who": STAFF,
        "columns": ("asset_tag", "make"),
        "imported": {"created": 1, "updated": 0, "unchanged": 2},
        "problems": [{"line": 3, "column": None, "text": "x"}],
        "preview": {"created": 1, "updated": 0, "unchanged": 0},
        "rows": [{"line": 2, "asset_tag": "JV-TAB-001", "change_label": "x", "fields": ["notes"]}],
        "csv_text": "asset_tag,make",
    },
    # reservations: the list, one reservation, the week
    "reservations_list.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "site": {"code": "mistral", "name": "Mistral"},
        "sites": [("mistral", "Mistral")],
        "today_list": [{**RESERVATION, "status": "picked_up"}],
        "later_list": [RESERVATION],
        "week": "2026-12-08",
    },
    "reservations_one.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "reservation": RESERVATION,
        "site_code": "mistral",
        "own": True,
    },
    "reservations_week.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "site": {"code": "mistral", "name": "Mistral"},
        "sites": [("mistral", "Mistral")],
        "days": [date(2026, 12, 7) + timedelta(days=n) for n in range(7)],
        "hour_rows": [("14:00", [[(RESERVATION, True)]] + [[]] * 6)],
        "by_day": [[RESERVATION]] + [[]] * 6,
        "previous_week": "2026-11-30",
        "next_week": "2026-12-14",
        "this_week": "2026-12-07",
        "first_day": "lundi 7 décembre",
        "last_day": "dimanche 13 décembre",
    },
    # the public guide, /help and the help partners offer
    "guide_home.html": {
        "places": [
            {
                "code": "jean-vilar",
                "name": "Centre Jean Vilar",
                "address": "1 place Jean XXIII, 49100 Angers",
                "hours": [("lundi", "13:30–18:30")],
                "closures": [("mardi 8 décembre", "mardi 8 décembre", "Formation")],
                "closed_today": False,
                "kinds": [("Tablette", 2), ("Ordinateur portable", 0)],
                "help": [("Aide numérique", [("lundi", "13:30–18:30")])],
            }
        ],
        "poster_languages": ("fr", "ru"),
    },
    "guide_help.html": {},
    "guide_offers.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "offers": [{"id": 3, "site": "Mistral", "what": "Aide", "hours": [("lundi", "9:00")]}],
        "sites": [("mistral", "Mistral")],
        "days": tuple(f"help_{day}" for day in ("monday", "tuesday")),
        "editing": 3,
        "offer_values": {"help_site": "mistral", "help_monday": "09:00-12:00"},
    },
    # how far each language's translations are reviewed
    "languages_review.html": {
        "who": Principal(role="staff", account_id=1, partner_id=1),
        "rows": [
            {
                "language": "ps",
                "name": "پښتو",
                "pages": "À relire",
                "messages": "À relire",
                "check_first": ["امانت"],
            }
        ],
    },
    # a resident's own pages: history, details
    "mine_history.html": {
        "who": Principal(role="resident", resident_id=3),
        "past": [{**LOAN, "checked_out_at": LOAN["due_at"], "returned_at": LOAN["due_at"]}],
        "days": 30,
    },
    "mine_details.html": {
        "who": Principal(role="resident", resident_id=3),
        "resident": {"display_name": "Amina B.", "phone": "06 12 34 56 78", "language": "ar"},
        "channels": [("sms", "SMS")],
        "mine_languages": [("ar", "العربية")],
        "request_code": True,
    },
    # the administrator's pages
    "admin_accounts.html": {
        "who": Principal(role="admin", account_id=1),
        "accounts": [ACCOUNT, {**ACCOUNT, "id": 2, "disabled": True, "partner_id": None}],
        "partner_names": {1: "Centre Jean Vilar"},
        "roles": [("staff", "Équipe"), ("admin", "Administrateur")],
        "role_names": {"staff": "Équipe", "admin": "Administrateur"},
        "partner_choices": [("", "Aucune"), ("1", "Centre Jean Vilar")],
    },
    "admin_account.html": {
        "who": Principal(role="admin", account_id=1),
        "account": ACCOUNT,
        "partner_name": "Centre Jean Vilar",
        "roles": [("staff", "Équipe")],
        "role_names": {"staff": "Équipe"},
        "partner_choices": [("", "Aucune"), ("1", "Centre Jean Vilar")],
        "own": False,
        "new_password": "abcd-efgh-jkmn",
        "created": True,
    },
    "admin_partners.html": {
        "who": Principal(role="admin", account_id=1),
        "partners": [
            {"code": "mistral", "name": "Mistral", "sites": [{**SITE, "code": "mistral"}]}
        ],
    },
    "admin_partner.html": {
        "who": Principal(role="admin", account_id=1),
        "partner": {"id": 2, "code": "mistral", "name": "Mistral"},
        "contact": {"email": "accueil@mistral.test", "language": "fr"},
        "contact_languages": [("fr", "Français"), ("ar", "العربية")],
    },
    "admin_categories.html": {
        "who": Principal(role="admin", account_id=1),
        "categories": [
            {
                "id": 1,
                "code": "tablet",
                "name": "Tablette",
                "policy": {"loan_days": 14, "max_renewals": 2},
            }
        ],
    },
    "admin_category.html": {
        "who": Principal(role="admin", account_id=1),
        "category": {"id": 1, "code": "tablet", "name": "Tablette"},
        "policy": {"loan_days": 14, "max_renewals": 0},
    },
    "admin_sites.html": {
        "who": Principal(role="admin", account_id=1),
        "sites": [{**SITE, "code": "mistral", "partner": "mistral"}],
        "partner_names": {"mistral": "Mistral"},
        "partner_choices": [("", ""), ("mistral", "Mistral")],
    },
    "admin_site.html": {
        "who": Principal(role="admin", account_id=1),
        "site": {**SITE, "code": "mistral", "partner": "mistral", "address": "1 rue"},
        "partner_name": "Mistral",
        "hours": {"help_monday": "09:00-12:00", "help_tuesday": ""},
        "days": ("help_monday", "help_tuesday"),
        "closures": [
            {"id": 4, "starts_on": "2026-12-24", "ends_on": "2026-12-26", "reason": "Fêtes"}
        ],
    },
    # managers and the administrator: reports, suggestions, the audit log, open data
    "manage_home.html": {
        "who": Principal(role="manager", account_id=2),
        "period": {"from": "2026-11-01", "to": "2026-11-30"},
        "query": "from=2026-11-01&to=2026-11-30",
        "site_choices": [("", "Tous les lieux"), ("mistral", "Espace Frédéric Mistral")],
        "chosen_site": "",
        "by_partner": [("Centre Jean Vilar", 4, 12, 100, "12 %")],
        "partner_chart": "",
        "by_site": [("Espace Frédéric Mistral", 3, 9, 90, "10 %")],
        "site_chart": "",
        "activity_chart": "",
        "time_chart": "",
        "over_time": [("2026-11-02", 12, 100, "12 %")],
        "weeks": [("2026-11-02", 3, 2, 4)],
        "totals": {"loans": 3, "reservations": 2, "residents_served": 4},
        "idle": [("MI-TAB-001", "Tablette", "Espace Frédéric Mistral", 40)],
        "idle_total": 41,
        "overdue": [("JV-LAP-003", "Centre Jean Vilar", 3)],
        "lost": [
            ("JV-LAP-004", "Centre Jean Vilar", "2026-11-20", True),
            ("JV-LAP-005", "Centre Jean Vilar", "2026-11-21", False),
        ],
        "unmet": [("Centre Jean Vilar", "Tablette", 4, 5, 1, 1)],
        "unmet_chart": "",
        "cards": [
            {
                "count": 2,
                "category": "Tablette",
                "from_site": "Espace Frédéric Mistral",
                "to_site": "Centre Jean Vilar",
                "figures": suggestion_figures(
                    {"source_utilisation": 0.12, "target_unmet_requests": 4.0}
                ),
                "payload": '{"item_ids":[1,2]}',
                "signature": "ab12",
            }
        ],
        "may_accept": True,
        "accepted": "2",
        "refused_card": None,
        "dismissed": [
            {
                "count": 1,
                "category": "Tablette",
                "from_site": "Espace Frédéric Mistral",
                "to_site": "Centre Jean Vilar",
                "reason": "ateliers en janvier",
                "day": "2026-11-30",
            }
        ],
        "was_dismissed": True,
    },
    "manage_audit.html": {
        "who": Principal(role="manager", account_id=2),
        "entries": [
            {
                "seq": 7,
                "when": "2026-11-02 10:00",
                "type": "inventory.item_transferred",
                "actor": "manager:2",
                "partner": "Centre Jean Vilar",
                "site": None,
            }
        ],
        "chain": {"ok": True, "count": 7, "head_hash": "9f2c", "first_bad": None},
        "sites": [("", ""), ("1", "Centre Jean Vilar")],
        "partners": [("", ""), ("1", "Centre Jean Vilar")],
        "previous": None,
        "following": "?offset=50",
        "first_row": 1,
        "request_values": {},
    },
    "manage_open_data.html": {
        "who": Principal(role="manager", account_id=2),
        "period": {"from": "2026-11-01", "to": "2026-11-30"},
    },
}


def render(template, language, **context):
    env = i18n.environment(language)
    values = {
        "title": "T",
        "who": None,
        "here": "/x",
        "language_links": {code: f"/x?lang={code}" for code in LANGUAGES},
        "csrf_token": "t" * 43,
        "labels": forms.LABELS,
        "errors": None,
        "notices": [],
        "form": {},
    }
    return env.get_template(template).render(**{**values, **context})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", PAGES)
def test_every_page_renders_in_every_language_with_its_direction(template, language):
    html = render(template, language, **PAGES[template])

    direction = "rtl" if language in ("ar", "fa", "ps") else "ltr"
    assert f'<html lang="{i18n.html_lang(language)}" dir="{direction}">' in html
    assert "%(" not in html and "?</" not in html
    # Every visible field has its label.
    for field in re.findall(r'<(?:input|select) type="(?!hidden)[^"]*" id="([\w-]+)"', html):
        assert f'<label for="{field}">' in html, f"{template}: {field} has no label"


def test_a_field_at_fault_is_named_in_the_summary_and_marked_beside_it():
    html = render("desk.html", "fr", **PAGES["desk.html"], errors=forms.errors_for(["card_number"]))

    summary = html[html.index('class="error-summary"') : html.index("</div>")]
    assert (
        '<a href="#card_number">Carte de l\'habitant : Saisissez le numéro de carte'
        in summary.replace("&#39;", "'")
    )
    assert 'aria-invalid="true"' in html and 'id="card_number-error"' in html


def test_a_due_date_is_spelt_out_in_the_readers_language():
    assert i18n.writer("fr").day("2026-12-08T17:30:00+00:00") == "mardi 8 décembre"
    assert i18n.writer("fr").clock("2026-12-08T17:30:00+00:00") == "18:30"
    assert i18n.writer("ar").day("2026-12-08T17:30:00+00:00").startswith("الثلاثاء")


def test_the_language_comes_from_the_link_then_the_cookie_then_the_browser():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    def asked(query="", cookie=None, accept=None):
        headers = {"Accept-Language": accept} if accept else {}
        if cookie:
            headers["Cookie"] = f"lang={cookie}"
        return i18n.negotiate(
            Request(EnvironBuilder(query_string=query, headers=headers).get_environ())
        )

    assert asked() == "fr"
    assert asked(accept="ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert asked(accept="de-DE,de;q=0.9") == "fr"
    assert asked(cookie="tr", accept="ru") == "tr"
    assert asked(query="lang=ps", cookie="tr", accept="ru") == "ps"
    assert asked(query="lang=xx", cookie="ar") == "ar"


def test_taking_back_lists_each_accessory_lent_and_keeps_what_was_ticked():
    html = render("lending_check_in.html", "fr", **PAGES["lending_check_in.html"])
    boxes = re.findall(r'<input type="checkbox" [^>]*value="(\w+)"([^>]*)>', html)

    assert boxes == [("chargeur", " checked"), ("souris", "")]


def test_a_suggestion_card_names_its_places_in_correct_french():
    # "de Espace…" wants an elision, "à Centre…" an article: the card says "du site … au site …".
    html = render("manage_home.html", "fr", **PAGES["manage_home.html"])
    assert "Déplacer 2 × Tablette du site Espace Frédéric Mistral au site Centre Jean Vilar" in html


def test_the_style_sheet_closes_every_block_it_opens():
    # An unclosed block (a merge that lost one brace, say) silently moves every rule after
    # it inside: the phone's rules would then apply to wide screens only.
    depth = 0
    style_sheet = i18n.HERE / "static" / "pages.css"
    for number, line in enumerate(style_sheet.read_text().splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number} closes a block never opened"
    assert depth == 0, "a block is never closed"
