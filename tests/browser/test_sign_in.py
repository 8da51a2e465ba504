import pytest
from playwright.sync_api import expect

from tests.browser.conftest import page_width, screenshot

pytestmark = pytest.mark.browser


def test_sign_in_on_a_phone(phone, live_server, coordinator, member):
    phone.goto(f"{live_server}/")
    assert phone.url.endswith("/sign-in?next=/")
    assert phone.locator("h1").inner_text() == "Đăng nhập"
    screenshot(phone, "sign-in-360")

    # A wrong PIN: the message sits beside the PIN field, in Vietnamese.
    phone.get_by_label("Số điện thoại").fill("0912 000 001")
    phone.get_by_label("Mã PIN").fill("9999")
    phone.get_by_role("button", name="Đăng nhập").click()
    error = phone.locator("#pin-error")
    assert "Sai số điện thoại hoặc mã PIN. Còn 2 lần thử." in error.inner_text()
    screenshot(phone, "sign-in-wrong-pin-360")

    phone.get_by_label("Mã PIN").fill("2468")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"{live_server}/")
    assert "Chào chị Nguyễn Thị Hồng!" in phone.locator("h1").inner_text()
    # Nothing wider than the phone: no sideways scrolling.
    assert page_width(phone) <= 360
    # The tab bar's targets are big enough for a finger.
    for box in phone.locator(".tabbar a").all():
        assert box.bounding_box()["height"] >= 48
    screenshot(phone, "home-360")

    # "Who is selling now?": tap a name, type her PIN.
    phone.get_by_role("link", name="Ai đang bán hàng?").click()
    phone.get_by_role("link", name="Nguyễn Thị Ngọc").click()
    phone.wait_for_url(f"{live_server}/switch/2")
    phone.wait_for_load_state()  # shop.js puts the cursor in the PIN box once loaded
    assert phone.evaluate("document.activeElement && document.activeElement.id") == "pin"
    phone.keyboard.type("1357")
    phone.get_by_role("button", name="Tôi bán hàng bây giờ").click()
    phone.wait_for_url(f"{live_server}/counter/")  # straight to the counter (her shift)
    assert "Nguyễn Thị Ngọc" in phone.get_by_test_id("who").inner_text()
    screenshot(phone, "switched-360")

    assert phone.foreign_requests == []
    assert phone.console_errors == []


def test_first_run_setup_on_a_phone(phone, live_server):
    phone.goto(f"{live_server}/")
    assert phone.url.endswith("/setup")
    phone.get_by_role("button", name="Tạo cửa hàng").click()
    assert phone.locator("#shop_name-error").inner_text() == "Hãy nhập tên cửa hàng."
    screenshot(phone, "setup-blank-360")
    phone.get_by_label("Tên cửa hàng").fill("NEW ME – Đồ cũ")
    phone.get_by_label("Họ tên của chị").fill("Nguyễn Thị Hồng")
    phone.get_by_label("Số điện thoại của chị").fill("0912000001")
    phone.get_by_label("Chọn mã PIN").fill("2468")
    phone.get_by_role("button", name="Tạo cửa hàng").click()
    phone.wait_for_url(f"{live_server}/members/")
    assert "Nguyễn Thị Hồng" in phone.locator(".people").inner_text()
    assert "NEW ME – Đồ cũ" in phone.locator(".topbar").inner_text()
    screenshot(phone, "members-360")
    assert phone.foreign_requests == []


def test_members_page_on_a_laptop_and_in_english(browser, live_server, coordinator, member):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill("0912000001")
    page.get_by_label("Mã PIN").fill("2468")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server}/members/")
    assert page.locator(".people li").count() == 2
    screenshot(page, "members-1280")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Members")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "members-1280-en")
    context.close()


def test_the_language_button_keeps_the_phone_typed_never_the_pin(phone, live_server, coordinator):
    phone.goto(f"{live_server}/sign-in?next=/counter/")
    phone.get_by_label("Số điện thoại").fill("0912 000 001")
    phone.get_by_label("Mã PIN").fill("2468")
    urls = []
    phone.on("request", lambda request: urls.append(request.url))
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("h1").inner_text().strip() == "Sign in"
    assert phone.get_by_label("Phone number").input_value() == "0912 000 001"  # as typed
    assert phone.get_by_label("PIN").input_value() == ""  # never written back
    assert not any("2468" in url or "0912" in url for url in urls)  # nothing in an address
    screenshot(phone, "sign-in-english-kept-360")
    phone.get_by_label("PIN").fill("2468")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url(f"{live_server}/counter/")  # where she was going


def test_the_home_screen_groups_its_tiles_with_distinct_icons(phone, live_server, coordinator):
    sign_in_page = f"{live_server}/sign-in"
    phone.goto(sign_in_page)
    phone.get_by_label("Số điện thoại").fill("0912000001")
    phone.get_by_label("Mã PIN").fill("2468")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"{live_server}/")
    groups = phone.locator(".tile-group")
    assert [g.locator("h2").inner_text().strip() for g in groups.all()] == [
        "Bán hàng",
        "Kho hàng",
        "Tiền",
        "Thành viên và cài đặt",
    ]
    assert "Quầy bán" in phone.get_by_test_id("group-selling").inner_text()
    assert "Ghi nhập hàng" in phone.get_by_test_id("group-stock").inner_text()
    assert "Chi phí" in phone.get_by_test_id("group-money").inner_text()
    assert "Máy in hóa đơn" in phone.get_by_test_id("group-settings").inner_text()
    icons = phone.eval_on_selector_all(
        ".tile use", "uses => uses.map(u => u.getAttribute('href').split('#')[1])"
    )
    assert len(icons) == phone.locator(".tile").count() >= 15
    assert len(set(icons)) == len(icons), icons  # no two tiles look alike
    # Every icon is drawn from the sprite that ships with the app (no empty square).
    drawn = phone.eval_on_selector_all(".tile svg.icon", "svgs => svgs.map(s => s.getBBox().width)")
    assert all(width > 0 for width in drawn)
    assert page_width(phone) <= 360
    screenshot(phone, "home-groups-360")
    assert phone.foreign_requests == [] and phone.console_errors == []
