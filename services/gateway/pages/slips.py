"""A loan's slip, printed at the desk for the resident: what was lent with its
accessories, the due date, where and when to bring it back; in French and, beside
it, in the resident's language.

Sites have no phone number in the inventory: the slip gives the return site's
address and opening hours, and says to ask at the desk.

Arabic-script languages (ar, fa, ps) need their letters joined and laid out right to
left: fpdf2 does it with its text shaping engine (the `uharfbuzz` package).
The font is DejaVu Sans (its licence beside it in fonts/), which covers Latin,
Cyrillic and the Arabic script."""

from pathlib import Path

from fpdf import FPDF

from partanum.i18n import direction, known
from services.gateway.pages import i18n
from services.gateway.pages.i18n import N_

FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
SCRIPTS = {"ar": "arab", "fa": "arab", "ps": "arab"}

TITLE = N_("Fiche de prêt")
DEVICE = N_("Appareil : %(device)s, numéro %(tag)s")
WITH = N_("Donné avec : %(list)s")
WITHOUT = N_("Donné sans accessoire.")
DUE = N_("À rapporter le %(day)s, avant %(time)s.")
WHERE = N_("Où le rapporter : %(site)s, %(address)s")
HOURS = N_("Horaires d'ouverture :")
# TRANSLATORS: one day's opening hours, e.g. "lundi : 13:30–18:30"
HOURS_LINE = N_("%(weekday)s : %(spans)s")
ASK = N_(
    "Une question, ou besoin de plus de temps ? Venez à l'accueil pendant ses horaires, "
    "ou ouvrez « Mes prêts »."
)


def slip_lines(loan: dict, device: str, site: dict, language: str) -> list[str]:
    """The slip's lines in `language`, in order (the same for each column)."""
    gettext = i18n.translations(language).gettext
    written = i18n.writer(language)
    accessories = [
        i18n.accessory_name(name, language) for name in loan.get("accessories_out") or []
    ]
    lines = [
        gettext(TITLE),
        gettext(DEVICE) % {"device": device, "tag": loan["asset_tag"]},
        gettext(WITH) % {"list": written.listing(accessories)} if accessories else gettext(WITHOUT),
        gettext(DUE) % {"day": written.day(loan["due_at"]), "time": written.clock(loan["due_at"])},
        gettext(WHERE) % {"site": site.get("name", "?"), "address": site.get("address") or ""},
        gettext(HOURS),
    ]
    lines += [
        gettext(HOURS_LINE) % {"weekday": weekday, "spans": spans}
        for weekday, spans in written.hours(site.get("opening_hours") or {})
    ]
    return [*lines, gettext(ASK)]


def loan_slip(loan: dict, device: str, site: dict, language: str) -> bytes:
    """The slip as a one-page A4 PDF: French on the left, the resident's language on
    the right (French alone for a French reader)."""
    language = known(language) or "fr"
    pdf = FPDF(format="A4")
    pdf.set_title(i18n.translations("fr").gettext(TITLE))
    pdf.set_lang("fr")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    french = slip_lines(loan, device, site, "fr")
    theirs = None if language == "fr" else slip_lines(loan, device, site, language)
    width = pdf.epw if theirs is None else (pdf.epw - 8) / 2
    rtl = direction(language) == "rtl"
    for index, line in enumerate(french):
        top = pdf.get_y()
        pdf.set_font(size=14 if index == 0 else 11)
        pdf.multi_cell(width, 6, line, align="L", new_x="LMARGIN", new_y="NEXT")
        bottom = pdf.get_y()
        if theirs is not None and index < len(theirs):
            pdf.set_xy(pdf.l_margin + width + 8, top)
            if rtl:
                pdf.set_text_shaping(
                    use_shaping_engine=True, direction="rtl", script=SCRIPTS[language]
                )
            pdf.multi_cell(width, 6, theirs[index], align="R" if rtl else "L", new_x="LMARGIN")
            if rtl:
                pdf.set_text_shaping(False)
            bottom = max(bottom, pdf.get_y())
        pdf.set_xy(pdf.l_margin, bottom + 2)
    return bytes(pdf.output())
