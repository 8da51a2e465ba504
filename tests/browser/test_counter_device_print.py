"""Receipts printed by the counter device itself (the server is elsewhere, or there is no
link): RawBT gets a `rawbt:base64,` link, WebUSB writes to the printer's bulk endpoint, the
browser prints the receipt page on the roll's width. Whatever the path, a receipt that did
not print stays listed across reloads with a reprint, and the sale is recorded all the same.
"""

from __future__ import annotations

import base64
import json
import random
import re
import subprocess

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect
from sqlalchemy import select

from shop import clock
from shop.extensions import db
from shop.models import ReceiptPath, Sale
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_counter_app import open_counter, sales, scan_fast, text
from tests.printing.escpos_decoder import decode

pytestmark = pytest.mark.browser

# Links to RawBT are caught before Android would get them, and kept for the test to read.
CATCH_RAWBT = """
window.__rawbt = [];
document.addEventListener("click", (event) => {
  const link = event.target && event.target.closest ? event.target.closest("a") : null;
  if (link && link.href.startsWith("rawbt:")) {
    event.preventDefault();
    window.__rawbt.push(link.href);
  }
}, true);
"""

# A USB printer behind a fake navigator.usb: it records what it is sent and fails while
# `window.__usb.fail` is true, or takes nothing and never answers (out of paper) while
# `window.__usb.stall` is; `chosen` says whether the browser remembers it.
FAKE_USB = """
(() => {
  const state = { fail: %(fail)s, chosen: %(chosen)s, stall: false, sent: [], requested: 0 };
  window.__usb = state;
  const device = {
    opened: false, configuration: null, productName: "XP-58",
    async open() { this.opened = true; },
    async close() { this.opened = false; },
    async selectConfiguration() {
      const endpoints = [
        { direction: "in", type: "bulk", endpointNumber: 2 },
        { direction: "out", type: "bulk", endpointNumber: 1 }];
      this.configuration = {
        interfaces: [{ interfaceNumber: 0, claimed: false, alternates: [{ endpoints }] }] };
    },
    async claimInterface(n) { this.configuration.interfaces[n].claimed = true; },
    async transferOut(endpoint, data) {
      if (state.fail) { throw new DOMException("A transfer error has occurred.", "NetworkError"); }
      if (state.stall) { return new Promise(() => {}); } // out of paper: takes nothing more
      if (endpoint !== 1) { throw new DOMException("wrong endpoint", "NotFoundError"); }
      state.sent.push(...new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return { status: "ok", bytesWritten: data.byteLength };
    },
  };
  Object.defineProperty(Navigator.prototype, "usb", { configurable: true, get: () => ({
    getDevices: async () => (state.chosen ? [device] : []),
    requestDevice: async () => { state.requested += 1; state.chosen = true; return device; },
  }) });
})();
"""

# The browser's Print, in the page or in a frame of it: recorded instead of a dialog.
CATCH_PRINT = """
window.print = () => {
  const top = window.top;
  (top.__printed = top.__printed || []).push(location.href);
};
"""


def use_path(app, path: str, *, paper: int = 58, drawer: int = 2, auto: bool = True) -> None:
    from shop.printing import queue
    from shop.services import members as member_service
    from shop.services import printing as printing_service

    with app.app_context(), app.test_request_context():
        printing_service.save_printer_settings(
            db.session,
            {"receipt_path": ReceiptPath(path), "paper_mm": paper, "drawer_pin": drawer,
             "auto_receipt": auto},
            by=member_service.get_member(db.session, 1),
            at=clock.now(),
            place=queue.printer_place(),
        )  # fmt: skip
        db.session.commit()


def queue_bytes(app, number: int, *, open_drawer: bool) -> bytes:
    from shop.models import JobKind, PrintJob
    from shop.printing.slips import job_bytes
    from shop.services import printing as printing_service

    with app.app_context(), app.test_request_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        job = PrintJob(kind=JobKind.RECEIPT, sale_id=sale.id)
        settings = printing_service.printer_settings(db.session)
        return job_bytes(db.session, job, settings, open_drawer=open_drawer)


