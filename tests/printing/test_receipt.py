"""Receipts: the layout, the 1-bit image, the ESC/POS bytes read back, and sending them.

The bytes are read back by ``escpos_decoder`` (test-side, strict: unknown bytes raise), the
raster images are stitched and the VietQR code is read with zxing-cpp from what the printer
would get. The network tests talk to a fake printer on 127.0.0.1 only, and every wait is
bounded by a timeout of a few seconds at most.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image

from shop.domain.money import format_dong
from shop.domain.vietqr import BankAccount, payload
from shop.printing import escpos_out
from shop.printing.escpos_out import (
    RASTER_BAND_DOTS,
    Connection,
    PrinterError,
    receipt_bytes,
    send,
)
from shop.printing.file_printer import Place
from shop.printing.receipt import (
    Receipt,
    ReceiptLabels,
    ReceiptLine,
    Row,
    printable_width_px,
    receipt_lines,
    render_image,
    rows_text,
)
from tests.conftest import ARTIFACTS
from tests.printing.escpos_decoder import decode
from tests.printing.fake_printer import FakePrinter

SHOP = "NEW ME – Đồ cũ"
ADDRESS = "12 ngõ Huế, Hai Bà Trưng, Hà Nội"
PANGRAM = "Tiếng Việt: ắằẳẵặ ấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ỳỷỹỵ đĐ ₫"
QR_PAYLOAD = payload(BankAccount("970415", "113366668888"), 54000, "Hoa don 2")

VI = ReceiptLabels(
    sale="Hóa đơn số",
    cashier="Thu ngân",
    subtotal="Tạm tính",
    discount="Giảm giá",
    total="TỔNG CỘNG",
    cash="Tiền mặt",
    tendered="Khách đưa",
    change="Tiền thừa",
    transfer="Chuyển khoản",
    scan_to_pay="Quét mã để chuyển khoản",
)


def _vietnamese_letters() -> str:
    """All 146 letters: 12 vowels × 6 tones, in both cases, and đ Đ."""
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    lower = [
        unicodedata.normalize("NFC", vowel + tone) for vowel in "aăâeêioôơuưy" for tone in tones
    ]
    letters = "".join(lower) + "".join(lower).upper() + "đĐ"
    assert len(letters) == 146 and all(len(letter) == 1 for letter in letters)
    return letters


def sale_receipt(**changes: Any) -> Receipt:
    """Sale 1: two lines, a line discount, a whole-sale discount, cash with change."""
    lines = (
        ReceiptLine("1234566", "Áo khoác gió màu xanh rêu", 1, 120_000, 20_000, "vết bẩn nhỏ"),
        ReceiptLine("2345678", "Quần jean", 1, 95_000),
    )
    fields: dict[str, Any] = {
        "shop_name": SHOP,
        "shop_address": ADDRESS,
        "title": "HÓA ĐƠN",
        "number": 1,
        "moment_text": "23/11/2026 14:30",
        "cashier": "Nguyễn Thị Hồng",
        "lines": lines,
        "sale_discount_dong": 5_000,
        "sale_discount_reason": "khách quen",
        "total_dong": 190_000,
        "cash_dong": 190_000,
        "tendered_dong": 200_000,
        "change_dong": 10_000,
        "footer": "Cảm ơn quý khách!\nĐổi hàng trong 3 ngày, giữ hóa đơn.",
        "labels": VI,
    }
    fields.update(changes)
    return Receipt(**fields)


def cash_sale(*lines: ReceiptLine) -> Receipt:
    """Sale 1 with other ``lines``, no whole-sale discount, paid with the exact cash."""
    total = sum(line.net_dong or 0 for line in lines)
    return sale_receipt(
        lines=lines,
        sale_discount_dong=0,
        total_dong=total,
        cash_dong=total,
        tendered_dong=total,
        change_dong=0,
    )


def transfer_receipt(**changes: Any) -> Receipt:
    """Sale 2, paid by transfer: the VietQR code for 54.000 ₫ with "Hoa don 2"."""
    fields: dict[str, Any] = {
        "shop_name": SHOP,
        "shop_address": ADDRESS,
        "title": "HÓA ĐƠN",
        "number": 2,
        "moment_text": "23/11/2026 14:41",
        "cashier": "Trần Thị Lan",
        "lines": (ReceiptLine("4567893", "Váy hoa nhí dáng dài", 1, 54_000),),
        "total_dong": 54_000,
        "transfer_dong": 54_000,
        "vietqr_payload": QR_PAYLOAD,
        "footer": "Cảm ơn quý khách!",
        "labels": VI,
    }
    fields.update(changes)
    return Receipt(**fields)


def stitched(events: list[tuple[Any, ...]]) -> Image.Image:
    """The raster images of ``events`` one under the other, as the paper shows them."""
    images = [event[1] for event in events if event[0] == "image"]
    assert images, "no raster image in the job"
    width = images[0].width
    assert all(image.width == width for image in images)
    paper = Image.new("1", (width, sum(image.height for image in images)), 1)
    top = 0
    for image in images:
        paper.paste(image, (0, top))
        top += image.height
    return paper


def ink(image: Image.Image) -> float:
    """The share of black dots, 0 to 1."""
    histogram = image.convert("L").histogram()
    return histogram[0] / (image.width * image.height)


def save(image: Image.Image, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / name)


def texts(events: list[tuple[Any, ...]]) -> str:
    return "".join(event[1] for event in events if event[0] == "text")


# --- the layout --------------------------------------------------------------------------


@pytest.mark.parametrize("width", [32, 48])
def test_rows_fit_the_width_and_money_is_right_aligned(width):
    long_line = ReceiptLine(
        "7654321", "Áo dài lụa tơ tằm thêu tay hoa sen trắng viền vàng kim tuyến", 2, 350_000
    )
    receipt = sale_receipt(
        lines=(*sale_receipt().lines, long_line),
        total_dong=890_000,
        cash_dong=890_000,
        tendered_dong=900_000,
    )
    rows = receipt_lines(receipt, width)
    printed = rows_text(rows, width)
    assert all(len(line) == width for line in printed)
    for row in rows:
        assert len(row.left) + (len(row.right) + 2 if row.right else 0) <= width
    # Words are never broken: every word of the description is whole on some row.
    words = {word for row in rows for word in row.left.split()}
    assert set(long_line.description.split()) <= words
    amounts = [line for line in printed if line.endswith("₫")]
    assert any(line.endswith(format_dong(700_000)) for line in amounts)
    total = next(row for row in rows if row.left == "TỔNG CỘNG")
    assert total.right == format_dong(890_000) and total.bold and total.large


def test_rows_in_reading_order():
    text = "\n".join(rows_text(receipt_lines(sale_receipt(), 32), 32))
    order = [SHOP, "HÓA ĐƠN", "Hóa đơn số 1", "Nguyễn Thị Hồng", "Áo khoác gió", "vết bẩn nhỏ"]
    order += ["Quần jean", "Tạm tính", "khách quen", "TỔNG CỘNG", "Tiền mặt", "Khách đưa"]
    order += ["Tiền thừa", "Cảm ơn quý khách!"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "Tạm tính" in text and text.count("₫") == 9  # 2 lines, 1 discount, 6 totals
    assert "Chuyển khoản" not in text  # no transfer, no transfer row


def test_decomposed_input_is_printed_precomposed():
    decomposed = unicodedata.normalize("NFD", "Quần jean")
    receipt = cash_sale(ReceiptLine("1", decomposed, 1, 10_000))
    assert Row("Quần jean") in receipt_lines(receipt, 32)


def test_control_characters_never_reach_the_printer():
    sneaky = ReceiptLine("1", "Áo\x1b@\x1dV\x00 len\tđỏ\nmới", 1, 10_000)
    receipt = cash_sale(sneaky)
    events = decode(receipt_bytes(receipt, profile="TM-T20II", mode="text"), "TM-T20II")
    assert [event for event in events if event[0] != "text"] == [("cut",)]
    assert "Áo @ V  len đỏ mới\n" in texts(events)


def test_a_word_longer_than_the_line_is_cut():
    code = "A" * 50
    receipt = cash_sale(ReceiptLine("1", code, 1, 10_000))
    rows = receipt_lines(receipt, 32)
    assert Row("A" * 32) in rows and Row("A" * 18) in rows


def test_report_without_lines_prints_extra_rows():
    report = Receipt(
        shop_name=SHOP,
        title="BÁO CÁO CUỐI NGÀY",
        moment_text="23/11/2026 21:00",
        extra_rows=(("Tiền đầu ca", 500_000), ("Số hóa đơn", "12"), ("Ghi chú", "")),
    )
    text = "\n".join(rows_text(receipt_lines(report, 32), 32))
    assert "Tiền đầu ca" in text and format_dong(500_000) in text and "Số hóa đơn" in text
    assert "Total" not in text and "TỔNG" not in text


def test_amounts_must_add_up():
    with pytest.raises(ValueError, match="net_dong"):
        ReceiptLine("1", "Áo", 2, 10_000, 1_000, "lỗi", net_dong=20_000)
    with pytest.raises(ValueError, match="exceed"):
        ReceiptLine("1", "Áo", 1, 10_000, 20_000, "lỗi")
    with pytest.raises(TypeError):
        ReceiptLine("1", "Áo", 1, True)
    with pytest.raises(ValueError, match="total_dong"):
        sale_receipt(total_dong=195_000)
    with pytest.raises(ValueError):
        receipt_lines(sale_receipt(), 8)


# --- the image ---------------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm, width", [(58, 384), (80, 576)])
def test_image_size(paper_mm, width):
    """A long receipt's image is the paper's width and as tall as its rows (its speed is
    measured in ``make bench``, never in a timed test)."""
    many = tuple(
        ReceiptLine(f"{1000 + n}", f"Áo sơ mi kẻ số {n}", 1, 10_000 * n) for n in range(1, 31)
    )
    image = render_image(cash_sale(*many), paper_mm=paper_mm)
    assert image.mode == "1" and image.width == width == printable_width_px(paper_mm)
    # 30 lines make about 75 rows; a row is 30 to 40 dots high: no big blank margins.
    assert 75 * 28 < image.height < 75 * 42


def test_image_is_pure_black_and_white_and_inside_the_margins():
    image = render_image(sale_receipt())
    assert set(image.convert("L").histogram()[1:255]) == {0}
    left, top, right, bottom = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
    assert left >= 1 and right <= image.width - 1  # nothing touches or passes the edges
    assert top < 12 and image.height - bottom < 12  # and no tall white margin


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_texts_kept_drawn_print_the_same_dots(paper_mm):
    """A text seen once is drawn as it comes, a text seen again is kept drawn and pasted:
    the three drawings of one receipt (every text new, then seen twice, then kept) are the
    same dot for dot, with or without a QR code."""
    from shop.printing import receipt as receipt_module

    for receipt in (sale_receipt(), transfer_receipt()):
        receipt_module._masks.clear()
        receipt_module._seen.clear()
        drawn = [render_image(receipt, paper_mm=paper_mm).tobytes() for _ in range(3)]
        assert drawn[0] == drawn[1] == drawn[2]
        assert receipt_module._masks  # the third drawing pasted them


# --- ESC/POS bytes -----------------------------------------------------------------------


@pytest.mark.parametrize("paper_mm, width", [(58, 384), (80, 576)])
def test_raster_sale_receipt(paper_mm, width):
    receipt = sale_receipt()
    events = decode(receipt_bytes(receipt, paper_mm=paper_mm), "default")
    assert {event[0] for event in events} == {"image", "cut"}
    assert events[-1] == ("cut",)
    assert not [event for event in events if event[0] == "cashdraw"]
    paper = stitched(events)
    save(paper, f"receipt-sale-{paper_mm}.png")
    assert paper.width == width
    assert 0.03 < ink(paper) < 0.3
    # What the printer gets is exactly what was drawn, dot for dot.
    assert paper.tobytes() == render_image(receipt, paper_mm=paper_mm).tobytes()


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_transfer_receipt_qr_reads_back_exactly(paper_mm):
    events = decode(receipt_bytes(transfer_receipt(), paper_mm=paper_mm), "default")
    paper = stitched(events)
    save(paper, f"receipt-transfer-{paper_mm}.png")
    codes = zxingcpp.read_barcodes(paper.convert("L"))
    assert [(code.format, code.text) for code in codes] == [
        (zxingcpp.BarcodeFormat.QRCode, QR_PAYLOAD)
    ]
    # About 60% of the width, whole dots a module.
    assert 0.45 * paper.width < codes[0].position.top_right.x - codes[0].position.top_left.x
    assert codes[0].position.top_right.x - codes[0].position.top_left.x < 0.7 * paper.width


def test_drawer_opens_only_when_asked():
    plain = decode(receipt_bytes(sale_receipt()), "default")
    assert "cashdraw" not in [event[0] for event in plain]
    for pin in (2, 5):
        events = decode(receipt_bytes(sale_receipt(), open_drawer=True, drawer_pin=pin))
        kicks = [event for event in events if event[0] == "cashdraw"]
        assert kicks == [("cashdraw", pin)]
        assert events.index(kicks[0]) < events.index(("cut",))
    with pytest.raises(ValueError):
        receipt_bytes(sale_receipt(), open_drawer=True, drawer_pin=3)


def test_cutting_and_printers_without_a_cutter():
    assert ("cut",) not in decode(receipt_bytes(sale_receipt(), cut=False))
    # POS-5890 has no cutter: the paper is fed past the tear bar instead (ESC d 5).
    data = receipt_bytes(sale_receipt(), profile="POS-5890")
    assert ("cut",) not in decode(data, "POS-5890")
    assert data.endswith(b"\x1bd\x05")
    assert stitched(decode(data, "POS-5890")).width == 384


def test_tall_receipt_goes_out_in_bands():
    many = tuple(ReceiptLine(f"{n}", f"Khăn quàng cổ {n}", 1, 5_000) for n in range(1, 41))
    receipt = cash_sale(*many)
    events = decode(receipt_bytes(receipt))
    images = [event[1] for event in events if event[0] == "image"]
    assert len(images) >= 2 and all(image.height <= RASTER_BAND_DOTS for image in images)
    assert stitched(events).tobytes() == render_image(receipt).tobytes()


def test_paper_wider_than_the_printer_is_refused():
    with pytest.raises(ValueError, match="384"):
        receipt_bytes(sale_receipt(), paper_mm=80, profile="POS-5890")
    with pytest.raises(ValueError, match="profile"):
        receipt_bytes(sale_receipt(), profile="no such printer")
    with pytest.raises(ValueError):
        receipt_bytes(sale_receipt(), mode="pdf")  # type: ignore[arg-type]


@pytest.mark.parametrize("paper_mm, width", [(58, 32), (80, 48)])
def test_text_mode_on_an_epson_prints_every_vietnamese_letter(paper_mm, width):
    letters = _vietnamese_letters()
    receipt = sale_receipt(footer=f"{PANGRAM}\n{letters}")
    events = decode(
        receipt_bytes(receipt, paper_mm=paper_mm, profile="TM-T20II", mode="text"), "TM-T20II"
    )
    text = texts(events)
    flat = " ".join(text.split())
    assert PANGRAM in flat
    assert letters in "".join(text.split())  # the 146 letters, wrapped over some lines
    assert "?" not in text
    # The text is the layout's rows, line for line.
    expected = [line.rstrip() for line in rows_text(receipt_lines(receipt, width), width)]
    assert text.split("\n")[:-1] == expected
    assert events[-1] == ("cut",)


def test_text_mode_qr_reads_back():
    events = decode(receipt_bytes(transfer_receipt(), profile="TM-T20II", mode="text"), "TM-T20II")
    codes = zxingcpp.read_barcodes(stitched(events).convert("L"))
    assert [code.text for code in codes] == [QR_PAYLOAD]


def test_text_mode_on_a_cheap_58mm_printer_loses_letters():
    """Why raster is the default: POS-5890's code pages have no Vietnamese letters."""
    receipt = sale_receipt(footer=PANGRAM)
    text = texts(decode(receipt_bytes(receipt, profile="POS-5890", mode="text"), "POS-5890"))
    assert "?" in text
    assert PANGRAM not in " ".join(text.split())
    assert "ữ" not in text and "Nguyễn" not in text


