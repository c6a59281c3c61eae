"""What residents and partner staff read: every message in every language, the
catalogues a translator works on, and SMS that fit one segment."""

import re
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.pofile import read_po

from partanum.catalogues import AWAITING_REVIEW, compiled
from partanum.i18n import LANGUAGES
from services.notifications import texts
from services.notifications.catalogues import CATALOGUES as catalogues
from services.notifications.texts import (
    CONTEXT_KEYS,
    RESIDENT_PURPOSES,
    STAFF_PURPOSES,
    MissingContext,
    fits_one_sms,
    render,
    sms_units,
)

SITE = "Espace Frédéric Mistral"
# Long but real: what the texts must carry without breaking.
WORST = {
    "item_label": "Ordinateur portable Lenovo ThinkPad E14 Gen 5 avec chargeur et souris",
    "site_name": SITE,
    "site_address": "Centre social et culturel, 4 rue Jean-Baptiste de La Salle, 49100 Angers",
    "site_hours": {
        "monday": [["09:00", "12:00"], ["13:30", "18:30"]],
        "wednesday": [["13:30", "18:30"]],
        "saturday": [["09:30", "12:30"]],
    },
    "overdue_level": 1,
    "days_overdue": 14,
    "reservation_id": 123456,
    "quantity": 12,
    "change": "outside_hours",
    "replacement_label": "Tablette Samsung Galaxy Tab A8 (10,5 pouces) avec étui",
    "resident_id": 98765,
    "resident_display_name": "Amina Benali-Haddad",
    "failed_purpose": "hold_offered",
    "told_purpose": "hold_offered",
    "code": "048213",
    "code_minutes": 10,
}
# Every month, every weekday, two-digit days, afternoon and morning: the longest
# day names ("воскресенье 28 сентября", "30 Ağustos Cumartesi") and times ("12:30 م").
DATES = (
    [datetime(2025, month, 24, 16, 30, tzinfo=UTC) for month in range(1, 13)]
    + [datetime(2025, 9, 22, 16, 30, tzinfo=UTC) + timedelta(days=d) for d in range(7)]
    + [datetime(2025, 8, 25, 10, 30, tzinfo=UTC) + timedelta(days=d) for d in range(7)]
)
VARIANTS = {
    "overdue": [{"overdue_level": level} for level in (1, 2, 3)],
    "reservation_changed": [{"change": "outside_hours"}, {"change": "times"}],
    "reservation_cancelled": [{}, {"reason": "released"}],
    "item_withdrawn": [{}, {"replacement_label": None}],
}
ALL_PURPOSES = RESIDENT_PURPOSES + STAFF_PURPOSES


def context(purpose, moment=DATES[0], **changes):
    values = dict(
        WORST,
        due_at=moment,
        expires_at=moment,
        starts_at=moment,
        since_at=moment,
        ends_at=moment + timedelta(hours=3) if isinstance(moment, datetime) else moment,
        **changes,
    )
    return {key: values[key] for key in CONTEXT_KEYS[purpose] + tuple(changes)}


def every_message():
    for language in LANGUAGES:
        for purpose in ALL_PURPOSES:
            for variant in VARIANTS.get(purpose, [{}]):
                yield language, purpose, variant


# --- every template, every language -----------------------------------------------------


def test_every_purpose_says_what_it_needs():
    assert set(CONTEXT_KEYS) == set(ALL_PURPOSES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_renders_and_its_sms_fits_one_segment(language):
    for _, purpose, variant in (m for m in every_message() if m[0] == language):
        source = texts.TEMPLATES[
            (purpose, texts._variant(purpose, context(purpose, **variant)))
        ].sms
        if isinstance(source, texts.Counted):  # the sign-in code's minutes
            source = source.plural
        template_sms = texts.translations(language).gettext(source)
        for moment in DATES:
            rendered = render(purpose, language, context(purpose, moment, **variant))
            where = f"{purpose} {variant} in {language} on {moment:%Y-%m-%d}"
            assert rendered.subject and rendered.text and rendered.html and rendered.sms, where
            for part in (rendered.subject, rendered.text, rendered.sms):
                assert not re.search(r"\{\w+\}", part), f"placeholder left in {where}: {part}"
            encoding, units = sms_units(rendered.sms)
            assert fits_one_sms(rendered.sms), f"{where}: {units} {encoding} units: {rendered.sms}"
            if "{site}" in template_sms:
                # Fits with the site's name in full, not by cutting it.
                assert SITE in rendered.sms or "Espace Frederic Mistral" in rendered.sms, where


def test_every_french_text_is_translated_in_every_catalogue_with_its_placeholders():
    sources = catalogues.source_messages()
    for language in catalogues.translated:
        with catalogues.po_path(language).open("rb") as po:
            catalog = read_po(po)
        for source in sources:
            message = catalog.get(source)
            strings = (message.string,) if isinstance(message.string, str) else message.string
            assert message is not None and all(strings), f"{language}: untranslated {source!r}"
            assert not message.fuzzy, f"{language}: fuzzy {source!r}"
            # A counted text (ngettext): each plural form against the plural.
            plural = source[-1] if isinstance(source, tuple) else source
            for string in strings:
                used = set(re.findall(r"\{(\w+)\}", string))
                assert used <= set(re.findall(r"\{(\w+)\}", plural)), f"{language}: {string!r}"


def test_the_template_catalogue_holds_exactly_the_texts_of_the_code():
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
            f"catalogues awaiting native-speaker review: {', '.join(awaiting)}", stacklevel=1
        )


