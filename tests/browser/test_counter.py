import pytest

from tests.browser.conftest import page_width, screenshot, watch_requests

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
    # Blind: nothing on the page says what the drawer should hold before she counts.
    assert page.get_by_test_id("expected").count() == 0
    assert "375.000" not in page.locator("main").inner_text()
    page.get_by_label("Tiền đếm cuối ca").fill("370k")
    screenshot(page, f"counter-close-{name}")
    page.get_by_role("button", name="Đóng ca").click()
    page.wait_for_url(f"{page.url.split('/counter/')[0]}/counter/shifts/1/count")
    assert page.get_by_test_id("expected").inner_text().replace("\xa0", " ") == "375.000 ₫"
    difference = page.get_by_test_id("difference").inner_text().replace("\xa0", " ")
    assert difference == "-5.000 ₫ (thiếu)"
    screenshot(page, f"counter-count-{name}")
    page.get_by_label("Vì sao có chênh lệch?").fill("Trả thừa tiền cho khách")
    page.get_by_role("button", name="Lưu ghi chú").click()
    page.wait_for_url("**/counter/z/shift/1")
    assert "Trả thừa tiền cho khách" in page.get_by_test_id("count-note").inner_text()
    screenshot(page, f"z-report-{name}")
    assert page.foreign_requests == []  # fonts, icons and scripts all come from the shop


def test_a_shift_at_the_counter_on_a_phone(phone, live_server, three_items):
    run_a_shift(phone, live_server, "360")
    assert page_width(phone) <= 360
    assert phone.console_errors == []


def test_a_shift_at_the_counter_on_a_laptop(browser, live_server, three_items):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch_requests(page, live_server)
    run_a_shift(page, live_server, "1280")
    context.close()