def test_decoder_refuses_garbage():
    for garbage in (b"\x1bZ\x00", b"\x07", b"\x1dv0\x00\x01\x00\x05\x00\xff", b"\x1dZ"):
        with pytest.raises(ValueError):
            decode(garbage)
    with pytest.raises(ValueError):
        decode(b"\x1bt\x06\x80")  # page 6 of the default profile has no known characters
    assert decode(b"\x1b@\x1bt\x10caf\xe9\n") == [("text", "café\n")]
    # Native QR commands (GS ( k), which the receipts never use, still read back.
    printer = Dummy()
    printer.qr(QR_PAYLOAD, native=True)
    assert decode(printer.output) == [("qr", QR_PAYLOAD)]


# --- sending -----------------------------------------------------------------------------


def test_send_to_a_network_printer():
    data = receipt_bytes(transfer_receipt())
    with FakePrinter("read_all") as printer:
        send(data, Connection(kind="network", host="127.0.0.1", port=printer.port, timeout=3))
        printer.thread.join(5)
    assert bytes(printer.received) == data


def test_send_refused_when_nothing_listens():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PrinterError) as caught:
        send(b"x", Connection(kind="network", host="127.0.0.1", port=port, timeout=2))
    assert caught.value.reason == "refused"


def test_send_times_out_when_the_printer_takes_nothing():
    # Bigger than any loopback socket buffers (send up to 4 MB here, receive kept small).
    data = bytes(32 * 1024 * 1024)
    with FakePrinter("never_read", receive_buffer=4096) as printer:
        start = time.monotonic()
        with pytest.raises(PrinterError) as caught:
            send(data, Connection(kind="network", host="127.0.0.1", port=printer.port, timeout=0.3))
        assert time.monotonic() - start < 3
    assert caught.value.reason == "timeout"


