"""The A4 sheet of price tags: month bands, barcodes, the PDF's pages and what a scanner reads.

The PDF tests draw the pages with poppler's pdftoppm and read every barcode back with
zxing-cpp, tag by tag (the grid is known: 3 × 8 cells of 70 × 37 mm from 0.5 mm down).
Outside CI a missing poppler-utils skips them with a message; with CI=true they must run.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from xml.dom.minidom import parseString

import pytest
import zxingcpp
from PIL import Image
from weasyprint.urls import FatalURLFetchingError, fetch

from shop.domain.money import format_dong
from shop.files import FONTS, STATIC
from shop.printing.pdf import ResourceRefused, StaticFetcher
from shop.printing.tags import (
    COLUMNS,
    MONTH_COLOURS,
    SHEET_TOP_MM,
    TAG_HEIGHT_MM,
    TAG_WIDTH_MM,
    TAGS_PER_PAGE,
    Tag,
    TagLabels,
    barcode_svg,
    month_band,
    render_tag_sheet,
    tag_sheet_html,
)
from tests.conftest import ARTIFACTS, IN_CI

SHOP = "NEW ME – Đồ cũ"
DPI = 200


# --- month bands ---------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance, written out again here so the test does not trust the code."""
    values = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _months(start: date, count: int) -> list[date]:
    index = start.year * 12 + start.month - 1
    return [date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(count)]


def test_any_six_months_in_a_row_have_six_different_colours():
    for start in _months(date(2025, 1, 1), 36):  # every starting month, across year ends
        colours = {month_band(month).colour for month in _months(start, 6)}
        assert len(colours) == 6, start


def test_the_palette_is_six_distinct_hex_colours():
    assert len(set(MONTH_COLOURS)) == 6
    assert all(re.fullmatch(r"#[0-9A-F]{6}", colour) for colour in MONTH_COLOURS)


def test_the_band_colour_cycles_by_year_times_twelve_plus_month():
    for month in _months(date(2024, 1, 1), 30):
        expected = MONTH_COLOURS[(month.year * 12 + month.month) % 6]
        assert month_band(month).colour == expected


@pytest.mark.parametrize(
    ("month", "label"),
    [
        (date(2026, 11, 1), "T11/26"),
        (date(2027, 3, 1), "T3/27"),
        (date(2030, 1, 1), "T1/30"),
        (date(2005, 12, 1), "T12/05"),
    ],
)
def test_the_band_label_names_the_month(month, label):
    assert month_band(month).label == label


def test_only_the_year_and_month_count():
    assert month_band(date(2026, 11, 1)) == month_band(date(2026, 11, 30))


def test_the_band_text_is_black_or_white_whichever_reads_better():
    for month in _months(date(2026, 1, 1), 6):
        band = month_band(month)
        other = "#FFFFFF" if band.text_colour == "#000000" else "#000000"
        assert band.text_colour in ("#000000", "#FFFFFF")
        assert _contrast(band.colour, band.text_colour) >= _contrast(band.colour, other)
        assert _contrast(band.colour, band.text_colour) >= 4.5, band  # WCAG AA, small text


# --- barcodes and tags ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["10009", "A-1"])
def test_barcode_svg_is_an_svg_element_to_put_in_html(code):
    svg = barcode_svg(code)
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg and "DOCTYPE" not in svg
    assert "<text" not in svg  # the tag prints the code itself, in its own font
    assert "style=" not in svg  # inside HTML, style="fill:…" would go through the page's CSS
    root = parseString(svg).documentElement  # noqa: S318 - our own output, not a stranger's
    _, _, width, height = (float(n) for n in root.getAttribute("viewBox").split())
    assert root.getAttribute("width") == f"{width:.3f}mm"
    assert (height, root.getAttribute("height")) == (10, "10.000mm")
    # One path of bars, "M x y h width v height h -width z" each, on a white background.
    (path,) = root.getElementsByTagName("path")
    bars = [
        (float(x), float(w))
        for x, w in re.findall(r"M([\d.]+) [\d.]+h([\d.]+)v", path.getAttribute("d"))
    ]
    assert len(bars) > 10
    # python-barcode's quiet zone (2.54 mm at 0.2 mm a module) is kept on both sides.
    assert bars[0][0] == pytest.approx(2.54)
    assert width - sum(bars[-1]) == pytest.approx(2.54)
    assert all(w / 0.2 == pytest.approx(round(w / 0.2)) for _, w in bars)  # whole modules


