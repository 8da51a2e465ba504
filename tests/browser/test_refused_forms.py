"""Every refused form on a phone: what she typed is kept, the folded panel holding it is
open, the first message is in view and the cursor is in its field (issue 14, point 8).

Each test fills a form the way a member gets it wrong (a price that is not an amount, a lot
of 0 pieces, a payout above what is due, a refund or a void with no reason, a line discount
with no reason), sends it, and looks at the page that comes back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reliability.chromium import sign_in
from tests.browser.conftest import screenshot
from tests.conftest import DEMO_PIN, TRIAL_PINS

pytestmark = pytest.mark.browser


def refused_here(page, field_id: str, message: str) -> None:
    """The message beside ``field_id`` is on the screen and the cursor is in the field."""
    error = page.locator(f"#{field_id}-error")
    expect(error).to_contain_text(message)
    page.wait_for_load_state()  # shop.js brings it into view once the page is loaded
    expect(error).to_be_in_viewport()
    expect(page.locator(f"#{field_id}")).to_be_in_viewport()
    assert page.evaluate("document.activeElement && document.activeElement.id") == field_id


@pytest.fixture
def intake_page(app, phone, live_server, coordinator, member):
    """A coordinator on the page of a new donation, ready to add its items."""
    from shop.extensions import db
    from shop.services import stock

    with app.app_context():
        stock.seed_categories(db.session)
        db.session.commit()
    sign_in(phone, live_server, "0912000001", DEMO_PIN)
    phone.goto(f"{live_server}/intake/new")
    phone.get_by_role("button", name="Tiếp: thêm các món hàng").click()
    phone.wait_for_url("**/intake/N*")
    return phone


def test_an_intake_price_that_is_not_an_amount(intake_page):
    phone = intake_page
    phone.get_by_label("Loại hàng").select_option(label="Áo")
    phone.get_by_label("Mô tả").fill("Áo khoác jean")
    phone.get_by_label("Cỡ").fill("L")
    phone.get_by_label("Giá").fill("bốn lăm")
    phone.get_by_role("button", name="Lưu và thêm món tiếp").click()
    refused_here(phone, "price_dong", "")
    assert phone.get_by_label("Giá").input_value() == "bốn lăm"
    assert phone.get_by_label("Mô tả").input_value() == "Áo khoác jean"
    assert phone.get_by_label("Cỡ").input_value() == "L"
    assert phone.get_by_label("Loại hàng").locator("option:checked").inner_text() == "Áo"
    screenshot(phone, "refused-intake-price-360")


def test_a_lot_of_no_pieces(intake_page):
    phone = intake_page
    phone.get_by_label("Loại hàng").select_option(label="Phụ kiện")
    phone.get_by_label("Mô tả").fill("Tất")
    phone.get_by_label("Giá").fill("10k")
    phone.locator("#is_lot").check()
    phone.locator("#quantity").fill("0")
    phone.get_by_role("button", name="Lưu và thêm món tiếp").click()
    refused_here(phone, "quantity", "từ 1 đến 100000")
    assert phone.locator("#is_lot").is_checked()
    assert phone.locator("#quantity").input_value() == "0"
    assert phone.get_by_label("Giá").input_value() == "10k"
    assert phone.get_by_label("Mô tả").input_value() == "Tất"
    screenshot(phone, "refused-lot-quantity-360")


def test_a_payout_above_what_is_due(phone, live_server, trial):
    sign_in(phone, live_server, "0912000001", TRIAL_PINS[1])
    phone.goto(f"{live_server}/months/2027-01/payouts")
    phone.get_by_label("Số tiền").fill("99.000.000")
    phone.get_by_label("Ghi chú").fill("trả tiền mặt")
    phone.get_by_role("button", name="Lưu").click()
    refused_here(phone, "amount_dong", "")
    assert phone.get_by_label("Số tiền").input_value() == "99.000.000"
    assert phone.get_by_label("Ghi chú").input_value() == "trả tiền mặt"
    screenshot(phone, "refused-payout-360")


@pytest.fixture
def a_sale(phone, live_server, three_items):
    """Ngọc at the counter: a shift open and sale 1, the white shirt paid in cash."""
    sign_in(phone, live_server, "0912000002", "1357")
    phone.goto(f"{live_server}/counter/basic")
    phone.get_by_label("Tiền đầu ca").fill("200k")
    phone.get_by_role("button", name="Mở ca").click()
    phone.goto(f"{live_server}/counter/basic")
    phone.locator("#code").fill("10008")
    with phone.expect_navigation():
        phone.locator("#code").press("Enter")
    phone.locator("#code").fill("10019")
    with phone.expect_navigation():
        phone.locator("#code").press("Enter")
    phone.get_by_label("Khách đưa").fill("100k")
    phone.get_by_role("button", name="Thanh toán").click()
    phone.wait_for_url(f"{live_server}/counter/sales/1")
    return phone


def test_a_refund_with_no_reason(a_sale, live_server):
    phone = a_sale
    phone.get_by_text("Trả hàng, hoàn tiền").click()
    phone.locator("#refund-line").select_option(index=1)
    phone.get_by_label("Số tiền hoàn lại").fill("20k")
    phone.get_by_role("button", name="Hoàn tiền").click()
    expect(phone.locator("details#refund")).to_have_attribute("open", "")
    refused_here(phone, "reason", "")
    assert phone.get_by_label("Số tiền hoàn lại").input_value() == "20k"
    assert phone.locator("#refund-line").input_value() == "1"
    screenshot(phone, "refused-refund-360")


def test_a_void_with_no_reason(a_sale, live_server):
    phone = a_sale
    phone.get_by_text("Hủy hóa đơn này").click()
    phone.get_by_role("button", name="Hủy hóa đơn").click()
    expect(phone.locator("details#void")).to_have_attribute("open", "")
    refused_here(phone, "void-reason", "lý do")
    screenshot(phone, "refused-void-360")


def test_a_line_discount_with_no_reason_at_the_simple_counter(phone, live_server, three_items):
    sign_in(phone, live_server, "0912000002", "1357")
    phone.goto(f"{live_server}/counter/basic")
    phone.get_by_label("Tiền đầu ca").fill("200k")
    phone.get_by_role("button", name="Mở ca").click()
    phone.goto(f"{live_server}/counter/basic")
    for code in ("10008", "10019", "10024"):  # three lines: the refused one is the last
        phone.locator("#code").fill(code)
        with phone.expect_navigation():
            phone.locator("#code").press("Enter")
    line = phone.locator('.cart-line[data-code="10024"]')
    line.locator("summary").click()
    line.get_by_label("Giảm giá", exact=True).fill("10k")
    line.get_by_role("button", name="Lưu").click()
    phone.wait_for_load_state()
    line = phone.locator('.cart-line[data-code="10024"]')
    expect(line.locator("details")).to_have_attribute("open", "")
    reason_id = line.get_by_label("Lý do giảm giá").get_attribute("id")
    refused_here(phone, reason_id, "Hãy ghi lý do giảm giá")
    assert line.get_by_label("Giảm giá", exact=True).input_value() == "10k"
    assert phone.get_by_test_id("total").inner_text().replace("\xa0", " ") == "175.000 ₫"
    screenshot(phone, "refused-line-discount-basic-360")
    line.get_by_label("Lý do giảm giá").fill("vết bẩn")
    line.get_by_role("button", name="Lưu").click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("total").inner_text().replace("\xa0", " ") == "165.000 ₫"


def test_a_line_discount_with_no_reason_stops_pay_at_the_counter(
    app, phone, live_server, rail_items
):
    from reliability.chromium import open_counter

    sign_in(phone, live_server, "0912000002", "1357")
    open_counter(phone, live_server, opening_float="200k")
    phone.wait_for_selector('[data-testid="link-state"][data-state="online"]')
    for code in ("10008", "10019", "10024", "10030"):
        phone.keyboard.type(code, delay=0)
        phone.keyboard.press("Enter")
    phone.wait_for_selector(".cart-line:nth-child(4)")
    line = phone.locator('.cart-line[data-code="10019"]')
    line.locator("summary").click()
    line.get_by_label("Giảm giá", exact=True).fill("5k")  # no reason
    line.locator("summary").click()  # folded again: the message out of sight
    phone.get_by_label("Khách đưa").fill("500k")
    phone.get_by_test_id("pay").click()
    expect(line.locator("details")).to_have_attribute("open", "")
    expect(line.get_by_test_id("line-discount-message")).to_contain_text("Hãy ghi lý do")
    expect(line.get_by_test_id("line-discount-message")).to_be_in_viewport()
    reason_id = line.get_by_label("Lý do giảm giá").get_attribute("id")
    assert phone.evaluate("document.activeElement && document.activeElement.id") == reason_id
    assert line.get_by_label("Giảm giá", exact=True).input_value() == "5k"
    screenshot(phone, "refused-line-discount-app-360")
    with app.app_context():
        from sqlalchemy import func, select

        from shop.extensions import db
        from shop.models import Sale

        assert db.session.scalar(select(func.count(Sale.id))) == 0  # not sold at full price
