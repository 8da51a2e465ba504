"""Thermal price labels: the ESC/POS bytes read back into images, barcodes and text.

The bytes go through the strict test-side ``escpos_decoder``; the barcodes are read with
zxing-cpp from what the printer would get. Text is checked by drawing the expected words
with the bundled font in the label's size and finding that exact bitmap in the label: the
Vietnamese accents must be there, dot for dot.
"""

from __future__ import annotations

import math
import time
from datetime import date
from itertools import groupby
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from shop.domain.money import format_dong
from shop.printing.escpos_out import RASTER_BAND_DOTS
from shop.printing.labels import (
    LABEL_STYLES,
    MONTH_FONT,
    QUIET_ZONE_MODULES,
    TEXT_FONT,
    about_text,
    barcode_modules,
    label_image,
    labels_bytes,
)
from shop.printing.receipt import FONTS
from shop.printing.tags import Tag, TagLabels
from tests.conftest import ARTIFACTS
from tests.printing.escpos_decoder import decode

SHOP = "NEW ME – Đồ cũ"
THRESHOLD = 160  # the receipts' grey level: darker is a black dot


def make_tag(**changes: Any) -> Tag:
    fields: dict[str, Any] = {
        "code": "10008",
        "price_dong": 150_000,
        "category": "Áo dài",
        "description": "Lụa tơ tằm thêu tay hoa sen trắng",
        "size": "M",
        "intake_month": date(2026, 11, 1),
        "shop_name": SHOP,
    }
    fields.update(changes)
    return Tag(**fields)


def label_images(events: list[tuple[Any, ...]]) -> list[Image.Image]:
    """The labels of a job: the raster bands before each cut stitched one under the other."""
    labels: list[Image.Image] = []
    bands: list[Image.Image] = []
    for event in [*events, ("cut",)]:
        if event[0] == "image":
            bands.append(event[1])
        elif event[0] == "cut" and bands:
            width = bands[0].width
            assert all(band.width == width for band in bands)
            paper = Image.new("1", (width, sum(band.height for band in bands)), 1)
            top = 0
            for band in bands:
                paper.paste(band, (0, top))
                top += band.height
            labels.append(paper)
            bands = []
    return labels


def save(image: Image.Image, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / name)


def read_codes(image: Image.Image) -> list[tuple[Any, str]]:
    return [(code.format, code.text) for code in zxingcpp.read_barcodes(image.convert("L"))]


def drawn(text: str, font: str, size: int, *, inverse: bool = False) -> Image.Image:
    """``text`` as the label draws it, cut to its ink: black on white, or white on black."""
    face = ImageFont.truetype(str(FONTS / font), size)
    ink, paper = (255, 0) if inverse else (0, 255)
    canvas = Image.new("L", (round(face.getlength(text)) + 4 * size, 4 * size), paper)
    ImageDraw.Draw(canvas).text((size, 2 * size), text, font=face, fill=ink, anchor="ls")
    image = canvas.point([0 if level < THRESHOLD else 255 for level in range(256)], "L")
    mask = image if inverse else image.point(lambda level: 255 - level)
    box = mask.getbbox()
    assert box, f"nothing drawn for {text!r}"
    return image.crop(box)


def find(image: Image.Image, pattern: Image.Image) -> tuple[int, int] | None:
    """Where ``pattern`` appears in ``image`` exactly, pixel for pixel; None if nowhere."""
    width, height = image.size
    data = image.convert("L").tobytes()
    rows = [data[y * width : (y + 1) * width] for y in range(height)]
    pattern_width, pattern_height = pattern.size
    pixels = pattern.convert("L").tobytes()
    wanted = [pixels[r * pattern_width : (r + 1) * pattern_width] for r in range(pattern_height)]
    for y in range(height - pattern_height + 1):
        x = rows[y].find(wanted[0])
        while x != -1:
            if all(
                rows[y + r][x : x + pattern_width] == wanted[r] for r in range(1, pattern_height)
            ):
                return x, y
            x = rows[y].find(wanted[0], x + 1)
    return None