def test_send_broken_when_the_printer_hangs_up():
    # The printer closes with data unread: Linux answers with a reset, which the sender sees
    # as ECONNRESET (30 runs out of 30 here): "broken". Other systems may let the data sit
    # unanswered instead, which can only end as "timeout".
    acceptable = {"broken"} if sys.platform.startswith("linux") else {"broken", "timeout"}
    data = bytes(32 * 1024 * 1024)
    with FakePrinter("read_little") as printer, pytest.raises(PrinterError) as caught:
        send(data, Connection(kind="network", host="127.0.0.1", port=printer.port, timeout=2))
    assert caught.value.reason in acceptable
    assert len(printer.received) <= 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIOCOUTQ is Linux's")
def test_send_notices_a_stalled_printer_even_when_the_job_fits_the_buffers():
    """A real receipt (tens of kB) fits our send buffer: send() alone would return at once.

    Waiting until the printer acknowledged every byte turns "out of paper, buffer full" into
    a timeout instead of a receipt silently lost.
    """
    data = receipt_bytes(sale_receipt())
    assert 10_000 < len(data) < 100_000
    with FakePrinter("never_read", receive_buffer=4096) as printer:
        start = time.monotonic()
        with pytest.raises(PrinterError) as caught:
            send(data, Connection(kind="network", host="127.0.0.1", port=printer.port, timeout=0.3))
        assert time.monotonic() - start < 3
    assert caught.value.reason == "timeout"