# --- what a reader gets -----------------------------------------------------------------


def test_a_reminder_spells_out_the_day_and_gives_the_place_its_hours_and_one_action():
    due = datetime(2025, 9, 24, 16, 30, tzinfo=UTC)  # 18:30 in Angers
    rendered = render("due_soon", "fr", context("due_soon", due))
    assert rendered.subject == "Rappel : retour le mercredi 24 septembre"
    assert "Le retour est prévu le mercredi 24 septembre, avant 18:30." in rendered.text
    assert "Adresse : Centre social et culturel, 4 rue Jean-Baptiste" in rendered.text
    assert "- lundi : 09:00–12:00 et 13:30–18:30" in rendered.text
    assert "- samedi : 09:30–12:30" in rendered.text
    assert rendered.text.count("Rapportez") == 1
    assert rendered.sms == f"Rappel : retour le mercredi 24 septembre à {SITE}."


def test_dates_are_written_the_readers_way_in_the_sites_time_zone():
    due = "2025-03-04T17:00:00+00:00"  # 18:00 in Paris, as stored in JSON
    assert (
        "Tuesday 4 March, before 18:00" in render("due_soon", "en", context("due_soon", due)).text
    )
    assert "вторник 4 марта" in render("due_soon", "ru", context("due_soon", due)).sms
    assert "4 Mart Salı" in render("due_soon", "tr", context("due_soon", due)).sms
    assert "الثلاثاء" in render("due_soon", "ar", context("due_soon", due)).sms


def test_a_sites_hours_are_joined_in_the_readers_own_words():
    due = datetime(2025, 9, 24, 16, 30, tzinfo=UTC)
    monday = {
        "ar": "- الاثنين: 9:00 ص–12:00 م و1:30 م–6:30 م",
        "en": "- Monday: 09:00–12:00 and 13:30–18:30",
    }
    for language, line in monday.items():
        assert line in render("due_soon", language, context("due_soon", due)).text


def test_html_declares_language_and_direction_and_escapes_what_it_is_given():
    arabic = render("pickup_ready", "ar", context("pickup_ready"))
    assert '<html lang="ar" dir="rtl">' in arabic.html
    assert f"<bdi>{SITE}</bdi>" in arabic.html
    assert (
        '<html lang="fa-AF" dir="rtl">'
        in render("pickup_ready", "fa", context("pickup_ready")).html
    )
    assert (
        '<html lang="ps-AF" dir="rtl">'
        in render("pickup_ready", "ps", context("pickup_ready")).html
    )
    french = render("pickup_ready", "fr", context("pickup_ready", item_label="<b>Tablette</b>"))
    assert '<html lang="fr" dir="ltr">' in french.html
    assert "<b>Tablette" not in french.html and "&lt;b&gt;Tablette" in french.html
    assert "<ul><li>" in french.html and "<strong>" in french.html


def test_an_unknown_language_reads_french_and_a_regional_one_its_language():
    french = render("return_confirmed", "fr", context("return_confirmed"))
    assert render("return_confirmed", "de", context("return_confirmed")) == french
    assert render("return_confirmed", None, context("return_confirmed")) == french
    assert render("return_confirmed", "ar-MA", context("return_confirmed")) == render(
        "return_confirmed", "ar", context("return_confirmed")
    )


def test_a_missing_context_key_is_named():
    incomplete = context("due_soon")
    del incomplete["due_at"], incomplete["site_hours"]
    with pytest.raises(MissingContext, match="site_hours, due_at"):
        render("due_soon", "tr", incomplete)
    with pytest.raises(ValueError, match="unknown purpose"):
        render("birthday", "fr", {})


