"""The catalogues as residents read them: every language's .po checked the way
gettext checks it, the words each language settled on, easy words, and what a
native speaker should look at first.

Both gettext domains (the messages' and the pages') in every language; no system
needed, only the .po files (and `msgfmt`, gettext's own checker, when the machine
has it: Babel's checkers run in any case).
"""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from partanum.catalogues import report
from partanum.i18n import LANGUAGES
from services.gateway.pages.catalogues import CATALOGUES as PAGES
from services.notifications import texts
from services.notifications.catalogues import CATALOGUES as NOTIFICATIONS

DOMAINS = {"pages": PAGES, "notifications": NOTIFICATIONS}
GLOSSARY_DIR = Path(__file__).parents[2] / "partanum" / "glossary"
# The ten ideas every language must say with one chosen word.
TERMS = (
    "lend",
    "borrow",
    "return",
    "device",
    "loan",
    "hold",
    "waiting_list",
    "desk",
    "code",
    "opening_hours",
)
# gettext's own Plural-Forms for each language (the GNU gettext manual, CLDR): Turkish and
# Dari keep the noun singular after a number ("3 dakika", "3 دقیقه"), so one form serves.
PLURAL_FORMS = {
    "fr": (2, "(n > 1)"),
    "en": (2, "(n != 1)"),
    "ar": (
        6,
        "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5)",
    ),
    "tr": (1, "0"),
    "ru": (
        3,
        "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)",
    ),
    "fa": (1, "0"),
    "ps": (2, "(n != 1)"),
}
BRACE = re.compile(r"\{(\w*)\}")
PERCENT = re.compile(r"%\((\w+)\)[sd]")


def catalogue(domain: str, language: str):
    with DOMAINS[domain].po_path(language).open("rb") as po:
        return read_po(po)