@pytest.mark.parametrize(
    "failure, reason",
    [
        (OSError(errno.EHOSTUNREACH, "No route to host"), "unreachable"),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "unreachable"),
        (TimeoutError("timed out"), "timeout"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "refused"),
    ],
)
def test_connection_failures_have_reasons(monkeypatch, failure, reason):
    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(escpos_out.socket, "create_connection", fail)
    with pytest.raises(PrinterError) as caught:
        send(b"x", Connection(kind="network", host="printer.lan", timeout=1))
    assert caught.value.reason == reason


def test_send_to_a_file_appends(tmp_path):
    """Only in the instance folder's printer-out (made by the first job), never elsewhere."""
    place = Place(instance=str(tmp_path))
    send(b"first", Connection(kind="file", path="printer-out/jobs.bin", place=place))
    spool = tmp_path / "printer-out" / "jobs.bin"
    send(b"second", Connection(kind="file", path=str(spool), place=place))
    assert spool.read_bytes() == b"firstsecond"
    send(b"dropped", Connection())  # kind "none"
    with pytest.raises(PrinterError) as caught:
        send(b"x", Connection(kind="file", path=str(tmp_path / "jobs.bin"), place=place))
    assert caught.value.reason == "unsafe" and not (tmp_path / "jobs.bin").exists()


