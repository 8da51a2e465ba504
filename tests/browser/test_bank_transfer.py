"""On a phone-sized Chromium: a transfer sale's page turns to "Đã nhận tiền" by itself when
the bank's feed reports the transaction, and a coordinator decides the bank transactions to
look at on her phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reliability.chromium import open_counter, sign_in
from shop.domain import bank as rules
from shop.extensions import db
from tests.browser.conftest import page_width, screenshot
from tests.conftest import save_shop

pytestmark = pytest.mark.browser
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def shop(app, coordinator, member):
    """The shop's bank account and three items (50.000 ₫, 45.000 ₫, 80.000 ₫)."""
    from shop.models import IntakeKind
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context(), app.test_request_context():
        hong = svc.get_member(db.session, 1)
        save_shop(db.session)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC) - timedelta(days=1)),
            by=hong,
            tz=HANOI,
        )
        for code, price in (("10008", 50_000), ("10019", 45_000), ("10024", 80_000)):
            stock.add_item(
                db.session, intake, stock.ItemDetails("Áo", price, "Áo sơ mi", code=code)
            )
        db.session.commit()
    return app


def bank_reports(app, content, amount, *, pid):
    """The bank's feed reports an incoming transfer, as a webhook or a poll hands it on."""
    from shop.services import bank

    with app.app_context():
        now = datetime.now(UTC)
        bank.receive(
            db.session,
            rules.BankTransaction(
                provider="sepay", provider_id=pid, direction=rules.Direction.IN,
                amount_dong=amount, content=content, at=now, account="113366668888",
                reference="FT26307" + pid, raw="{}",
            ),
            via="webhook", signature_ok=True, at=now,
        )  # fmt: skip
        db.session.commit()


def sell_by_transfer(page, live_server, code):
    open_counter(page, live_server, opening_float="0")
    page.goto(f"{live_server}/counter/basic")
    page.get_by_label("Mã hàng").fill(code)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator("label.pill", has_text="Chuyển khoản").first.click()
    page.get_by_role("button", name="Thanh toán").click()
    page.wait_for_url(f"{live_server}/counter/sales/*")
    return int(page.url.rsplit("/", 1)[1])


def test_a_transfer_sale_turns_received_by_itself_when_the_bank_reports_it(
    phone, live_server, shop
):
    sign_in(phone, live_server, "0912000002", "1357")
    number = sell_by_transfer(phone, live_server, "10008")
    assert phone.get_by_test_id("waiting-transfer").is_visible()
    assert phone.get_by_test_id("transfer-arrived").count() == 0
    phone.wait_for_timeout(3500)  # the page has asked at least once: still waiting
    assert phone.get_by_test_id("transfer-arrived").count() == 0

    bank_reports(shop, f"MBVCB.3278907687.{rules.sale_code(number)}.NEWME", 50_000, pid="1")
    # No tap: the page sees it within a few seconds, says so, then shows itself afresh.
    phone.get_by_test_id("transfer-arrived").wait_for(state="visible", timeout=10_000)
    assert "Đã nhận tiền" in phone.get_by_test_id("transfer-arrived").inner_text()
    phone.get_by_test_id("transfer-who").wait_for(state="visible", timeout=10_000)
    who = phone.get_by_test_id("transfer-who").inner_text()
    assert "Ngân hàng xác nhận lúc" in who and "FT263071" in who
    assert phone.get_by_test_id("waiting-transfer").count() == 0
    screenshot(phone, "bank-sale-received-360")
    assert page_width(phone) <= 360
    assert phone.console_errors == []


def test_a_coordinator_decides_the_bank_transactions_on_her_phone(browser, live_server, shop):
    from shop.services import counter
    from shop.services import members as svc

    with shop.app_context(), shop.test_request_context():
        hong = svc.get_member(db.session, 1)
        now = datetime.now(UTC)
        counter.open_shift(db.session, hong, 0, at=now - timedelta(hours=1), tz=HANOI)
        for code in ("10008", "10019"):
            counter.record_sale(
                db.session,
                counter.SaleRequest((counter.LineRequest(code),), all_by_transfer=True),
                cashier=hong, at=now - timedelta(minutes=30), tz=HANOI,
            )  # fmt: skip
        db.session.commit()
    bank_reports(shop, "NGUYEN THI LAN CHUYEN TIEN AO SO MI", 50_000, pid="2")
    bank_reports(shop, f"IBFT {rules.sale_code(2)} NEWME", 40_000, pid="3")

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="vi-VN",
    )  # fmt: skip
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "0912000001", "2468")
    tile = page.get_by_test_id("bank-reviews-tile")
    assert "2" in page.get_by_test_id("bank-reviews-count").inner_text()
    tile.click()
    page.wait_for_url(f"{live_server}/counter/bank")
    cards = page.get_by_test_id("bank-transaction")
    assert cards.count() == 2
    no_code = page.locator('[data-reason="no_code"]')
    assert "Không có mã hóa đơn" in no_code.inner_text()
    assert "Gợi ý, chưa xác nhận" in no_code.inner_text()
    assert "Chuyển thiếu" in page.locator('[data-reason="amount_low"]').inner_text()
    screenshot(page, "bank-reviews-360")
    assert page_width(page) <= 360

    # A wrong number: refused beside the field, what she typed kept.
    no_code.get_by_label("Khoản này trả cho hóa đơn số").fill("77")
    no_code.get_by_role("button", name="Quyết định").click()
    page.wait_for_load_state()
    no_code = page.locator('[data-reason="no_code"]')
    assert "Không có hóa đơn số 77." in no_code.locator(".error").inner_text()
    assert no_code.get_by_label("Khoản này trả cho hóa đơn số").input_value() == "77"
    screenshot(page, "bank-reviews-refused-360")
    no_code.get_by_label("Khoản này trả cho hóa đơn số").fill("1")
    no_code.get_by_role("button", name="Quyết định").click()
    page.wait_for_url(f"{live_server}/counter/bank")
    assert "trả cho hóa đơn 1" in page.locator(".flash").inner_text()
    assert page.get_by_test_id("bank-transaction").count() == 1

    # The other: money that pays no sale, the note field alone once chosen.
    low = page.locator('[data-reason="amount_low"]')
    low.locator("label.pill", has_text="Không phải tiền hóa đơn").click()
    assert not low.get_by_label("Khoản này trả cho hóa đơn số").is_visible()
    low.get_by_label("Ghi chú").fill("Khách chuyển thiếu, đã gọi lại")
    low.get_by_role("button", name="Quyết định").click()
    page.wait_for_url(f"{live_server}/counter/bank")
    assert page.get_by_test_id("no-bank-reviews").is_visible()
    page.goto(f"{live_server}/counter/sales/1")
    assert "Ngân hàng xác nhận lúc" in page.get_by_test_id("transfer-who").inner_text()
    assert errors == []
    context.close()
