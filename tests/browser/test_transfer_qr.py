"""The transfer's VietQR code, read back by a QR decoder from what the screen shows.

A code that the page shrinks without its drawing (an SVG with a fixed size and no viewBox)
is cropped and no bank app can read it; these tests take the screenshot a phone would show
and decode it with zxing-cpp, on the sale page and on the browser receipt at 58 and 80 mm.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image

from reliability.chromium import open_counter, sign_in
from shop.domain import bank as bank_code
from shop.domain import vietqr
from shop.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.conftest import save_shop

pytestmark = pytest.mark.browser

EXPECTED = vietqr.payload(
    vietqr.BankAccount("970415", "113366668888"),
    50_000,
    bank_code.purpose(bank_code.sale_code(1), "NEW ME – Đồ cũ"),
)


@pytest.fixture
def waiting_transfer(app, coordinator, member):
    """A shop with its bank account and one 50.000 ₫ item, 10008, for Ngọc to sell by transfer."""
    from shop.models import IntakeKind
    from shop.services import members as svc
    from shop.services import stock

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with app.app_context(), app.test_request_context():
        hong = svc.get_member(db.session, 1)
        save_shop(db.session)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)),
            by=hong,
            tz=tz,
        )
        stock.add_item(
            db.session, intake, stock.ItemDetails("Áo", 50_000, "Áo sơ mi", code="10008")
        )
        db.session.commit()


def _sign_in_and_sell(page, live_server):
    sign_in(page, live_server, "0912000002", "1357")
    open_counter(page, live_server, opening_float="0")
    page.goto(f"{live_server}/counter/basic")  # the server-rendered cart (no JavaScript)
    page.get_by_label("Mã hàng").fill("10008")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator("label.pill", has_text="Chuyển khoản").first.click()
    page.get_by_role("button", name="Thanh toán").click()
    page.wait_for_url(f"{live_server}/counter/sales/1")


def _read_codes(page, name: str) -> list[str]:
    """Scroll the QR into view, take the viewport as a phone shows it, decode every code."""
    page.locator("svg.segno").first.scroll_into_view_if_needed()
    png = page.screenshot()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    image = Image.open(BytesIO(png)).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(image)]


def _qr_box(page) -> dict:
    """Where the drawing of the code is, and where its box is, in CSS pixels."""
    return page.evaluate(
        """() => {
          const svg = document.querySelector('svg.segno');
          const box = svg.getBoundingClientRect();
          const drawing = svg.querySelector('path').getBoundingClientRect();  // quiet zone included
          return {width: box.width, height: box.height,
                  drawingWidth: drawing.width, drawingHeight: drawing.height,
                  right: box.right, viewport: window.innerWidth};
        }"""
    )


@pytest.mark.parametrize("scale", [1, 2])
def test_the_sale_pages_code_scans_from_a_360_phone_screen(
    browser, live_server, waiting_transfer, scale
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=scale,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    page = context.new_page()
    _sign_in_and_sell(page, live_server)
    assert _read_codes(page, f"qr-sale-360-x{scale}") == [EXPECTED]
    box = _qr_box(page)
    # The whole drawing is inside its box (nothing cut off) and the box inside the screen.
    assert abs(box["drawingWidth"] - box["width"]) < 1, box
    assert abs(box["drawingHeight"] - box["height"]) < 1, box
    assert box["right"] <= box["viewport"], box
    assert box["width"] >= 200, box  # large enough for a phone camera at arm's length
    context.close()


@pytest.mark.parametrize("paper", ["58", "80"])
def test_the_browser_receipts_code_scans_at_thermal_widths(
    browser, live_server, waiting_transfer, paper
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    page = context.new_page()
    _sign_in_and_sell(page, live_server)
    page.goto(f"{live_server}/counter/sales/1/receipt?paper={paper}")
    assert _read_codes(page, f"qr-receipt-{paper}") == [EXPECTED]
    box = _qr_box(page)
    assert abs(box["drawingWidth"] - box["width"]) < 1, box
    assert abs(box["drawingHeight"] - box["height"]) < 1, box
    receipt_width = page.evaluate("document.querySelector('main.receipt').clientWidth")
    assert box["width"] <= receipt_width + 0.5, (box, receipt_width)
    # Printed as the browser prints it on a roll of that width, the code still reads.
    pdf = ARTIFACTS / f"qr-receipt-{paper}-printed.pdf"
    pdf.write_bytes(page.pdf(width=f"{paper}mm", height="200mm", print_background=True))
    assert _decode_pdf(pdf) == [EXPECTED]
    context.close()


def _decode_pdf(pdf: Path) -> list[str]:
    """The codes on the PDF's first page, rendered at a thermal printer's 203 dpi."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "203", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
        check=True,
    )
    image = Image.open(pdf.with_suffix(".png")).convert("L")
    return [code.text for code in zxingcpp.read_barcodes(image)]