def test_send_to_a_missing_device_creates_nothing():
    path = "/dev/usb/lp999"
    with pytest.raises(PrinterError) as caught:
        send(b"x", Connection(kind="file", path=path))
    assert caught.value.reason == "unreachable"
    assert not os.path.exists(path)


def test_send_to_a_device_like_pipe(tmp_path):
    """A FIFO behaves like a printer device (reading, stuck): the writing of a device's job
    on it. A FIFO is not a printer, so ``send`` itself refuses one."""
    (tmp_path / "printer-out").mkdir()
    fifo = tmp_path / "printer-out" / "lp0"
    os.mkfifo(fifo)
    connection = Connection(kind="file", path=str(fifo), timeout=0.3, place=Place(str(tmp_path)))
    with pytest.raises(PrinterError) as caught:
        send(b"x", connection)
    assert caught.value.reason == "unsafe"

    data = receipt_bytes(sale_receipt())
    received = bytearray()

    def read_all() -> None:
        with open(fifo, "rb") as pipe:
            while chunk := pipe.read(65536):
                received.extend(chunk)

    reader = threading.Thread(target=read_all, daemon=True)
    # Open our read end first, non-blocking, so the writer never finds the pipe unread.
    keep = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        reader.start()
        time.sleep(0.05)
        write_device(fifo, data)
    finally:
        os.close(keep)
    reader.join(5)
    assert bytes(received) == data

    stuck = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader that never reads
    try:
        with pytest.raises(PrinterError) as caught:
            write_device(fifo, bytes(1024 * 1024))
        assert caught.value.reason == "timeout"
    finally:
        os.close(stuck)


