"""Receipts for a thermal printer: the layout as rows of text, and the same rows as a 1-bit image.

Plain data in, rows or a Pillow image out: nothing here needs Flask or the database, so the
counter, the end-of-day report and the tests build a :class:`Receipt` the same way and hand it
to :func:`receipt_lines` (the text the printer's own font prints) or :func:`render_image`
(every Vietnamese letter drawn with the bundled DejaVu fonts, which is what cheap 58 mm
printers without a Vietnamese code page need). :mod:`shop.printing.escpos_out` turns either
into ESC/POS bytes.

Units: money is whole đồng (``int``), printed with :func:`~shop.domain.money.format_dong`;
paper widths are millimetres; image sizes are printer dots (pixels), at ``dpi`` dots per inch
(203 on nearly every cheap thermal printer). Widths for :func:`receipt_lines` are characters
of the printer's font A (12 × 24 dots): 32 on 58 mm paper, 48 on 80 mm paper.

Every word printed comes from the caller (the shop's name, the title, the cashier) or from
:class:`ReceiptLabels` (English by default; the web layer passes translated ones).
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal, NamedTuple

from PIL import Image, ImageDraw, ImageFont

from shop.domain import vietqr
from shop.domain.money import format_dong
from shop.files import FONTS

_REGULAR = "DejaVuSans.ttf"
_BOLD = "DejaVuSans-Bold.ttf"

#: Paper widths the shop prints on (mm) → the width the print head reaches on it (mm).
#: Both are the usual figures for thermal receipt printers: 384 and 576 dots at 203 dpi.
PRINTABLE_MM = {58: 48.0, 80: 72.0}
#: Characters of font A (12 dots wide) across the printable width at 203 dpi.
CHARS_PER_LINE = {58: 32, 80: 48}
#: The resolution of almost every thermal receipt printer, dots per inch.
DEFAULT_DPI = 203

#: The QR code takes about this share of the printable width: big enough for any phone camera
#: at arm's length (5 dots = 0.6 mm a module on 58 mm paper), small enough to keep the slip
#: short.
QR_SHARE = 0.6
#: Fewer dots a module than this and thermal bleed starts merging modules.
_QR_MIN_SCALE = 3


@dataclass(frozen=True)
class ReceiptLabels:
    """Every word a receipt prints besides the caller's own text; English by default."""

    sale: str = "Sale"  # before the number: "Sale 123" (a report may pass "Shift")
    cashier: str = "Cashier"  # "Cashier: Nguyễn Thị Hồng"
    subtotal: str = "Subtotal"  # before the whole-sale discount; shown only with one
    discount: str = "Discount"  # "Discount: small stain", for a line or the whole sale
    total: str = "Total"
    cash: str = "Cash"  # the part of the total paid in cash
    tendered: str = "Tendered"  # the cash handed over
    change: str = "Change"  # the cash given back
    transfer: str = "Transfer"  # the part of the total paid by bank transfer
    scan_to_pay: str = "Scan to pay"  # under the VietQR code: "Scan to pay: 54.000 ₫"


def _is_int(value: object) -> bool:
    # bool is an int in Python; True đồng is never what the caller meant.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_dong(name: str, value: object, *, minimum: int = 0) -> None:
    if not _is_int(value):
        raise TypeError(f"{name} must be an int of đồng, not {type(value).__name__}")
    assert isinstance(value, int)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a sale (or of a refund or a void): an item or a lot, with its discount.

    Invariant, checked: ``net_dong == quantity × unit_price_dong − discount_dong``. The line's
    share of a whole-sale discount is *not* in it: that discount prints once, under the
    lines, so the amounts in the right-hand column add up to the subtotal on paper.
    """

    code: str  # the item's code; may be empty
    description: str  # "Áo khoác gió màu xanh rêu"; wrapped at word boundaries
    quantity: int  # pieces, ≥ 1
    unit_price_dong: int  # price of one piece, ≥ 0
    discount_dong: int = 0  # this line's own discount, 0 ≤ discount ≤ quantity × unit price
    discount_reason: str = ""  # printed after the "Discount" label
    net_dong: int | None = None  # None: worked out from the invariant

    def __post_init__(self) -> None:
        if not _is_int(self.quantity) or self.quantity < 1:
            raise ValueError(f"quantity must be an int ≥ 1, not {self.quantity!r}")
        _check_dong("unit_price_dong", self.unit_price_dong)
        _check_dong("discount_dong", self.discount_dong)
        gross = self.quantity * self.unit_price_dong
        if self.discount_dong > gross:
            raise ValueError("a line's discount cannot exceed its price")
        if self.net_dong is None:
            object.__setattr__(self, "net_dong", gross - self.discount_dong)
        _check_dong("net_dong", self.net_dong)
        if self.net_dong != gross - self.discount_dong:
            raise ValueError(
                f"net_dong {self.net_dong} is not quantity × unit price − discount "
                f"({gross} − {self.discount_dong})"
            )

    @property
    def gross_dong(self) -> int:
        """quantity × unit price, before this line's discount (whole đồng)."""
        return self.quantity * self.unit_price_dong


