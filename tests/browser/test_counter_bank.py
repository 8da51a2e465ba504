"""The counter app follows a waiting transfer: the bank's feed confirms the sale and the
page says "Đã nhận tiền" by itself within seconds, with a chime and no tap; a hand tap
still completes it; a sale rung up with no link is recorded when the link comes back and
then followed too; the page stops asking when the panel closes or the page is hidden."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shop.domain import bank as rules
from shop.extensions import db
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_counter_app import open_counter, scan_fast, text
from tests.browser.test_counter_transfer import ACCOUNT, pay_by_transfer, read_code
from tests.conftest import save_shop

pytestmark = pytest.mark.browser

# Counts the page's oscillators: its chime is three notes made with WebAudio.
COUNT_NOTES = """
  window.notes = 0;
  const make = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.notes += 1;
    return make.call(this);
  };
"""


@pytest.fixture
def feed(app, three_items):
    """The shop with its bank account and a SePay feed."""
    from shop.services import bank as bank_service
    from shop.services import members as member_service

    with app.app_context(), app.test_request_context():
        save_shop(db.session)
        bank_service.save_settings(
            db.session,
            by=member_service.get_member(db.session, 1),
            at=datetime.now(UTC),
            provider="sepay",
        )
        db.session.commit()


def the_sale(app):
    from shop.models import Sale

    with app.app_context():
        db.session.expire_all()
        sale = db.session.scalar(select(Sale))
        return {
            "number": sale.number,
            "client_id": sale.client_id,
            "transfer_dong": sale.transfer_dong,
            "confirmed": sale.confirmed_at is not None,
            "confirmed_by_id": sale.confirmed_by_id,
            "cashier_id": sale.cashier_id,
            "by_bank": sale.bank_payment is not None,
            "voided": sale.void is not None,
        }


def bank_pays(app, code, amount, provider_id):
    """The bank's feed reports a transfer in, its content holding ``code``."""
    from shop.services import bank as bank_service

    now = datetime.now(UTC)
    with app.app_context(), app.test_request_context():
        row, new = bank_service.receive(
            db.session,
            rules.BankTransaction(
                provider="sepay",
                provider_id=provider_id,
                direction=rules.Direction.IN,
                amount_dong=amount,
                content=f"MBVCB.123.{code}.X",
                at=now,
                account="113366668888",
            ),
            via="webhook",
            signature_ok=True,
            at=now,
        )
        db.session.commit()
        assert new and row.outcome == rules.Outcome.CONFIRMED
    return time.monotonic()


def sale_gets(page, number):
    return [u for u in page.requests_seen if u.endswith(f"/api/v1/sales/{number}")]


def watch_requests(page):
    page.requests_seen = []
    page.on("request", lambda r: page.requests_seen.append(r.url) if r.method == "GET" else None)


def test_the_bank_confirms_a_waiting_sale_and_the_page_says_so_by_itself(
    app, phone, live_server, feed
):
    from shop.services.transfers import transfer_payload

    phone.add_init_script(COUNT_NOTES)
    open_counter(phone, live_server)
    scan_fast(phone, "10019")
    phone.wait_for_selector('.cart-line[data-code="10019"]')
    pay_by_transfer(phone)
    sale = the_sale(app)
    assert (sale["transfer_dong"], sale["confirmed"]) == (45_000, False)
    with app.app_context():
        from shop.models import Sale

        payload = transfer_payload(db.session, db.session.scalar(select(Sale)))[0]
    assert read_code(phone, "counter-bank-waiting") == [payload]
    code = rules.sale_code(sale["number"], "NM")
    assert f"{code} " in payload  # the purpose starts with the sale's code
    assert "Ngân hàng sẽ báo" in text(phone.get_by_test_id("transfer-watching"))
    notes = phone.evaluate("window.notes")
    paid = bank_pays(app, code, 45_000, "sepay-1")
    expect(phone.get_by_test_id("money-received")).to_be_visible(timeout=8_000)
    took = time.monotonic() - paid
    assert took < 6, took
    assert text(phone.get_by_test_id("money-received")) == "✓ Đã nhận tiền"
    assert f"Đã ghi hóa đơn {sale['number']}." in text(phone.get_by_test_id("sale-number"))
    assert phone.get_by_test_id("receipt-link").is_visible()
    assert phone.get_by_test_id("transfer-panel").count() == 0
    assert phone.locator(".cart-line").count() == 0  # the cart is empty for the next sale
    assert phone.evaluate("window.notes") - notes == 3  # the chime: three notes, no file
    colour = phone.get_by_test_id("money-received").evaluate(
        "e => [getComputedStyle(e).backgroundColor, parseFloat(getComputedStyle(e).fontSize)]"
    )
    assert colour[0] == "rgb(26, 127, 55)" and colour[1] >= 28
    phone.get_by_test_id("money-received").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "counter-bank-received.png"))  # what she sees
    screenshot(phone, "counter-bank-received-page")
    sale = the_sale(app)
    assert sale["confirmed"] and sale["confirmed_by_id"] is None and sale["by_bank"]
    assert text(phone.get_by_test_id("link-state")) == "Đã gửi hết"
    assert phone.console_errors == []


