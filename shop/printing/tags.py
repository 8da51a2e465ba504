"""The A4 sheet of price tags: 24 tags of 70 × 37 mm a page, as a PDF made by WeasyPrint.

Plain data in, PDF bytes out: nothing here needs a Flask app, so a view, the command line
and the tests all call :func:`render_tag_sheet` the same way. Lengths are millimetres unless
a name says otherwise; money is whole đồng.

Nothing is fetched from the network: WeasyPrint gets a URL fetcher that serves files from
``static/`` only, and the fonts (DejaVu, with their licence) ship in ``static/fonts/``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any
from xml.dom.minidom import Element

from barcode import Code128
from barcode.writer import SVGWriter
from fontTools.ttLib import TTFont
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from shop.domain.money import format_dong
from shop.files import FONTS, TEMPLATES
from shop.printing.pdf import html_to_pdf

TEMPLATE = "printing/tag_sheet.html"

#: The label sheet: A4 portrait cut into 3 columns × 8 rows of 70 × 37 mm tags, which
#: leaves 0.5 mm of paper above the first row and below the last (297 − 8 × 37 = 1).
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
TAG_WIDTH_MM = 70.0
TAG_HEIGHT_MM = 37.0
COLUMNS = 3
ROWS = 8
TAGS_PER_PAGE = COLUMNS * ROWS
SHEET_TOP_MM = (PAGE_HEIGHT_MM - ROWS * TAG_HEIGHT_MM) / 2

#: Six colours of the Okabe–Ito palette, told apart with every common colour blindness:
#: orange, sky blue, bluish green, yellow, blue, reddish purple.
MONTH_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#CC79A7")

#: Code 128 bars are this tall on the tag; the width comes from the template, so the bars
#: of a short code grow wider rather than the barcode shrinking.
BARCODE_HEIGHT_MM = 10.0

_CODE = re.compile(r"[A-Za-z0-9-]{1,32}")
#: Longer descriptions cannot show in two lines anyway; cutting them here keeps the layout
#: fast when someone pastes a whole paragraph. The visible cut is the template's ellipsis.
_DESCRIPTION_LIMIT = 300


@dataclass(frozen=True)
class _Layout:
    """Sizes the template's CSS uses and the price fitting below measures with (mm, pt)."""

    padding_x_mm: float = 3.0
    # The price line: price, then for a lot the word "each", then the size on the right.
    price_pt: tuple[int, ...] = (20, 18, 16, 14, 12, 10)  # tried in turn, largest first
    each_pt: float = 8.0
    each_gap_mm: float = 1.0
    each_max_mm: float = 22.0  # a long translation of "each" is cut, the price never
    size_label_pt: float = 7.0
    size_pt: tuple[int, ...] = (13, 11, 9)  # likewise: "M" stays big, "Free size" shrinks
    size_gap_mm: float = 2.0
    barcode_width_mm: float = 62.0
    barcode_height_mm: float = BARCODE_HEIGHT_MM

    @property
    def inner_width_mm(self) -> float:
        return TAG_WIDTH_MM - 2 * self.padding_x_mm


LAYOUT = _Layout()


@dataclass(frozen=True)
class Tag:
    """One price tag: what the shop knows about an item (or a lot of alike items)."""

    code: str  # the item's code, [A-Za-z0-9-]{1,32}: printed as Code 128 and as text
    price_dong: int  # whole đồng; for a lot, the price of one piece
    category: str  # e.g. "Áo"
    description: str  # may be long or empty; the tag shows at most two lines of it
    size: str | None  # e.g. "M", "28"; None when sizes make no sense (bags, scarves)
    intake_month: date  # the first day of the month the item came in: picks the band
    shop_name: str
    quantity: int | None = None  # pieces in a bulk lot; None for a unique item

    def __post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise ValueError(f"a tag code is 1 to 32 of A-Z, a-z, 0-9 and '-', not {self.code!r}")
        if isinstance(self.price_dong, bool) or not isinstance(self.price_dong, int):
            raise TypeError("price_dong must be an int of đồng")
        if self.price_dong < 0:
            raise ValueError("a price cannot be negative")
        if self.quantity is not None and self.quantity < 1:
            raise ValueError("a lot has at least one piece")


@dataclass(frozen=True)
class TagLabels:
    """The words printed on a tag, English by default; the web layer passes translated ones."""

    size: str = "Size"  # before the size: "Size M"
    each: str = "each"  # after a lot's unit price: "15.000 ₫ each"
    title: str = "Price tags"  # the PDF's title, shown by PDF viewers


@dataclass(frozen=True)
class MonthBand:
    """The coloured band at the top of a tag, telling staff how long an item has waited."""

    colour: str  # background, "#RRGGBB"
    text_colour: str  # "#000000" or "#FFFFFF", whichever reads better on ``colour``
    label: str  # the month as text, "T11/26", so colour is never the only signal