ExtraValue = str | int


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """Everything one slip prints, already translated and formatted by the caller.

    Keyword arguments only: twenty fields in a row are too easy to swap. Money is whole đồng.
    ``total_dong`` is ``None`` for slips without a total (an end-of-day report made only of
    ``extra_rows``); when there are ``lines`` it must equal the sum of their ``net_dong``
    minus ``sale_discount_dong`` (checked), so the paper adds up. Payment rows print only
    when their amount is above zero; ``change_dong`` prints whenever something was tendered.
    ``extra_rows`` are (label, value) pairs printed after the payments; a value that is an
    int is đồng and goes through ``format_dong``, a str prints as it is, an empty one leaves
    the label alone on its row.
    """

    shop_name: str
    shop_address: str = ""
    title: str  # "HÓA ĐƠN", "TRẢ HÀNG", "HỦY HÓA ĐƠN", "BÁO CÁO CUỐI NGÀY"…
    number: int | None = None  # the sale's number; None on slips that have none
    moment_text: str  # already formatted in the shop's time zone: "23/11/2026 14:30"
    cashier: str = ""
    lines: tuple[ReceiptLine, ...] = ()
    sale_discount_dong: int = 0
    sale_discount_reason: str = ""
    total_dong: int | None = None
    cash_dong: int = 0
    tendered_dong: int = 0
    change_dong: int = 0
    transfer_dong: int = 0
    vietqr_payload: str | None = None  # printed as a QR code with a "scan to pay" caption
    footer: str = ""  # may hold line breaks
    labels: ReceiptLabels = field(default_factory=ReceiptLabels)
    extra_rows: tuple[tuple[str, ExtraValue], ...] = ()

    def __post_init__(self) -> None:
        # Lists are welcome from callers; the frozen receipt keeps tuples.
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "extra_rows", tuple(tuple(row) for row in self.extra_rows))
        if self.number is not None and (not _is_int(self.number) or self.number < 1):
            raise ValueError(f"number must be an int ≥ 1 or None, not {self.number!r}")
        for name in ("sale_discount_dong", "cash_dong", "tendered_dong", "change_dong"):
            _check_dong(name, getattr(self, name))
        _check_dong("transfer_dong", self.transfer_dong)
        if self.total_dong is not None:
            _check_dong("total_dong", self.total_dong)
        if not all(isinstance(line, ReceiptLine) for line in self.lines):
            raise TypeError("lines must be ReceiptLine objects")
        for row in self.extra_rows:
            if len(row) != 2 or not isinstance(row[0], str):
                raise TypeError(f"an extra row is (label, value), not {row!r}")
            if not isinstance(row[1], str):
                _check_dong("an extra row's value", row[1], minimum=-(10**15))
        if self.lines and self.total_dong is not None:
            expected = sum(line.net_dong or 0 for line in self.lines) - self.sale_discount_dong
            if self.total_dong != expected:
                raise ValueError(
                    f"total_dong {self.total_dong} is not the lines' net amounts minus the "
                    f"sale's discount ({expected})"
                )
        if self.vietqr_payload is not None and not self.vietqr_payload:
            raise ValueError("vietqr_payload is None or a payload, not empty")