def test_connection_is_checked():
    with pytest.raises(ValueError):
        Connection(kind="network")
    with pytest.raises(ValueError):
        Connection(kind="network", host="10.0.0.9", port=70000)
    with pytest.raises(ValueError):
        Connection(kind="file")
    with pytest.raises(ValueError):
        Connection(kind="serial")  # type: ignore[arg-type]


def write_device(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        escpos_out._write_device(fd, data, str(path), 0.3)
    finally:
        os.close(fd)


def test_send_to_a_serial_printer(tmp_path):
    """A pseudo-terminal stands for the serial port: every byte arrives, in order. (It is
    not a serial port's name, so ``send`` refuses it: the port is written to directly.)"""
    controller, device = os.openpty()
    data = receipt_bytes(sale_receipt())
    received = bytearray()

    def read() -> None:
        while len(received) < len(data):
            received.extend(os.read(controller, 65536))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        with pytest.raises(PrinterError) as caught:
            send(data, Connection(kind="serial", serial_device=os.ttyname(device), timeout=3))
        assert caught.value.reason == "unsafe"
        escpos_out._write_serial(data, os.ttyname(device), 9600, 3)
        reader.join(5)
    finally:
        os.close(device)
        os.close(controller)
    assert bytes(received) == data


def test_send_to_a_missing_serial_device():
    with pytest.raises(PrinterError) as caught:
        send(b"x", Connection(kind="serial", serial_device="/dev/ttyUSB999", timeout=1))
    assert caught.value.reason == "unreachable"


def test_send_to_a_cups_queue(tmp_path, monkeypatch):
    """A stand-in for lp records its arguments and the job; a refusal becomes "refused"."""
    lp = tmp_path / "lp"
    out = tmp_path / "job"
    lp.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {tmp_path}/args\n'
        '[ "$2" = "broken" ] && { echo "lp: The printer or class does not exist." >&2; '
        "exit 1; }\n"
        f"cat > {out}\n"
    )
    lp.chmod(0o755)
    monkeypatch.setattr(escpos_out, "LP_COMMAND", str(lp))
    data = receipt_bytes(sale_receipt())
    send(data, Connection(kind="cups", cups_queue="Receipt_58", timeout=5))
    assert out.read_bytes() == data
    assert (tmp_path / "args").read_text().split() == ["-d", "Receipt_58", "-o", "raw", "-s", "-"]
    with pytest.raises(PrinterError) as caught:
        send(data, Connection(kind="cups", cups_queue="broken", timeout=5))
    assert caught.value.reason == "refused" and "does not exist" in caught.value.detail
    monkeypatch.setattr(escpos_out, "LP_COMMAND", str(tmp_path / "no-lp-here"))
    with pytest.raises(PrinterError) as caught:
        send(data, Connection(kind="cups", cups_queue="Receipt_58", timeout=5))
    assert caught.value.reason == "unreachable"