def month_band(month: date) -> MonthBand:
    """The band for items that came in during ``month`` (only its year and month count).

    The six colours cycle by month, so any six months in a row have six different colours:
    enough to see at a glance which items passed 30, 60 or 90 days on the rail.
    """
    colour = MONTH_COLOURS[(month.year * 12 + month.month) % len(MONTH_COLOURS)]
    black, white = "#000000", "#FFFFFF"
    text = black if _contrast(colour, black) >= _contrast(colour, white) else white
    return MonthBand(
        colour=colour, text_colour=text, label=f"T{month.month}/{month.year % 100:02d}"
    )


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#RRGGBB`` colour, 0 (black) to 1 (white)."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class _InlineSVGWriter(SVGWriter):
    """python-barcode's SVG writer, finished as an ``<svg>`` element to put inside HTML.

    The writer draws each bar as a ``<rect>`` placed in millimetres, with no viewBox. Here
    the bars become one ``<path>`` in a viewBox of the same millimetres: the template can then
    size the barcode to its box, and WeasyPrint styles one element per barcode instead of
    dozens (inside HTML every SVG element goes through the page's CSS): a sheet of 240 tags
    renders in about a third less time.
    """

    def _finish(self) -> str:  # type: ignore[override]
        root: Element = self._root
        width_mm = float(root.getAttribute("width").removesuffix("mm"))
        height_mm = float(root.getAttribute("height").removesuffix("mm"))
        root.setAttribute("viewBox", f"0 0 {width_mm:.3f} {height_mm:.3f}")
        # Bars only ever stretch sideways or up, which keeps their width ratios: what a
        # scanner reads.
        root.setAttribute("preserveAspectRatio", "none")
        bars = []
        for rect in list(self._group.getElementsByTagName("rect")):
            # A style="fill:…" attribute would go through the page's CSS, which knows no
            # "fill" (WeasyPrint warns and drops it): colours go in plain SVG attributes.
            rect.removeAttribute("style")
            if not rect.getAttribute("x"):  # the white background, quiet zones included
                rect.setAttribute("fill", str(self.background))
                continue
            x, y, width, height = (
                float(rect.getAttribute(name).removesuffix("mm"))
                for name in ("x", "y", "width", "height")
            )
            bars.append(f"M{x:.3f} {y:.3f}h{width:.3f}v{height:.3f}h{-width:.3f}z")
            self._group.removeChild(rect)
        path = self._document.createElement("path")
        path.setAttribute("d", "".join(bars))
        path.setAttribute("fill", str(self.foreground))
        self._group.appendChild(path)
        # 24 barcodes on a page must not share one id, and the comment is noise in HTML.
        self._group.removeAttribute("id")
        for node in list(root.childNodes):
            if node.nodeType == node.COMMENT_NODE:
                root.removeChild(node)
        return root.toxml()


@lru_cache(maxsize=1024)
def barcode_svg(code: str) -> str:
    """``code`` as a Code 128 barcode: an ``<svg>`` element (no XML prolog) to embed in HTML.

    No human-readable text (the template prints the code itself, in the tag's font) and
    python-barcode's quiet zone of 2.54 mm at 0.2 mm a module (12.7 modules, above the
    10 that Code 128 asks for) on each side. The natural size is that many millimetres wide
    and :data:`BARCODE_HEIGHT_MM` tall; the viewBox lets CSS scale it to any box.
    """
    if not _CODE.fullmatch(code):
        raise ValueError(f"a tag code is 1 to 32 of A-Z, a-z, 0-9 and '-', not {code!r}")
    writer = _InlineSVGWriter()
    writer.with_doctype = False
    options = {
        "write_text": False,
        "module_height": BARCODE_HEIGHT_MM,
        "margin_top": 0,
        "margin_bottom": 0,
    }
    return Code128(code, writer=writer).render(options)


@cache
def _environment() -> Environment:
    """Jinja2 on the repository's templates, without Flask (and so without ``_()``)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    environment.filters["dong"] = format_dong
    return environment


# The files behind the template's @font-face rules, to measure the price line with.
_SANS, _SANS_BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
_CONDENSED, _CONDENSED_BOLD = "DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"


@cache
def _advances(font_file: str) -> tuple[dict[int, int], int]:
    """Each character's advance width in a font of ``static/fonts/``, and its units per em."""
    with TTFont(FONTS / font_file) as font:
        metrics = font["hmtx"].metrics
        advances = {char: metrics[glyph][0] for char, glyph in font.getBestCmap().items()}
        return advances, font["head"].unitsPerEm