@dataclass(frozen=True)
class Row:
    """One printed row: ``left`` text and ``right`` text (money) on the same baseline.

    ``kind`` is ``"text"``, ``"rule"`` (a dashed line across), ``"space"`` (a little white
    space in the image, nothing in text mode) or ``"qr"`` (the VietQR code, its payload in
    ``left``). ``large`` rows are the printer's double height in text mode and
    a bigger font in the image; neither makes a row wider in characters, so one width fits
    both. ``center`` rows have no ``right`` part.
    """

    left: str = ""
    right: str = ""
    bold: bool = False
    large: bool = False
    center: bool = False
    kind: Literal["text", "rule", "space", "qr"] = "text"


#: How wide a text is in a given style: (text, bold, large) → width in the caller's unit.
Measure = Callable[[str, bool, bool], float]


#: Longer texts (a pasted paragraph as a description) are cut with an ellipsis: characters.
_TEXT_LIMIT = 300


def _clean(text: str) -> str:
    """``text`` fit to print: NFC, no control characters, at most :data:`_TEXT_LIMIT` long."""
    # Text typed on phones may arrive decomposed (a + combining marks): no code page and no
    # glyph lookup handles that as well as the precomposed letters NFC gives.
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # In text mode an ESC or GS in a description would reach the printer as a command, and
    # a tab or newline would break the layout: every control character becomes a space.
    # (A printable text has none: only a few spaces, such as the no-break one, are looked at.)
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"


def _money(amount: int) -> str:
    return format_dong(amount)


def _blocks(receipt: Receipt) -> list[Row]:
    """The receipt's rows before wrapping: long texts are still one row each."""
    rows = [
        *_head_rows(receipt),
        *_line_rows(receipt),
        *_total_rows(receipt),
        *_extra_rows(receipt),
        *_foot_rows(receipt),
    ]
    return [_clean_row(row) if row.kind == "text" else row for row in rows]


def _clean_row(row: Row) -> Row:
    left, right = _clean(row.left), _clean(row.right)
    return row if left == row.left and right == row.right else replace(row, left=left, right=right)


def _head_rows(receipt: Receipt) -> list[Row]:
    """The shop, the receipt's title, the sale's number and moment, the cashier."""
    labels = receipt.labels
    rows = [Row(receipt.shop_name, bold=True, large=True, center=True)]
    if receipt.shop_address:
        rows.append(Row(receipt.shop_address, center=True))
    rows.append(Row(kind="space"))
    rows.append(Row(receipt.title, bold=True, center=True))
    if receipt.number is not None:
        rows.append(Row(f"{labels.sale} {receipt.number}", receipt.moment_text))
    else:
        rows.append(Row(receipt.moment_text))
    if receipt.cashier:
        rows.append(Row(f"{labels.cashier}: {receipt.cashier}"))
    return rows


def _discount_text(labels: ReceiptLabels, reason: str | None) -> str:
    return f"{labels.discount}: {reason}" if reason else labels.discount


def _line_rows(receipt: Receipt) -> list[Row]:
    """Each line's description, then indented details whose right-hand amounts add up to
    the subtotal: each line's price, then minus its discount."""
    rows = [Row(kind="rule")] if receipt.lines else []
    for line in receipt.lines:
        if line.description.strip():
            rows.append(Row(line.description))
        details = [line.code] if line.code else []
        if line.quantity != 1:
            # The unit price without its ₫, so it does not read as a second amount.
            details.append(f"{line.quantity} × {format_dong(line.unit_price_dong, symbol=False)}")
        rows.append(Row("  " + "  ".join(details), _money(line.gross_dong)))
        if line.discount_dong:
            text = _discount_text(receipt.labels, line.discount_reason)
            rows.append(Row("  " + text, _money(-line.discount_dong)))
    return rows


def _total_rows(receipt: Receipt) -> list[Row]:
    """The total (after the sale's discount) and how it was paid."""
    labels = receipt.labels
    rows = []
    if receipt.total_dong is not None:
        rows.append(Row(kind="rule"))
        if receipt.sale_discount_dong:
            subtotal = receipt.total_dong + receipt.sale_discount_dong
            rows.append(Row(labels.subtotal, _money(subtotal)))
            text = _discount_text(labels, receipt.sale_discount_reason)
            rows.append(Row(text, _money(-receipt.sale_discount_dong)))
        rows.append(Row(labels.total, _money(receipt.total_dong), bold=True, large=True))
    if receipt.cash_dong:
        rows.append(Row(labels.cash, _money(receipt.cash_dong)))
    if receipt.tendered_dong:
        rows.append(Row(labels.tendered, _money(receipt.tendered_dong)))
        rows.append(Row(labels.change, _money(receipt.change_dong), bold=True))
    if receipt.transfer_dong:
        rows.append(Row(labels.transfer, _money(receipt.transfer_dong)))
    return rows


