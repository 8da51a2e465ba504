"""The outbox when the server answers but does not take the sales: a device whose sign-in
was lost says so and sends them once she signs in again; a sale the server refuses stays
on the device, listed with the server's words, to send again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_counter_app import open_counter, pay_exact, sales, scan_fast, text

pytestmark = pytest.mark.browser


def test_a_counter_signed_out_says_so_and_sends_once_she_signs_in(
    app, phone, live_server, rail_items
):
    open_counter(phone, live_server)
    phone.context.set_offline(True)
    scan_fast(phone, "10008")
    phone.wait_for_selector('.cart-line[data-code="10008"]')
    pay_exact(phone)
    phone.context.clear_cookies()  # the sign-in is gone (a browser that forgot it)
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_selector('[data-testid="link-state"][data-state="signed-out"]')
    state = phone.get_by_test_id("link-state")
    assert text(state) == "Đã đăng xuất: đăng nhập lại để gửi 1 hóa đơn. Đăng nhập"
    assert sales(app) == []
    screenshot(phone, "counter-app-signed-out")
    phone.get_by_test_id("sign-in-again").click()
    phone.get_by_label("Số điện thoại").fill("0912000002")
    phone.get_by_label("Mã PIN").fill("1357")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url(f"{live_server}/counter/")
    expect(phone.get_by_test_id("link-state")).to_have_text("Đã gửi hết", timeout=20_000)
    assert [lines for _c, _t, lines in sales(app)] == [["10008"]]


def test_a_sale_the_server_refuses_stays_listed_with_its_reason(
    app, phone, live_server, rail_items
):
    open_counter(phone, live_server)
    # A sale of a code the shop does not know, as a device with a stale copy might hold.
    phone.evaluate(
        """() => new Promise((done) => {
          const open = indexedDB.open('shop-counter');
          open.onsuccess = () => {
            const tx = open.result.transaction('outbox', 'readwrite');
            const at = new Date().toISOString();
            tx.objectStore('outbox').put({
              client_id: 'offline-refused-0001', state: 'queued', tries: 0, at, cashier: 2,
              body: {client_id: 'offline-refused-0001', lines: [{code: 'NOPE1', quantity: 1}],
                     transfer_dong: 0, tendered_dong: 20000},
              unit_prices: [20000],
              receipt: {lines: [{code: 'NOPE1', name: 'Áo', quantity: 1, net_dong: 20000}],
                        total: 20000, cash: 20000, transfer: 0, tendered: 20000, change: 0, at},
            });
            tx.oncomplete = () => done(true);
          };
        })"""
    )
    phone.reload()
    phone.wait_for_selector('[data-testid="refused-sale"]', timeout=20_000)
    assert "1 hóa đơn bị máy chủ từ chối" in text(phone.get_by_test_id("link-state"))
    refused = phone.get_by_test_id("refused-sale")
    assert "NOPE1" in text(refused) and "20.000 ₫" in text(refused)
    assert text(refused.get_by_test_id("refused-message")) == "Không có hàng mã NOPE1."
    screenshot(phone, "counter-app-refused")
    # Sent again, refused again: still listed, never dropped, never recorded.
    phone.get_by_test_id("refused-again").click()
    phone.wait_for_timeout(1500)
    phone.reload()
    phone.wait_for_selector('[data-testid="refused-sale"]', timeout=20_000)
    assert phone.get_by_test_id("refused-sale").count() == 1
    assert sales(app) == []
    # The cart still sells while the refused one waits.
    scan_fast(phone, "10019")
    phone.wait_for_selector('.cart-line[data-code="10019"]')
    phone.get_by_test_id("cash-exact").click()
    phone.get_by_test_id("pay").click()
    phone.wait_for_selector('[data-testid="sale-number"]')
    assert [lines for _c, _t, lines in sales(app)] == [["10019"]]
