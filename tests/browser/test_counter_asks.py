"""Small things at the server-rendered counter: emptying the cart asks first, and the
browser receipt has a Print button."""

from __future__ import annotations

import pytest

from reliability.chromium import open_counter, sign_in

pytestmark = pytest.mark.browser


def test_emptying_the_cart_asks_first_and_the_receipt_prints(phone, live_server, three_items):
    sign_in(phone, live_server, "0912000002", "1357")
    open_counter(phone, live_server, opening_float="0")
    phone.goto(f"{live_server}/counter/basic")
    phone.get_by_label("Mã hàng").fill("10008")
    phone.keyboard.press("Enter")
    phone.wait_for_selector('.cart-line[data-code="10008"]')
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        if len(questions) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    phone.on("dialog", answer)
    empty = phone.locator("form[data-confirm] button")
    empty.click()
    phone.wait_for_timeout(300)
    assert questions == ["Bỏ hết hàng ra khỏi giỏ?"]
    assert phone.locator('.cart-line[data-code="10008"]').count() == 1  # she said no
    empty.click()
    phone.wait_for_selector('.cart-line[data-code="10008"]', state="detached")
    assert len(questions) == 2
    # A sale, then its receipt: the Print button prints.
    phone.get_by_label("Mã hàng").fill("10019")
    phone.keyboard.press("Enter")
    phone.wait_for_selector('.cart-line[data-code="10019"]')
    phone.get_by_role("button", name="Thanh toán").click()
    phone.wait_for_url(f"{live_server}/counter/sales/1")
    number = 1
    phone.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; }")
    phone.goto(f"{live_server}/counter/sales/{number}/receipt")
    phone.get_by_test_id("print").click()
    assert phone.evaluate("window.printed") == 1
