"""Printable QR-code labels: A4 sheets of 3 x 8 labels of 70 x 37 mm.

Each label carries a QR code of exactly the asset tag (what a phone or a scanner
reads at the desk), the tag in clear under it, and the category, make and model
in small print. The code is drawn as filled squares, so the PDF needs no image
and prints sharp at any resolution.
"""

import unicodedata
from collections.abc import Iterable

import segno
from fpdf import FPDF

PAGE_WIDTH, PAGE_HEIGHT = 210, 297  # mm, A4
COLUMNS, ROWS = 3, 8
LABEL_WIDTH, LABEL_HEIGHT = 70, 37
PER_PAGE = COLUMNS * ROWS
TOP = (PAGE_HEIGHT - ROWS * LABEL_HEIGHT) / 2
LEFT = (PAGE_WIDTH - COLUMNS * LABEL_WIDTH) / 2

QUIET_ZONE = 4  # modules of white around a QR code, which readers need
CODE_BOX = 26  # mm: the code and its quiet zone
TEXT_MARGIN = 3  # mm each side of the printed text
TAG_HEIGHT, TAG_FONT_SIZE = 4.5, 11
CAPTION_HEIGHT, CAPTION_FONT_SIZE = 3.5, 7
ENCODING = "cp1252"  # what the PDF core fonts can show (WinAnsiEncoding)


def sheet(items: Iterable) -> bytes:
    """The PDF of one label per item (anything with asset_tag, make, model and category.name)."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_title("Partanum - labels")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.core_fonts_encoding = ENCODING
    pdf.set_fill_color(0)
    for index, item in enumerate(items):
        if index % PER_PAGE == 0:
            pdf.add_page()
        row, column = divmod(index % PER_PAGE, COLUMNS)
        _label(pdf, item, LEFT + column * LABEL_WIDTH, TOP + row * LABEL_HEIGHT)
    return bytes(pdf.output())


def qr_matrix(asset_tag: str) -> tuple[tuple[int, ...], ...]:
    """The modules (1 = dark) of the tag's QR code; never a Micro QR, which few phones read."""
    return segno.make(asset_tag, error="m", micro=False).matrix


def _label(pdf: FPDF, item, x: float, y: float) -> None:
    _draw_code(pdf, qr_matrix(item.asset_tag), x + (LABEL_WIDTH - CODE_BOX) / 2, y + 1)
    width = LABEL_WIDTH - 2 * TEXT_MARGIN
    pdf.set_xy(x + TEXT_MARGIN, y + 1 + CODE_BOX)
    _fitted(pdf, printable(item.asset_tag), "B", TAG_FONT_SIZE, width)
    pdf.cell(width, TAG_HEIGHT, printable(item.asset_tag), align="C")
    caption = printable(f"{item.category.name} · {item.make} {item.model}")
    pdf.set_xy(x + TEXT_MARGIN, y + 1 + CODE_BOX + TAG_HEIGHT)
    pdf.set_font("Helvetica", "", CAPTION_FONT_SIZE)
    pdf.cell(width, CAPTION_HEIGHT, _shortened(pdf, caption, width), align="C")


def _draw_code(pdf: FPDF, matrix, x: float, y: float) -> None:
    """Each run of dark modules in a row as one filled rectangle, inside its quiet zone."""
    module = CODE_BOX / (len(matrix) + 2 * QUIET_ZONE)
    x0, y0 = x + QUIET_ZONE * module, y + QUIET_ZONE * module
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x0 + start * module, y0 + r * module, (c - start) * module, module, style="F")


def _fitted(pdf: FPDF, text: str, style: str, size: float, width: float) -> None:
    """Set the largest font size up to `size` at which a long tag still fits the label."""
    pdf.set_font("Helvetica", style, size)
    while pdf.get_string_width(text) > width and size > 5:
        size -= 0.5
        pdf.set_font("Helvetica", style, size)


def _shortened(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def printable(text: str) -> str:
    """`text` in what the core fonts can show: accents kept, other letters stripped of
    their marks where that helps (Ş → S), anything else as "?"."""
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            try:
                bare.encode(ENCODING)
                char = bare or "?"
            except UnicodeEncodeError:
                char = "?"
        out.append(char)
    return "".join(out)
