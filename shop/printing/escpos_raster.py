"""A 1-bit image as ESC/POS ``GS v 0`` raster bands, packed straight from its bits.

Receipts and labels are drawn in black on white as mode ``"1"`` Pillow images
(:func:`~shop.printing.receipt.render_image`, :func:`~shop.printing.labels.label_image`).
``GS v 0`` wants exactly those bits, one row after another, eight dots a byte, the first
dot in the high bit, a set bit printing black. Pillow's ``"1;I"`` packer writes a mode
``"1"`` image that way in one pass, so nothing is converted: the bytes are the same as
python-escpos's ``image(..., impl="bitImageRaster")`` makes of that image (it first turns
any image into colour, grey, inverted and dithered 1-bit, which for an image already
black and white changes no dot).

python-escpos still does the rest of a job: the printer's profile, text mode, the cut and
the cash drawer.
"""

from __future__ import annotations

from PIL import Image

#: ``GS v 0``: print a raster bit image.
_GS_V_0 = b"\x1dv0"
#: Normal density across and down (``m`` = 0).
_NORMAL_DENSITY = b"\x00"
#: Each byte with its bits in the other order (bit 7 to bit 0, and so on).
_TURNED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))
#: What ``GS v 0`` can say in its two-byte width (in bytes) and height (in dots).
_MAX_FIELD = 0xFFFF


def raster_bands(image: Image.Image, *, band_dots: int, max_width: int | None = None) -> bytes:
    """``image`` (mode ``"1"``) as ``GS v 0`` commands of at most ``band_dots`` rows each.

    An image no taller than ``band_dots`` is one command; a taller one is cut into bands
    from the top, the last one shorter. A width that is not a multiple of 8 is padded with
    white dots on the right of each row. ``max_width`` is the printer's width in dots: a
    wider image raises ``ValueError`` (it would not print whole).
    """
    if image.mode != "1":
        raise ValueError(f"a raster image is mode '1' (black and white), not {image.mode!r}")
    if band_dots < 1:
        raise ValueError(f"band_dots must be at least 1, not {band_dots!r}")
    width, height = image.size
    if max_width is not None and width > max_width:
        raise ValueError(f"the image is {width} dots wide; the printer prints {max_width}")
    row_bytes = (width + 7) // 8
    if row_bytes > _MAX_FIELD or band_dots > _MAX_FIELD:
        raise ValueError("the image is too large for GS v 0")
    if width == 0 or height == 0:
        return b""
    # "1;I": a black dot (0 in Pillow's mode "1") is a set bit, rows padded with clear bits.
    # Pillow packs "1;IR" (the same bits, each byte's in the other order) faster than "1;I"
    # (0.3 against 0.5 ms for a receipt): packed so, and each byte turned round by a table.
    bits = image.tobytes("raw", "1;IR").translate(_TURNED)
    width_field = row_bytes.to_bytes(2, "little")
    parts = []
    for top in range(0, height, band_dots):
        rows = min(band_dots, height - top)
        parts.append(_GS_V_0 + _NORMAL_DENSITY + width_field + rows.to_bytes(2, "little"))
        parts.append(bits[top * row_bytes : (top + rows) * row_bytes])
    return b"".join(parts)
