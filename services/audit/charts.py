"""Charts of utilisation as SVG or PNG images, drawn with matplotlib's Agg backend.

Each chart has a title, labelled axes and a text description saying what it shows,
in words, for those who cannot see it: in the SVG as <title> and <desc> (referred
to by aria-labelledby), and beside a PNG as `description` for its alt text.
"""

import base64
import io
import re
from html import escape

from services.audit.analytics import Period, Utilisation

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":")


def render(kind: str, rows: list[Utilisation], period: Period, fmt: str = "svg") -> dict:
    """`rows`: utilisation by partner (with their series) over `period`."""
    figure = _figure()
    axes = figure.add_subplot()
    span = f"{period.first_day:%d/%m/%Y} – {period.last_day:%d/%m/%Y}"
    if kind == "utilisation_over_time":
        title = f"Equipment utilisation over time, {span}"
        description = _over_time(axes, rows)
    else:
        title = f"Equipment utilisation by partner, {span}"
        description = _by_partner(axes, rows)
    axes.set_title(title)
    axes.set_ylim(0, 100) if kind == "utilisation_over_time" else axes.set_xlim(0, 100)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    content = buffer.getvalue()
    if fmt == "svg":
        text = _accessible_svg(content.decode("utf-8"), title, description)
    else:
        text = base64.b64encode(content).decode("ascii")
    return {
        "media_type": MEDIA_TYPES[fmt],
        "content": text,
        "title": title,
        "description": description,
    }


def _figure():
    from matplotlib.figure import Figure  # heavy: only when a chart is asked for

    return Figure(figsize=(8, 4.5), dpi=100)


def _percent(rate) -> str:
    return "no opening hours" if rate is None else f"{rate * 100:.0f} %"


def _over_time(axes, rows) -> str:
    sentences = []
    for n, row in enumerate(rows):
        points = [p for p in row.series if p.rate is not None]
        # A marker and a dash per line, so that lines differ for those who do not see colours.
        axes.plot(
            [p.starts_on for p in points],
            [p.rate * 100 for p in points],
            marker=MARKERS[n % len(MARKERS)],
            linestyle=DASHES[n % len(DASHES)],
            label=row.label,
        )
        if points:
            low = min(points, key=lambda p: p.rate)
            high = max(points, key=lambda p: p.rate)
            sentences.append(
                f"{row.label}: {_percent(row.rate)} over the period, lowest "
                f"{_percent(low.rate)} from {low.starts_on:%d/%m}, highest "
                f"{_percent(high.rate)} from {high.starts_on:%d/%m}."
            )
        else:
            sentences.append(f"{row.label}: no opening hours in the period.")
    axes.set_xlabel("Period starting")
    axes.set_ylabel("Hours in use / hours open (%)")
    if rows:
        axes.legend(title="Partner", loc="upper left", bbox_to_anchor=(1.01, 1))
    axes.figure.autofmt_xdate()
    return (
        "Share of opening hours during which each partner's devices were reserved or "
        "lent. " + " ".join(sentences or ["No equipment in the period."])
    )


def _by_partner(axes, rows) -> str:
    ordered = sorted(rows, key=lambda r: r.rate or 0.0)
    bars = axes.barh([r.label for r in ordered], [(r.rate or 0.0) * 100 for r in ordered])
    axes.bar_label(bars, labels=[_percent(r.rate) for r in ordered], padding=3)
    axes.set_xlabel("Hours in use / hours open (%)")
    axes.set_ylabel("Partner")
    parts = [
        f"{r.label} {_percent(r.rate)} ({r.used_hours:g} of {r.open_hours:g} hours, "
        f"{r.items} devices)"
        for r in reversed(ordered)
    ]
    return (
        "Share of opening hours during which each partner's devices were reserved or "
        "lent, most used first: " + ("; ".join(parts) or "no equipment") + "."
    )


def _accessible_svg(svg: str, title: str, description: str) -> str:
    root = re.search(r"<svg\b[^>]*>", svg)
    opening = root.group(0)[:-1] + ' role="img" aria-labelledby="chart-title chart-desc">'
    return (
        svg[: root.start()]
        + opening
        + f'\n <title id="chart-title">{escape(title)}</title>'
        + f'\n <desc id="chart-desc">{escape(description)}</desc>'
        + svg[root.end() :]
    )