def stitched(events) -> Image.Image:
    """The raster bands of a job, one image."""
    bands = [event[1] for event in events if event[0] == "image"]
    whole = Image.new("1", (bands[0].width, sum(band.height for band in bands)), 1)
    top = 0
    for band in bands:
        whole.paste(band, (0, top))
        top += band.height
    return whole


def page_drawing(page) -> Image.Image:
    """The last receipt the page drew, cut to 1 bit the way the server cuts its own."""
    url = page.evaluate("window.counterApp.lastReceipt.canvas.toDataURL('image/png')")
    import io

    grey = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L")
    return grey.point([0 if level < 160 else 255 for level in range(256)], "1")


def rows_inked(image: Image.Image) -> int:
    black = ImageChops.invert(image.convert("L"))
    return sum(1 for y in range(image.height) if black.crop((0, y, image.width, y + 1)).getbbox())


def sell_cash(page, *codes, cash="cash-100000"):
    scan_fast(page, *codes)
    page.wait_for_selector(f'.cart-line[data-code="{codes[-1]}"]')
    page.get_by_test_id(cash).click()
    page.get_by_test_id("pay").click()


def test_rawbt_gets_the_servers_bytes_and_with_no_link_the_pages_own(
    app, phone, live_server, rail_items
):
    use_path(app, "rawbt")
    phone.add_init_script(CATCH_RAWBT)
    open_counter(phone, live_server)
    sell_cash(phone, "10008", "10019")
    phone.wait_for_selector('[data-testid="sale-number"]')
    phone.wait_for_function("() => window.__rawbt.length === 1")
    url = phone.evaluate("window.__rawbt[0]")
    assert url.startswith("rawbt:base64,")
    data = base64.b64decode(url.removeprefix("rawbt:base64,"), validate=True)
    [(_client, total, _lines)] = sales(app)
    assert total == 95_000
    # Exactly what the server's queue would have sent, the drawer's kick included (cash).
    assert data == queue_bytes(app, 1, open_drawer=True)
    events = decode(data)
    assert stitched(events).width == 384 and ("cashdraw", 2) in events and events[-1] == ("cut",)
    expect(phone.get_by_test_id("device-print-status")).to_have_text("Đã gửi hóa đơn tới máy in.")
    assert phone.get_by_test_id("unprinted-receipts").is_hidden()

    # No link: the sale is kept on the device and its receipt made in the page.
    phone.context.set_offline(True)
    sell_cash(phone, "10024", cash="cash-exact")
    phone.wait_for_selector('[data-testid="queued"]')
    phone.wait_for_function("() => window.__rawbt.length === 2", timeout=15_000)
    data = base64.b64decode(phone.evaluate("window.__rawbt[1]").removeprefix("rawbt:base64,"))
    events = decode(data)
    assert events[0][0] == "image" and ("cashdraw", 2) in events and events[-1] == ("cut",)
    image = stitched(events)
    drawn = page_drawing(phone)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "device-receipt-offline-rawbt.png")
    assert image.size == (384, drawn.height) and drawn.width == 384
    assert ImageChops.difference(image.convert("L"), drawn.convert("L")).getbbox() is None
    assert rows_inked(image) > 150 and image.height > 400
    model = phone.evaluate("window.counterApp.lastReceipt.model")
    assert model["shop_name"] and model["total"] == 80_000 and model["cash"] == 80_000
    assert model["lines"][0]["code"] == "10024" and model["title"] == "HÓA ĐƠN"
    # Rows of ink near the top (the shop's name) and the total's large row further down.
    assert rows_inked(image.crop((0, 0, 384, 40))) > 15
    screenshot(phone, "device-print-rawbt-offline")
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.get_by_test_id("link-state")).to_have_text("Đã gửi hết", timeout=20_000)
    assert [t for _c, t, _l in sales(app)] == [95_000, 80_000]
    assert phone.console_errors == []


