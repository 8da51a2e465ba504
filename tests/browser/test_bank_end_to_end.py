"""The whole way, as a shop runs it: the fake bank plays SePay, the shop's own poller thread
asks it, and on a phone-sized Chromium a transfer sale turns confirmed by itself once the
bank has the customer's transaction; a second sale is confirmed by a signed webhook; a
transfer of the wrong amount lands on the coordinators' review list; the settings page and
the Z report say what happened. Nothing here calls the matching service directly."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from reliability.chromium import sign_in
from reliability.fakebank import ACCOUNT, FakeBank, Transaction
from shop.domain import bank as rules
from shop.extensions import db
from tests.browser.conftest import screenshot
from tests.browser.test_counter_app import open_counter, scan_fast, text
from tests.browser.test_counter_transfer import pay_by_transfer
from tests.conftest import save_shop

pytestmark = pytest.mark.browser

TOKEN = "sepay-api-token-for-the-test"
WEBHOOK_KEY = "sepay-webhook-key-for-the-test"


@pytest.fixture
def fake_bank():
    with FakeBank(sepay_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def shop_with_feed(app, three_items, fake_bank):
    """The shop with its account and a SePay feed pointed at the fake bank, its poller
    thread on (asking every 2 s while a transfer waits, so the test stays short; the
    shop's own cadence is measured in ``make bench``)."""
    from shop.services import bank as bank_service
    from shop.services import members as member_service

    with app.app_context(), app.test_request_context():
        save_shop(db.session)
        bank_service.save_settings(
            db.session,
            by=member_service.get_member(db.session, 1),
            at=datetime.now(UTC),
            provider="sepay",
            base_url=fake_bank.url,
            new_keys={"sepay_api_token": TOKEN, "sepay_webhook_key": WEBHOOK_KEY},
        )
        db.session.commit()
    app.config.update(BANK_POLLER="thread", BANK_POLL_WAITING_SECONDS=2)
    yield
    running = app.extensions.get("bank_poller")
    if running is not None:
        running.stop()
        running.join(10)


def sale_row(app, number):
    from shop.models import Sale

    with app.app_context():
        db.session.expire_all()
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        return sale.confirmed_at is not None, sale.confirmed_by_id, sale.bank_payment is not None


def ring_up_by_transfer(phone, code):
    scan_fast(phone, code)
    phone.wait_for_selector(f'.cart-line[data-code="{code}"]')
    pay_by_transfer(phone)
    expect(phone.get_by_test_id("transfer-panel")).to_be_visible()
    # The sale is recorded (numbered by the server) and waits for its money.
    phone.wait_for_function(
        "() => /NM\\d+/.test(document.querySelector('[data-testid=\"transfer-panel\"]').innerText)"
        " || document.querySelector('[data-testid=\"transfer-panel\"] svg') !== null"
    )


def waiting_number(app):
    from shop.models import Sale

    with app.app_context():
        db.session.expire_all()
        sale = db.session.scalar(
            select(Sale).where(Sale.confirmed_at.is_(None)).order_by(Sale.number.desc())
        )
        return sale.number, sale.transfer_dong


def test_a_transfer_sale_is_confirmed_by_the_bank_the_whole_way(
    app, browser, phone, live_server, shop_with_feed, fake_bank
):
    open_counter(phone, live_server)

    # 1. The poller finds the customer's transfer at the fake bank.
    ring_up_by_transfer(phone, "10019")
    number, amount = waiting_number(app)
    assert amount == 45_000
    code = rules.sale_code(number)
    time.sleep(1)  # the customer types in her banking app
    fake_bank.post(amount, f"MBVCB.3278907687.{code}.NEW ME Do cu.CT tu 0912345678")
    posted = time.monotonic()
    expect(phone.get_by_test_id("money-received")).to_be_visible(timeout=20_000)
    took = time.monotonic() - posted
    assert text(phone.get_by_test_id("confirmed-by")) == "Ngân hàng đã xác nhận chuyển khoản."
    confirmed, by_member, by_bank = sale_row(app, number)
    assert confirmed and by_member is None and by_bank
    assert any(r.path.startswith("/userapi/transactions/list") for r in fake_bank.requests)
    screenshot(phone, "bank-end-to-end-polled")

    # 2. The next sale: the bank's webhook reaches the shop first.
    ring_up_by_transfer(phone, "10024")
    second, second_amount = waiting_number(app)
    assert second != number
    landed = fake_bank.post(second_amount, f"{rules.sale_code(second)} NEW ME")
    headers, body = fake_bank.sepay_webhook(landed, key=WEBHOOK_KEY)
    status, answer = fake_bank.send(f"{live_server}/api/v1/bank/sepay", headers, body)
    assert (status, answer) == (200, {"success": True})
    expect(phone.get_by_test_id("money-received")).to_be_visible(timeout=10_000)
    assert sale_row(app, second)[2]
    # A forged webhook (a transaction the bank never had, with a wrong key) is refused.
    forged = Transaction(
        id=777_777, amount=999_000, content=f"{rules.sale_code(second)} NEW ME",
        at=datetime.now(UTC).replace(microsecond=0), account=ACCOUNT, reference="FT0",
    )  # fmt: skip
    headers, body = fake_bank.sepay_webhook(forged, key="not-the-key")
    assert fake_bank.send(f"{live_server}/api/v1/bank/sepay", headers, body)[0] == 401
    with app.app_context():
        from shop.models import BankTransaction

        stored = db.session.scalars(select(BankTransaction.amount_dong)).all()
        assert 999_000 not in stored

    # 3. A transfer short of what the sale waits for: the sale keeps waiting, the money
    # goes to the review list; the cashier voids the sale.
    ring_up_by_transfer(phone, "10008")
    third, third_amount = waiting_number(app)
    fake_bank.post(third_amount - 5_000, f"{rules.sale_code(third)} NEW ME")

    coordinator = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = coordinator.new_page()
    sign_in(page, live_server, "0912000001", "2468")
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"{live_server}/counter/bank")
        if page.get_by_test_id("bank-transaction").count():
            break
        assert time.monotonic() < deadline, "the short transfer never reached the review list"
        time.sleep(1)
    row = page.get_by_test_id("bank-transaction").first
    assert "Chuyển thiếu" in text(row) and f"{third_amount - 5_000:,}".replace(",", ".") in text(
        row
    )
    assert not sale_row(app, third)[0]
    screenshot(page, "bank-end-to-end-review")

    # The feed's page: when it last asked the bank, nothing wrong.
    page.goto(f"{live_server}/settings/bank")
    feed = text(page.locator("main"))
    assert "SePay" in feed and "đã lưu" in feed
    assert TOKEN not in page.content() and WEBHOOK_KEY not in page.content()
    screenshot(page, "bank-end-to-end-settings")

    # The day's Z report: two confirmed by the bank, one still waiting.
    page.goto(f"{live_server}/counter/z/day")
    checks = text(page.get_by_test_id("transfer-checks"))
    assert re.search(r"Ngân hàng xác nhận\s+2 hóa đơn · 125\.000 ₫", checks), checks
    assert re.search(r"Còn đang chờ\s+1 hóa đơn · 50\.000 ₫", checks), checks
    screenshot(page, "bank-end-to-end-z-report")
    coordinator.close()
    assert took < 15, f"confirmed {took:.1f} s after the bank had the transaction"
    assert phone.console_errors == []
