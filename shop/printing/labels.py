"""Price tags for thermal printers: one :class:`~shop.printing.tags.Tag` as a 1-bit label image,
and a run of labels as ESC/POS bytes, cut apart.

The same :class:`~shop.printing.tags.Tag` that the A4 sheet prints, drawn for the roll of a
receipt printer (384 dots across on 58 mm paper, 576 on 80 mm, at 203 dpi): the month mark
and the shop's name, the price big and bold, category · size · description in at most two
lines, then a Code 128 barcode of the code and the code in digits. Everything is drawn with
the bundled DejaVu fonts, like a raster receipt, so every Vietnamese letter prints on any
printer that prints images.

Thermal printers print black only: the month's colour of the A4 band cannot show, so its
name (``T11/26``, from :func:`~shop.printing.tags.month_band`) prints white in a black box;
a roll label printer's tag (:func:`tag_image`) also has the colour as one of six patterns
(:data:`MONTH_PATTERNS`) beside it.

The barcode is drawn bar by bar in whole dots a module, never scaled or smoothed, with quiet
zones of :data:`QUIET_ZONE_MODULES` modules inside the image. A code too long to lie across
the paper at :data:`MIN_MODULE_MM` a module is turned a quarter turn and runs down the roll
instead, where there is room for any length: a scanner reads it either way, which is not
true of one-dot bars smeared by the print head.

Widths and heights are printer dots unless a name says otherwise; money is whole đồng.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import groupby

from barcode import Code128
from PIL import Image, ImageDraw, ImageFont

from shop.domain.money import format_dong
from shop.printing.escpos_out import TEAR_OFF_FEED_LINES, _printer, print_image
from shop.printing.receipt import (
    _BOLD,
    _REGULAR,
    _THRESHOLD,
    DEFAULT_DPI,
    _clean,
    _font,
    _length,
    _scaled,
    _wrap_text,
    printable_width_px,
)
from shop.printing.tags import (
    _CONDENSED_BOLD,
    BARCODE_HEIGHT_MM,
    MONTH_COLOURS,
    Tag,
    TagLabels,
    month_band,
)

#: The fonts of the label: the price in the A4 tag's condensed bold, the rest in DejaVu Sans.
PRICE_FONT = _CONDENSED_BOLD
TEXT_FONT = _REGULAR
MONTH_FONT = _BOLD

#: White modules on each side of the bars; Code 128 asks for at least 10.
QUIET_ZONE_MODULES = 10
#: A module is at least this wide (2 dots at 203 dpi: below that, thermal bleed closes the
#: gaps) and at most this wide (4 dots: wider only makes the label longer to scan).
MIN_MODULE_MM = 0.25
MAX_MODULE_MM = 0.5
#: The bars are as tall as on the A4 tag.
BAR_HEIGHT_MM = BARCODE_HEIGHT_MM

#: Where the separator between category, size and description may not break a line.
SEPARATOR = "\u00a0· "
#: The description shows in at most this many lines; the last one ends in "…" if cut.
ABOUT_LINES = 2
ELLIPSIS = "…"


@dataclass(frozen=True)
class LabelStyle:
    """Type sizes and white space for one paper width, in dots at 203 dpi (:data:`DEFAULT_DPI`)."""

    margin: int  # white dots left and right inside the printable width
    padding: int  # white dots above the first row and below the last
    gap: int  # white dots between rows
    small: int  # the shop's name and the month mark
    about: int  # category · size · description
    each: int  # "each" after a lot's unit price
    price: tuple[int, ...]  # the price's size: the largest that fits, tried in turn
    code: tuple[int, ...]  # the code in digits: a very long code gets smaller type


LABEL_STYLES = {
    58: LabelStyle(
        margin=8,
        padding=10,
        gap=8,
        small=20,
        about=22,
        each=22,
        price=(76, 68, 60, 52, 44, 36),
        code=(24, 22, 20, 18, 16),
    ),
    80: LabelStyle(
        margin=12,
        padding=12,
        gap=10,
        small=24,
        about=26,
        each=26,
        price=(100, 88, 76, 64, 52, 40),
        code=(28, 26, 24, 22, 20, 18),
    ),
}


def _dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / 25.4)


def _fit(text: str, font: str, size: int, width: float) -> str:
    """``text`` as it is if it fits ``width``, else its longest start that fits with "…".

    The cut falls between words when that keeps at least two thirds of the width filled,
    inside a word otherwise.
    """
    if _length(font, size, text) <= width:
        return text

    def fits(cut: int) -> bool:
        return _length(font, size, text[:cut].rstrip() + ELLIPSIS) <= width

    cut = len(text)
    while cut > 0 and not fits(cut):
        cut -= 1
    space = text.rfind(" ", 0, cut + 1)
    if space > 0 and _length(font, size, text[:space].rstrip()) >= width * 2 / 3:
        cut = space
    # Never "Áo dài ·…" nor "lụa,…": the punctuation before the cut goes with it.
    return text[:cut].rstrip(" \u00a0·,;:") + ELLIPSIS


def about_text(tag: Tag) -> str:
    """What the label says of the item, before wrapping: "Áo dài · M · Lụa tơ tằm, …".

    The category, the size and the description, each left out when empty; text fit to print
    (NFC, no control characters, a pasted paragraph already cut short).
    """
    parts = (tag.category, tag.size or "", tag.description)
    return SEPARATOR.join(part for part in (_clean(" ".join(p.split())) for p in parts) if part)


def _about_lines(text: str, size: int, width: int) -> list[str]:
    """``text`` wrapped to ``width`` in at most :data:`ABOUT_LINES` lines, "…" if cut."""
    if not text:
        return []
    lines = _wrap_text(text, width, lambda part: _length(TEXT_FONT, size, part))
    if len(lines) <= ABOUT_LINES:
        return lines
    last = " ".join([lines[ABOUT_LINES - 1], lines[ABOUT_LINES]])
    # _fit always cuts here: two lines' worth of text never fits in one.
    return [*lines[: ABOUT_LINES - 1], _fit(last, TEXT_FONT, size, width)]


@lru_cache(maxsize=1024)
def barcode_modules(code: str) -> str:
    """``code`` as Code 128 modules, ``"1"`` a bar and ``"0"`` a space, without quiet zones.

    python-barcode picks the code sets (digits go in pairs through set C) and the check
    symbol; only its module pattern is used, so every bar can be drawn in whole dots.
    """
    return Code128(code).build()[0]


@lru_cache(maxsize=256)
def _barcode_image(code: str, width: int, dpi: int) -> Image.Image:
    """The barcode as a mode "L" image of pure black and white, at most ``width`` dots wide.

    Across the paper with the widest module (up to :data:`MAX_MODULE_MM`) that fits, quiet
    zones included; turned to run down the roll when not even :data:`MIN_MODULE_MM` fits.
    """
    modules = barcode_modules(code)
    total = len(modules) + 2 * QUIET_ZONE_MODULES
    smallest = max(2, _dots(MIN_MODULE_MM, dpi))
    module = min(max(smallest, _dots(MAX_MODULE_MM, dpi)), width // total)
    ladder = module < smallest
    if ladder:
        module = smallest
    height = _dots(BAR_HEIGHT_MM, dpi)
    if ladder:  # longer bars across the roll: a scanner's line finds them more easily
        height = max(height, width // 2)
    image = Image.new("L", (total * module, height), 255)
    draw = ImageDraw.Draw(image)
    x = QUIET_ZONE_MODULES * module
    for bit, run in groupby(modules):
        span = len(list(run)) * module
        if bit == "1":
            draw.rectangle((x, 0, x + span - 1, height - 1), fill=0)
        x += span
    # A quarter turn anticlockwise: the start of the code prints first, at the top.
    return image.transpose(Image.Transpose.ROTATE_270) if ladder else image


@dataclass(frozen=True)
class _Block:
    """One row of the label: how tall it is and how to draw it with its top at ``top``."""

    height: int
    draw: Callable[[Image.Image, ImageDraw.ImageDraw, int], None]


def _text_block(text: str, font: str, size: int, x: int, anchor: str, *, lead: int) -> _Block:
    """One line of text; ``lead`` dots above the ascent leave room for stacked accents."""
    ascent, descent = _font(font, size).getmetrics()

    def draw(image: Image.Image, pen: ImageDraw.ImageDraw, top: int) -> None:
        pen.text((x, top + lead + ascent), text, font=_font(font, size), fill=0, anchor=anchor)

    return _Block(lead + ascent + descent, draw)


def _header(tag: Tag, style: LabelStyle, width: int, dpi: int) -> _Block:
    """The month mark, white on a black box at the left, and the shop's name at the right."""
    margin, small = _scaled(style.margin, dpi), _scaled(style.small, dpi)
    month = month_band(tag.intake_month).label
    month_font = _font(MONTH_FONT, small)
    left, top, right, bottom = month_font.getbbox(month, anchor="ls")
    pad_x, pad_y = _scaled(6, dpi), _scaled(5, dpi)
    box_width = right - left + 2 * pad_x
    box_height = bottom - top + 2 * pad_y
    room = width - 2 * margin - box_width - _scaled(12, dpi)
    shop = _fit(_clean(" ".join(tag.shop_name.split())), TEXT_FONT, small, room)

    def draw(image: Image.Image, pen: ImageDraw.ImageDraw, top_: int) -> None:
        pen.rectangle((margin, top_, margin + box_width - 1, top_ + box_height - 1), fill=0)
        baseline = top_ + pad_y - top
        pen.text((margin + pad_x - left, baseline), month, font=month_font, fill=255, anchor="ls")
        if shop:
            shop_font = _font(TEXT_FONT, small)
            pen.text((width - margin, baseline), shop, font=shop_font, fill=0, anchor="rs")

    return _Block(box_height, draw)


