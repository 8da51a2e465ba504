"""Price tags for TSPL label printers: the bytes read back with the test-side decoder into
labels, their barcodes scanned with zxing-cpp, their words found dot for dot."""

from __future__ import annotations

from datetime import date

import pytest
import zxingcpp
from PIL import Image

from shop.domain.money import format_dong
from shop.printing.labels import (
    MONTH_FONT,
    MONTH_PATTERNS,
    PRICE_FONT,
    TEXT_FONT,
    _label_metrics,
    month_pattern,
    tag_image,
)
from shop.printing.tags import TagLabels
from shop.printing.tspl import (
    ROLLS,
    Roll,
    bitmap_bytes,
    parse_size,
    sample_label_bytes,
    setup_bytes,
    tspl_bytes,
)
from tests.printing.test_labels import drawn, find, make_tag, read_codes, save
from tests.printing.tspl_decoder import decode

LABELS = TagLabels(size="Cỡ", each="mỗi cái")


def black_share(image: Image.Image) -> float:
    return image.convert("L").histogram()[0] / (image.width * image.height)


@pytest.mark.parametrize("name", sorted(ROLLS))
def test_each_roll_prints_one_readable_label_per_tag(name):
    roll = ROLLS[name]
    tags = [
        make_tag(),
        make_tag(code="1234566", category="Quần jean", size="28", price_dong=95_000),
        make_tag(code="20001234", category="Khăn", size=None, description="", quantity=12),
    ]
    job = decode(tspl_bytes(tags, roll, labels=LABELS))
    assert (job.width_mm, job.height_mm) == (roll.roll_width_mm, roll.height_mm)
    assert job.gap_mm == 2 and job.direction == (1, 0) and job.reference == (0, 0)
    assert job.density == 8
    labels = job.labels(roll.columns, roll.width_mm)
    # Three tags on a two-across roll: two rows, the last label blank.
    assert len(labels) == -(-len(tags) // roll.columns) * roll.columns
    width, height = roll.label_dots
    for tag, label in zip(tags, labels, strict=False):
        assert label.size == (width, height)
        assert label.tobytes() == tag_image(tag, width, height, labels=LABELS).tobytes()
        assert read_codes(label) == [(zxingcpp.BarcodeFormat.Code128, tag.code)]
        # Black ink on white paper: the polarity is right (a negative would be mostly black).
        assert 0.08 < black_share(label) < 0.45
        assert label.getpixel((0, 0)) == label.getpixel((width - 1, height - 1)) == 255
    for blank in labels[len(tags) :]:
        assert black_share(blank) == 0
    save(labels[0], f"tspl-label-{name}.png")


def test_a_zero_bit_prints_black_and_a_one_bit_leaves_the_paper_white():
    """TSPL's polarity (TSC's own driver inverts black-is-1 rasters before BITMAP)."""
    image = Image.new("1", (16, 2), 1)
    image.putpixel((0, 0), 0)  # one black dot, top left
    data = bitmap_bytes(image, 0)
    assert data == b"BITMAP 0,0,2,2,0," + bytes([0x7F, 0xFF, 0xFF, 0xFF]) + b"\r\n"
    # A width that is not whole bytes is padded white, never with Pillow's 0 (black) bits.
    narrow = Image.new("1", (10, 1), 1)
    assert bitmap_bytes(narrow, 0) == b"BITMAP 0,0,2,1,0,\xff\xff\r\n"
    with pytest.raises(ValueError, match="mode"):
        bitmap_bytes(image.convert("L"), 0)


def test_the_price_the_size_and_the_month_are_printed():
    roll = ROLLS["40x30"]
    tag = make_tag(price_dong=150_000)
    (label,) = decode(tspl_bytes([tag], roll, labels=LABELS)).labels(1, 40)
    metrics = _label_metrics(*roll.label_dots)
    assert find(label, drawn("Cỡ M", MONTH_FONT, metrics.small)) is not None
    assert find(label, drawn("T11/26", MONTH_FONT, metrics.small, inverse=True)) is not None
    assert find(label, drawn("Áo dài", "DejaVuSans.ttf", metrics.small)) is not None
    # The price in the largest of its sizes that the label holds, found dot for dot.
    price = format_dong(150_000)
    assert any(
        find(label, drawn(price, PRICE_FONT, size)) is not None
        for size in metrics.price
        if size >= metrics.price_floor
    )
    assert find(label, drawn(format_dong(160_000), PRICE_FONT, metrics.price_floor)) is None


@pytest.mark.parametrize("name", sorted(ROLLS))
@pytest.mark.parametrize(
    "changes",
    [
        {"code": "20001234", "quantity": 40, "price_dong": 10_000},  # "10.000 ₫ mỗi cái"
        {"quantity": 3, "price_dong": 150_000},
        {"price_dong": 1_500_000},  # a price in the millions
    ],
)
def test_a_wide_price_leaves_the_category_on_the_label(name, changes):
    """The description gives up its room only when the label is too short for the price: a
    price too wide for its floor size (a lot's, with "mỗi cái" after it) gets smaller
    instead, and the category stays (40×30 tags of every lot lost it)."""
    roll = ROLLS[name]
    tag = make_tag(category="Phụ kiện", description="", **changes)
    (label, *_) = decode(tspl_bytes([tag], roll, labels=LABELS)).labels(roll.columns, roll.width_mm)
    metrics = _label_metrics(*roll.label_dots)
    assert find(label, drawn("Phụ kiện", TEXT_FONT, metrics.small)) is not None
    assert find(label, drawn(format_dong(tag.price_dong), PRICE_FONT, metrics.price[-1])) is None
    if tag.quantity is not None:
        assert find(label, drawn("mỗi cái", TEXT_FONT, metrics.small)) is not None
    assert read_codes(label) == [(zxingcpp.BarcodeFormat.Code128, tag.code)]


@pytest.mark.parametrize("name", sorted(ROLLS))
def test_the_months_colour_prints_as_a_pattern_and_six_months_on_comes_round(name):
    """The A4 band's colour cannot print: each of the six colours is a pattern beside the
    month's box, six months in a row all different, the seventh like the first."""
    roll = ROLLS[name]
    width, height = roll.label_dots
    metrics = _label_metrics(width, height)
    months = [date(2026, month, 1) for month in range(7, 13)] + [date(2027, 1, 1)]
    labels = []
    for month in months:
        data = tspl_bytes([make_tag(intake_month=month, size="XXL")], roll, labels=LABELS)
        labels.append(decode(data).labels(roll.columns, roll.width_mm)[0])
    # The month's box: black from the top margin down, at the left margin.
    box_height = (
        next(y for y in range(metrics.pad, height) if labels[0].getpixel((metrics.margin, y)))
        - metrics.pad
    )
    patterns = [month_pattern(month, round(box_height * 1.3), box_height) for month in months]
    assert len({pattern.tobytes() for pattern in patterns[:6]}) == len(MONTH_PATTERNS) == 6
    assert patterns[6].tobytes() == patterns[0].tobytes()
    for number, (month, label) in enumerate(zip(months, labels, strict=True)):
        where = find(label, patterns[number])
        assert where is not None and where[1] == metrics.pad, month
        assert find(label, patterns[(number + 1) % 6]) is None, month
        # The month's name and the size still print beside it.
        month_name = f"T{month.month}/{month.year % 100}"
        assert find(label, drawn(month_name, MONTH_FONT, metrics.small, inverse=True)) is not None
        assert find(label, drawn("Cỡ XXL", MONTH_FONT, metrics.small)) is not None
        assert read_codes(label) == [(zxingcpp.BarcodeFormat.Code128, "10008")]
    save(labels[0], f"tspl-month-pattern-{name}.png")


def test_a_lot_prints_as_many_copies_as_asked_with_one_bitmap():
    lot = make_tag(code="20001234", quantity=30, price_dong=15_000)
    data = tspl_bytes([lot] * 5, ROLLS["40x30"], labels=LABELS)
    assert data.count(b"BITMAP") == 1 and b"PRINT 1,5\r\n" in data
    job = decode(data)
    assert len(job.rows) == 5
    # On a two-across roll: two full rows in one PRINT 1,2, then a row with one label.
    data = tspl_bytes([lot] * 5, ROLLS["35x22x2"], labels=LABELS)
    assert data.count(b"PRINT 1,2\r\n") == 1 and data.count(b"PRINT 1,1\r\n") == 1
    labels = decode(data).labels(2, 35)
    assert [bool(read_codes(label)) for label in labels] == [True] * 5 + [False]


def test_two_across_the_columns_sit_at_their_offsets():
    roll = ROLLS["35x22x2"]
    data = tspl_bytes([make_tag(), make_tag(code="10019")], roll, labels=LABELS)
    assert data.startswith(setup_bytes(roll))
    assert b"SIZE 72 mm,22 mm\r\n" in data
    assert b"BITMAP 0,0,35,176,0," in data and b"BITMAP 296,0,35,176,0," in data
    first, second = decode(data).labels(2, 35)
    assert read_codes(first)[0][1] == "10008" and read_codes(second)[0][1] == "10019"


@pytest.mark.parametrize("code", ["10008", "1234566", "HN-AO-12345", "AB" * 9])
def test_codes_of_every_length_scan_on_the_smallest_label(code):
    label = tag_image(make_tag(code=code), *ROLLS["35x22x2"].label_dots, labels=LABELS)
    assert read_codes(label) == [(zxingcpp.BarcodeFormat.Code128, code)]


def test_a_test_label_frames_every_label_across_the_roll():
    data = sample_label_bytes(make_tag(), ROLLS["35x22x2"], labels=LABELS)
    labels = decode(data).labels(2, 35)
    assert len(labels) == 2
    for label in labels:
        assert label.getpixel((4, 80)) == 0 and label.getpixel((275, 80)) == 0
        assert read_codes(label)[0][1] == "10008"
    save(labels[0], "tspl-test-label.png")


def test_sizes_and_rolls():
    assert parse_size("40x30") == Roll(40, 30)
    assert parse_size("35×22x2") == Roll(35, 22, columns=2)
    assert ROLLS["50x30"].label_dots == (400, 240)
    for bad in ("40", "40x", "axb", "40x30x2x1", "10x30", "40x5", "60x30x2"):
        with pytest.raises(ValueError):
            parse_size(bad)
    with pytest.raises(ValueError, match="across"):
        Roll(50, 30, columns=3)
    with pytest.raises(TypeError):
        Roll(40.0, 30)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no tags"):
        tspl_bytes([], ROLLS["40x30"])