def barcode_row(image: Image.Image) -> list[int]:
    """The dots of the row across the middle of the barcode that zxing-cpp finds, 0 = black."""
    (code,) = zxingcpp.read_barcodes(image.convert("L"))
    assert code.orientation == 0  # lying across the paper
    y = (code.position.top_left.y + code.position.bottom_left.y) // 2
    return list(image.convert("L").crop((0, y, image.width, y + 1)).tobytes())


# --- the ESC/POS job ---------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm, width", [(58, 384), (80, 576)])
def test_one_label_per_tag_each_cut_and_its_barcode_reads_back(paper_mm, width):
    tags = [
        make_tag(),
        make_tag(code="1234566", category="Quần jean", size="28", price_dong=95_000),
        make_tag(code="20001234", category="Khăn", size=None, description="", quantity=12),
    ]
    data = labels_bytes(tags, paper_mm=paper_mm)
    events = decode(data, "default")
    assert {event[0] for event in events} <= {"image", "cut", "text"}
    assert [event for event in events if event[0] == "cut"] == [("cut",)] * 3
    assert events[-1] == ("cut",)
    # Every label starts from the printer's defaults (ESC @), then its raster, then the cut.
    assert data.startswith(b"\x1b@\x1dv0") and data.count(b"\x1b@") == 3
    labels = label_images(events)
    assert len(labels) == len(tags)
    for tag, paper in zip(tags, labels, strict=True):
        assert paper.width == width
        assert paper.tobytes() == label_image(tag, paper_mm=paper_mm).tobytes()
        assert read_codes(paper) == [(zxingcpp.BarcodeFormat.Code128, tag.code)]
        assert 150 < paper.height < 450  # about 2 to 5 cm of paper
    save(labels[0], f"label-{paper_mm}.png")


def test_one_label_job_is_small():
    data = labels_bytes([make_tag()])
    assert 5_000 < len(data) < 40_000


def test_a_printer_without_a_cutter_feeds_each_label_past_the_tear_bar():
    data = labels_bytes([make_tag(), make_tag(code="10019")], profile="POS-5890")
    events = decode(data, "POS-5890")
    assert ("cut",) not in events
    assert data.count(b"\x1bd\x05") == 2 and data.endswith(b"\x1bd\x05")
    images = [event[1] for event in events if event[0] == "image"]
    assert len(images) == 2 and all(image.width == 384 for image in images)


def test_without_cut_the_labels_follow_one_another():
    data = labels_bytes([make_tag(), make_tag(code="10019")], cut=False)
    events = decode(data)
    assert [event[0] for event in events] == ["image", "image"]


def test_bad_paper_profile_or_nothing_to_print_is_refused():
    with pytest.raises(ValueError, match="paper_mm"):
        label_image(make_tag(), paper_mm=70)
    with pytest.raises(ValueError, match="paper_mm"):
        labels_bytes([make_tag()], paper_mm=57)
    with pytest.raises(ValueError, match="384"):
        labels_bytes([make_tag()], paper_mm=80, profile="POS-5890")
    with pytest.raises(ValueError, match="profile"):
        labels_bytes([make_tag()], profile="no such printer")
    with pytest.raises(ValueError, match="no tags"):
        labels_bytes([])
    with pytest.raises(TypeError):
        label_image("10008")  # type: ignore[arg-type]