@pytest.mark.parametrize("code", ["", "a b", "10009\n", "Áo", "x" * 33, "A_1"])
def test_codes_outside_the_alphabet_are_refused(code):
    with pytest.raises(ValueError):
        barcode_svg(code)
    with pytest.raises(ValueError):
        _tag(code=code)


def test_a_tag_refuses_a_negative_price_a_bool_and_an_empty_lot():
    with pytest.raises(ValueError):
        _tag(price_dong=-1)
    with pytest.raises(TypeError):
        _tag(price_dong=True)
    with pytest.raises(ValueError):
        _tag(quantity=0)


def test_nothing_to_print_is_an_error_not_a_blank_sheet():
    with pytest.raises(ValueError):
        render_tag_sheet([])


def test_the_words_on_the_tag_come_from_the_labels():
    tags = [_tag(size="M", quantity=None), _tag(code="L-1", size="28", quantity=12)]
    english = tag_sheet_html(tags)
    assert "Size" in english and ">each<" in english
    vietnamese = tag_sheet_html(
        tags, labels=TagLabels(size="Cỡ", each="giá mỗi cái", title="Tem giá")
    )
    assert "Size" not in vietnamese and ">each<" not in vietnamese
    assert "Cỡ" in vietnamese and ">giá mỗi cái<" in vietnamese and "<title>Tem giá" in vietnamese
    # "each" only on the lot.
    assert vietnamese.count("giá mỗi cái") == 1


def test_text_from_the_stock_book_is_escaped():
    html = tag_sheet_html([_tag(description='<img src="https://example.com/x.png">')])
    assert "<img" not in html
    assert "&lt;img" in html


def _price_pt(html: str, price: str) -> int:
    found = re.search(rf'style="font-size: (\d+)pt">{re.escape(price)}<', html)
    assert found, price
    return int(found[1])


def test_the_price_takes_the_largest_type_that_fits_its_line():
    labels = TagLabels(size="Cỡ", each="giá mỗi cái")
    html = tag_sheet_html(
        [
            _tag(price_dong=45_000, size="M"),
            _tag(price_dong=15_000, size=None, quantity=40),
            _tag(price_dong=25_000, size="Free size", quantity=40),
            _tag(price_dong=1_250_000, size="Free size"),
            _tag(price_dong=1_250_000, size=None, quantity=2),
            _tag(price_dong=100_000_000_000, size="XXXXXXXXXXXXXXXXXXXX", quantity=3),
        ],
        labels=labels,
    )
    assert _price_pt(html, "45.000\u00a0₫") == 20
    assert _price_pt(html, "15.000\u00a0₫") == 20
    # A crowded line (a lot, "giá mỗi cái", a long size) gives up a little type, not more.
    assert _price_pt(html, "25.000\u00a0₫") >= 16
    assert _price_pt(html, "1.250.000\u00a0₫") >= 16
    # Even the largest price there can be is printed whole, in smaller type.
    assert _price_pt(html, "100.000.000.000\u00a0₫") >= 10


# --- what the PDF may load -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/x.css",
        "http://127.0.0.1:5000/static/css/shop.css",
        "file:///etc/passwd",
        (STATIC / ".." / "shop" / "config.py").as_uri(),
        STATIC.as_uri() + "/../README.md",
        STATIC.as_uri() + "/fonts/missing.ttf",
        "file://example.com" + str(FONTS / "DejaVuSans.ttf"),
        "data:text/css,body{color:red}",
    ],
)
def test_the_fetcher_refuses_anything_but_files_under_static(url):
    fetcher = StaticFetcher()
    with pytest.raises(ResourceRefused):
        fetcher.fetch(url)
    # Inside WeasyPrint the refusal stops the rendering rather than becoming a log line.
    with pytest.raises(FatalURLFetchingError), fetch(fetcher, url):
        pass


def test_the_fetcher_serves_the_fonts():
    path = FONTS / "DejaVuSans-Bold.ttf"
    response = StaticFetcher()(path.as_uri())
    try:
        assert response.read() == path.read_bytes()
    finally:
        response.close()