def test_webusb_failure_is_listed_across_reloads_and_reprints(app, phone, live_server, rail_items):
    use_path(app, "webusb", drawer=5)
    phone.add_init_script(FAKE_USB % {"fail": "true", "chosen": "false"})
    open_counter(phone, live_server)
    sell_cash(phone, "10008")
    phone.wait_for_selector('[data-testid="sale-number"]')
    listed = phone.get_by_test_id("unprinted-receipt")
    expect(listed).to_have_count(1)
    assert "Hóa đơn 1 chưa in được." in text(listed)
    assert "Chưa chọn máy in USB" in text(listed.get_by_test_id("unprinted-reason"))
    assert len(sales(app)) == 1  # the sale is recorded whatever the printer does
    # She chooses the printer: the browser remembers it, but its cable is loose.
    phone.get_by_test_id("choose-usb").click()
    expect(listed.get_by_test_id("unprinted-reason")).to_contain_text("Máy in USB không nhận")
    screenshot(phone, "device-print-webusb-not-printed")
    phone.reload()
    phone.wait_for_selector('[data-testid="link-state"][data-state="online"]')
    expect(phone.get_by_test_id("unprinted-receipt")).to_have_count(1)
    expect(phone.get_by_test_id("unprinted-receipts")).to_contain_text("Hóa đơn chưa in được")
    # Plugged in properly: one tap prints it, without opening the drawer again.
    phone.evaluate("window.__usb.chosen = true; window.__usb.fail = false")
    phone.get_by_test_id("reprint-receipt").click()
    expect(phone.get_by_test_id("unprinted-receipt")).to_have_count(0)
    assert phone.get_by_test_id("unprinted-receipts").is_hidden()
    sent = bytes(phone.evaluate("window.__usb.sent"))
    assert sent == queue_bytes(app, 1, open_drawer=False)
    assert not [e for e in decode(sent) if e[0] == "cashdraw"]
    # The next cash sale prints at once with the drawer's kick on pin 5.
    phone.evaluate("window.__usb.sent.length = 0")
    sell_cash(phone, "10019")
    expect(phone.get_by_test_id("device-print-status")).to_have_text("Đã gửi hóa đơn tới máy in.")
    sent = bytes(phone.evaluate("window.__usb.sent"))
    assert sent == queue_bytes(app, 2, open_drawer=True) and ("cashdraw", 5) in decode(sent)
    assert phone.console_errors == []


def test_a_usb_printer_that_stops_taking_data_lists_its_receipts(
    app, phone, live_server, rail_items
):
    """Out of paper, a USB printer stops taking data and WebUSB waits for ever: after the
    wait the receipt is listed as not printed (the receipts after it are not held up behind
    it), and prints with one tap once there is paper."""
    use_path(app, "webusb", drawer=5)
    phone.add_init_script(FAKE_USB % {"fail": "false", "chosen": "true"})
    open_counter(phone, live_server)
    phone.evaluate(
        """async () => {
          const print = await import('/static/js/counter/device_print.js');
          print.usbLimits.waitMs = 1000;
          window.__usb.stall = true;
        }"""
    )
    sell_cash(phone, "10008")
    phone.wait_for_selector('[data-testid="sale-number"]')
    sell_cash(phone, "10019")
    listed = phone.get_by_test_id("unprinted-receipt")
    expect(listed).to_have_count(2, timeout=15_000)
    for reason in listed.get_by_test_id("unprinted-reason").all():
        assert "Máy in USB không nhận hóa đơn" in text(reason)
    assert len(sales(app)) == 2  # the sales are recorded whatever the printer does
    # Paper again: each prints with one tap, without opening the drawer again.
    phone.evaluate("window.__usb.stall = false; window.__usb.sent.length = 0")
    for left in (1, 0):
        phone.get_by_test_id("reprint-receipt").first.click()
        expect(listed).to_have_count(left)
    sent = bytes(phone.evaluate("window.__usb.sent"))
    one, two = queue_bytes(app, 1, open_drawer=False), queue_bytes(app, 2, open_drawer=False)
    assert sent in (one + two, two + one)
    assert phone.console_errors == []