def _extra_rows(receipt: Receipt) -> list[Row]:
    if not receipt.extra_rows:
        return []
    return [Row(kind="rule")] + [
        Row(label, value if isinstance(value, str) else _money(value))
        for label, value in receipt.extra_rows
    ]


def _foot_rows(receipt: Receipt) -> list[Row]:
    """The VietQR code to pay by transfer with its caption, and the shop's footer."""
    rows = []
    if receipt.vietqr_payload:
        rows.append(Row(receipt.vietqr_payload, kind="qr"))
        caption = receipt.labels.scan_to_pay
        if receipt.transfer_dong:
            caption += f": {_money(receipt.transfer_dong)}"
        rows.append(Row(caption, bold=True, center=True))
    if receipt.footer.strip():
        rows.append(Row(kind="rule"))
        rows.extend(Row(part, center=True) for part in receipt.footer.strip().splitlines())
    return rows


_TOKENS = re.compile(r"[^ ]+| +")
#: At least this much space between a label and its amount, so two numbers never run together.
_MIN_GAP = "  "


def _wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width``, broken at spaces (never at a no-break space).

    Leading spaces are an indent that every line keeps; runs of spaces inside a line stay as
    they are. A word wider than a whole line is cut wherever it must be. Always at least one
    line (maybe empty).
    """
    if not text.endswith(" ") and measure(text) <= width:
        return [text]  # the usual row: it fits whole, and so does every start of it
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    lines: list[str] = []
    current, pending = "", ""  # pending: the spaces before the next word
    for token in _TOKENS.findall(body):
        if token.startswith(" "):
            pending = token
            continue
        candidate = f"{current}{pending}{token}" if current else indent + token
        pending = ""
        if measure(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = indent + token
        while measure(current) > width and len(current) > len(indent) + 1:
            # Cut the longest prefix that fits (one character at least, so this ends).
            cut = len(current) - 1
            while cut > len(indent) + 1 and measure(current[:cut]) > width:
                cut -= 1
            lines.append(current[:cut])
            current = indent + current[cut:]
    lines.append(current)
    return lines


def _wrap_row(row: Row, width: float, measure: Measure) -> list[Row]:
    if row.kind != "text":
        return [row]

    def size(text: str) -> float:
        return measure(text, row.bold, row.large)

    lefts = _wrap_text(row.left, width, size) if row.left or not row.right else []
    rows = [replace(row, left=line, right="") for line in lefts]
    if not row.right:
        return rows
    if size(row.right) > width:  # only a very long extra value: it wraps on its own lines
        return rows + [
            replace(row, left="", right=line) for line in _wrap_text(row.right, width, size)
        ]
    if rows and size(f"{lefts[-1]}{_MIN_GAP}{row.right}") <= width:
        # The amount ends the label's last line, as on any receipt.
        rows[-1] = replace(row, left=lefts[-1])
        return rows
    # No room beside the text: the amount gets a line of its own, rather than the label
    # being broken into a narrow column.
    return rows + [replace(row, left="")]


def _layout(receipt: Receipt, width: float, measure: Measure) -> list[Row]:
    rows: list[Row] = []
    for block in _blocks(receipt):
        rows.extend(_wrap_row(block, width, measure))
    return rows


def _chars(text: str, bold: bool, large: bool) -> float:
    # The printer's font is monospaced; double height does not widen a character.
    return len(text)


def receipt_lines(receipt: Receipt, width_chars: int) -> list[Row]:
    """The receipt as rows of at most ``width_chars`` characters each (left + space + right).

    For the printer's own font: 32 characters on 58 mm paper, 48 on 80 mm
    (:data:`CHARS_PER_LINE`). Descriptions and reasons wrap at spaces; amounts stay whole on
    the right (their space before ₫ does not break). Text is NFC-normalised, control
    characters become spaces and very long texts are cut with an ellipsis.
    """
    if not _is_int(width_chars) or width_chars < 16:
        raise ValueError(f"width_chars must be an int ≥ 16, not {width_chars!r}")
    return _layout(receipt, width_chars, _chars)


# --- the image ---------------------------------------------------------------------------


def printable_width_px(paper_mm: int, dpi: int = DEFAULT_DPI) -> int:
    """Dots across the printable width of ``paper_mm`` paper: 384 (58 mm) or 576 (80 mm) at
    203 dpi. A multiple of 8, since raster rows are sent as whole bytes.
    """
    if paper_mm not in PRINTABLE_MM:
        raise ValueError(f"paper_mm must be one of {sorted(PRINTABLE_MM)}, not {paper_mm!r}")
    if not _is_int(dpi) or not 100 <= dpi <= 600:
        raise ValueError(f"dpi must be an int from 100 to 600, not {dpi!r}")
    return round(PRINTABLE_MM[paper_mm] * dpi / 25.4 / 8) * 8


@dataclass(frozen=True)
class _Style:
    """Type sizes in dots at :data:`DEFAULT_DPI`, for one paper width."""

    body: int  # font size (em) of ordinary rows: 22 dots = 2.75 mm, like the printer's font
    large: int  # the shop's name and the total
    margin: int  # white dots left and right inside the printable width
    gap: int  # extra dots between rows, so stacked accents (Ẩ, Ễ) never touch the row above


_STYLES = {
    58: _Style(body=22, large=28, margin=2, gap=2),
    80: _Style(body=24, large=32, margin=4, gap=3),
}
#: Texts whose drawn coverage is kept in memory, in each process (a few kB each):
#: the shop's head, the labels and the usual amounts of many receipts.
TEXT_CACHE_SIZE = 1024
#: Grey levels below this become black. Above mid-grey, so antialiased stems stay whole and
#: thin strokes print solid on thermal paper (which prints light, not dark).
_THRESHOLD = 160


@lru_cache(maxsize=32)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A bundled font at ``size`` dots (em), loaded once per process."""
    return ImageFont.truetype(str(FONTS / name), size)


