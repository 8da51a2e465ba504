"""The shop's own ``GS v 0`` packer against python-escpos's ``image()``, byte for byte.

python-escpos converts every image to colour, grey, inverted and dithered 1-bit before it
packs it; the shop's drawings are already black and white, so packing their bits straight
must give the very same bytes. Checked on random images of awkward sizes and on whole
print jobs (receipts of many sales on both papers, with and without the VietQR code, the
drawer and the cut; price-tag labels), each made once with the packer and once with
python-escpos doing the image.
"""

from __future__ import annotations

import random

import pytest
from escpos.printer import Dummy
from PIL import Image

from shop.domain.vietqr import BankAccount, payload
from shop.printing import escpos_out
from shop.printing.escpos_out import RASTER_BAND_DOTS, receipt_bytes
from shop.printing.escpos_raster import raster_bands
from shop.printing.labels import labels_bytes
from shop.printing.receipt import (
    Receipt,
    ReceiptLabels,
    ReceiptLine,
    printable_width_px,
    render_image,
)
from shop.printing.tags import Tag
from tests.printing.escpos_decoder import decode


def python_escpos_image(printer: Dummy, image: Image.Image) -> None:
    """What the jobs did before the shop packed its own rasters."""
    printer.image(image, impl="bitImageRaster", fragment_height=RASTER_BAND_DOTS)


def python_escpos_raster(receipt: Receipt, *, paper_mm: int, dpi: int) -> bytes:
    """The printed part of a receipt's job as python-escpos makes it, drawn afresh."""
    printer = Dummy(profile="default")
    printer.profile.profile_data = {
        **printer.profile.profile_data,
        "media": {"width": {"pixels": printable_width_px(paper_mm, dpi)}},
    }
    python_escpos_image(printer, render_image(receipt, paper_mm=paper_mm, dpi=dpi))
    return printer.output


def escpos_bytes(image: Image.Image, band_dots: int = RASTER_BAND_DOTS) -> bytes:
    printer = Dummy(profile="default")
    # The paper's width, as the shop's printers have it (no warning printed, no centring).
    printer.profile.profile_data = {
        **printer.profile.profile_data,
        "media": {"width": {"pixels": 4096}},
    }
    printer.image(image, impl="bitImageRaster", fragment_height=band_dots)
    return printer.output


def random_image(rng: random.Random, width: int, height: int, share: float) -> Image.Image:
    image = Image.new("1", (width, height), 1)
    image.putdata([0 if rng.random() < share else 1 for _ in range(width * height)])
    return image


@pytest.mark.parametrize("width", [1, 7, 8, 9, 15, 17, 203, 383, 384, 385, 573, 576])
def test_random_images_of_any_width_pack_as_python_escpos_does(width):
    rng = random.Random(width)
    for height, share in ((1, 0.5), (24, 0.3), (RASTER_BAND_DOTS, 0.1), (2 * 960 + 7, 0.7)):
        image = random_image(rng, width, height, share)
        assert raster_bands(image, band_dots=RASTER_BAND_DOTS) == escpos_bytes(image), (
            width,
            height,
        )


def test_all_black_all_white_and_small_bands():
    for fill in (0, 1):
        image = Image.new("1", (37, 100), fill)
        for band in (1, 24, 99, 100, 101):
            assert raster_bands(image, band_dots=band) == escpos_bytes(image, band), (fill, band)


def test_a_band_is_a_gs_v_0_the_decoder_reads_back():
    rng = random.Random(3)
    image = random_image(rng, 61, 2000, 0.4)
    events = decode(raster_bands(image, band_dots=RASTER_BAND_DOTS))
    bands = [event[1] for event in events if event[0] == "image"]
    assert [band.height for band in bands] == [960, 960, 80]
    assert all(band.width == 64 for band in bands)  # padded to whole bytes, in white
    top = 0
    for band in bands:
        shown = band.crop((0, 0, 61, band.height)).convert("L").tobytes()
        assert shown == image.crop((0, top, 61, top + band.height)).convert("L").tobytes()
        assert set(band.crop((61, 0, 64, band.height)).convert("L").tobytes()) == {255}
        top += band.height