def test_a_link_out_of_static_is_refused(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("no")
    (root / "inside.txt").write_text("yes")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = StaticFetcher(root)
    assert fetcher.local_path((root / "inside.txt").as_uri()) == (root / "inside.txt").resolve()
    with pytest.raises(ResourceRefused):
        fetcher.fetch((root / "link.txt").as_uri())


def test_rendering_logs_no_warning(caplog):
    """WeasyPrint reports unknown CSS, missing fonts and bad images only in its log."""
    tags = [*_thirty_tags()[:6], _tag(code="X-9", size="XXXXXXXXXXXXXXXXXXXXXXXX", quantity=3)]
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_tag_sheet(tags, labels=TagLabels(size="Cỡ", each="giá mỗi cái"))
    assert [record.getMessage() for record in caplog.records] == []


# --- the sheet, printed and scanned --------------------------------------------------------


def _tag(**changes) -> Tag:
    fields = {
        "code": "10001",
        "price_dong": 45_000,
        "category": "Áo",
        "description": "Áo khoác gió",
        "size": "M",
        "intake_month": date(2026, 11, 1),
        "shop_name": SHOP,
        "quantity": None,
    }
    return Tag(**{**fields, **changes})


def _thirty_tags() -> list[Tag]:
    """Thirty tags as the shop writes them, with a few of the longest things people type."""
    kinds = [
        (
            "Áo",
            "Áo khoác gió màu xanh rêu, còn mới 95%, khoá kéo tốt, hai túi trong, "
            "ấm khi đi xe máy mùa đông Hà Nội",
            "M",
            45_000,
        ),
        ("Đầm", "Đầm hoa nhí", "S", 120_000),
        ("Quần", "Quần jean xanh", "28", 1_250_000),
        ("Túi xách", "", None, 30_000),
        (
            "Váy",
            "Chân váy xếp ly dáng dài màu be nhạt, voan hai lớp mềm mại, thoáng mát, "
            "đi làm hay đi chơi đều đẹp, đã giặt là sạch sẽ",
            "Free size",
            85_000,
        ),
        ("Phụ kiện", "Khăn lụa tơ tằm", None, 15_000),
    ]
    tags = []
    for i in range(30):
        category, description, size, price = kinds[i % len(kinds)]
        tags.append(
            Tag(
                code=f"A-{i + 1}" if i % 4 == 3 else str(10_001 + i),
                price_dong=price,
                category=category,
                description=description,
                size=size,
                intake_month=date(2026 + (i // 12), i % 12 + 1, 1),
                shop_name=SHOP,
                quantity=12 if i % 7 == 5 else None,
            )
        )
    # The longest code there may be, on page 2, drawn at 300 dpi there: at 32 characters its
    # bars are 0.15 mm, too thin for 200 dpi.
    tags[25] = Tag(
        code="ABCDEFGHIJ-0123456789-abcdefghij",
        price_dong=100_000_000_000,
        category="Áo khoác dạ dáng dài",
        description="Ẩm thực: phở, bún chả — ỗ ự ặ ẫ ữ ỷ Ỹ Đ đ " * 5,
        size="XXXXXXXXXXXXXXXXXXXX",
        intake_month=date(2026, 11, 1),
        shop_name="Cửa hàng đồ cũ của nhóm phụ nữ quận Hoàn Kiếm, Hà Nội",
        quantity=3,
    )
    return tags


POPPLER = ("pdftoppm", "pdfinfo", "pdffonts", "pdftotext")


def _poppler() -> None:
    missing = [tool for tool in POPPLER if not shutil.which(tool)]
    if not missing:
        return
    reason = f"poppler-utils is not installed ({', '.join(missing)}): apt-get install poppler-utils"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """The 30-tag PDF and its pages drawn as PNG: page 1 at 200 dpi, page 2 at 300 dpi."""
    _poppler()
    folder = tmp_path_factory.mktemp("tag-sheet")
    tags = _thirty_tags()
    pdf = render_tag_sheet(tags)
    path = folder / "tags.pdf"
    path.write_bytes(pdf)
    for page, dpi in ((1, DPI), (2, 300)):
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page)]
            + ["-singlefile", str(path), str(folder / f"page{page}")],
            check=True,
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "page1.png", ARTIFACTS / "tag-sheet-page1.png")
    return {"tags": tags, "pdf": pdf, "path": path, "folder": folder}


def _cells(png: Path, dpi: int) -> list[Image.Image]:
    """The page cut into its 24 tag cells, row by row, as separate images."""
    px = dpi / 25.4
    cells = []
    with Image.open(png) as page:
        gray = page.convert("L")
    for index in range(TAGS_PER_PAGE):
        row, column = divmod(index, COLUMNS)
        left = column * TAG_WIDTH_MM * px
        top = (SHEET_TOP_MM + row * TAG_HEIGHT_MM) * px
        box = (
            round(left),
            round(top),
            round(left + TAG_WIDTH_MM * px),
            round(top + TAG_HEIGHT_MM * px),
        )
        cells.append(gray.crop(box))
    return cells