@lru_cache(maxsize=4096)
def _length(name: str, size: int, text: str) -> float:
    # Wrapping measures the same words again and again (every amount ends in " ₫").
    return _font(name, size).getlength(text)


def _text_mask(name: str, size: int, text: str, anchor: str) -> tuple[Image.Image, int, int]:
    """``text`` in the bundled font ``name`` at ``size`` as Pillow draws it at a whole-dot
    point with ``anchor``: its coverage (mode "L", 255 where the glyphs are solid) and where
    that box starts from the anchor point."""
    font = _font(name, size)
    left, top, right, bottom = font.getbbox(text, "L", anchor=anchor)
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor=anchor)
    return mask, left, top


_TextKey = tuple[str, int, str, str]
#: Drawn texts (:func:`_text_mask`), most recently used last, and the texts seen once.
_masks: OrderedDict[_TextKey, tuple[Image.Image, int, int]] = OrderedDict()
_seen: OrderedDict[_TextKey, None] = OrderedDict()
_texts_lock = threading.Lock()


def _draw_text(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    text: str,
    name: str,
    size: int,
    anchor: str,
) -> None:
    """``text`` drawn in black on ``image`` (whose ``draw`` it is) at ``at`` exactly as
    ``ImageDraw.text`` draws it: the same coverage, blended the same way (Pillow fills
    through the mask either way).

    FreeType's shaping and rendering of each text is most of a receipt's drawing, and
    receipts repeat their texts: the shop, the labels, the usual amounts. A text seen a
    second time is kept drawn (:data:`TEXT_CACHE_SIZE` of them, in each process) and pasted
    from then on; one seen once (a sale's number, an item's code) is drawn as it comes, and
    if it is made of digits and the like (:func:`_compose`: a code, an amount, a moment),
    laid out of its glyphs, each kept drawn; a label and a number ("Hóa đơn số 3001"), the
    label kept drawn and the number's glyphs after it.
    """
    key = (name, size, text, anchor)
    with _texts_lock:
        drawn = _masks.get(key)
        if drawn is not None:
            _masks.move_to_end(key)
        again = drawn is None and _seen.pop(key, False) is None
    if drawn is None and not again:
        if not _compose(image, at, text, name, size, anchor):
            draw.text(at, text, font=_font(name, size), fill=0, anchor=anchor)
        with _texts_lock:
            _seen[key] = None
            if len(_seen) > TEXT_CACHE_SIZE:
                _seen.popitem(last=False)
        return
    if drawn is None:
        drawn = _text_mask(name, size, text, anchor)
        with _texts_lock:
            _masks[key] = drawn
            if len(_masks) > TEXT_CACHE_SIZE:
                _masks.popitem(last=False)
    mask, left, top = drawn
    image.paste(0, (at[0] + left, at[1] + top), mask)