def test_a_cups_queue_name_cannot_smuggle_an_option():
    for name in ("-o evil", "", "a b", "x;rm"):
        with pytest.raises(ValueError):
            Connection(kind="cups", cups_queue=name)


def test_an_unplugged_usb_printer_is_unreachable():
    # No such device here (and maybe no libusb at all): either way "unreachable".
    with pytest.raises(PrinterError) as caught:
        send(b"x", Connection(kind="usb", usb_vendor_id=0x0416, usb_product_id=0x5011))
    assert caught.value.reason == "unreachable"


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("size", [22, 24, 28, 32])
def test_codes_amounts_and_moments_laid_out_of_glyphs_are_drawn_dot_for_dot(bold, size):
    """New codes, amounts and moments are pasted glyph by glyph from glyphs kept drawn
    instead of rendered whole by FreeType: at every anchor the receipts use, the dots are
    ImageDraw.text's own, and they are indeed laid out so (not drawn whole again)."""
    import random

    from PIL import ImageDraw

    from shop.printing import receipt as receipt_module

    name = receipt_module._BOLD if bold else receipt_module._REGULAR
    font = receipt_module._font(name, size)
    rng = random.Random(size * 2 + bold)
    texts = [
        *("  " + str(rng.randint(10_000, 999_999)) for _ in range(40)),
        *(format_dong(rng.randint(-999, 99_999) * 1000) for _ in range(40)),
        *(
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2026 {rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}"
            for _ in range(20)
        ),  # fmt: skip
        *("".join(rng.choice("0123456789 .,:/-\u00a0₫×") for _ in range(9)) for _ in range(40)),
    ]
    laid = 0
    for text in texts:
        for anchor, x in (("ls", 4), ("rs", 572), ("ms", 288), ("rs", 381)):
            whole = Image.new("L", (576, 3 * size), 255)
            ImageDraw.Draw(whole).text((x, 2 * size), text, font=font, fill=0, anchor=anchor)
            glyphs = Image.new("L", whole.size, 255)
            if receipt_module._compose(glyphs, (x, 2 * size), text, name, size, anchor):
                laid += 1
                assert glyphs.tobytes() == whole.tobytes(), (text, anchor, x)
    assert laid >= 0.9 * 4 * len(texts)
    # Texts of other letters are never laid out of glyphs.
    assert not receipt_module._compose(whole, (4, 40), "Tổng cộng", name, size, "ls")


