"""A coordinator closes the shift a member forgot, from the month's close page, on a phone:
a refused form keeps what she typed with the message beside the field; then the month
closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from reliability.chromium import sign_in
from shop.extensions import db
from tests.browser.conftest import page_width, screenshot
from tests.conftest import DEMO_PIN

pytestmark = pytest.mark.browser

OPENED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi


@pytest.fixture
def forgotten(app, coordinator, member):
    from shop.models import IntakeKind
    from shop.services import counter, stock
    from shop.services import members as svc

    with app.app_context(), app.test_request_context():
        hong, ngoc = (svc.get_member(db.session, n) for n in (1, 2))
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
        intake = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, OPENED), by=hong, tz=tz
        )
        stock.add_item(db.session, intake, stock.ItemDetails("Áo", 50_000, code="10008"))
        counter.open_shift(db.session, ngoc, 100_000, at=OPENED, tz=tz)
        counter.record_sale(
            db.session,
            counter.SaleRequest(lines=(counter.LineRequest("10008"),), tendered_dong=50_000),
            cashier=ngoc,
            at=OPENED + timedelta(hours=2, minutes=30),
            tz=tz,
        )
        db.session.commit()


def test_a_coordinator_closes_a_forgotten_shift_then_the_month(
    app, phone, live_server, forgotten, clock
):
    clock.set(datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    sign_in(phone, live_server, "0912000001", DEMO_PIN)
    phone.goto(f"{live_server}/months/2026-11/close")
    expect(phone.get_by_test_id("refusal")).to_contain_text("Ca của Nguyễn Thị Ngọc mở từ")
    expect(phone.get_by_test_id("open-shift")).to_contain_text("20/11/2026 09:00")
    screenshot(phone, "close-month-open-shift-360")
    phone.get_by_test_id("close-shift-for").click()
    ended = phone.get_by_label("Ca kết thúc lúc")
    assert ended.input_value() == "2026-11-20T11:30"  # her last sale
    phone.get_by_label("Tiền đếm được trong ngăn kéo").fill("150k")
    screenshot(phone, "close-shift-for-360")
    phone.get_by_role("button", name="Đóng ca giúp").click()
    # No reason: refused, the message beside the field, in view, what she typed kept.
    expect(phone.get_by_text("Hãy ghi lý do chị đóng ca của người khác.")).to_be_in_viewport()
    assert phone.get_by_label("Tiền đếm được trong ngăn kéo").input_value() == "150k"
    assert phone.get_by_label("Ca kết thúc lúc").input_value() == "2026-11-20T11:30"
    assert phone.evaluate("document.activeElement.id") == "reason"  # the cursor in it
    screenshot(phone, "close-shift-for-refused-360")
    phone.get_by_label("Lý do chị đóng ca này").fill("Chị Ngọc quên đóng ca")
    phone.get_by_role("button", name="Đóng ca giúp").click()
    phone.wait_for_url(f"{live_server}/months/2026-11/close")
    expect(phone.get_by_text("Đã đóng ca của Nguyễn Thị Ngọc.")).to_be_visible()
    assert phone.get_by_test_id("open-shift").count() == 0
    phone.get_by_test_id("close").click()
    expect(phone.get_by_test_id("month-state")).to_contain_text("Đã chốt sổ")
    assert page_width(phone) <= 360
    assert phone.foreign_requests == [] and phone.console_errors == []
    phone.goto(f"{live_server}/audit?action=shift_closed_for")
    page_text = phone.locator("main").inner_text()
    assert page_text.count("Trưởng nhóm đóng ca giúp thành viên") >= 2  # the filter, the line
    assert "20/11/2026 11:30" in page_text and "Chị Ngọc quên đóng ca" in page_text
    assert "150.000" in page_text and "đã đếm" in page_text
    screenshot(phone, "audit-shift-closed-for-360")
    with app.app_context():
        from sqlalchemy import select

        from shop.models import Shift

        shift = db.session.scalar(select(Shift))
        assert shift.counted_cash_dong == 150_000 and shift.expected_cash_dong == 150_000
        assert shift.closed_at.astimezone(UTC) == OPENED + timedelta(hours=2, minutes=30)