#: What a text may be made of to be laid out of its glyphs (:func:`_compose`): the digits,
#: and what codes, amounts and moments have between them. The bundled fonts place each of
#: these by its advance alone (no kerning, no ligature between them: checked pair by pair).
_GLYPH_TEXT = frozenset("0123456789 .,:/-\u00a0\u20ab\u00d7")


@lru_cache(maxsize=1024)
def _advance(name: str, size: int, char: str) -> int:
    """How far ``char`` moves the pen, in 64ths of a dot (FreeType's unit)."""
    return round(_font(name, size).getlength(char) * 64)


@lru_cache(maxsize=4096)
def _apart(name: str, size: int, pair: str) -> bool:
    """Whether the two characters of ``pair`` are placed by their advances alone."""
    together = round(_font(name, size).getlength(pair) * 64)
    return together == _advance(name, size, pair[0]) + _advance(name, size, pair[1])


@lru_cache(maxsize=1024)
def _glyph(name: str, size: int, char: str) -> tuple[Image.Image, int, int, tuple | None]:
    """One character drawn alone at a left-baseline point (see :func:`_text_mask`), with
    where its ink is in its mask (``None``: none, a space)."""
    mask, left, top = _text_mask(name, size, char, "ls")
    return mask, left, top, mask.getbbox()


def _compose(
    image: Image.Image, at: tuple[int, int], text: str, name: str, size: int, anchor: str
) -> bool:
    """Draw ``text`` on ``image`` glyph by glyph, each pasted from its own kept drawing, if
    that gives the very dots ``ImageDraw.text`` draws; say whether it was drawn.

    A text of :data:`_GLYPH_TEXT` whose every pair is placed by its advances alone, and
    whose glyphs do not touch, qualifies: Pillow draws each glyph whole at its pen position
    rounded to a dot (the text moved left by its length, or half of it, rounded the other
    way at a tie, for a right or middle anchor), and where glyphs do not overlap, one fill
    through their joint coverage is the same as one fill through each. New codes and
    amounts, the texts most receipts have for the first time, then cost no FreeType
    rendering at all.
    """
    if not text or anchor not in ("ls", "rs", "ms") or not _composing_holds(name, size):
        return False
    if _GLYPH_TEXT.issuperset(text):
        return _compose_glyphs(image, at, text, name, size, anchor)
    label, number = _labelled(text)
    if anchor != "ls" or not number or not _label_holds(name, size, label):
        return False
    return _compose_glyphs(image, at, number, name, size, anchor, label=_label(name, size, label))


def _labelled(text: str) -> tuple[str, str]:
    """``text`` as a label and the number after it ("Hóa đơn số 3001": "Hóa đơn số" and
    " 3001"), the number from the last space after which there is only
    :data:`_GLYPH_TEXT` with a digit; ("", "") when it ends otherwise."""
    cut = len(text)
    while cut and text[cut - 1] in _GLYPH_TEXT:
        cut -= 1
    space = text.find(" ", cut)
    if space <= 0 or not any(char.isdigit() for char in text[space:]):
        return "", ""
    return text[:space], text[space:]


class _Label(NamedTuple):
    """A label drawn whole at a left-baseline point (see :func:`_glyph`)."""

    text: str
    mask: Image.Image
    left: int
    top: int
    ink: tuple | None
    pen: int  # its advance in 64ths of a dot: where the number after it starts


@lru_cache(maxsize=256)
def _label(name: str, size: int, label: str) -> _Label:
    return _Label(label, *_glyph(name, size, label), round(_length(name, size, label) * 64))