@pytest.mark.parametrize("bold", [False, True])
@pytest.mark.parametrize("size", [22, 24, 28, 32])
def test_a_number_after_a_label_is_laid_out_of_the_label_kept_drawn_dot_for_dot(bold, size):
    """A sale's "Hóa đơn số 3001", new on every receipt, is the label kept drawn and the
    number's glyphs after it: the dots are ImageDraw.text's own for labels in Vietnamese
    and English and numbers of every length, and they are indeed laid out so."""
    import random

    from PIL import ImageDraw

    from shop.printing import receipt as receipt_module

    name = receipt_module._BOLD if bold else receipt_module._REGULAR
    font = receipt_module._font(name, size)
    rng = random.Random(size * 2 + bold)
    labels = ("Hóa đơn số", "Sale", "Ca", "Phiếu trả số", "Số", "Ắ", "Đơn hàng: mã", "TỔNG")
    texts = [f"{rng.choice(labels)} {rng.randint(1, 10 ** rng.randint(1, 9))}" for _ in range(120)]
    laid = 0
    for text in texts:
        for x in (4, 13, 200):
            whole = Image.new("L", (576, 3 * size), 255)
            ImageDraw.Draw(whole).text((x, 2 * size), text, font=font, fill=0, anchor="ls")
            glyphs = Image.new("L", whole.size, 255)
            if receipt_module._compose(glyphs, (x, 2 * size), text, name, size, "ls"):
                laid += 1
                assert glyphs.tobytes() == whole.tobytes(), (text, x)
    assert laid >= 0.9 * 3 * len(texts)
    # Only after a label and only at a left anchor; a label alone is a text like any.
    assert not receipt_module._compose(whole, (300, 40), "Hóa đơn số 12", name, size, "rs")
    assert not receipt_module._compose(whole, (4, 40), "Hóa đơn số", name, size, "ls")
    assert not receipt_module._compose(whole, (4, 40), "Size M", name, size, "ls")


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_receipts_of_new_numbers_print_the_dots_of_texts_drawn_whole(paper_mm, monkeypatch):
    """Receipts of many sales, each with its new number, codes, amounts and moment, in
    Vietnamese and English: drawn as they are (texts laid out of glyphs and labels kept
    drawn) and with every text drawn whole by ImageDraw.text, the same dot for dot."""
    import random

    from shop.printing import receipt as receipt_module

    rng = random.Random(paper_mm)
    receipts = []
    for number in range(1, 13):
        lines = [
            ReceiptLine(str(rng.randint(10_000, 99_999_999)), "Áo · Áo sơ mi", 1, price)
            for price in (rng.randint(1, 400) * 1000 for _ in range(rng.randint(1, 4)))
        ]
        receipt = cash_sale(*lines)
        receipts.append(
            sale_receipt(
                number=rng.randint(1, 10**7),
                moment_text=f"0{number % 9 + 1}/12/2026 1{number % 10}:0{number % 7}",
                lines=receipt.lines,
                sale_discount_dong=0,
                total_dong=receipt.total_dong,
                cash_dong=receipt.total_dong,
                tendered_dong=receipt.total_dong + 1000 * number,
                change_dong=1000 * number,
                labels=VI if number % 2 else ReceiptLabels(),
            )
        )

    def drawn(compose) -> list[bytes]:
        monkeypatch.setattr(receipt_module, "_compose", compose)
        receipt_module._masks.clear()
        receipt_module._seen.clear()
        return [render_image(receipt, paper_mm=paper_mm).tobytes() for receipt in receipts]

    laid_out = drawn(receipt_module._compose)
    assert laid_out == drawn(lambda *_args: False)