def test_what_the_packer_refuses():
    with pytest.raises(ValueError, match="mode '1'"):
        raster_bands(Image.new("L", (8, 8), 255), band_dots=960)
    with pytest.raises(ValueError, match="wide"):
        raster_bands(Image.new("1", (385, 8), 1), band_dots=960, max_width=384)
    with pytest.raises(ValueError, match="band_dots"):
        raster_bands(Image.new("1", (8, 8), 1), band_dots=0)
    assert raster_bands(Image.new("1", (8, 0), 1), band_dots=960) == b""


LABELS = ReceiptLabels(
    sale="Hóa đơn số",
    cashier="Thu ngân",
    total="TỔNG CỘNG",
    cash="Tiền mặt",
    tendered="Khách đưa",
    change="Tiền thừa",
    transfer="Chuyển khoản",
    scan_to_pay="Quét mã để chuyển khoản",
)
WORDS = [
    "áo",
    "khoác",
    "gió",
    "màu",
    "xanh",
    "rêu",
    "quần",
    "jean",
    "váy",
    "hoa",
    "nhí",
    "dáng",
    "dài",
    "sơ",
    "mi",
    "lụa",
    "tơ",
    "tằm",
    "đầm",
]


def random_receipt(rng: random.Random, number: int, *, transfer: bool) -> Receipt:
    lines = []
    for index in range(rng.randint(1, 6)):
        quantity = rng.choice((1, 1, 1, 2, 3))
        price = rng.randrange(5, 400) * 1000
        discount = rng.choice((0, 0, price // 10))
        lines.append(
            ReceiptLine(
                code=str(1_000_000 + rng.randrange(9_000_000)),
                description=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9))),
                quantity=quantity,
                unit_price_dong=price,
                discount_dong=discount,
                discount_reason="vết bẩn" if discount and index % 2 else "",
            )
        )
    net = sum(line.net_dong or 0 for line in lines)
    sale_discount = rng.choice((0, 0, min(net, 5_000)))
    total = net - sale_discount
    money: dict = {"cash_dong": total, "tendered_dong": total + rng.choice((0, 5_000))}
    money["change_dong"] = money["tendered_dong"] - total
    qr = None
    if transfer:
        money = {"transfer_dong": total}
        qr = payload(BankAccount("970415", "113366668888"), total, f"Hoa don {number}")
    return Receipt(
        shop_name="NEW ME – Đồ cũ",
        shop_address="12 ngõ Huế, Hai Bà Trưng, Hà Nội" if number % 3 else "",
        title="HÓA ĐƠN",
        number=number,
        moment_text=f"23/11/2026 14:{number % 60:02d}",
        cashier="Nguyễn Thị Hồng",
        lines=tuple(lines),
        sale_discount_dong=sale_discount,
        sale_discount_reason="khách quen" if sale_discount else "",
        total_dong=total,
        vietqr_payload=qr,
        footer="Cảm ơn quý khách!\nĐổi hàng trong 3 ngày." if number % 2 else "",
        labels=LABELS,
        **money,
    )


def printed(job: bytes) -> list[bytes]:
    """The raster images of a job, as bytes."""
    return [event[1].tobytes() for event in decode(job) if event[0] == "image"]


