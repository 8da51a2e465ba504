"""Who sees whose money, on a 360×740 phone: Ngọc's month page shows the group's totals and
her own part only; after the coordinator ticks "Sổ sách mở" it shows everyone's."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import page_width, screenshot
from tests.browser.test_month import sign_in

pytestmark = pytest.mark.browser


def test_ngoc_sees_her_own_part_until_the_group_opens_its_books(phone, browser, live_server, trial):
    sign_in(phone, live_server, 2)
    phone.goto(f"{live_server}/months/2026-11")
    expect(phone.get_by_test_id("month-figures")).to_contain_text("100.000")
    cards = phone.get_by_test_id("distribution").locator("li")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Nguyễn Thị Ngọc")
    expect(cards.first).to_contain_text("98.429")
    expect(phone.get_by_test_id("own-lines-only")).to_be_visible()
    expect(phone.get_by_role("heading", name="Phần của chị")).to_be_visible()
    phone.get_by_role("heading", name="Phần của chị").scroll_into_view_if_needed()
    expect(phone.locator("main")).not_to_contain_text("Nguyễn Thị Út")
    screenshot(phone, "month-2026-11-member-own-part-360")
    assert page_width(phone) <= 360

    # The coordinator, on her own phone, ticks "Sổ sách mở" on the shop's settings page.
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    hong = context.new_page()
    sign_in(hong, live_server, 1)
    hong.goto(f"{live_server}/settings/shop")
    hong.get_by_label("Sổ sách mở: thành viên xem được phần của mọi người").check()
    hong.get_by_label("Sổ sách mở").scroll_into_view_if_needed()
    screenshot(hong, "settings-open-books-360")
    hong.get_by_role("button", name="Lưu").click()
    expect(hong.get_by_label("Sổ sách mở: thành viên xem được phần của mọi người")).to_be_checked()
    context.close()

    phone.reload()
    expect(cards).to_have_count(3)
    expect(phone.get_by_test_id("own-lines-only")).to_have_count(0)
    expect(phone.locator("main")).to_contain_text("Nguyễn Thị Út")
    screenshot(phone, "month-2026-11-member-open-books-360")
    assert phone.foreign_requests == [] and phone.console_errors == []
