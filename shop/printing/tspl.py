"""Price tags for roll label printers that speak TSPL (Xprinter XP-365B, XP-350B, XP-420B, TSC
and their many relatives): each tag drawn as a 1-bit image and sent as a ``BITMAP``.

Their built-in fonts have no Vietnamese, so nothing is printed with them: every label is the
picture :func:`shop.printing.labels.tag_image` draws, in the label's own size at 203 dpi, which
TSPL counts as 8 dots a millimetre.

A job is, once: ``SIZE`` (the width across the roll, every column and the gaps between them,
and one label's height), ``GAP``, ``DIRECTION``, ``REFERENCE``, ``DENSITY``; then for each row
of labels across the roll: ``CLS``, one ``BITMAP`` per label at its column's offset, and
``PRINT 1,n`` where ``n`` counts identical rows in a row (a lot's many copies on a one-across
roll cost one bitmap, not one per copy). Lines end in CR LF.

Checked against TSC's own driver, not guessed:

- **Polarity.** In ``BITMAP x,y,width_bytes,height,mode,data`` a **0 bit prints a dot** and a
  1 bit leaves the paper white. TSC Printronix Auto ID's CUPS filter for its TSPL printers
  (``tspl.c``/``rastertotspl.c``, 2021, Apache 2.0) inverts every byte of the black-is-1
  raster it gets (``~byte``) before sending it in a ``BITMAP``. Pillow's mode ``"1"`` packs
  white as 1 and black as 0 (MSB first), which is exactly TSPL's order and polarity, so the
  image's bytes go out as they are; its rows are made a whole number of bytes wide here,
  since Pillow pads a row's last byte with 0 bits, which would print black.
- **Mode.** 0 (overwrite) here, on a label just cleared with ``CLS``; TSC's filter uses 1
  (OR), which gives the same print on a cleared label.
- **Orientation.** ``DIRECTION 1,0``, as TSC's filter sends for a page image (its constant
  ``DIRECTION_LEFT_TOP``): the bitmap's first row is the label's top as the tag is read, x
  runs across the roll from the left column. ``DIRECTION 0`` would turn every label by half a
  turn (and swap the columns of a two-across roll). ``REFERENCE 0,0`` puts the origin at the
  label's corner.

Sizes are whole millimetres, as the settings keep them; the label printer's own sensor finds
the gap (``GAP`` says how tall it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from PIL import Image, ImageDraw

from shop.printing.labels import tag_image
from shop.printing.tags import Tag, TagLabels

#: TSPL's dots per millimetre at 203 dpi.
DOTS_PER_MM = 8
#: The white liner between two labels side by side on a two- or three-across roll.
COLUMN_GAP_MM = 2
#: The widest head of the printers this is for (4 inch: XP-420B, TSC TE200): 108 mm.
MAX_ROLL_WIDTH_MM = 108
CRLF = b"\r\n"


@dataclass(frozen=True)
class Roll:
    """A roll of labels: one label's size in mm, how many lie across, the gap between rows
    (mm) and the print density (0 light … 15 dark)."""

    width_mm: int
    height_mm: int
    columns: int = 1
    gap_mm: int = 2
    density: int = 8

    def __post_init__(self) -> None:
        for name in ("width_mm", "height_mm", "columns", "gap_mm", "density"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be a whole number, not {value!r}")
        if not 20 <= self.width_mm <= 110:
            raise ValueError(f"width_mm must be 20 to 110, not {self.width_mm}")
        if not 10 <= self.height_mm <= 150:
            raise ValueError(f"height_mm must be 10 to 150, not {self.height_mm}")
        if self.columns not in (1, 2, 3):
            raise ValueError(f"columns must be 1, 2 or 3, not {self.columns}")
        if not 0 <= self.gap_mm <= 10:
            raise ValueError(f"gap_mm must be 0 to 10, not {self.gap_mm}")
        if not 0 <= self.density <= 15:
            raise ValueError(f"density must be 0 to 15, not {self.density}")
        if self.roll_width_mm > MAX_ROLL_WIDTH_MM:
            raise ValueError(
                f"{self.columns} labels of {self.width_mm} mm are {self.roll_width_mm} mm "
                f"across, more than a label printer's {MAX_ROLL_WIDTH_MM} mm"
            )

    @property
    def roll_width_mm(self) -> int:
        return self.columns * self.width_mm + (self.columns - 1) * COLUMN_GAP_MM

    @property
    def label_dots(self) -> tuple[int, int]:
        """One label's width and height in dots (the width a whole number of bytes)."""
        return self.width_mm * DOTS_PER_MM, self.height_mm * DOTS_PER_MM

    def column_x(self, column: int) -> int:
        """Where column ``column`` (from 0) starts across the roll, in dots."""
        return column * (self.width_mm + COLUMN_GAP_MM) * DOTS_PER_MM

    @property
    def name(self) -> str:
        size = f"{self.width_mm}x{self.height_mm}"
        return f"{size}x{self.columns}" if self.columns > 1 else size