def both_ways(monkeypatch, make) -> tuple[bytes, bytes]:
    """``make()`` with the shop's packer (drawn afresh, then from the cache, the same), then
    with python-escpos doing the image."""
    escpos_out.receipt_raster.cache_clear()
    ours = make()
    assert make() == ours
    with monkeypatch.context() as patched:
        patched.setattr(escpos_out, "receipt_raster", python_escpos_raster)
        theirs = make()
    return ours, theirs


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_receipts_of_many_sales_are_byte_identical(monkeypatch, paper_mm):
    rng = random.Random(paper_mm)
    options = [
        {"open_drawer": False, "cut": True},
        {"open_drawer": True, "drawer_pin": 2, "cut": True},
        {"open_drawer": True, "drawer_pin": 5, "cut": False},
        {"open_drawer": False, "cut": True, "profile": "TM-T88V" if paper_mm == 80 else "NT-5890K"},
    ]
    checked = 0
    for number in range(1, 25):
        receipt = random_receipt(rng, number, transfer=number % 4 == 0)
        chosen = options[number % len(options)]

        def make(receipt=receipt, chosen=chosen):
            return receipt_bytes(receipt, paper_mm=paper_mm, **chosen)

        ours, theirs = both_ways(monkeypatch, make)
        assert ours == theirs, (number, chosen)
        checked += 1
    assert checked == 24


def test_a_long_receipt_in_several_bands_is_byte_identical(monkeypatch):
    rng = random.Random(7)
    lines = [
        ReceiptLine(str(2_000_000 + i), " ".join(rng.choice(WORDS) for _ in range(8)), 1, 50_000)
        for i in range(40)
    ]
    receipt = random_receipt(rng, 9, transfer=True)
    receipt = Receipt(
        **{
            **receipt.__dict__,
            "lines": tuple(lines),
            "sale_discount_dong": 0,
            "sale_discount_reason": "",
            "total_dong": 2_000_000,
            "transfer_dong": 2_000_000,
            "vietqr_payload": payload(BankAccount("970415", "113366668888"), 2_000_000, "HD 9"),
        }
    )
    for paper_mm in (58, 80):
        ours, theirs = both_ways(
            monkeypatch, lambda paper_mm=paper_mm: receipt_bytes(receipt, paper_mm=paper_mm)
        )
        assert ours == theirs
        assert sum(1 for event in decode(ours) if event[0] == "image") >= 3


def test_price_tag_labels_are_byte_identical(monkeypatch):
    import datetime

    from shop.printing import labels as labels_module

    tags = [
        Tag(
            code=str(1_000_000 + i * 7919),
            price_dong=(i + 1) * 35_000,
            category="Áo dài",
            description="lụa tơ tằm " * (i % 3),
            size="M" if i % 2 else "",
            intake_month=datetime.date(2026, 1 + i % 12, 1),
            shop_name="NEW ME – Đồ cũ",
        )
        for i in range(6)
    ]
    for paper_mm, cut in ((58, True), (80, False)):
        ours = labels_bytes(tags, paper_mm=paper_mm, cut=cut)
        with monkeypatch.context() as patched:
            patched.setattr(labels_module, "print_image", python_escpos_image)
            theirs = labels_bytes(tags, paper_mm=paper_mm, cut=cut)
        assert ours == theirs, (paper_mm, cut)


def test_a_receipt_is_drawn_once_and_drawn_again_when_what_it_shows_changes():
    rng = random.Random(11)
    waiting = random_receipt(rng, 12, transfer=True)
    escpos_out.receipt_raster.cache_clear()
    first = receipt_bytes(waiting, paper_mm=80, open_drawer=True)
    reprint = receipt_bytes(waiting, paper_mm=80)
    info = escpos_out.receipt_raster.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert printed(first) == printed(reprint)  # the same print, the drawer kicked once
    assert first != reprint

    # The transfer arrived: no QR code any more, so the paper changes and is drawn again.
    arrived = Receipt(**{**waiting.__dict__, "vietqr_payload": None})
    after = receipt_bytes(arrived, paper_mm=80)
    assert escpos_out.receipt_raster.cache_info().misses == 2
    assert printed(after) != printed(reprint)
    assert len(after) < len(reprint)
    # On the other paper it is another drawing too.
    receipt_bytes(arrived, paper_mm=58)
    assert escpos_out.receipt_raster.cache_info().misses == 3
