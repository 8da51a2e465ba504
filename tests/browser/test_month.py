"""The month on a phone: a member reads her statement; the coordinator closes a month."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import page_width, screenshot
from tests.conftest import TRIAL_PINS

pytestmark = pytest.mark.browser


def sign_in(page, live_server, number):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill(f"091200000{number}")
    page.get_by_label("Mã PIN").fill(TRIAL_PINS[number])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")


def test_ut_reads_what_she_earned_and_why(phone, live_server, trial):
    sign_in(phone, live_server, 3)
    phone.get_by_role("link", name="Sao kê của tôi").click()
    expect(phone.get_by_test_id("due")).to_have_text("9.176\xa0₫")
    phone.goto(f"{live_server}/months/2026-11/statements/3")
    expect(phone.get_by_test_id("due")).to_have_text("62.764\xa0₫")
    expect(phone.get_by_test_id("carried")).to_have_text("2.764\xa0₫")
    expect(phone.get_by_role("heading", name="Cách tính")).to_be_visible()
    screenshot(phone, "statement-ut-2026-11-360")
    assert page_width(phone) <= 360
    phone.goto(f"{live_server}/months/2026-11")
    expect(phone.get_by_test_id("month-figures")).to_contain_text("100.000")
    screenshot(phone, "month-2026-11-360")
    assert page_width(phone) <= 360
    assert phone.foreign_requests == [] and phone.console_errors == []


def test_ngoc_reads_in_words_that_she_has_nothing_to_receive(phone, live_server, trial):
    sign_in(phone, live_server, 2)
    phone.goto(f"{live_server}/months/2027-01/statements/2")
    due = phone.get_by_test_id("due")
    expect(due).to_have_text("Tháng này chị chưa có tiền nhận; còn trừ 70.587\xa0₫ sang tháng sau.")
    expect(due).to_be_in_viewport()
    screenshot(phone, "statement-ngoc-2027-01-360")
    assert page_width(phone) <= 360


def test_hong_closes_february_in_a_few_taps(phone, live_server, trial, clock):
    clock.set(datetime(2027, 3, 2, 3, 0, tzinfo=UTC))
    sign_in(phone, live_server, 1)
    phone.get_by_role("link", name="Sổ tháng").first.click()
    phone.get_by_role("link", name="Tất cả các tháng").click()
    phone.get_by_role("link", name="Tháng cần chốt sổ tiếp").click()
    screenshot(phone, "close-2027-02-360")
    phone.get_by_test_id("close").click()
    expect(phone.get_by_test_id("month-state")).to_contain_text("Đã chốt sổ")
    assert page_width(phone) <= 360
    assert phone.foreign_requests == [] and phone.console_errors == []


@pytest.mark.parametrize(
    "path, name",
    [
        ("/months/", "months"),
        ("/expenses/?month=2026-11", "expenses"),
        ("/expenses/1", "expense-edit"),
        ("/months/2027-01/payouts", "payouts"),
        ("/settings/sharing", "sharing-settings"),
        ("/audit", "audit"),
        ("/printer/", "printer-settings-empty"),
        ("/months/2026-11/close", "close-closed-month"),
    ],
)
def test_the_coordinators_month_pages_fit_a_phone(phone, live_server, trial, path, name):
    sign_in(phone, live_server, 1)
    phone.goto(f"{live_server}{path}")
    expect(phone.locator("h1")).to_be_visible()
    screenshot(phone, f"{name}-360")
    assert page_width(phone) <= 360, path
    assert phone.foreign_requests == [] and phone.console_errors == []


def test_hong_corrects_a_payout_recorded_for_the_wrong_member(phone, live_server, trial, clock):
    clock.set(datetime(2027, 2, 12, 3, 0, tzinfo=UTC))
    sign_in(phone, live_server, 1)
    phone.goto(f"{live_server}/months/2027-01/payouts")
    # 9.000 ₫ meant for Lan, recorded for Út.
    phone.get_by_label("Thành viên").select_option(label="3 · Nguyễn Thị Út")
    phone.get_by_label("Số tiền", exact=True).fill("9000")
    phone.get_by_role("button", name="Lưu").click()
    screenshot(phone, "payouts-with-correct-link-360")
    phone.get_by_role("link", name="Sửa sai").click()
    expect(phone.get_by_label("Số tiền trừ lại")).to_have_value("9.000")
    phone.get_by_role("button", name="Lưu điều chỉnh").click()  # no reason yet
    message = phone.locator("#reason-error")
    expect(message).to_have_text("Hãy ghi lý do sửa khoản chi trả.")
    expect(message).to_be_in_viewport()
    screenshot(phone, "payout-correct-refused-360")
    phone.get_by_label("Lý do").fill("Trả nhầm cho chị Út, tiền của chị Lan")
    phone.get_by_role("button", name="Lưu điều chỉnh").click()
    expect(phone.locator(".flash, [role=status]").first).to_contain_text("Đã sửa khoản chi trả")
    expect(phone.get_by_test_id("payouts")).to_contain_text("Trả nhầm cho chị Út")
    expect(phone.get_by_test_id("to-pay")).to_contain_text("9.176")  # Út is owed it all again
    screenshot(phone, "payout-corrected-360")
    assert page_width(phone) <= 360
    assert phone.foreign_requests == [] and phone.console_errors == []


#: Every table's right edge against its box's inner right edge, and the height on the
#: screen of every letter of the charts that show.
FIT = """() => ({
  tables: [...document.querySelectorAll('main table')].map(t => {
    const box = t.parentElement, style = getComputedStyle(box);
    const inner = box.getBoundingClientRect().right - parseFloat(style.paddingRight);
    return t.getBoundingClientRect().right - inner;
  }),
  letters: [...document.querySelectorAll('svg.chart')]
    .filter(svg => svg.getBoundingClientRect().width > 0)
    .flatMap(svg => [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)),
})"""


@pytest.mark.parametrize(
    "path, name",
    [
        ("/months/2026-11/statements/3", "statement-ut-tables"),
        ("/months/2026-11/statements/1", "statement-hong-tables"),
        ("/months/2027-01/statements/2", "statement-ngoc-tables"),
        ("/months/2026-11", "month-charts"),
    ],
)
def test_tables_fit_a_phone_and_chart_letters_read_on_it(phone, live_server, trial, path, name):
    sign_in(phone, live_server, 1)
    phone.goto(f"{live_server}{path}")
    fit = phone.evaluate(FIT)
    assert fit["tables"] and all(over <= 0.5 for over in fit["tables"]), fit["tables"]
    assert page_width(phone) <= 360
    if "charts" in name:
        assert len(fit["letters"]) > 20
        assert min(fit["letters"]) >= 11, sorted(fit["letters"])[:5]  # px on the screen
        phone.locator("section.charts").scroll_into_view_if_needed()
    screenshot(phone, f"{name}-360")


def test_the_wide_charts_show_on_a_laptop(browser, live_server, trial):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, live_server, 1)
    page.goto(f"{live_server}/months/2026-11")
    assert page.locator("svg.chart-wide").first.is_visible()
    assert not page.locator("svg.chart-narrow").first.is_visible()
    context.close()


def test_ngoc_reads_what_she_was_paid_for_her_lost_dress(phone, live_server, trial, app, clock):
    """Her dress B is not found at the count of 5 February: her statement, the month and
    the expenses show it on a phone; the close preview warns of the next count still open."""
    from shop.extensions import db
    from shop.services import counts
    from shop.services import members as member_service
    from tests.services.test_statements import lose_the_dress

    with app.test_request_context():
        lose_the_dress(app)
        hong = member_service.get_member(db.session, 1)
        counts.open_count(db.session, by=hong, at=datetime(2027, 2, 28, 10, tzinfo=UTC))
        db.session.commit()
        db.session.remove()
    clock.set(datetime(2027, 3, 1, 3, 0, tzinfo=UTC))
    sign_in(phone, live_server, 2)
    phone.goto(f"{live_server}/months/2027-02/statements/2")
    lost = phone.get_by_test_id("compensation")
    expect(lost.first).to_contain_text("Mất khi kiểm kê đợt 1")
    expect(lost.first).to_contain_text("42.000\xa0₫")
    screenshot(phone, "statement-ngoc-2027-02-lost-360")
    assert page_width(phone) <= 360
    phone.context.clear_cookies()
    sign_in(phone, live_server, 1)
    for path, name, testid, text in (
        ("/months/2027-02", "month-2027-02-lost", "month-figures", "42.000"),
        ("/months/2027-02/close", "close-2027-02-open-count", "open-count", "Đợt kiểm kê 2"),
        ("/expenses/?month=2027-02", "expenses-2027-02-lost", "compensation", "Nguyễn Thị Ngọc"),
    ):
        phone.goto(f"{live_server}{path}")
        expect(phone.get_by_test_id(testid).first).to_contain_text(text)
        screenshot(phone, f"{name}-360")
        assert page_width(phone) <= 360, path
    assert phone.foreign_requests == [] and phone.console_errors == []
