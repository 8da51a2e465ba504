"""A coordinator on a phone sets up a TSPL label printer, receives a donation of five items,
prints their five tags in one tap, and one tag's barcode finds its item at the counter."""

from __future__ import annotations

import pytest
import zxingcpp

from shop.extensions import db
from shop.printing import queue
from tests.browser.conftest import ARTIFACTS, page_width, screenshot
from tests.browser.test_intake import shop_with_prices  # noqa: F401  (fixture)
from tests.conftest import DEMO_PIN
from tests.printing.fake_printer import FakePrinter
from tests.printing.tspl_decoder import decode

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("shop_with_prices")
def test_set_up_a_label_printer_and_print_a_donations_five_tags(phone, live_server, app):
    phone.goto(f"{live_server}/sign-in")
    phone.get_by_label("Số điện thoại").fill("0912000001")
    phone.get_by_label("Mã PIN").fill(DEMO_PIN)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"{live_server}/")

    with FakePrinter("read_all") as printer:
        # The label printer: from the receipt printer's page, one link away.
        phone.goto(f"{live_server}/printer/")
        phone.get_by_test_id("to-label-printer").click()
        phone.get_by_label("Máy in tem giá").select_option("tspl")
        phone.get_by_label("Máy in tem nối với máy tính thế nào").select_option("network")
        phone.get_by_label("Địa chỉ IP hoặc tên").fill("127.0.0.1")
        phone.get_by_label("Cổng").fill(str(printer.port))
        phone.get_by_label("Cuộn tem").select_option("40x30")
        assert not phone.get_by_label("Chiều rộng tem (mm)").is_visible()
        screenshot(phone, "label-printer-settings-360")
        phone.get_by_role("button", name="Lưu").click()
        phone.wait_for_url(f"{live_server}/printer/label-printer")
        assert "In tem thử" in phone.get_by_test_id("test-label").inner_text()
        assert page_width(phone) <= 360

        # A donation of five items.
        phone.goto(f"{live_server}/intake/new")
        phone.get_by_label("Người tặng", exact=True).fill("Chị Lan")
        phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()
        phone.get_by_label("Loại hàng").select_option(label="Áo")
        phone.get_by_role("radio", name="Tốt", exact=True).check()
        for description, size in [
            ("Áo sơ mi trắng", "M"),
            ("Áo len xanh", "L"),
            ("Áo dài lụa tơ tằm", "S"),
            ("Áo khoác jean", "XL"),
            ("Áo phông kẻ", "M"),
        ]:
            phone.get_by_label("Mô tả").fill(description)
            phone.get_by_label("Cỡ").fill(size)
            phone.get_by_role("button", name="Lưu và thêm món tiếp").click()
            phone.wait_for_load_state()
        assert phone.locator(".item-row").count() == 5
        codes = phone.locator('input[name="codes"]').first.input_value().split()
        assert len(codes) == 5

        # Five tags in one tap.
        button = phone.get_by_role("button", name="In 5 tem trên máy in tem")
        screenshot(phone, "label-intake-print-tags-360")
        button.click()
        phone.wait_for_load_state()
        assert "5 nhãn đang được gửi đến máy in." in phone.locator(".flash").inner_text()
        with app.app_context():
            assert queue.run_due(db.session) == 1
        printer.thread.join(5)

    job = decode(bytes(printer.received))
    labels = job.labels(1, 40)
    assert len(labels) == 5
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, label in enumerate(labels, 1):
        label.save(ARTIFACTS / f"label-tspl-intake-{number}.png")
    read = [code.text for code in zxingcpp.read_barcodes(labels[2].convert("L"))]
    assert read == [codes[2]]

    # The code the tag scans to finds its item at the counter.
    phone.goto(f"{live_server}/counter/")
    if phone.get_by_label("Tiền đầu ca").count():
        phone.get_by_label("Tiền đầu ca").fill("200k")
        phone.get_by_role("button", name="Mở ca").click()
        phone.wait_for_url(f"{live_server}/counter/")
    phone.goto(f"{live_server}/counter/basic")
    phone.wait_for_load_state()
    with phone.expect_navigation():
        phone.keyboard.type(read[0])
        phone.keyboard.press("Enter")
    assert phone.locator(".cart-line").count() == 1
    assert "Áo dài lụa tơ tằm" in phone.locator(".cart-line").inner_text()
    screenshot(phone, "label-scanned-at-counter-360")
    assert phone.console_errors == [] and phone.foreign_requests == []