def _text_width_mm(text: str, font_file: str, size_pt: float) -> float:
    """How wide ``text`` sets in one line, in mm, a little wider than real (kerning ignored).

    A character the font lacks counts as one em, wider than any the tags use.
    """
    advances, units_per_em = _advances(font_file)
    ems = sum(advances.get(ord(char), units_per_em) for char in text) / units_per_em
    return ems * size_pt * 25.4 / 72


@dataclass(frozen=True)
class _HeadFit:
    """Type sizes for one tag's price line, and how wide its size may be before an ellipsis."""

    price_pt: int
    size_pt: int
    size_max_mm: float


def _fit_head(price: str, tag: Tag, labels: TagLabels) -> _HeadFit:
    """The largest price (then the largest size) that fit side by side on the price line.

    The price is never cut short: when nothing fits, even at the smallest sizes, the size
    gets the room that is left and the template ends it with an ellipsis.
    """
    room = LAYOUT.inner_width_mm - 1.0  # a millimetre to spare for rounding in the layout
    if tag.quantity is not None:
        each = _text_width_mm(labels.each, _CONDENSED, LAYOUT.each_pt)
        room -= LAYOUT.each_gap_mm + min(each, LAYOUT.each_max_mm)
    size_label = _text_width_mm(f"{labels.size}\u00a0", _SANS, LAYOUT.size_label_pt)
    for price_pt in LAYOUT.price_pt:
        left = room - _text_width_mm(price, _CONDENSED_BOLD, price_pt)
        if not tag.size:
            if left >= 0:
                return _HeadFit(price_pt, LAYOUT.size_pt[0], 0.0)
            continue
        for size_pt in LAYOUT.size_pt:
            size = size_label + _text_width_mm(tag.size, _SANS_BOLD, size_pt)
            if LAYOUT.size_gap_mm + size <= left:
                return _HeadFit(price_pt, size_pt, left - LAYOUT.size_gap_mm)
    smallest = LAYOUT.price_pt[-1]
    left = room - _text_width_mm(price, _CONDENSED_BOLD, smallest)
    return _HeadFit(smallest, LAYOUT.size_pt[-1], max(left - LAYOUT.size_gap_mm, 0.0))


@dataclass(frozen=True)
class _PrintedTag:
    """What the template shows for one tag, worked out here so the template stays simple."""

    tag: Tag
    band: MonthBand
    price: str
    fit: _HeadFit
    description: str
    barcode: Markup
    cell: int = 0  # its place on the sheet, 0 to 23, row by row


def _printed(tag: Tag, labels: TagLabels, cell: int) -> _PrintedTag:
    price = format_dong(tag.price_dong)
    return _PrintedTag(
        cell=cell,
        tag=tag,
        band=month_band(tag.intake_month),
        price=price,
        fit=_fit_head(price, tag, labels),
        description=tag.description.strip()[:_DESCRIPTION_LIMIT],
        # Trusted markup: python-barcode writes it from a code already checked by Tag.
        barcode=Markup(barcode_svg(tag.code)),  # noqa: S704
    )


def tag_sheet_html(tags: Sequence[Tag], *, labels: TagLabels | None = None, start: int = 1) -> str:
    """The HTML that :func:`render_tag_sheet` prints: one ``.sheet`` of 24 tags a page, the
    first tag on label ``start`` (1 to 24, row by row) of the first sheet."""
    if not tags:
        raise ValueError("no tags to print")
    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= TAGS_PER_PAGE:
        raise ValueError(f"a sheet starts at label 1 to {TAGS_PER_PAGE}, not {start!r}")
    labels = labels or TagLabels()
    # The labels already used on a half-used sheet stay empty.
    cells: list[_PrintedTag | None] = [None] * (start - 1)
    for tag in tags:
        cells.append(_printed(tag, labels, len(cells) % TAGS_PER_PAGE))
    pages = [cells[i : i + TAGS_PER_PAGE] for i in range(0, len(cells), TAGS_PER_PAGE)]
    context: dict[str, Any] = {
        "pages": pages,
        "labels": labels,
        "layout": LAYOUT,
        "tag_width_mm": TAG_WIDTH_MM,
        "tag_height_mm": TAG_HEIGHT_MM,
        "columns": COLUMNS,
        "sheet_top_mm": SHEET_TOP_MM,
    }
    return _environment().get_template(TEMPLATE).render(context)


def render_tag_sheet(
    tags: Sequence[Tag], *, labels: TagLabels | None = None, start: int = 1
) -> bytes:
    """The A4 PDF of ``tags``, 24 a page in the order given, as many pages as needed, the
    first on label ``start`` (1 to 24) of a sheet whose first labels are used already.

    Raises ``ValueError`` for an empty list (a blank sheet of labels is never wanted) or a
    ``start`` outside 1 to 24.
    """
    return html_to_pdf(tag_sheet_html(tags, labels=labels, start=start))