def test_a_hand_tap_still_completes_a_waiting_sale(app, phone, live_server, feed):
    open_counter(phone, live_server)
    scan_fast(phone, "10024")
    phone.wait_for_selector('.cart-line[data-code="10024"]')
    pay_by_transfer(phone)
    phone.get_by_test_id("transfer-received").click()
    phone.wait_for_selector('[data-testid="sale-number"]')
    assert phone.get_by_test_id("money-received").count() == 0  # she saw it herself
    sale = the_sale(app)
    assert sale["confirmed"] and sale["confirmed_by_id"] == sale["cashier_id"]
    assert not sale["by_bank"]
    assert phone.console_errors == []


def test_the_page_asks_only_while_the_panel_is_open_and_the_page_is_seen(
    app, phone, live_server, feed
):
    watch_requests(phone)
    open_counter(phone, live_server)
    scan_fast(phone, "10008")
    phone.wait_for_selector('.cart-line[data-code="10008"]')
    pay_by_transfer(phone)
    number = the_sale(app)["number"]
    phone.wait_for_timeout(6_000)
    asked = len(sale_gets(phone, number))
    assert 2 <= asked <= 4, asked  # every 2.5 s
    # The page hidden (another app in front): no asking; seen again: asked at once.
    phone.evaluate(
        "() => { Object.defineProperty(document, 'hidden',"
        " { configurable: true, get: () => true });"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    phone.wait_for_timeout(500)
    asked = len(sale_gets(phone, number))
    phone.wait_for_timeout(6_000)
    assert len(sale_gets(phone, number)) == asked
    phone.evaluate(
        "() => { delete document.hidden; document.dispatchEvent(new Event('visibilitychange')); }"
    )
    phone.wait_for_timeout(800)
    assert len(sale_gets(phone, number)) == asked + 1
    # The customer did not pay: the panel closes and the page stops asking.
    phone.get_by_test_id("transfer-cancel").click()
    phone.wait_for_selector('[data-testid="transfer-panel"]', state="detached")
    asked = len(sale_gets(phone, number))
    phone.wait_for_timeout(6_000)
    assert len(sale_gets(phone, number)) == asked
    assert the_sale(app)["voided"]


def test_a_sale_rung_up_with_no_link_is_followed_once_the_link_is_back(
    app, phone, live_server, feed
):
    phone.add_init_script(COUNT_NOTES)
    open_counter(phone, live_server)
    phone.context.set_offline(True)
    scan_fast(phone, "10008")
    phone.wait_for_selector('.cart-line[data-code="10008"]')
    pay_by_transfer(phone)
    assert phone.get_by_test_id("transfer-no-link").is_visible()
    payload = phone.get_by_test_id("transfer-qr").get_attribute("data-payload")
    phone.wait_for_timeout(3_000)
    with app.app_context():
        from shop.models import Sale

        assert db.session.scalar(select(Sale)) is None  # nothing reached the server
    client_id = phone.evaluate(
        "() => new Promise((ok) => { const r = indexedDB.open('shop-counter');"
        " r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox')"
        ".getAll(); q.onsuccess = () => ok(q.result.map((e) => e.client_id)); }; })"
    )[0]
    code = rules.reference_code(rules.reference_of(client_id), "NM")
    assert f"{code} " in payload
    phone.context.set_offline(False)
    # The link is back and the panel still open: the sale is recorded, still waiting...
    expect(phone.get_by_test_id("transfer-no-link")).to_be_hidden(timeout=10_000)
    sale = the_sale(app)
    assert sale["client_id"] == client_id and not sale["confirmed"]
    assert phone.get_by_test_id("transfer-watching").is_visible()
    assert text(phone.get_by_test_id("transfer-cancel")) == "Khách không chuyển: hủy hóa đơn"
    screenshot(phone, "counter-bank-offline-recorded")
    # ... and the customer's transfer, with the code she scanned, completes it.
    bank_pays(app, code, 50_000, "sepay-2")
    expect(phone.get_by_test_id("money-received")).to_be_visible(timeout=8_000)
    sale = the_sale(app)
    assert sale["confirmed"] and sale["confirmed_by_id"] is None and sale["by_bank"]
    assert phone.evaluate("window.notes") >= 3
    expect(phone.get_by_test_id("link-state")).to_have_text("Đã gửi hết", timeout=10_000)
    with app.app_context():
        from shop.models import Sale

        assert len(db.session.scalars(select(Sale)).all()) == 1


def test_no_feed_no_promise(app, phone, live_server, three_items):
    """A shop with no bank feed: the panel does not say the bank will tell the page."""
    with app.app_context(), app.test_request_context():
        save_shop(db.session)
        db.session.commit()
    open_counter(phone, live_server)
    scan_fast(phone, "10019")
    phone.wait_for_selector('.cart-line[data-code="10019"]')
    pay_by_transfer(phone)
    assert phone.get_by_test_id("transfer-watching").is_hidden()
    assert ACCOUNT.account in text(phone.get_by_test_id("transfer-panel"))
