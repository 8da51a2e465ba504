"""Charts of the shop's months as SVG, the same on the page and in the PDF.

Plain SVG text with no script, no style sheet and nothing fetched: the page's Content
Security Policy and WeasyPrint's fetcher both take it as it is. Bars are black and grey so a
black-and-white print reads like the screen. Every text is escaped; amounts are whole đồng,
shown short ("1,2 tr", "850 k", in the reader's words) so that a bar's label never runs into
the next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

from shop.domain.money import short_dong

#: How an amount of đồng is written on a chart ("85 k"), in the reader's language.
Short = Callable[[int], str]

#: Drawing units (the SVG's viewBox); the page scales the chart to its width.
WIDTH = 640
#: The phone's drawing: about as many units as the screen has pixels, so a label of 12
#: units reads at about 11 px on a 360 px screen (the wide one's would be 5 to 6 px).
NARROW = 340
FONT = "DejaVu Sans, sans-serif"
INK = "#1b1b1b"
BAR = "#0e6b4f"  # the shop's green; prints as a dark grey
NEGATIVE = "#b3261e"
GRID = "#d9d4cc"


@dataclass(frozen=True)
class Point:
    """One bar: its label under the axis (a month "T11/26", a member's name) and its đồng."""

    label: str
    value: int


def _nice_step(span: int, ticks: int = 4) -> int:
    """A round grid step (1, 2 or 5 × 10ⁿ đồng) giving about ``ticks`` lines over ``span``."""
    raw = max(1, span // ticks)
    magnitude = 10 ** (len(str(raw)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = 12,
    anchor: str = "middle",
    weight: str = "normal",
    fill: str = INK,
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" '
        f'font-weight="{weight}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def _title(text: str, *, size: int, x: float, room: float) -> tuple[list[str], int]:
    """The chart's title, on as many lines as it needs to fit ``room`` units (a phone's
    narrow drawing); the parts and how many units the lines below the first take."""
    lines, line = [], ""
    for word in text.split():
        wanted = f"{line} {word}".strip()
        if line and len(wanted) * size * 0.62 > room:
            lines.append(line)
            line = word
        else:
            line = wanted
    lines.append(line)
    step = size + 4
    parts = [
        _text(x, 18 + step * n, line, size=size, anchor="start", weight="bold")
        for n, line in enumerate(lines)
    ]
    return parts, step * (len(lines) - 1)


def column_chart(
    points: Sequence[Point],
    *,
    title: str,
    height: int = 210,
    short: Short = short_dong,
    narrow: bool = False,
) -> Markup:
    """Vertical bars, one per point, with the zero line and a round grid; negative values
    hang below zero in red. An empty chart says nothing was recorded (the title stays).
    ``narrow``: drawn for a phone's width, with bigger letters and fewer labels."""
    width = NARROW if narrow else WIDTH
    small, label_size = (12, 12) if narrow else (10, 11)
    top, bottom, left, right = 34, 36, (46 if narrow else 56), 8
    if narrow:
        parts, extra = _title(title, size=15, x=8, room=width - 16)
        top, height = top + extra, height + extra
    else:
        parts = [_text(left, 18, title, size=14, anchor="start", weight="bold")]
    plot_h = height - top - bottom
    plot_w = width - left - right
    values = [p.value for p in points]
    high, low = max([0, *values]), min([0, *values])
    step = _nice_step(high - low or 1)
    high = -(-high // step) * step if high else 0
    low = (low // step) * step if low else 0
    span = (high - low) or step

    def y(value: int) -> float:
        return top + (high - value) * plot_h / span

    tick = low
    while tick <= high:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{INK if tick == 0 else GRID}" stroke-width="{1.2 if tick == 0 else 0.8}"/>'
        )
        parts.append(_text(left - 6, y(tick) + 4, short(tick), size=small, anchor="end"))
        tick += step
    if points:
        slot = plot_w / len(points)
        bar = max(2.0, min(44.0, slot * 0.62))
        # Every label or every n-th, so that no two run into each other (a letter is about
        # 0.62 of its size wide in DejaVu Sans).
        longest = max(len(p.label) for p in points) * label_size * 0.62 + 4
        label_every = max(1, math.ceil(longest / slot))
        for index, point in enumerate(points):
            x = left + slot * index + (slot - bar) / 2
            y0, y1 = sorted((y(0), y(point.value)))
            colour = NEGATIVE if point.value < 0 else BAR
            parts.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}"/>'
            )
            centre = x + bar / 2
            if point.value and slot >= (48 if narrow else 30):
                # A loss's label sits just above the zero line, clear of the months below.
                label_y = y(point.value) - 4 if point.value > 0 else y(0) - 4
                parts.append(_text(centre, label_y, short(point.value), size=small))
            if (len(points) - 1 - index) % label_every == 0:  # the latest month always
                parts.append(_text(centre, height - bottom + 16, point.label, size=label_size))
    return _svg(parts, height, title, width=width)


def bar_chart(
    points: Sequence[Point], *, title: str, short: Short = short_dong, narrow: bool = False
) -> Markup:
    """Horizontal bars, one row per point (members by what they earned), longest first as
    given; negative values in red to the left of the zero line. ``narrow``: for a phone,
    each name on its own line above its bar, in bigger letters."""
    if narrow:
        return _narrow_bar_chart(points, title=title, short=short)
    row, top, left, right = 26, 34, 150, 70
    height = top + row * max(1, len(points)) + 8
    plot_w = WIDTH - left - right
    parts = [_text(8, 18, title, size=14, anchor="start", weight="bold")]
    values = [p.value for p in points]
    high, low = max([0, *values]), min([0, *values])
    span = (high - low) or 1

    def x(value: int) -> float:
        return left + (value - low) * plot_w / span

    parts.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top - 4}" y2="{height - 4}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    for index, point in enumerate(points):
        y = top + row * index
        x0, x1 = sorted((x(0), x(point.value)))
        colour = NEGATIVE if point.value < 0 else BAR
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 0.5):.1f}" height="{row - 10}" '
            f'fill="{colour}"/>'
        )
        name = point.label if len(point.label) <= 22 else point.label[:21] + "…"
        parts.append(_text(left - 8, y + row / 2 + 2, name, size=12, anchor="end"))
        parts.append(_text(x1 + 6, y + row / 2 + 2, short(point.value), size=11, anchor="start"))
    return _svg(parts, height, title)


