"""The receipt printer on a phone: set it up, sell with the cable pulled, reprint in one tap."""

import pytest
from playwright.sync_api import expect

from shop.printing import queue
from shop.services import printing as printing_service
from tests.browser.conftest import page_width, screenshot
from tests.printing.escpos_decoder import decode
from tests.printing.fake_printer import FakePrinter, free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def print_thread(app, monkeypatch):
    """The real background thread of the print queue, stopped after the test."""
    monkeypatch.setattr(printing_service, "SEND_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(queue, "RETRY_DELAYS", (2,))
    app.config["PRINT_WORKER"] = "thread"
    yield
    app.config["PRINT_WORKER"] = "off"
    worker = app.extensions.pop("print_worker", None)
    if worker is not None:
        worker.stop()
        worker.join(5)


def test_set_up_the_printer_sell_with_the_cable_out_and_reprint(
    phone, live_server, three_items, print_thread
):
    page = phone
    port = free_port()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill("0912000001")
    page.get_by_label("Mã PIN").fill("2468")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Máy in hóa đơn").click()
    expect(page.get_by_label("Địa chỉ IP hoặc tên")).to_be_hidden()  # the script has run
    page.get_by_label("Máy in nối bằng gì").select_option("network")
    expect(page.get_by_label("Mã hãng USB")).to_be_hidden()
    page.get_by_label("Địa chỉ IP hoặc tên").fill("127.0.0.1")
    page.get_by_label("Cổng").fill(str(port))
    page.get_by_label("Ngăn kéo tiền").select_option("2")
    screenshot(page, "printer-settings-360")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu")
    assert page_width(page) <= 360

    # The printer's cable is out: the sale goes through all the same.
    page.goto(f"{live_server}/counter/")
    page.get_by_label("Tiền đầu ca").fill("200k")
    page.get_by_role("button", name="Mở ca").click()
    page.wait_for_url(f"{live_server}/counter/")
    page.goto(f"{live_server}/counter/basic")  # the server-rendered cart (no JavaScript)
    for code in ("10008", "10019"):
        with page.expect_navigation():
            page.get_by_label("Quét hoặc gõ mã hàng").fill(code)
            page.keyboard.press("Enter")
    page.get_by_label("Khách đưa").fill("100k")
    page.get_by_role("button", name="Thanh toán 95.000").click()
    page.wait_for_url(f"{live_server}/counter/sales/1")
    expect(page.get_by_test_id("change")).to_contain_text("5.000")
    status = page.get_by_test_id("print-status")
    expect(status).to_contain_text("Hóa đơn chưa in được", timeout=15_000)
    screenshot(page, "printer-not-printed-360")

    page.get_by_role("link", name="Bán tiếp").first.click()
    banner = page.get_by_test_id("unprinted")
    expect(banner).to_contain_text("Hóa đơn 1 chưa in được.")
    screenshot(page, "printer-counter-banner-360")

    # Plugged back in: one tap on the banner, and it prints.
    with FakePrinter("read_all", port=port) as printer:
        banner.get_by_role("button", name="In lại").click()
        page.wait_for_url(f"{live_server}/counter/")
        page.goto(f"{live_server}/counter/sales/1")
        expect(page.get_by_test_id("print-status")).to_contain_text(
            "Đã in hóa đơn.", timeout=15_000
        )
        printer.thread.join(5)
    assert decode(bytes(printer.received))[0][0] == "image"
    screenshot(page, "printer-printed-360")
    page.goto(f"{live_server}/counter/")
    assert page.get_by_test_id("unprinted").count() == 0
    assert page.foreign_requests == [] and page.console_errors == []