def pdf_size_mm(path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(row for row in info.stdout.splitlines() if row.startswith("Page size:"))
    width, height = (float(v) for v in line.split(":")[1].split("pts")[0].split(" x "))
    return width * 25.4 / 72, height * 25.4 / 72


def test_browser_prints_the_receipt_page_on_the_roll(app, browser, phone, live_server, rail_items):
    use_path(app, "browser", paper=58)
    phone.add_init_script(CATCH_PRINT)
    open_counter(phone, live_server)
    sell_cash(phone, "10008", "10019")
    phone.wait_for_selector('[data-testid="sale-number"]')
    phone.wait_for_function("() => (window.__printed || []).length === 1")
    printed = phone.evaluate("window.__printed[0]")
    assert printed == f"{live_server}/counter/sales/1/receipt?paper=58"
    expect(phone.get_by_test_id("no-drawer")).to_contain_text("không mở được ngăn kéo tiền")
    expect(phone.get_by_test_id("device-print-status")).to_have_text("Đã gửi hóa đơn tới máy in.")
    screenshot(phone, "device-print-browser")
    # The receipt page as the printer gets it: the roll's width, as long as the receipt.
    cookies = phone.context.cookies()
    for paper, width in ((58, 58), (80, 80)):
        context = browser.new_context()
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(f"{live_server}/counter/sales/1/receipt?paper={paper}")
        page.wait_for_load_state("load")
        pdf = ARTIFACTS / f"device-receipt-{paper}.pdf"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        context.close()
        w, h = pdf_size_mm(pdf)
        assert abs(w - width) < 0.5, (paper, w)
        assert 60 < h < 200, (paper, h)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
            check=True,
        )
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M)  # one page: the whole receipt

    # With no link the page prints its own drawing of the receipt.
    phone.context.set_offline(True)
    sell_cash(phone, "10024", cash="cash-exact")
    phone.wait_for_selector('[data-testid="queued"]')
    phone.wait_for_function("() => (window.__printed || []).length === 2", timeout=15_000)
    assert phone.evaluate("window.__printed[1]").startswith(f"{live_server}/counter/")
    drawn = phone.get_by_test_id("drawn-receipt")
    assert drawn.evaluate("img => img.naturalWidth") == 384
    phone.context.set_offline(False)
    assert phone.console_errors == []


def test_the_pages_packing_is_byte_for_byte_pythons(phone, live_server, rail_items):
    """The page's `GS v 0` packer against python-escpos on the same 1-bit image: a width
    that is not a whole number of bytes, more rows than one band, the drawer, the cut."""
    from escpos.printer import Dummy

    open_counter(phone, live_server)
    rng = random.Random(18)
    width, height = 383, 1000
    image = Image.new("1", (width, height), 1)
    black = [rng.random() < 0.3 for _ in range(width * height)]
    image.putdata([0 if dot else 1 for dot in black])
    for drawer, cutter in ((2, True), (5, False), (0, True)):
        made = phone.evaluate(
            """async ([width, height, black, drawer, cutter]) => {
              const escpos = await import('/static/js/counter/escpos.js');
              const image = { width, height, black: Uint8Array.from(black) };
              return Array.from(escpos.receiptJob(image, { drawerPin: drawer, cutter }));
            }""",
            [width, height, [int(dot) for dot in black], drawer, cutter],
        )
        printer = Dummy(profile="default")
        printer.hw("INIT")
        printer.image(image, impl="bitImageRaster", fragment_height=960)
        if drawer:
            printer.cashdraw(drawer)
        if cutter:
            printer.cut()
        else:
            printer.print_and_feed(5)
        assert bytes(made) == printer.output, (drawer, cutter)
    # Grey to black and white as Pillow does it: every grey level, coloured dots too.
    pixels = [(level, level, level) for level in range(256)] + [
        (rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(744)
    ]
    bits = phone.evaluate(
        """async (pixels) => {
          const escpos = await import('/static/js/counter/escpos.js');
          const data = new Uint8ClampedArray(pixels.length * 4);
          pixels.forEach(([r, g, b], i) => data.set([r, g, b, 255], i * 4));
          return Array.from(escpos.toBits({ width: pixels.length, height: 1, data }).black);
        }""",
        pixels,
    )
    grey = Image.new("RGB", (len(pixels), 1))
    grey.putdata(pixels)
    expected = [1 if level < 160 else 0 for level in grey.convert("L").tobytes()]
    assert bits == expected
    assert json.dumps(phone.console_errors) == "[]"
