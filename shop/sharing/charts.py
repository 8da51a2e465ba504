"""Charts of the shop's months as SVG, the same on the page and in the PDF.

Plain SVG text with no script, no style sheet and nothing fetched: the page's Content
Security Policy and WeasyPrint's fetcher both take it as it is. Bars are black and grey so a
black-and-white print reads like the screen. Every text is escaped; amounts are whole đồng,
shown short ("1,2 tr", "850 k", in the reader's words) so that a bar's label never runs into
the next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

from shop.domain.money import short_dong

#: How an amount of đồng is written on a chart ("85 k"), in the reader's language.
Short = Callable[[int], str]

#: Drawing units (the SVG's viewBox); the page scales the chart to its width.
WIDTH = 640
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


def column_chart(
    points: Sequence[Point], *, title: str, height: int = 210, short: Short = short_dong
) -> Markup:
    """Vertical bars, one per point, with the zero line and a round grid; negative values
    hang below zero in red. An empty chart says nothing was recorded (the title stays)."""
    top, bottom, left, right = 34, 36, 56, 8
    plot_h = height - top - bottom
    plot_w = WIDTH - left - right
    parts = [_text(left, 18, title, size=14, anchor="start", weight="bold")]
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
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{INK if tick == 0 else GRID}" stroke-width="{1.2 if tick == 0 else 0.8}"/>'
        )
        parts.append(_text(left - 6, y(tick) + 4, short(tick), size=10, anchor="end"))
        tick += step
    if points:
        slot = plot_w / len(points)
        bar = max(2.0, min(44.0, slot * 0.62))
        label_every = 1 if slot >= 34 else 2
        for index, point in enumerate(points):
            x = left + slot * index + (slot - bar) / 2
            y0, y1 = sorted((y(0), y(point.value)))
            colour = NEGATIVE if point.value < 0 else BAR
            parts.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}"/>'
            )
            centre = x + bar / 2
            if point.value and slot >= 30:
                # A loss's label sits just above the zero line, clear of the months below.
                label_y = y(point.value) - 4 if point.value > 0 else y(0) - 4
                parts.append(_text(centre, label_y, short(point.value), size=10))
            if index % label_every == 0:
                parts.append(_text(centre, height - bottom + 16, point.label, size=11))
    return _svg(parts, height, title)


def bar_chart(points: Sequence[Point], *, title: str, short: Short = short_dong) -> Markup:
    """Horizontal bars, one row per point (members by what they earned), longest first as
    given; negative values in red to the left of the zero line."""
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


def _svg(parts: list[str], height: int, title: str) -> Markup:
    body = "".join(parts)
    # Every text in ``parts`` went through escape(); the rest are numbers we wrote.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        f'class="chart">{body}</svg>'
    )
