"""The QR label sheet, read back from the PDF it produces.

No QR decoder is installed, so the drawn squares are read back into a grid of
modules and compared with the QR code segno makes for the asset tag."""

import re
import zlib
from types import SimpleNamespace

import segno

from services.inventory import labels


def item(tag="JV-TAB-001", make="Samsung", model="Galaxy Tab A8", category="Tablette"):
    return SimpleNamespace(
        asset_tag=tag, make=make, model=model, category=SimpleNamespace(name=category)
    )


def page_contents(pdf: bytes) -> list[str]:
    """The drawing instructions of each page (fpdf2 deflates them; fonts are not embedded)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    return [zlib.decompress(stream).decode("cp1252") for stream in streams]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?!s)", pdf))


def drawn_modules(content: str) -> list[list[int]]:
    """The filled rectangles of one label, as rows of modules (1 = dark)."""
    rects = [tuple(map(float, r)) for r in re.findall(r"(\S+) (\S+) (\S+) (\S+) re f", content)]
    module = min(-height for *_, height in rects)
    left = min(x for x, *_ in rects)
    top = max(y for _, y, *_ in rects)  # PDF y grows upwards
    size = round((max(x + w for x, _, w, _ in rects) - left) / module)
    grid = [[0] * size for _ in range(size)]
    for x, y, width, _ in rects:
        row, first = round((top - y) / module), round((x - left) / module)
        for column in range(first, first + round(width / module)):
            grid[row][column] = 1
    return grid


def test_a_sheet_is_a_pdf():
    assert labels.sheet([item()]).startswith(b"%PDF-")


def test_thirty_labels_fill_one_page_of_twenty_four_and_start_another():
    pdf = labels.sheet([item(f"JV-TAB-{n:03}") for n in range(30)])

    assert page_count(pdf) == 2
    first, second = page_contents(pdf)
    assert first.count(" Td (JV-TAB-") == 24 and second.count(" Td (JV-TAB-") == 6


def test_each_asset_tag_is_printed_in_clear_with_its_category_make_and_model():
    pdf = labels.sheet(
        [item("JV-TAB-001"), item("MI-PC-0042", "Lenovo", "ThinkPad E14", "Portable")]
    )

    (content,) = page_contents(pdf)
    assert "(JV-TAB-001) Tj" in content and "(MI-PC-0042) Tj" in content
    assert "(Portable · Lenovo ThinkPad E14) Tj" in content


def test_the_qr_code_carries_exactly_the_asset_tag_as_a_full_size_qr_code():
    # A Micro QR would be smaller for a short tag, but few phones read them.
    (content,) = page_contents(labels.sheet([item("JV-TAB-001")]))

    expected = segno.make_qr("JV-TAB-001", error="m").matrix
    assert drawn_modules(content) == [list(row) for row in expected]


def test_a_long_caption_is_shortened_to_fit_the_label():
    (content,) = page_contents(labels.sheet([item(model="ThinkPad X1 Carbon Gen 11 " * 4)]))

    (caption,) = re.findall(r"\((Tablette[^)]*)\) Tj", content)
    assert caption.endswith("…") and len(caption) < 70


def test_letters_the_pdf_fonts_cannot_show_do_not_break_the_sheet():
    pdf = labels.sheet([item(make="Xiaomi", model="Redmi Pad – 平板 Şirket", category="Tablette")])

    (content,) = page_contents(pdf)
    assert "(Tablette · Xiaomi Redmi Pad – ?? Sirket) Tj" in content


def test_accents_and_typographic_signs_are_kept():
    assert labels.printable("Écran 10″ – « neuf » 129 €") == "Écran 10? – « neuf » 129 €"