@lru_cache(maxsize=256)
def _label_holds(name: str, size: int, label: str) -> bool:
    """Whether a number after ``label`` (a sale's "Hóa đơn số 3001": the one text of a
    receipt always new, drawn whole for every sale) laid out of the glyphs after the label
    drawn whole gives ``ImageDraw.text``'s dots: checked once for each label, on a number;
    each text is then checked as :func:`_compose_glyphs` checks one."""
    if not label.strip() or _GLYPH_TEXT.issuperset(label):
        return False
    text = label + " 1234567890"
    whole = Image.new("L", (round(_length(name, size, text)) + 2 * size, 3 * size), 255)
    ImageDraw.Draw(whole).text((size, 2 * size), text, font=_font(name, size), fill=0,
                               anchor="ls")  # fmt: skip
    laid = Image.new("L", whole.size, 255)
    number = text[len(label) :]
    return (
        _compose_glyphs(
            laid, (size, 2 * size), number, name, size, "ls", label=_label(name, size, label)
        )  # fmt: skip
        and laid.tobytes() == whole.tobytes()
    )


#: Texts :func:`_composing_holds` draws both ways (at each anchor).
_PROBES = ("  0123456789", "9.876.543.210\u00a0\u20ab", "-1.000\u00a0\u20ab", "31/12/2026 23:59")


@lru_cache(maxsize=32)
def _composing_holds(name: str, size: int) -> bool:
    """Whether this Pillow draws texts of the font ``name`` at ``size`` as :func:`_compose`
    lays them out (checked once per font and size, on a few texts at every anchor): if a
    Pillow to come places glyphs otherwise, texts are drawn whole again."""
    composed = 0
    for text in _PROBES:
        for anchor in ("ls", "rs", "ms"):
            whole = Image.new("L", (640, 3 * size), 255)
            ImageDraw.Draw(whole).text((320, 2 * size), text, font=_font(name, size), fill=0,
                                       anchor=anchor)  # fmt: skip
            laid = Image.new("L", whole.size, 255)
            if _compose_glyphs(laid, (320, 2 * size), text, name, size, anchor):
                if laid.tobytes() != whole.tobytes():
                    return False
                composed += 1
    return composed > 0


def _compose_glyphs(
    image: Image.Image,
    at: tuple[int, int],
    text: str,
    name: str,
    size: int,
    anchor: str,
    *,
    label: _Label | None = None,
) -> bool:
    """:func:`_compose` once the text and the font qualify; ``label``: a :func:`_label`
    drawn whole before ``text`` (then at a left anchor only)."""
    if not all(_apart(name, size, text[i : i + 2]) for i in range(len(text) - 1)):
        return False
    pens = [0 if label is None else label.pen]
    for char in text:
        pens.append(pens[-1] + _advance(name, size, char))
    length = pens.pop()
    placed = []
    right = None  # where the ink of the glyphs placed so far ends
    whole = text
    if label is not None:
        if not _apart(name, size, label.text[-1] + text[0]):
            return False
        whole = label.text + text
        if label.ink is not None:
            right = at[0] + label.left + label.ink[2]
            placed.append((label.mask, at[0] + label.left, at[1] + label.top))
    if length != round(_length(name, size, whole) * 64):
        return False
    # Where the text starts: the anchor point, less its length (or half) rounded half down.
    shift = {"ls": 0, "rs": -((length + 32) >> 6), "ms": -((length + 64) >> 7)}[anchor]
    for char, pen in zip(text, pens, strict=True):
        mask, left, top, ink = _glyph(name, size, char)
        if ink is None:  # a space: nothing to paste
            continue
        x = at[0] + shift + ((pen + 32) >> 6) + left
        if right is not None and x + ink[0] < right:  # inks side by side: Pillow blends
            return False  # them at once, not one after the other
        right = x + ink[2]
        placed.append((mask, x, at[1] + top))
    for mask, x, y in placed:
        image.paste(0, (x, y), mask)
    return True


def _scaled(value: int, dpi: int) -> int:
    return max(1, round(value * dpi / DEFAULT_DPI))


