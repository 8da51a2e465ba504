"""A coordinator settles a dress sold twice (a sale rung up with no link arrived after
another counter sold it) on her phone."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from shop.extensions import db
from tests.browser.conftest import page_width, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def sold_twice(app, three_items):
    from shop.services import counter
    from shop.services import members as svc

    tz = app.config["SHOP_TZ"]
    with app.app_context(), app.test_request_context():
        hong, ngoc = svc.get_member(db.session, 1), svc.get_member(db.session, 2)
        now = datetime.now(UTC)
        for member in (hong, ngoc):
            counter.open_shift(db.session, member, 0, at=now - timedelta(hours=1), tz=tz)
        counter.record_sale(
            db.session, counter.SaleRequest((counter.LineRequest("10008"),)),
            cashier=hong, at=now, tz=tz,
        )  # fmt: skip
        counter.record_offline_sale(
            db.session,
            counter.SaleRequest(
                (counter.LineRequest("10008", unit_price_dong=50_000),), client_id="tablet-0001"
            ),
            cashier=ngoc, at=now, received_at=now + timedelta(seconds=1), tz=tz, entered_by=ngoc,
        )  # fmt: skip
        db.session.commit()


def test_a_coordinator_settles_a_dress_sold_twice_on_her_phone(phone, live_server, sold_twice):
    phone.goto(f"{live_server}/sign-in")
    phone.get_by_label("Số điện thoại").fill("0912000001")
    phone.get_by_label("Mã PIN").fill("2468")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"{live_server}/")
    phone.get_by_test_id("reviews-tile").click()
    phone.wait_for_url(f"{live_server}/counter/reviews")
    review = phone.get_by_test_id("review")
    expect(review).to_have_count(1)
    text = review.inner_text()
    assert "Bán trùng" in text and "10008" in text and "Hóa đơn 1" in text
    screenshot(phone, "reviews-360")
    phone.get_by_role("button", name="Đánh dấu đã xem").click()  # nothing typed: refused
    assert "Hãy ghi đã xử lý thế nào" in phone.locator(".flash").inner_text()
    phone.get_by_label("Đã xử lý thế nào").fill("Khách trả lại váy, đã hoàn tiền")
    phone.get_by_role("button", name="Đánh dấu đã xem").click()
    expect(phone.get_by_test_id("no-reviews")).to_be_visible()
    assert page_width(phone) <= 360
    assert phone.console_errors == []
