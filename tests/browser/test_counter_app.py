"""The counter as an app in the page: fast scans, the total in view, discounts checked as
typed, quick cash, split change, and sales rung up with no link that reach the server
exactly once after reloads and a browser restart."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shop.extensions import db
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def text(locator):
    return locator.inner_text().replace("\xa0", " ")


@pytest.fixture
def rail_items(app, three_items):
    """The three items of ``three_items``, two more and a lot of five pairs of socks."""
    from shop.models import IntakeKind
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context(), app.test_request_context():
        hong = svc.get_member(db.session, 1)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)),
            by=hong,
            tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        )
        for code, price in (("10030", 30_000), ("10045", 25_000)):
            stock.add_item(
                db.session, intake, stock.ItemDetails("Áo", price, "Áo phông", code=code)
            )
        stock.add_lot(
            db.session, intake, stock.LotDetails("Phụ kiện", 10_000, 5, "Tất", code="SOCKS")
        )
        db.session.commit()


def open_counter(page, live_server):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill("0912000002")
    page.get_by_label("Mã PIN").fill("1357")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/counter/")
    page.get_by_label("Tiền đầu ca").fill("200k")
    page.get_by_role("button", name="Mở ca").click()
    page.wait_for_url(f"{live_server}/counter/")
    ready(page)


def ready(page):
    page.wait_for_selector('[data-testid="link-state"][data-state="online"]')


def scan_fast(page, *codes):
    for code in codes:  # a USB scanner: the code and Enter, no pause, no waiting
        page.keyboard.type(code, delay=0)
        page.keyboard.press("Enter")


def in_view(page, testid):
    box = page.get_by_test_id(testid).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def sales(app):
    from sqlalchemy import select

    from shop.models import Sale

    with app.app_context():
        db.session.expire_all()
        return [
            (s.client_id, s.total_dong, [line.item.code for line in s.lines])
            for s in db.session.scalars(select(Sale).order_by(Sale.number))
        ]


def test_five_codes_back_to_back_and_the_total_in_view(app, phone, live_server, rail_items):
    open_counter(phone, live_server)
    assert phone.evaluate("document.activeElement.id") == "code"
    scan_fast(phone, "10008", "10019", "10024", "10030", "10045")
    phone.wait_for_function("document.querySelectorAll('.cart-line').length === 5")
    codes = phone.eval_on_selector_all(".cart-line", "rows => rows.map(r => r.dataset.code)")
    assert codes == ["10008", "10019", "10024", "10030", "10045"]
    assert text(phone.get_by_test_id("total")) == "230.000 ₫"
    assert phone.evaluate("document.activeElement.id") == "code"
    assert in_view(phone, "total") and in_view(phone, "pay")
    screenshot(phone, "counter-app-five-scans")
    # The same code again, and one that is not on the rail: a message beside the box.
    scan_fast(phone, "10008")
    assert "đã có trong giỏ" in text(phone.get_by_test_id("scan-message"))
    scan_fast(phone, "99999")
    assert "99999" in text(phone.get_by_test_id("scan-message"))
    assert phone.locator(".cart-line").count() == 5
    phone.get_by_test_id("cash-500000").click()
    assert text(phone.get_by_test_id("change")) == "270.000 ₫"
    phone.get_by_test_id("pay").click()
    phone.wait_for_selector('[data-testid="sale-number"]')
    assert text(phone.get_by_test_id("change")) == "270.000 ₫"
    screenshot(phone, "counter-app-paid")
    [(client_id, total, lines)] = sales(app)
    assert total == 230_000 and len(lines) == 5
    assert phone.console_errors == []


def test_each_scan_keeps_the_line_total_and_pay_in_view(phone, live_server, rail_items):
    open_counter(phone, live_server)
    for count, code in enumerate(("10008", "10019", "10024", "10030", "10045"), start=1):
        scan_fast(phone, code)
        phone.wait_for_function(f"document.querySelectorAll('.cart-line').length === {count}")
        assert in_view(phone, "total") and in_view(phone, "pay")
        row = phone.locator(f'.cart-line[data-code="{code}"]').bounding_box()
        bar = phone.locator("#totalbar").bounding_box()
        assert row["y"] >= 0 and row["y"] + row["height"] <= bar["y"] + 1, code
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