@lru_cache(maxsize=64)
def _qr_image(payload: str, max_px: int, target_px: int) -> Image.Image:
    """The VietQR code as a 1-bit image, each module a whole square of dots (no smoothing).

    ``target_px`` is the width aimed at; the code never exceeds ``max_px``. Cached: a
    reprint of the same sale draws the same code.
    """
    base = Image.open(io.BytesIO(vietqr.qr_png(payload, scale=1))).convert("1")
    modules = base.width  # quiet zone of 4 modules included
    scale = target_px // modules
    if scale < _QR_MIN_SCALE:
        scale = min(_QR_MIN_SCALE, max_px // modules)
    if scale < 1:
        raise ValueError("this QR code does not fit the paper")
    return base.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


@lru_cache(maxsize=8)
def _dashes(width: int, margin: int, dpi: int) -> Image.Image:
    """A dashed rule across ``width`` within ``margin``, two dots high, as a mask (255 on
    the dashes) to fill through: drawn once, pasted for every rule of every receipt."""
    mask = Image.new("L", (width, 2), 0)
    draw = ImageDraw.Draw(mask)
    dash, space = _scaled(8, dpi), _scaled(5, dpi)
    for x in range(margin, width - margin, dash + space):
        draw.rectangle((x, 0, min(x + dash, width - margin) - 1, 1), fill=255)
    return mask


def render_image(receipt: Receipt, *, paper_mm: int = 58, dpi: int = DEFAULT_DPI) -> Image.Image:
    """The receipt drawn in black on white, mode ``"1"``, as wide as the printable width.

    384 dots wide on 58 mm paper and 576 on 80 mm at 203 dpi (:func:`printable_width_px`);
    as tall as the rows need, with no blank margin above or below (the printer feeds
    paper anyway). Text is DejaVu Sans at 22–24 dots, the total bigger and bold; it is drawn
    antialiased in grey and then cut at one threshold, without dithering, so letters keep
    clean edges. The VietQR code is about 60% of the width, whole dots a module.
    """
    width = printable_width_px(paper_mm, dpi)
    style = _STYLES[paper_mm]
    body, large = _scaled(style.body, dpi), _scaled(style.large, dpi)
    margin, gap = _scaled(style.margin, dpi), _scaled(style.gap, dpi)

    def font_of(bold: bool, is_large: bool) -> tuple[str, int]:
        return (_BOLD if bold else _REGULAR), (large if is_large else body)

    def measure(text: str, bold: bool, is_large: bool) -> float:
        return _length(*font_of(bold, is_large), text)

    inner = width - 2 * margin
    rows = _layout(receipt, inner, measure)

    # First pass: each row's height, so the image is made once at its final size.
    heights: list[int] = []
    for row in rows:
        if row.kind == "rule":
            heights.append(body)
        elif row.kind == "space":
            heights.append(body // 3)
        elif row.kind == "qr":
            heights.append(_qr_image(row.left, inner, round(width * QR_SHARE)).height)
        else:
            ascent, descent = _font(*font_of(row.bold, row.large)).getmetrics()
            # Stacked Vietnamese capitals (Ấ, Ễ) reach about 0.2 em above the ascent.
            heights.append(round(0.2 * font_of(row.bold, row.large)[1]) + ascent + descent + gap)
    image = Image.new("L", (width, sum(heights)), 255)
    draw = ImageDraw.Draw(image)

    top = 0
    for row, height in zip(rows, heights, strict=True):
        if row.kind == "rule":
            image.paste(0, (0, top + height // 2 - 1), _dashes(width, margin, dpi))
        elif row.kind == "qr":
            code = _qr_image(row.left, inner, round(width * QR_SHARE))
            image.paste(code.convert("L"), ((width - code.width) // 2, top))
        else:
            name, size = font_of(row.bold, row.large)
            baseline = top + round(0.2 * size) + _font(name, size).getmetrics()[0]
            if row.center:
                _draw_text(image, draw, (width // 2, baseline), row.left, name, size, "ms")
            else:
                _draw_text(image, draw, (margin, baseline), row.left, name, size, "ls")
            if row.right:
                _draw_text(image, draw, (width - margin, baseline), row.right, name, size, "rs")
        top += height
    lut = [0 if level < _THRESHOLD else 255 for level in range(256)]
    return image.point(lut, "1")


def rows_text(rows: Iterable[Row], width_chars: int) -> list[str]:
    """``rows`` as plain lines of exactly ``width_chars`` characters (rules as dashes, the QR
    code as a placeholder): what text mode prints, and handy in tests and logs.
    """
    out: list[str] = []
    for row in rows:
        if row.kind == "space":
            continue
        if row.kind == "rule":
            out.append("-" * width_chars)
        elif row.kind == "qr":
            out.append("[QR]".center(width_chars))
        elif row.center:
            out.append(row.left.center(width_chars))
        else:
            out.append(row.left + row.right.rjust(width_chars - len(row.left)))
    return out
