"""The web pages' texts: every catalogue has every message, with its placeholders, and
every page renders in every language with its language and direction declared."""

import re
import warnings

import pytest
from babel.messages.pofile import read_po

from partanum.catalogues import AWAITING_REVIEW, compiled
from partanum.i18n import LANGUAGES
from services.gateway.authz import Principal
from services.gateway.pages import forms, i18n
from services.gateway.pages.catalogues import CATALOGUES as catalogues

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_language_catalogue_has_every_message_with_its_placeholders():
    sources = catalogues.source_messages()
    for language in catalogues.translated:
        with catalogues.po_path(language).open("rb") as po:
            catalog = read_po(po)
        for source in sources:
            message = catalog.get(source)
            assert message is not None and message.string, f"{language}: untranslated {source!r}"
            assert not message.fuzzy, f"{language}: fuzzy {source!r}"
            assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(source)), (
                f"{language}: {message.string!r} does not keep the placeholders of {source!r}"
            )


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
LOAN = {
    "id": 7,
    "device": "Lenovo ThinkPad E14",
    "asset_tag": "JV-LAP-003",
    "late": True,
    "due_at": "2026-12-08T17:30:00+00:00",
    "site": SITE,
}
PAGES = {
    "staff_sign_in.html": {},
    "resident_sign_in.html": {},
    "resident_code.html": {},
    "my_loans.html": {"loans": [LOAN], "who": Principal(role="resident", resident_id=3)},
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
}


def render(template, language, **context):
    env = i18n.environment(language)
    values = {
        "title": "T",
        "who": None,
        "here": "/x",
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