def strings(message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def ids(message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def translated(domain: str, language: str):
    """(French source, translation) of every translated entry, each plural form apart."""
    for message in catalogue(domain, language):
        if message.id:
            for string in strings(message):
                if string:
                    yield ids(message)[0], string


EVERY = [(domain, language) for domain in DOMAINS for language in LANGUAGES]


# --- as gettext checks them ---------------------------------------------------------------


@pytest.mark.parametrize("domain,language", EVERY)
def test_every_translation_keeps_the_placeholders_of_its_source(domain, language):
    """A placeholder dropped or renamed is a message that says less, or one that
    fails (`msgfmt --check` refuses it: a resident's SMS without its place)."""
    faults = []
    for message in catalogue(domain, language):
        if not message.id or not any(strings(message)):
            continue
        sources = ids(message)
        for index, string in enumerate(strings(message)):
            source = sources[min(index, len(sources) - 1)]
            for pattern in (BRACE, PERCENT):
                expected = set(pattern.findall(source))
                if len(sources) > 1:  # a plural form may leave the count out ("une minute")
                    expected |= set(pattern.findall(sources[0]))
                    found = set(pattern.findall(string))
                    if not found <= expected or not (expected - {"count", "n"}) <= found:
                        faults.append((source, string))
                elif set(pattern.findall(string)) != expected:
                    faults.append((source, string))
        if message.python_format:
            try:
                python_format(None, message)
            except Exception as fault:  # babel's TranslationError
                faults.append((sources[0], str(fault)))
    assert not faults, f"{domain}/{language}: {faults}"


@pytest.mark.parametrize("domain,language", EVERY)
def test_every_catalogue_passes_babels_own_checks(domain, language):
    faults = [
        (message.id, [str(error) for error in errors])
        for message, errors in catalogue(domain, language).check()
    ]
    assert not faults, f"{domain}/{language}: {faults}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("domain,language", EVERY)
def test_every_catalogue_passes_msgfmt_check(domain, language):
    run = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(DOMAINS[domain].po_path(language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("domain,language", EVERY)
def test_every_catalogue_declares_its_languages_plural_forms(domain, language):
    """What ngettext chooses by: Arabic needs six forms ("دقائق" for 3 to 10)."""
    header = catalogue(domain, language)
    nplurals, rule = PLURAL_FORMS[language]
    assert header.num_plurals == nplurals
    assert header.plural_expr.replace(" ", "") == rule.replace(" ", "")
    for message in header:
        if message.id and isinstance(message.id, tuple) and language != "fr":
            assert len(strings(message)) == nplurals and all(strings(message)), (
                f"{domain}/{language}: plural forms of {message.id[0]!r}"
            )


# --- the words each language settled on ---------------------------------------------------


def glossary(language: str) -> dict:
    return tomllib.loads((GLOSSARY_DIR / f"{language}.toml").read_text(encoding="utf-8"))


def forbidden_pattern(word: str) -> re.Pattern:
    """A whole word, with the endings that inflect it: "پور" and "پورونه", not "پورې"
    ("until"), which only begins the same way."""
    return re.compile(rf"(?<!\w){re.escape(word)}(?:ونه|ونو|و)?(?!\w)", re.IGNORECASE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_a_glossary_of_the_ten_words_that_matter(language):
    terms = glossary(language)["terms"]
    assert set(terms) == set(TERMS)
    for name, term in terms.items():
        assert term["use"], f"{language}: no word chosen for {name}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_uses_a_word_its_glossary_forbids(language):
    """Pashto's "پور" is a debt: a resident who borrows a laptop owes nothing."""
    words = glossary(language).get("also_forbidden", []) + [
        word for term in glossary(language)["terms"].values() for word in term["forbidden"]
    ]
    forbidden = [(word, forbidden_pattern(word)) for word in words]
    faults = [
        (word, domain, string)
        for domain in DOMAINS
        for _, string in translated(domain, language)
        for word, pattern in forbidden
        if pattern.search(string)
    ]
    assert not faults, f"{language}: {faults}"


def test_turkish_glues_no_suffix_to_a_placeholder():
    """Vowel harmony follows the value ("16:00'dan", "17:30'a"): a suffix written after a
    placeholder is wrong for some values, so the sentence is built without one."""
    glued = re.compile(r"(\}|%\(\w+\)s)['’]\w")
    faults = [
        string
        for domain in DOMAINS
        for _, string in translated(domain, "tr")
        if glued.search(string)
    ]
    assert not faults


# Bare singular imperatives, masculine when voweled or not ("come!", "bring it back!", "try!"):
# a resident is asked politely and neutrally instead (يُرجى + a verbal noun, "please …").
ARABIC_BLUNT = ("تعال", "ارجع", "أعد", "أعِد", "اكتب", "حاول", "تحقق", "اطلب", "اسأل", "انتقل")


def test_arabic_asks_residents_politely_not_in_the_bare_masculine():
    sources = resident_page_texts() | resident_message_texts()
    faults = [
        (source, string)
        for domain in DOMAINS
        for source, string in translated(domain, "ar")
        if source in sources
        and any(re.search(rf"(?<!\w){word}(?!\w)", string) for word in ARABIC_BLUNT)
    ]
    assert not faults


@pytest.mark.parametrize("language", ["fa", "ps"])
def test_dari_and_pashto_write_the_digits_their_dates_are_written_with(language):
    """Babel writes Dari and Pashto dates and times with Latin digits: fixed text does
    the same, not "۱" beside "16:00"."""
    faults = [
        string
        for domain in DOMAINS
        for _, string in translated(domain, language)
        if re.search("[۰-۹٠-٩]", string)
    ]
    assert not faults


# --- easy words -------------------------------------------------------------------------------

# What residents read on the pages: their own pages' templates and modules (their loans,
# signing in), and the frame every page shares (menu, error pages, the language switch).
RESIDENT_PAGE_SOURCES = (
    "templates/my_loans.html",
    "templates/resident_sign_in.html",
    "templates/resident_code.html",
    "templates/base.html",
    "templates/problem.html",
    "loans.py",
    "sessions.py",
    "frame.py",
)
MAX_WORDS_PER_SENTENCE = 20
MAX_SENTENCES = 3
MAX_CHARACTERS = 140
SENTENCE_END = re.compile(r"[.!?؟。]+(?=\s|$)")


def resident_page_texts() -> set[str]:
    found = set()
    for name in RESIDENT_PAGE_SOURCES:
        path = PAGES.source_dir / name
        method = "jinja2" if name.endswith(".html") else "python"
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if method == "jinja2" else {}
        keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
        for _, message, _, _ in extract_from_file(method, str(path), keywords, options=options):
            found.update((message,) if isinstance(message, str) else message)
    return found


def resident_message_texts() -> set[str]:
    found = {texts.GREETING, texts.SIGNATURE, texts.HOURS_UNKNOWN}
    for (purpose, _), template in texts.TEMPLATES.items():
        if purpose in texts.RESIDENT_PURPOSES:
            parts = (template.subject, *template.sentences, template.action, template.sms)
            for part in parts:
                if isinstance(part, texts.Counted):
                    found.update((part.singular, part.plural))
                elif part:
                    found.add(part)
    return found


def too_hard(text: str) -> str | None:
    if len(text) > MAX_CHARACTERS:
        return f"{len(text)} characters"
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    if len(sentences) > MAX_SENTENCES:
        return f"{len(sentences)} sentences"
    for sentence in sentences:
        words = sentence.split()
        if len(words) > MAX_WORDS_PER_SENTENCE:
            return f"{len(words)} words in one sentence"
    return None


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_residents_read_is_in_short_sentences(language):
    """The European easy-to-read rules (FALC): one idea per sentence, short sentences,
    few of them. A sentence of at most 20 words is what those rules and plain-language
    guides (Inclusion Europe, the GOV.UK style guide's 25 words) hold a reader can take
    in at once; 20 leaves room for a translation longer than its French (Dari, Pashto
    and Russian often need more words). Each text is at most 3 such sentences:
    what happened, what to do, and where to get help, the most a resident acts on
    from one text of a message or one notice of a page. And at most 140 characters: four lines of
    a 390 px phone at the pages' size, what one look takes in (a notice, a paragraph of
    an e-mail); a longer text is two messages."""
    sources = resident_page_texts() | resident_message_texts()
    if language == "fr":
        checked = [(source, source) for source in sources]
    else:
        checked = [
            (source, string)
            for domain in DOMAINS
            for source, string in translated(domain, language)
            if source in sources
        ]
    faults = [(source, text, why) for source, text in checked if (why := too_hard(text))]
    assert not faults, f"{language}: {faults}"


# --- review status --------------------------------------------------------------------------


@pytest.mark.parametrize("domain,language", [(d, lang) for d, lang in EVERY if lang != "fr"])
def test_every_catalogue_tells_a_reviewer_which_words_to_check_first(domain, language):
    """Staff see each catalogue's review status; a native speaker starts with the
    glossary's words, listed in the header comment pybabel keeps."""
    path = DOMAINS[domain].po_path(language)
    assert DOMAINS[domain].review_status(language)
    header = path.read_text(encoding="utf-8").split("\nmsgid", 1)[0]
    check_first = re.search(r"^# Check first: (.+)$", header, re.MULTILINE)
    assert check_first, f"{domain}/{language}: no 'Check first' line"
    chosen = {word for term in glossary(language)["terms"].values() for word in term["use"]}
    assert any(word in check_first.group(1) for word in chosen)


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language,minutes,expected",
    [
        ("fr", 1, "pendant 1 minute,"),
        ("fr", 10, "pendant 10 minutes,"),
        ("en", 1, "for 1 minute,"),
        ("ar", 5, "5 دقائق"),
        ("ar", 15, "15 دقيقة"),
        ("ru", 1, "1 минуту"),
        ("ru", 3, "3 минуты"),
        ("ru", 10, "10 минут"),
        ("ps", 1, "1 دقیقه"),
    ],
)
def test_a_sign_in_code_counts_its_minutes_in_the_readers_grammar(language, minutes, expected):
    rendered = texts.render("sign_in_code", language, {"code": "048213", "code_minutes": minutes})
    assert expected in rendered.text
    assert str(minutes) in rendered.sms and texts.fits_one_sms(rendered.sms)


def test_a_page_counts_the_minutes_to_wait_in_the_readers_grammar():
    from services.gateway.pages import i18n

    one, many = (
        "Trop d'essais. Réessayez dans %(minutes)s minute.",
        "Trop d'essais. Réessayez dans %(minutes)s minutes.",
    )
    assert i18n.translations("fr").ngettext(one, many, 1) % {"minutes": 1} == one % {"minutes": 1}
    assert "4 دقائق" in i18n.translations("ar").ngettext(one, many, 4) % {"minutes": 4}
    assert "2 минуты" in i18n.translations("ru").ngettext(one, many, 2) % {"minutes": 2}


# --- names that came from the inventory -------------------------------------------------------


def test_a_known_category_is_named_in_the_readers_language_and_an_unknown_one_in_french():
    from services.gateway.pages import i18n

    laptop = {"code": "laptop", "name": "Ordinateur portable"}
    assert i18n.category_name(laptop, "ar") == "حاسوب محمول"
    assert i18n.category_name(laptop, "ps") == "لپ ټاپ کمپیوټر"
    assert i18n.category_name({**laptop, "name": "PC portable"}, "fr") == "PC portable"
    assert i18n.category_name({"code": "printer", "name": "Imprimante"}, "tr") == "Imprimante"
    for language in LANGUAGES:
        for code, source in i18n.CATEGORY_NAMES.items():
            assert i18n.category_name({"code": code, "name": source}, language)


def test_a_list_on_a_page_is_joined_the_readers_way():
    from services.gateway.pages import i18n

    listing = i18n.environment("ar").filters["listing"]
    assert listing(["A", "B"]) == "A وB"
    assert i18n.environment("fr").filters["listing"](["chargeur", "housse"]) == "chargeur et housse"


def test_staff_read_each_catalogues_status_and_the_words_to_check_first():
    written = report([NOTIFICATIONS, PAGES])
    assert "pages/ps: awaiting native-speaker review" in written
    assert "امانت (loan; never پور, a debt)" in written
    assert written.count("check first:") == 2 * (len(LANGUAGES) - 1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_day_spelt_out_never_runs_its_number_into_the_time_after_it(language):
    """ "3 مارچ 16:00", not "د مارچ 3 16:00": a time follows the day in many texts."""
    from datetime import UTC, datetime

    from services.gateway.pages import i18n as pages_i18n

    moment = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    for day in (
        pages_i18n.writer(language).day(moment),
        texts._Writer(language, {}).written.day(moment),
    ):
        assert not re.search(r"\d\s*$", day), day
