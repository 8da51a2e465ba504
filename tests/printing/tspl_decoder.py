"""A strict reader of the TSPL the shop sends, for the tests: commands in, printed labels out.

It knows the commands a price-tag job uses (SIZE, GAP, DIRECTION, REFERENCE, DENSITY, CLS,
BITMAP, PRINT) and refuses anything else, a BITMAP whose data is cut short, a label drawn
outside its SIZE, or a PRINT before SIZE. Each PRINT m,n yields m × n copies of the label
buffer as it stands, rebuilt as a Pillow image the way the printer prints it: a 0 bit is a
black dot. A buffer as wide as SIZE says is then cut into its columns (labels side by side
on a two-across roll) with the 2 mm liner between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PIL import Image

DOTS_PER_MM = 8
COLUMN_GAP_MM = 2

_MM = r"(\d+(?:\.\d+)?)\s*mm"
_SIMPLE = {
    "SIZE": re.compile(rf"SIZE {_MM},\s*{_MM}"),
    "GAP": re.compile(rf"GAP {_MM},\s*{_MM}"),
    "DIRECTION": re.compile(r"DIRECTION ([01])(?:,([01]))?"),
    "REFERENCE": re.compile(r"REFERENCE (\d+),(\d+)"),
    "DENSITY": re.compile(r"DENSITY (\d+)"),
    "CLS": re.compile(r"CLS"),
    "PRINT": re.compile(r"PRINT (\d+)(?:,(\d+))?"),
}
_BITMAP = re.compile(rb"BITMAP (\d+),(\d+),(\d+),(\d+),([0-2]),")


@dataclass
class Job:
    """What the printer made of a job."""

    width_mm: float = 0
    height_mm: float = 0
    gap_mm: float | None = None
    direction: tuple[int, int] | None = None
    reference: tuple[int, int] | None = None
    density: int | None = None
    commands: list[str] = field(default_factory=list)
    #: Every label row printed, in order (a row is the full width of the roll).
    rows: list[Image.Image] = field(default_factory=list)

    def labels(self, columns: int, width_mm: int) -> list[Image.Image]:
        """Each label printed, row by row and left to right, cut from the rows."""
        width = width_mm * DOTS_PER_MM
        out = []
        for row in self.rows:
            for column in range(columns):
                x = column * (width_mm + COLUMN_GAP_MM) * DOTS_PER_MM
                out.append(row.crop((x, 0, x + width, row.height)))
        return out


def decode(data: bytes) -> Job:
    job = Job()
    buffer: Image.Image | None = None
    position = 0
    while position < len(data):
        bitmap = _BITMAP.match(data, position)
        if bitmap:
            x, y, width_bytes, height, mode = (int(value) for value in bitmap.groups())
            assert buffer is not None, "BITMAP before SIZE"
            start = bitmap.end()
            end = start + width_bytes * height
            assert end <= len(data), "BITMAP data cut short"
            assert mode == 0, f"mode {mode}: the shop overwrites"
            image = Image.frombytes("1", (width_bytes * 8, height), data[start:end])
            assert x + image.width <= buffer.width and y + height <= buffer.height, (
                f"a bitmap of {image.size} at {x},{y} outside the label {buffer.size}"
            )
            buffer.paste(image, (x, y))
            job.commands.append("BITMAP")
            assert data[end : end + 2] == b"\r\n", "BITMAP data not followed by CR LF"
            position = end + 2
            continue
        end = data.find(b"\r\n", position)
        assert end != -1, f"a command without CR LF at byte {position}"
        line = data[position:end].decode("ascii")
        position = end + 2
        name = line.split(" ", 1)[0]
        assert name in _SIMPLE, f"not a command the shop sends: {line!r}"
        match = _SIMPLE[name].fullmatch(line)
        assert match, f"malformed: {line!r}"
        job.commands.append(name)
        if name == "SIZE":
            job.width_mm, job.height_mm = float(match[1]), float(match[2])
            buffer = _blank(job)
        elif name == "GAP":
            job.gap_mm = float(match[1])
        elif name == "DIRECTION":
            job.direction = (int(match[1]), int(match[2] or 0))
        elif name == "REFERENCE":
            job.reference = (int(match[1]), int(match[2]))
        elif name == "DENSITY":
            job.density = int(match[1])
            assert 0 <= job.density <= 15
        elif name == "CLS":
            assert buffer is not None, "CLS before SIZE"
            buffer = _blank(job)
        elif name == "PRINT":
            assert buffer is not None, "PRINT before SIZE"
            copies = int(match[1]) * int(match[2] or 1)
            assert copies >= 1
            job.rows += [buffer.copy() for _ in range(copies)]
    return job


def _blank(job: Job) -> Image.Image:
    """A cleared label: all white (1 bits, which print nothing)."""
    width = round(job.width_mm * DOTS_PER_MM)
    height = round(job.height_mm * DOTS_PER_MM)
    return Image.new("1", (width, height), 1)