#: The rolls shops here buy, by the name the settings and the command line use.
ROLLS = {
    "35x22x2": Roll(35, 22, columns=2),
    "40x30": Roll(40, 30),
    "50x30": Roll(50, 30),
}


def parse_size(text: str) -> Roll:
    """A roll from ``"40x30"`` or ``"35x22x2"`` (width × height in mm, × labels across).

    Raises ``ValueError`` for anything else or a size no label printer takes.
    """
    parts = text.lower().replace("×", "x").split("x")
    if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"a label size is WIDTHxHEIGHT in mm, such as 40x30, not {text!r}")
    numbers = [int(part) for part in parts]
    return Roll(numbers[0], numbers[1], columns=numbers[2] if len(numbers) == 3 else 1)


def setup_bytes(roll: Roll) -> bytes:
    """The commands that start a job: the roll, the gap, the direction, the density."""
    lines = (
        f"SIZE {roll.roll_width_mm} mm,{roll.height_mm} mm",
        f"GAP {roll.gap_mm} mm,0 mm",
        "DIRECTION 1,0",
        "REFERENCE 0,0",
        f"DENSITY {roll.density}",
    )
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def bitmap_bytes(image: Image.Image, x: int, y: int = 0) -> bytes:
    """``BITMAP`` for a mode ``"1"`` image at dot ``x``, ``y``: 0 bits black (see above)."""
    if image.mode != "1":
        raise ValueError(f"a TSPL bitmap is a mode '1' image, not {image.mode!r}")
    if image.width % 8:  # whole bytes of white, never Pillow's black padding bits
        padded = Image.new("1", (image.width + 8 - image.width % 8, image.height), 1)
        padded.paste(image, (0, 0))
        image = padded
    header = f"BITMAP {x},{y},{image.width // 8},{image.height},0,".encode("ascii")
    return header + image.tobytes() + CRLF


def images_bytes(images: Sequence[Image.Image], roll: Roll) -> bytes:
    """The job for ready-drawn label ``images``, in order, ``roll.columns`` to a row.

    A last row with fewer images leaves its other labels blank. Identical rows in a row
    print with one ``PRINT 1,n``.
    """
    if not images:
        raise ValueError("no labels to print")
    rows = [tuple(images[i : i + roll.columns]) for i in range(0, len(images), roll.columns)]
    out = [setup_bytes(roll)]
    # The same image objects in the same places: the same row (each tag is drawn once).
    for _, group in groupby(rows, key=lambda row: tuple(id(image) for image in row)):
        same = list(group)
        out.append(b"CLS" + CRLF)
        for column, image in enumerate(same[0]):
            out.append(bitmap_bytes(image, roll.column_x(column)))
        out.append(f"PRINT 1,{len(same)}".encode("ascii") + CRLF)
    return b"".join(out)


def tspl_bytes(tags: Sequence[Tag], roll: Roll, *, labels: TagLabels | None = None) -> bytes:
    """The TSPL job for ``tags``, one label each in the order given (a code given three times
    prints three labels). Each different tag is drawn once. Raises ``ValueError`` for no tags.
    """
    tags = list(tags)
    if not tags:
        raise ValueError("no tags to print")
    width, height = roll.label_dots
    drawn: dict[Tag, Image.Image] = {}
    images = []
    for tag in tags:
        if tag not in drawn:
            drawn[tag] = tag_image(tag, width, height, labels=labels)
        images.append(drawn[tag])
    return images_bytes(images, roll)


def sample_label_bytes(tag: Tag, roll: Roll, *, labels: TagLabels | None = None) -> bytes:
    """One row of test labels: ``tag`` on every label across the roll, each with a thin
    frame half a millimetre inside its edges, so the shop sees at once whether the size and
    the gap are right (a frame cut off or running onto the next label means they are not)."""
    width, height = roll.label_dots
    image = tag_image(tag, width, height, labels=labels)
    inset = DOTS_PER_MM // 2
    ImageDraw.Draw(image).rectangle(
        (inset, inset, width - 1 - inset, height - 1 - inset), outline=0
    )
    return images_bytes([image] * roll.columns, roll)
