import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def run_a_shift(page, live_server, name):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill("0912000002")
    page.get_by_label("Mã PIN").fill("1357")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Quầy bán").first.click()
    page.get_by_label("Tiền đầu ca").fill("200k")
    page.get_by_role("button", name="Mở ca").click()
    page.wait_for_url(f"{live_server}/counter/")
    # The counter without JavaScript (the app in the page is tested in test_counter_app.py).
    page.goto(f"{live_server}/counter/basic")
    # A USB scanner types the code and Enter; the code box keeps the focus.
    for code in ("10008", "10019", "10024"):
        page.wait_for_load_state()
        assert page.evaluate("document.activeElement.id") == "code"
        with page.expect_navigation():
            page.keyboard.type(code)
            page.keyboard.press("Enter")
    assert page.locator(".cart-line").count() == 3
    assert page.get_by_test_id("total").inner_text().replace("\xa0", " ") == "175.000 ₫"
    screenshot(page, f"counter-cart-{name}")
    page.get_by_label("Khách đưa").fill("200.000")
    page.get_by_role("button", name="Thanh toán 175.000").click()
    page.wait_for_url(f"{live_server}/counter/sales/1")
    assert page.get_by_test_id("change").inner_text().replace("\xa0", " ") == "25.000 ₫"
    screenshot(page, f"counter-change-{name}")
    page.goto(f"{live_server}/counter/sales/1/receipt?paper=58")
    assert "HÓA ĐƠN" in page.locator("h2").inner_text()
    screenshot(page, f"receipt-58-{name}")
    page.go_back()
    page.get_by_role("link", name="Bán tiếp").first.click()
    page.get_by_role("link", name="Đóng ca").click()
    assert page.get_by_test_id("expected").inner_text().replace("\xa0", " ") == "375.000 ₫"
    page.get_by_label("Tiền đếm cuối ca").fill("370k")
    screenshot(page, f"counter-close-{name}")
    page.get_by_role("button", name="Đóng ca").click()
    flash = page.locator(".flash").inner_text().replace("\xa0", " ")
    screenshot(page, f"z-report-{name}")
    assert "chênh lệch -5.000 ₫" in flash
    assert page.foreign_requests == [] if hasattr(page, "foreign_requests") else True


def test_a_shift_at_the_counter_on_a_phone(phone, live_server, three_items):
    run_a_shift(phone, live_server, "360")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.console_errors == []


def test_a_shift_at_the_counter_on_a_laptop(browser, live_server, three_items):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    run_a_shift(page, live_server, "1280")
    context.close()