def _price(tag: Tag, style: LabelStyle, labels: TagLabels, width: int, dpi: int) -> _Block:
    """The price in the largest type that fits; for a lot, "each" after it in small type."""
    margin = _scaled(style.margin, dpi)
    inner = width - 2 * margin
    price = format_dong(tag.price_dong)
    each_size = _scaled(style.each, dpi)
    each, gap = "", _scaled(8, dpi)
    if tag.quantity is not None and labels.each.strip():
        each = _fit(_clean(labels.each.strip()), TEXT_FONT, each_size, inner * 0.4)
    room = inner - (gap + _length(TEXT_FONT, each_size, each) if each else 0)
    sizes = [_scaled(size, dpi) for size in style.price]
    # The price is never cut: at worst it gets the smallest size (wider than the paper only
    # for prices far above anything a second-hand shop sells).
    size = next((s for s in sizes if _length(PRICE_FONT, s, price) <= room), sizes[-1])
    font = _font(PRICE_FONT, size)
    # Digits, dots and ₫ only: the ink, not the font's full ascent and descent, sets the height.
    _, ink_top, right, ink_bottom = font.getbbox(price, anchor="ls")

    def draw(image: Image.Image, pen: ImageDraw.ImageDraw, top: int) -> None:
        baseline = top - ink_top
        pen.text((margin, baseline), price, font=font, fill=0, anchor="ls")
        if each:
            x = margin + round(right) + gap
            pen.text((x, baseline), each, font=_font(TEXT_FONT, each_size), fill=0, anchor="ls")

    return _Block(ink_bottom - ink_top, draw)