def _read(cell: Image.Image) -> list[str]:
    return [
        found.text for found in zxingcpp.read_barcodes(cell, formats=zxingcpp.BarcodeFormat.Code128)
    ]


def test_thirty_tags_make_two_a4_pages(sheet):
    assert sheet["pdf"].startswith(b"%PDF-")
    info = subprocess.run(
        ["pdfinfo", str(sheet["path"])], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M), info
    assert re.search(r"^Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info, re.M), info


def test_every_barcode_on_page_one_reads_back(sheet):
    codes = [tag.code for tag in sheet["tags"]]
    with Image.open(sheet["folder"] / "page1.png") as page:
        assert page.size == (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))
        found = zxingcpp.read_barcodes(page)
    whole_page = {barcode.text for barcode in found}
    assert {barcode.format for barcode in found} == {zxingcpp.BarcodeFormat.Code128}
    # Tag by tag: each cell holds exactly its own code, in the order given.
    assert [_read(cell) for cell in _cells(sheet["folder"] / "page1.png", DPI)] == [
        [code] for code in codes[:TAGS_PER_PAGE]
    ]
    # And the page as a whole, as a scanner sweeping across it would: all 24, nothing else.
    assert whole_page == set(codes[:TAGS_PER_PAGE])


def test_page_two_holds_the_last_six_and_the_rest_is_blank(sheet):
    codes = [tag.code for tag in sheet["tags"]]
    cells = _cells(sheet["folder"] / "page2.png", 300)
    assert [_read(cell) for cell in cells[:6]] == [[code] for code in codes[TAGS_PER_PAGE:]]
    for cell in cells[6:]:
        assert cell.getextrema() == (255, 255)


@pytest.mark.parametrize(("page", "dpi"), [(1, DPI), (2, 300)])
def test_nothing_runs_over_the_edge_of_its_tag(sheet, page, dpi):
    """Each tag keeps at least 0.8 mm of bare paper along its cut: no text leaks across."""
    px = dpi / 25.4
    edge = round(0.8 * px)
    for index, cell in enumerate(_cells(sheet["folder"] / f"page{page}.png", dpi)):
        width, height = cell.size
        for strip in (
            (0, 0, width, edge),
            (0, height - edge, width, height),
            (0, 0, edge, height),
            (width - edge, 0, width, height),
        ):
            assert cell.crop(strip).getextrema()[0] > 200, f"page {page}, tag {index + 1}"


def test_the_fonts_are_the_shipped_dejavu_and_the_vietnamese_survives(sheet):
    fonts = subprocess.run(
        ["pdffonts", str(sheet["path"])], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    names = {line.split()[0].split("+")[-1] for line in fonts}
    # No fallback to a system font: every glyph came from the DejaVu files in static/fonts.
    assert names and all(name.startswith("Tag-Sans") for name in names), names
    assert all(" yes yes yes " in line for line in fonts), fonts  # embedded, subset, unicode
    text = subprocess.run(
        ["pdftotext", "-layout", str(sheet["path"]), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.replace("\u00a0", " ")
    price = format_dong(1_250_000).replace("\u00a0", " ")
    words = ["Áo khoác gió", "Đầm hoa nhí", "Quần jean xanh", "Khăn lụa tơ tằm", SHOP, price]
    for expected in [*words, "T11/26", "Size", "each"]:
        assert expected in text, expected


def _placed(html: str) -> list[tuple[str, str]]:
    """(top, left) of each tag printed, in mm as the sheet places them."""
    return re.findall(r'class="tag" style="top: ([\d.]+)mm; left: ([\d.]+)mm"', html)


def test_a_half_used_sheet_starts_at_the_first_free_label():
    tags = [_tag(code=f"C{i}") for i in range(3)]
    assert _placed(tag_sheet_html(tags)) == [("0.5", "0.0"), ("0.5", "70.0"), ("0.5", "140.0")]
    # Labels 1 to 4 are used: the first tag goes on label 5 (row 2, column 2).
    assert _placed(tag_sheet_html(tags, start=5)) == [
        ("37.5", "70.0"),
        ("37.5", "140.0"),
        ("74.5", "0.0"),
    ]
    # From the last label, the next tags go on a new sheet from its first label.
    html = tag_sheet_html(tags, start=24)
    assert html.count('<section class="sheet">') == 2
    assert _placed(html) == [("259.5", "140.0"), ("0.5", "0.0"), ("0.5", "70.0")]
    for wrong in (0, 25, -1, True, "3"):
        with pytest.raises(ValueError):
            tag_sheet_html(tags, start=wrong)