# --- the barcode -------------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("code", ["10008", "1234566", "HN-AO-12345"])
def test_bars_are_whole_dots_with_quiet_zones(paper_mm, code):
    image = label_image(make_tag(code=code), paper_mm=paper_mm)
    row = barcode_row(image)
    runs = [(level, len(list(run))) for level, run in groupby(row)]
    left_white, right_white = runs[0], runs[-1]
    assert left_white[0] == right_white[0] == 255
    bars = runs[1:-1]
    module = math.gcd(*(length for _, length in bars))
    # The printed runs are python-barcode's modules, each exactly ``module`` dots wide.
    printed = "".join(("1" if level == 0 else "0") * (length // module) for level, length in bars)
    assert all(length % module == 0 for _, length in bars)
    assert printed == barcode_modules(code)
    assert 2 <= module <= 4
    assert min(left_white[1], right_white[1]) >= QUIET_ZONE_MODULES * module
    assert read_codes(image) == [(zxingcpp.BarcodeFormat.Code128, code)]


def test_a_code_too_long_to_lie_across_runs_down_the_roll():
    code = "AB" * 16  # 32 characters of set B: 407 modules, more than 384 dots
    tag = make_tag(code=code)
    image = label_image(tag)
    assert image.width == 384
    assert read_codes(image) == [(zxingcpp.BarcodeFormat.Code128, code)]
    events = decode(labels_bytes([tag]))
    bands = [event[1] for event in events if event[0] == "image"]
    assert len(bands) >= 2 and all(band.height <= RASTER_BAND_DOTS for band in bands)
    assert label_images(events)[0].tobytes() == image.tobytes()


# --- the text ----------------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_vietnamese_category_and_size_are_drawn(paper_mm):
    image = label_image(make_tag(), paper_mm=paper_mm)
    size = LABEL_STYLES[paper_mm].about
    assert about_text(make_tag()) == "Áo dài\u00a0· M\u00a0· Lụa tơ tằm thêu tay hoa sen trắng"
    assert find(image, drawn("Áo dài · M", TEXT_FONT, size)) is not None
    assert find(image, drawn("Áo dài · M · Lụa tơ tằm", TEXT_FONT, size)) is not None
    # The search tells letters apart: the same words without their accents are not there.
    assert find(image, drawn("Ao dai · M", TEXT_FONT, size)) is None


def test_the_month_prints_white_in_a_black_box_at_the_top():
    image = label_image(make_tag(intake_month=date(2026, 11, 1)))
    place = find(image, drawn("T11/26", MONTH_FONT, LABEL_STYLES[58].small, inverse=True))
    assert place is not None and place[0] < 40 and place[1] < 30
    assert find(image, drawn("T12/26", MONTH_FONT, LABEL_STYLES[58].small, inverse=True)) is None


def test_a_lot_shows_each_after_its_price():
    tag = make_tag(quantity=12, price_dong=15_000)
    image = label_image(tag, labels=TagLabels(each="mỗi cái"))
    assert find(image, drawn("mỗi cái", TEXT_FONT, LABEL_STYLES[58].each)) is not None
    alone = label_image(make_tag(price_dong=15_000), labels=TagLabels(each="mỗi cái"))
    assert find(alone, drawn("mỗi cái", TEXT_FONT, LABEL_STYLES[58].each)) is None
    assert format_dong(15_000) == "15.000\u00a0₫"


def test_a_very_long_description_is_cut_to_two_lines():
    two_lines = make_tag(description="Lụa tơ tằm thêu tay hoa sen trắng, viền vàng")
    paragraph = "Váy liền thân cổ vuông, vải đũi mềm, " * 150 + "x" * 500
    long = make_tag(description=paragraph, size="Free size", shop_name=SHOP * 10)
    start = time.perf_counter()
    image = label_image(long)
    assert time.perf_counter() - start < 1
    assert image.width == 384 and image.mode == "1"
    assert image.height == label_image(two_lines).height  # two lines of text, not more
    assert read_codes(image) == [(zxingcpp.BarcodeFormat.Code128, "10008")]
    assert find(image, drawn("…", TEXT_FONT, LABEL_STYLES[58].about)) is not None
    left, _, right, _ = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
    assert left >= 1 and right <= image.width - 1  # nothing reaches the edges
    # A word longer than a line is cut rather than widening the label.
    word = make_tag(description="x" * 500, category="", size=None)
    assert label_image(word).width == 384


def test_the_label_is_pure_black_and_white():
    image = label_image(make_tag(), paper_mm=80)
    assert image.mode == "1"
    assert set(image.convert("L").histogram()[1:255]) == {0}