def _code_blocks(code: str, style: LabelStyle, width: int, dpi: int) -> list[_Block]:
    """The code in digits, centred, in the largest size that fits (wrapped if none does)."""
    inner = width - 2 * _scaled(style.margin, dpi)
    sizes = [_scaled(size, dpi) for size in style.code]
    size = next((s for s in sizes if _length(TEXT_FONT, s, code) <= inner), sizes[-1])
    lines = _wrap_text(code, inner, lambda part: _length(TEXT_FONT, size, part))
    return [_text_block(line, TEXT_FONT, size, width // 2, "ms", lead=0) for line in lines]


def label_image(
    tag: Tag,
    *,
    paper_mm: int = 58,
    dpi: int = DEFAULT_DPI,
    labels: TagLabels | None = None,
) -> Image.Image:
    """``tag`` drawn as one thermal label, black on white, mode ``"1"``.

    As wide as the printable width of ``paper_mm`` paper (384 dots on 58 mm, 576 on 80 mm at
    203 dpi; any other width raises ``ValueError``) and as tall as its rows: about 4 cm.
    From the top: the month mark and the shop's name, the price (for a lot, with
    ``labels.each`` after it), category · size · description in at most two lines, the
    Code 128 barcode and the code in digits. Text is drawn antialiased in grey and cut at the
    receipts' threshold, without dithering; the bars are whole dots.
    """
    if not isinstance(tag, Tag):
        raise TypeError(f"a label is drawn from a Tag, not {type(tag).__name__}")
    width = printable_width_px(paper_mm, dpi)  # raises ValueError for other papers and dpi
    style = LABEL_STYLES[paper_mm]
    labels = labels or TagLabels()
    margin, gap = _scaled(style.margin, dpi), _scaled(style.gap, dpi)
    about = _scaled(style.about, dpi)

    blocks: list[_Block | int] = [_scaled(style.padding, dpi)]
    blocks += [_header(tag, style, width, dpi), gap + _scaled(4, dpi)]
    blocks += [_price(tag, style, labels, width, dpi), gap]
    # Stacked Vietnamese capitals (Ấ, Ễ) reach about 0.2 em above the font's ascent.
    lead = round(0.2 * about)
    for line in _about_lines(about_text(tag), about, width - 2 * margin):
        blocks.append(_text_block(line, TEXT_FONT, about, margin, "ls", lead=lead))
    blocks.append(gap + _scaled(4, dpi))
    # The quiet zones are white already: the bars may use the margins too.
    bars = _barcode_image(tag.code, width, dpi)
    blocks.append(
        _Block(
            bars.height,
            lambda image, pen, top: image.paste(bars, ((width - bars.width) // 2, top)),
        )
    )
    blocks.append(_scaled(4, dpi))
    blocks += _code_blocks(tag.code, style, width, dpi)
    blocks.append(_scaled(style.padding, dpi))

    height = sum(block if isinstance(block, int) else block.height for block in blocks)
    image = Image.new("L", (width, height), 255)
    pen = ImageDraw.Draw(image)
    top = 0
    for block in blocks:
        if isinstance(block, int):
            top += block
            continue
        block.draw(image, pen, top)
        top += block.height
    lut = [0 if level < _THRESHOLD else 255 for level in range(256)]
    return image.point(lut, "1")


def labels_bytes(
    tags: Sequence[Tag],
    *,
    paper_mm: int = 58,
    profile: str = "default",
    cut: bool = True,
    labels: TagLabels | None = None,
) -> bytes:
    """The print job for ``tags``, one label each in the order given, as ESC/POS bytes.

    Each label is ``ESC @``, its image as ``GS v 0`` rasters in bands of at most
    :data:`~shop.printing.escpos_out.RASTER_BAND_DOTS` rows (as receipts go), then with
    ``cut`` a cut, or on a printer without a cutter a feed past the tear bar. Without
    ``cut`` the labels follow one another on the roll. ``profile`` is a python-escpos
    printer profile, as for :func:`~shop.printing.escpos_out.receipt_bytes`. Raises
    ``ValueError`` for no tags, an unknown profile or a paper width the shop does not use.
    """
    tags = list(tags)
    if not tags:
        raise ValueError("no tags to print")
    printer, dpi = _printer(profile, paper_mm)
    if not printer.profile.supports("bitImageRaster"):
        raise ValueError(f"profile {profile!r} cannot print raster images")
    cutter = printer.profile.supports("paperFullCut") or printer.profile.supports("paperPartCut")
    for tag in tags:
        image = label_image(tag, paper_mm=paper_mm, dpi=dpi, labels=labels)
        printer.hw("INIT")  # ESC @: each label starts from the printer's defaults
        print_image(printer, image)
        if cut:
            if cutter:
                printer.cut()  # feeds the label past the blade first
            else:
                printer.print_and_feed(TEAR_OFF_FEED_LINES)
    return printer.output


# --- a tag on a die-cut label of a given size (roll label printers) ------------------------

#: The widest and narrowest module of a label's barcode, in dots at 203 dpi (2 dots is
#: :data:`MIN_MODULE_MM`; one-dot bars are the last resort for a very long code on a small
#: label, and print less crisply).
_LABEL_MODULES = (4, 3, 2)
#: Fewer white modules than this beside the bars and a scanner may not find their ends.
_LABEL_MIN_QUIET = 6


@dataclass(frozen=True)
class _LabelMetrics:
    """Type sizes and white space of one label height, in dots."""

    pad: int  # white above the first row and below the last
    margin: int  # white left and right of the text
    gap: int  # between rows
    small: int  # the month mark, the size, the category line
    code: int  # the code in digits under the bars
    bars: int  # the bars' height
    price: tuple[int, ...]  # the price's sizes, largest first
    price_floor: int  # the description gives its room up before the price gets smaller


def _label_metrics(width: int, height: int) -> _LabelMetrics:
    def clamp(value: float, low: int, high: int) -> int:
        return max(low, min(high, round(value)))

    return _LabelMetrics(
        pad=clamp(height / 32, 4, 12),
        margin=clamp(width / 28, 10, 16),
        gap=clamp(height / 60, 2, 6),
        small=clamp(height / 9, 16, 28),
        code=clamp(height / 11.5, 14, 22),
        bars=clamp(height * 0.26, 36, round(BAR_HEIGHT_MM * 8)),
        price=tuple(range(clamp(height / 2.6, 40, 120), 19, -2)),
        price_floor=clamp(height / 4.4, 36, 60),
    )


@lru_cache(maxsize=256)
def _label_barcode(code: str, width: int, height: int) -> Image.Image:
    """The bars of ``code`` across a label ``width`` dots wide, quiet zones included.

    The widest module of :data:`_LABEL_MODULES` with full quiet zones; else 2 dots a module
    with the quiet zones the label leaves (at least :data:`_LABEL_MIN_QUIET` modules);
    else one dot a module. The label's own edge and the gap beside it are white as well.
    """
    modules = barcode_modules(code)
    for module in _LABEL_MODULES:
        if (len(modules) + 2 * QUIET_ZONE_MODULES) * module <= width:
            break
    else:
        module = 2 if (len(modules) + 2 * _LABEL_MIN_QUIET) * 2 <= width else 1
    image = Image.new("L", (len(modules) * module, height), 255)
    draw = ImageDraw.Draw(image)
    x = 0
    for bit, run in groupby(modules):
        span = len(list(run)) * module
        if bit == "1":
            draw.rectangle((x, 0, x + span - 1, height - 1), fill=0)
        x += span
    return image


def _label_about(tag: Tag) -> str:
    """The category and the description (the size has its own place on a label)."""
    parts = (tag.category, tag.description)
    return SEPARATOR.join(part for part in (_clean(" ".join(p.split())) for p in parts) if part)


#: The A4 tag's month colours as patterns a label printer prints in black, in the order of
#: :data:`~shop.printing.tags.MONTH_COLOURS`: solid, rows, columns, slants, checks, open.
#: Like the colours they come round every six months, so six months in a row look different
#: at a glance on the rail.
MONTH_PATTERNS = ("solid", "rows", "columns", "slants", "checks", "open")
_PATTERN_STEP = 3  # dots a stripe or a check is wide: thermal bleed closes thinner ones
_PATTERN_FRAME = 2  # dots of the frame round every pattern


def month_pattern(month: date, width: int, height: int) -> Image.Image:
    """The colour of ``month``'s A4 band as a ``width`` × ``height`` dot pattern in a black
    frame, mode ``"L"`` (0 black, 255 white)."""
    pattern = MONTH_PATTERNS[MONTH_COLOURS.index(month_band(month).colour)]
    return _pattern_image(pattern, width, height)


@lru_cache(maxsize=64)
def _pattern_image(pattern: str, width: int, height: int) -> Image.Image:
    step, frame = _PATTERN_STEP, _PATTERN_FRAME

    def black(x: int, y: int) -> bool:
        if pattern == "solid":
            return True
        if pattern == "rows":
            return y // step % 2 == 0
        if pattern == "columns":
            return x // step % 2 == 0
        if pattern == "slants":
            return (x + y) // step % 2 == 0
        if pattern == "checks":
            return (x // (step + 1) + y // (step + 1)) % 2 == 0
        return False  # "open": the frame alone

    dots = bytes(
        0 if (min(x, y, width - 1 - x, height - 1 - y) < frame or black(x, y)) else 255
        for y in range(height)
        for x in range(width)
    )
    return Image.frombytes("L", (width, height), dots)


def tag_image(tag: Tag, width: int, height: int, *, labels: TagLabels | None = None) -> Image.Image:
    """``tag`` drawn on one die-cut label of ``width`` × ``height`` dots, mode ``"1"``.

    For roll label printers at 203 dpi, 8 dots a millimetre: 280 × 176 dots for a 35 × 22 mm
    label, 320 × 240 for 40 × 30 mm, 400 × 240 for 50 × 30 mm. From the top: the month mark
    white in a black box, then the A4 tag's colour of the month as a pattern
    (:func:`month_pattern`), and the size, big and bold, at the right; the price in the
    largest type the label leaves room for (a lot's with ``labels.each`` after it); the
    category and description in one line, or two on a label tall enough; the Code 128 bars
    in whole dots and the code in digits. Rows that do not fit a small label are left out
    from the description up, never the price, the bars or the code. Raises ``ValueError``
    for a label smaller than 20 × 10 mm.
    """
    if not isinstance(tag, Tag):
        raise TypeError(f"a label is drawn from a Tag, not {type(tag).__name__}")
    if width < 160 or height < 80:
        raise ValueError(f"a label of {width} × {height} dots is too small for a price tag")
    labels = labels or TagLabels()
    metrics = _label_metrics(width, height)
    margin, gap, inner = metrics.margin, metrics.gap, width - 2 * metrics.margin
    header = _label_header(tag, labels, metrics, inner)
    # The bottom: the bars and the code in digits under them.
    code_size = next(
        (s for s in range(metrics.code, 9, -1) if _length(TEXT_FONT, s, tag.code) <= width - 8),
        10,
    )
    code_font = _font(TEXT_FONT, code_size)
    c_top, c_bottom = code_font.getbbox(tag.code, anchor="ls")[1::2]
    code_height = c_bottom - c_top

    # The price's line.
    price = format_dong(tag.price_dong)
    each = ""
    each_size = metrics.small
    if tag.quantity is not None and labels.each.strip():
        each = _fit(_clean(labels.each.strip()), TEXT_FONT, each_size, inner * 0.4)
    room = inner - (_length(TEXT_FONT, each_size, each) + metrics.small // 3 if each else 0)

    lead = round(0.2 * metrics.small)  # stacked capitals (Ấ, Ễ) above the ascent
    ascent, descent = _font(TEXT_FONT, metrics.small).getmetrics()
    line_height = lead + ascent + descent
    fixed = 2 * metrics.pad + header.box_height + metrics.bars + 2 + code_height + 3 * gap
    about_lines = _about_lines(_label_about(tag), metrics.small, inner)
    if height < 220 and len(about_lines) > 1:  # one line on a short label
        about_lines = [_fit(" ".join(about_lines), TEXT_FONT, metrics.small, inner)]
    price_size, (p_top, p_bottom), about_lines = _price_and_about(
        price, room, height, height - fixed, line_height + gap, about_lines, metrics, inner
    )

    image = Image.new("L", (width, height), 255)
    pen = ImageDraw.Draw(image)
    y = metrics.pad
    _draw_label_header(image, pen, header, y, width, margin)
    y += header.box_height + gap

    # The price sits in the middle of the room left between the header and the rows below.
    rows_below = len(about_lines) * (line_height + gap) + metrics.bars + 2 + code_height + gap
    free = height - metrics.pad - rows_below - y
    y += max(0, (free - (p_bottom - p_top)) // 2)
    price_font = _font(PRICE_FONT, price_size)
    pen.text((margin, y - p_top), price, font=price_font, fill=0, anchor="ls")
    if each:
        x = margin + round(price_font.getlength(price)) + metrics.small // 3
        pen.text((x, y - p_top), each, font=_font(TEXT_FONT, each_size), fill=0, anchor="ls")
    y = height - metrics.pad - rows_below + gap

    for line in about_lines:
        pen.text((margin, y + lead + ascent), line, font=_font(TEXT_FONT, metrics.small),
                 fill=0, anchor="ls")  # fmt: skip
        y += line_height + gap

    bars = _label_barcode(tag.code, width, metrics.bars)
    image.paste(bars, ((width - bars.width) // 2, y))
    y += metrics.bars + 2
    pen.text((width // 2, y - c_top), tag.code, font=code_font, fill=0, anchor="ms")
    lut = [0 if level < _THRESHOLD else 255 for level in range(256)]
    return image.point(lut, "1")


@dataclass(frozen=True)
class _LabelHeader:
    """A label's top row: the month white in a black box, its colour's pattern beside it,
    the size at the right."""

    month: str
    font: ImageFont.FreeTypeFont
    left: int  # the month's ink box, from its baseline
    top: int
    pad_x: int
    pad_y: int
    box_width: int
    box_height: int
    pattern: Image.Image
    pattern_x: int
    size_text: str


def _label_header(tag: Tag, labels: TagLabels, metrics: _LabelMetrics, inner: int) -> _LabelHeader:
    """The header's texts and boxes, the size cut to the room the month leaves."""
    margin = metrics.margin
    month = month_band(tag.intake_month).label
    month_font = _font(MONTH_FONT, metrics.small)
    m_left, m_top, m_right, m_bottom = month_font.getbbox(month, anchor="ls")
    pad_x, pad_y = max(3, metrics.small // 5), max(2, metrics.small // 6)
    box_width, box_height = m_right - m_left + 2 * pad_x, m_bottom - m_top + 2 * pad_y
    pattern = month_pattern(tag.intake_month, round(box_height * 1.3), box_height)
    pattern_x = margin + box_width + metrics.small // 3
    size_text = ""
    if tag.size:
        room = inner - (pattern_x - margin + pattern.width) - metrics.small // 2
        size_text = _fit(f"{labels.size.strip()} {_clean(tag.size.strip())}".strip(),
                         MONTH_FONT, metrics.small, room)  # fmt: skip
    return _LabelHeader(
        month, month_font, m_left, m_top, pad_x, pad_y, box_width, box_height, pattern,
        pattern_x, size_text,
    )  # fmt: skip


def _draw_label_header(
    image: Image.Image, pen: ImageDraw.ImageDraw, header: _LabelHeader, y: int, width: int,
    margin: int,
) -> None:  # fmt: skip
    pen.rectangle((margin, y, margin + header.box_width - 1, y + header.box_height - 1), fill=0)
    baseline = y + header.pad_y - header.top
    pen.text((margin + header.pad_x - header.left, baseline), header.month, font=header.font,
             fill=255, anchor="ls")  # fmt: skip
    image.paste(header.pattern, (header.pattern_x, y))
    if header.size_text:
        pen.text((width - margin, baseline), header.size_text, font=header.font, fill=0,
                 anchor="rs")  # fmt: skip


def _price_and_about(
    price: str,
    room: float,
    height: int,
    height_left: int,
    row: int,
    about_lines: list[str],
    metrics: _LabelMetrics,
    inner: int,
) -> tuple[int, tuple[int, int], list[str]]:
    """The price's size and ink (top, bottom) in the ``height_left`` the fixed rows leave
    of the label's ``height``, ``room`` wide, with the description lines (``row`` dots
    each) that still fit beside it."""

    def price_fits(size: int, left: int) -> tuple[int, int] | None:
        font = _font(PRICE_FONT, size)
        _, top, right, bottom = font.getbbox(price, anchor="ls")
        if right > room or bottom - top > left:
            return None
        return top, bottom

    # The floor holds against the rows below, not against the width: a price too wide for
    # it (a lot's with "each" after it, a price in the millions) takes the largest size the
    # width allows, and the description keeps its room (leaving it out gives no width).
    floor = metrics.price_floor
    if _font(PRICE_FONT, floor).getbbox(price, anchor="ls")[2] > room:
        floor = next(
            (s for s in metrics.price if s < floor and price_fits(s, height) is not None),
            metrics.price[-1],
        )

    while True:
        left = height_left - len(about_lines) * row
        # With description lines the price keeps at least its floor; without, any size.
        sizes = [s for s in metrics.price if s >= floor or not about_lines]
        found = next(((s, ink) for s in sizes if (ink := price_fits(s, left)) is not None), None)
        if found is not None or not about_lines:
            break
        # A small label gives the description's room up first; the last line kept says "…".
        cut = " ".join(about_lines[-2:])
        about_lines = about_lines[:-2] + (
            [_fit(cut, TEXT_FONT, metrics.small, inner)] if len(about_lines) > 1 else []
        )
    if found is None:  # never cut the price: its smallest size, whatever the label leaves
        size = metrics.price[-1]
        _, top, _, bottom = _font(PRICE_FONT, size).getbbox(price, anchor="ls")
        found = (size, (top, bottom))
    return found[0], found[1], about_lines