def test_overdue_notices_escalate_gently_and_stop_at_the_third_level():
    subjects = [
        render("overdue", "fr", context("overdue", overdue_level=level)).subject
        for level in (1, 2, 3, 7)
    ]
    assert len(set(subjects[:3])) == 3 and subjects[3] == subjects[2]
    for level in (1, 2, 3):
        text = render("overdue", "fr", context("overdue", overdue_level=level)).text.lower()
        assert not any(word in text for word in ("amende", "police", "plainte", "sanction"))


def test_staff_are_told_of_a_replacement_or_that_there_is_none():
    replaced = render("item_withdrawn", "en", context("item_withdrawn"))
    assert "We propose instead: Tablette Samsung Galaxy Tab A8" in replaced.text
    missing = render("item_withdrawn", "en", context("item_withdrawn", replacement_label=None))
    assert "No other device is free to replace it." in missing.text


def test_staff_asked_to_call_a_resident_without_channel_read_what_to_tell_which_device_since_when():
    told = render(
        "call_to_tell",
        "fr",
        context(
            "call_to_tell",
            datetime(2025, 9, 24, 8, 0, tzinfo=UTC),
            told_purpose="loan_confirmed",
            item_label="Tablette Samsung (JV-TAB-004)",
        ),
    )
    assert told.subject == "À appeler : Amina Benali-Haddad (confirmation de prêt)"
    assert "Amina Benali-Haddad ne reçoit ni SMS ni e-mail de Partanum." in told.text
    assert "À lui dire : confirmation de prêt" in told.text
    assert "Appareil : Tablette Samsung (JV-TAB-004)" in told.text
    assert "En attente depuis le mercredi 24 septembre, 10:00." in told.text
    assert "retard" not in told.text  # not the overdue call
    english = render("call_to_tell", "en", context("call_to_tell", told_purpose="due_soon"))
    assert "To tell them: return reminder" in english.text


def test_an_erased_resident_is_named_by_number():
    rendered = render("call_resident", "fr", context("call_resident", resident_display_name=None))
    assert rendered.subject == "À appeler : n° 98765"


# --- SMS length --------------------------------------------------------------------------


def test_gsm7_counts_extension_characters_twice():
    assert sms_units("Prix : 5 €") == ("gsm7", 11)
    assert fits_one_sms("a" * 160) and not fits_one_sms("a" * 161)
    assert not fits_one_sms("a" * 150 + "[]{}~^")  # 150 + 12 septets
    assert sms_units("Frédéric à Ørsted, ÄÖÜ") == ("gsm7", 22)


def test_one_character_outside_gsm7_makes_the_whole_sms_ucs2():
    for letter in ("ş", "ğ", "ı", "ê", "ç", "ж", "ع", "پ"):
        assert sms_units("a" * 69 + letter) == ("ucs2", 70)
        assert not fits_one_sms("a" * 70 + letter)
    assert sms_units("😀") == ("ucs2", 2)  # beyond the BMP: a surrogate pair


def test_a_french_sms_in_august_stays_in_gsm7():
    moment = datetime(2025, 8, 30, 8, 0, tzinfo=UTC)
    sms = render(
        "hold_offered", "fr", context("hold_offered", moment, site_name="Maison du Côteau")
    ).sms
    assert "samedi 30 aout" in sms and "Maison du Coteau" in sms
    assert sms_units(sms)[0] == "gsm7"


def test_a_site_name_too_long_for_one_sms_is_shortened_not_split():
    name = "Maison de quartier et centre social intercommunal Jean-Baptiste de La Salle"
    for language in LANGUAGES:
        sms = render("pickup_ready", language, context("pickup_ready", site_name=name)).sms
        assert fits_one_sms(sms), (language, sms)
        assert "Maison de quartier" in sms


def test_a_message_still_renders_when_the_sender_did_not_know_some_values():
    for language, purpose, variant in every_message():
        unknown = {key: None for key in CONTEXT_KEYS[purpose]}
        rendered = render(purpose, language, {**unknown, **variant})
        assert fits_one_sms(rendered.sms) and rendered.subject, (language, purpose)
    rendered = render("due_soon", "fr", {key: None for key in CONTEXT_KEYS["due_soon"]})
    assert "Le retour est prévu le ?, avant ?." in rendered.text
    assert "Adresse" not in rendered.text and "Horaires : demandez à l'accueil." in rendered.text