def _narrow_bar_chart(points: Sequence[Point], *, title: str, short: Short) -> Markup:
    row, top, left, right = 42, 34, 8, 78
    parts, extra = _title(title, size=15, x=8, room=NARROW - 16)
    top += extra
    height = top + row * max(1, len(points)) + 4
    plot_w = NARROW - left - right
    values = [p.value for p in points]
    high, low = max([0, *values]), min([0, *values])
    span = (high - low) or 1

    def x(value: int) -> float:
        return left + (value - low) * plot_w / span

    for index, point in enumerate(points):
        y = top + row * index
        name = point.label if len(point.label) <= 40 else point.label[:39] + "…"
        parts.append(_text(left, y + 13, name, size=13, anchor="start"))
        x0, x1 = sorted((x(0), x(point.value)))
        colour = NEGATIVE if point.value < 0 else BAR
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 19}" width="{max(x1 - x0, 0.5):.1f}" height="14" '
            f'fill="{colour}"/>'
        )
        parts.append(_text(x1 + 6, y + 31, short(point.value), size=12, anchor="start"))
    return _svg(parts, height, title, width=NARROW)


def page_chart(draw: Callable[..., Markup], *args, **kwargs) -> Markup:
    """A chart for the page and the PDF: drawn wide (a laptop, paper) and narrow (a phone);
    the style sheets show the one that fits (shop.css by the screen's width, paper.css the
    wide one)."""
    # As plain text: Markup.replace would escape the quotes of what it is given.
    wide = str(draw(*args, **kwargs)).replace('class="chart"', 'class="chart chart-wide"', 1)
    narrow = str(draw(*args, narrow=True, **kwargs))
    narrow = narrow.replace('class="chart"', 'class="chart chart-narrow"', 1)
    return Markup(wide + narrow)  # noqa: S704 - both drawn by this module, every text escaped


def page_column_chart(*args, **kwargs) -> Markup:
    """:func:`column_chart` for the page and the PDF (see :func:`page_chart`)."""
    return page_chart(column_chart, *args, **kwargs)


def page_bar_chart(*args, **kwargs) -> Markup:
    """:func:`bar_chart` for the page and the PDF (see :func:`page_chart`)."""
    return page_chart(bar_chart, *args, **kwargs)


def _svg(parts: list[str], height: int, title: str, *, width: int = WIDTH) -> Markup:
    body = "".join(parts)
    # Every text in ``parts`` went through escape(); the rest are numbers we wrote.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        f'class="chart">{body}</svg>'
    )
