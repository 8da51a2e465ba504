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


def test_the_refund_form_names_each_line_and_asks_pieces_only_of_a_lot(
    phone, live_server, rail_items
):
    sign_in(phone, live_server, "0912000002", "1357")
    open_counter(phone, live_server, opening_float="0")
    phone.goto(f"{live_server}/counter/basic")
    for code in ("10008", "SOCKS"):
        phone.get_by_label("Mã hàng").fill(code)
        phone.get_by_label("Mã hàng").press("Enter")
        phone.wait_for_selector(f'.cart-line[data-code="{code}"]')
    socks = phone.locator('.cart-line[data-code="SOCKS"]')
    socks.locator("summary").click()
    socks.get_by_label("Số lượng").fill("2")
    socks.get_by_role("button", name="Lưu").click()
    phone.wait_for_load_state()
    phone.get_by_role("button", name="Thanh toán").click()
    phone.wait_for_url(f"{live_server}/counter/sales/1")
    phone.locator("#refund summary").click()
    line = phone.locator("#refund-line")
    options = line.locator("option").all_inner_texts()
    assert options[0].startswith("10008 · Áo sơ mi trắng · ")
    assert options[1].startswith("SOCKS · Tất × 2 · ")
    quantity = phone.get_by_test_id("refund-quantity")
    assert quantity.is_hidden()  # a one-of-a-kind line: no "how many pieces"
    line.select_option(index=1)
    assert quantity.is_visible()
    # The amount starts from what is left on the line: whole thousands in cash, exact by
    # transfer. SOCKS × 2 = 20.000 ₫; 12.500 ₫ of it given back leaves 7.500 ₫.
    amount = phone.get_by_label("Số tiền hoàn lại")
    assert amount.input_value() == "20.000"
    amount.fill("12.500")
    phone.get_by_label("Hoàn bằng").select_option("transfer")
    phone.get_by_label("Lý do", exact=True).fill("khách trả một đôi")
    phone.locator("#refund button[type=submit]").click()
    phone.wait_for_url(f"{live_server}/counter/sales/1")
    phone.locator("#refund summary").click()
    line = phone.locator("#refund-line")
    line.select_option(index=1)
    assert amount.input_value() == "7.000"  # in cash: no coins under 1.000 ₫
    phone.get_by_label("Hoàn bằng").select_option("transfer")
    assert amount.input_value() == "7.500"  # by transfer: the exact amount
    line.select_option(index=0)
    assert amount.input_value() == "50.000"
