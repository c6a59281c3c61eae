"""The guide as a one-page A4 poster for the front desks (fpdf2).

Written in DejaVu Sans (its licence beside it, in fonts/), which shows Latin,
Cyrillic and Arabic letters; Arabic, Dari and Pashto are joined and laid out right to
left by fpdf2's text shaping (uharfbuzz), the names of places kept as they are
written. When the network's sites do not fit on one page, the text gets smaller
until they do.
"""

from pathlib import Path

from fpdf import FPDF

from partanum.i18n import direction
from services.gateway.pages import i18n
from services.gateway.pages.i18n import N_

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
LARGEST, SMALLEST = 11.0, 4.5  # points, the body text
MARGIN = 12  # mm
# TRANSLATORS: a name and what is said of it, e.g. "Tablette : libres aujourd'hui : 3"
NAMED = N_("%(name)s : %(value)s")


def poster(places: list[dict], language: str) -> bytes:
    size = LARGEST
    while True:
        pdf = _written(places, language, size)
        if pdf.pages_count == 1 or size <= SMALLEST:
            return bytes(pdf.output())
        size -= 0.5


def _written(places: list[dict], language: str, size: float) -> FPDF:
    gettext = i18n.translations(language).gettext
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_title(gettext(N_("Emprunter un appareil, trouver de l'aide")))
    pdf.set_lang(language)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margin(MARGIN)
    pdf.set_auto_page_break(True, MARGIN)
    pdf.add_page()
    if direction(language) == "rtl":
        # Each paragraph's direction from its own letters (Unicode's bidi rules): a
        # place's French name stays left to right inside an Arabic page.
        pdf.set_text_shaping(use_shaping_engine=True, script="arab", language=language)
    line = size * 0.5
    pdf.set_font(FONT, "B", size * 1.8)
    _para(pdf, size * 0.9, gettext(N_("Emprunter un appareil, trouver de l'aide")))
    pdf.set_font(FONT, "", size)
    _para(
        pdf,
        line,
        gettext(
            N_(
                "Dans le quartier, vous pouvez emprunter une tablette ou un ordinateur. "
                "Vous pouvez aussi avoir de l'aide pour vos démarches en ligne."
            )
        ),
    )
    for place in places:
        pdf.ln(line * 0.6)
        pdf.set_font(FONT, "B", size * 1.2)
        _para(pdf, line * 1.2, place["name"])
        pdf.set_font(FONT, "", size)
        if place["address"]:
            _para(pdf, line, place["address"])
        hours = "; ".join(f"{day} {spans}" for day, spans in place["hours"])
        if hours:
            opening = gettext(N_("Heures d'ouverture"))
            _para(pdf, line, gettext(NAMED) % {"name": opening, "value": hours})
        for starts, ends, _reason in place["closures"]:
            closed = (
                gettext(N_("Fermé le %(day)s.")) % {"day": starts}
                if starts == ends
                else gettext(N_("Fermé du %(start)s au %(end)s.")) % {"start": starts, "end": ends}
            )
            _para(pdf, line, closed)
        if place["kinds"]:
            kinds = ", ".join(kind for kind, _free in place["kinds"])
            lent = gettext(N_("Appareils prêtés"))
            _para(pdf, line, gettext(NAMED) % {"name": lent, "value": kinds})
        for what, help_hours in place["help"]:
            when = "; ".join(f"{day} {spans}" for day, spans in help_hours)
            pdf.set_font(FONT, "B", size)
            _para(pdf, line, what)
            pdf.set_font(FONT, "", size)
            _para(pdf, line, when)
    return pdf


def _para(pdf: FPDF, height: float, text: str) -> None:
    """A paragraph the width of the page, on the side its language starts from; the
    next one starts below it."""
    align = "R" if direction(pdf.lang or "fr") == "rtl" else "L"
    pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
