"""The counter as an app in the page: fast scans, the total in view, discounts checked as
typed, quick cash, split change, and sales rung up with no link that reach the server
exactly once after reloads and a browser restart."""

import pytest

from reliability.chromium import open_counter as open_counter_page
from reliability.chromium import sign_in
from shop.extensions import db
from tests.browser.conftest import page_width, screenshot

pytestmark = pytest.mark.browser


def text(locator):
    return locator.inner_text().replace("\xa0", " ")


def open_counter(page, live_server):
    sign_in(page, live_server, "0912000002", "1357")
    open_counter_page(page, live_server, opening_float="200k")
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
    phone.wait_for_selector(".cart-line:nth-child(5)")
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
        phone.wait_for_selector(f".cart-line:nth-child({count})")
        assert in_view(phone, "total") and in_view(phone, "pay")
        row = phone.locator(f'.cart-line[data-code="{code}"]').bounding_box()
        bar = phone.locator("#totalbar").bounding_box()
        assert row["y"] >= 0 and row["y"] + row["height"] <= bar["y"] + 1, code
    assert page_width(phone) <= 360


def sign_in_if_asked(page, live_server):
    page.goto(f"{live_server}/sign-in")
    if "/sign-in" in page.url:
        sign_in(page, live_server, "0912000002", "1357")


def pay_exact(page):
    page.get_by_test_id("cash-exact").click()
    page.get_by_test_id("pay").click()
    page.wait_for_selector('[data-testid="queued"]')


def test_sales_with_the_server_stopped_survive_reloads_and_a_restart_and_arrive_once(
    app, browser, shop_server, rail_items, tmp_path
):
    """What the README promises: the server stops (its power went), the counter sells on,
    the tablet's browser restarts, the server starts again and every sale arrives once."""
    live_server = shop_server.url
    chromium = browser.browser_type
    profile = tmp_path / "tablet"

    def tablet():
        context = chromium.launch_persistent_context(
            str(profile),
            executable_path=browser_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            viewport={"width": 360, "height": 740},
            locale="vi-VN",
        )
        return context, context.pages[0] if context.pages else context.new_page()

    context, page = tablet()
    open_counter(page, live_server)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the page itself comes through the worker, which keeps it
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    ready(page)
    shop_server.stop()
    scan_fast(page, "10008")
    pay_exact(page)
    assert text(page.get_by_test_id("change")) == "0 ₫"
    scan_fast(page, "10019")
    page.wait_for_selector('.cart-line[data-code="10019"]')
    page.get_by_label("Khách đưa").fill("50k")
    assert text(page.get_by_test_id("change")) == "5.000 ₫"
    page.get_by_test_id("pay").click()
    page.wait_for_selector('[data-testid="queued"]')
    state = page.get_by_test_id("link-state")
    assert text(state) == "Mất kết nối: 2 hóa đơn chờ gửi"
    screenshot(page, "counter-app-offline")
    # A reload with the server stopped: the page comes from the service worker, the outbox
    # and the rail from IndexedDB.
    page.reload()
    page.wait_for_selector('[data-testid="link-state"][data-state="offline"]')
    assert text(state) == "Mất kết nối: 2 hóa đơn chờ gửi"
    scan_fast(page, "10008")  # sold on this device: no longer on its rail
    assert "10008" in text(page.get_by_test_id("scan-message"))
    assert page.locator(".cart-line").count() == 0
    scan_fast(page, "10024")
    page.wait_for_selector('.cart-line[data-code="10024"]')
    pay_exact(page)
    assert text(state) == "Mất kết nối: 3 hóa đơn chờ gửi"
    assert sales(app) == []
    # The tablet's browser restarts, the server still stopped.
    context.close()
    context, page = tablet()
    page.goto(f"{live_server}/counter/")
    page.wait_for_selector('[data-testid="link-state"][data-state="offline"]')
    assert text(page.get_by_test_id("link-state")) == "Mất kết nối: 3 hóa đơn chờ gửi"
    # The server starts again (she signs in again if the restart signed her out).
    shop_server.start()
    sign_in_if_asked(page, live_server)
    page.goto(f"{live_server}/counter/")
    page.wait_for_selector('[data-testid="link-state"][data-state="online"]', timeout=20000)
    assert text(page.get_by_test_id("link-state")) == "Đã gửi hết"
    recorded = sales(app)
    assert sorted(lines for _c, _t, lines in recorded) == [["10008"], ["10019"], ["10024"]]
    assert len({client_id for client_id, _t, _l in recorded}) == 3
    assert sorted(total for _c, total, _l in recorded) == [45_000, 50_000, 80_000]
    # Sent again (another reload): still three.
    page.reload()
    ready(page)
    assert len(sales(app)) == 3
    context.close()


def browser_path():
    from tests.browser.conftest import CHROMIUM

    return CHROMIUM


MONEY_INPUTS = [
    "45000", "45.000", "45,000", "45.000 ₫", "45000đ", "45k", "45 k", "1,5k", "1.5k", "1.2tr",
    "1tr2", "1tr25", "2 triệu", "3 nghìn", "3ngàn", "10 ng", "0", "", "   ", "-5", "-5k", "-x",
    "abc", "45.5", "1,25", "45.0000", "1.5", "1,5", "1.2345678k", "1,0005k", "100000000000",
    "100000000001", "1234567890123456", "999999tr", "45 000", "45\u00a0000", "45.000,5k", "₫",
    "đồng", "12VND", "12 vnd", "1.000.000", "1,000,000", "1.00.000", "k", "1kk", "1tr2.5",
    "0,5k", "0.001k", "1.5tr", "7 Đồng", "45K", "1TR",
]  # fmt: skip


def python_parse(value):
    from shop.domain.money import MoneyError, parse_dong

    try:
        return ["ok", parse_dong(value)]
    except MoneyError as error:
        return ["error", error.code]


def test_the_page_parses_money_and_marks_down_as_the_server_does(phone, live_server, rail_items):
    import random

    from shop.domain.money import format_dong
    from shop.domain.pricing import MarkdownStep, effective_price
    from shop.domain.sale import Line, SaleError, totals

    open_counter(phone, live_server)
    js = phone.evaluate(
        """inputs => inputs.map(t => {
            try { return ["ok", window.counterApp.parseDong(t)]; }
            catch (e) { return ["error", e.code]; } })""",
        MONEY_INPUTS,
    )
    assert dict(zip(MONEY_INPUTS, js, strict=True)) == {t: python_parse(t) for t in MONEY_INPUTS}
    amounts = [0, 5, 999, 1000, 45000, 1234567, -1500, 100_000_000_000]
    assert phone.evaluate("xs => xs.map(x => window.counterApp.formatDong(x))", amounts) == [
        format_dong(a) for a in amounts
    ]

    chance = random.Random(11)
    cases = []
    for _ in range(400):
        steps = {
            chance.randint(1, 120): chance.randint(1, 100) for _ in range(chance.randint(0, 4))
        }
        cases.append(
            {
                "price": chance.choice(
                    [1000, 9999, 45000, 50000, 123456, chance.randint(1, 10**9)]
                ),
                "days": chance.randint(0, 200),
                "steps": [{"after_days": d, "percent_off": p} for d, p in steps.items()],
            }
        )
    js = phone.evaluate(
        "cs => cs.map(c => window.counterApp.effectivePrice(c.price, c.days, c.steps))", cases
    )
    python = [
        effective_price(
            c["price"],
            c["days"],
            [MarkdownStep(s["after_days"], s["percent_off"]) for s in c["steps"]],
        )
        for c in cases
    ]
    assert js == python

    sales_ = []
    for _ in range(200):
        lines = [
            {
                "unit_price_dong": chance.randint(0, 500) * 1000 + chance.choice([0, 0, 1, 7]),
                "quantity": chance.randint(1, 4),
                "discount_dong": chance.choice([0, 0, 1000, 5001]),
            }
            for _ in range(chance.randint(1, 6))
        ]
        sales_.append({"lines": lines, "discount": chance.choice([0, 1, 999, 10000, 77777])})
    js = phone.evaluate(
        """ss => ss.map(s => { try { const t = window.counterApp.totals(s.lines, s.discount);
            return [t.nets, t.parts]; } catch (e) { return e.code; } })""",
        sales_,
    )
    python = []
    for s in sales_:
        try:
            t = totals(
                [Line(x["unit_price_dong"], x["quantity"], x["discount_dong"]) for x in s["lines"]],
                s["discount"],
            )
            python.append([list(t.nets), list(t.sale_discount_parts)])
        except SaleError as error:
            python.append(error.code)
    assert js == python


def test_discounts_are_checked_as_typed_and_split_payment_shows_the_change(
    app, phone, live_server, rail_items
):
    open_counter(phone, live_server)
    scan_fast(phone, "10008", "10019")  # 50.000 + 45.000
    phone.wait_for_selector(".cart-line:nth-child(2)")
    line = phone.locator('.cart-line[data-code="10019"]')
    line.locator("summary").click()
    line.get_by_label("Giảm giá", exact=True).fill("50k")  # more than the line
    assert "không thể lớn hơn" in text(line.get_by_test_id("line-discount-message"))
    assert text(phone.get_by_test_id("total")) == "95.000 ₫"
    line.get_by_label("Giảm giá", exact=True).fill("5k")  # no reason yet
    assert text(phone.get_by_test_id("total")) == "95.000 ₫"
    line.get_by_label("Lý do giảm giá").fill("vết bẩn")
    assert text(phone.get_by_test_id("total")) == "90.000 ₫"
    phone.locator("#sale-discount summary").click()
    phone.locator("#sale_discount_dong").fill("100k")  # more than the sale
    phone.locator("#discount_reason").fill("khách quen")
    assert text(phone.get_by_test_id("sale-discount-message"))
    assert text(phone.get_by_test_id("total")) == "90.000 ₫"
    phone.locator("#sale_discount_dong").fill("10.000")
    assert text(phone.get_by_test_id("total")) == "80.000 ₫"
    # Cash and transfer: the change at once.
    phone.locator("label.pill", has_text="Cả hai").click()
    phone.get_by_label("Phần trả bằng chuyển khoản").fill("30k")
    phone.get_by_label("Khách đưa").fill("100k")
    assert text(phone.get_by_test_id("change")) == "50.000 ₫"
    phone.get_by_test_id("cash-exact").click()
    assert text(phone.get_by_test_id("change")) == "0 ₫"
    phone.get_by_test_id("cash-100000").click()
    assert phone.get_by_label("Khách đưa").input_value() == "100.000"
    phone.get_by_test_id("cash-50000").click()
    assert text(phone.get_by_test_id("change")) == "0 ₫"  # next 50.000 above 50.000 due
    screenshot(phone, "counter-app-split")
    phone.get_by_test_id("pay").click()
    # The transfer part's code, then "The money has arrived" once she sees it.
    phone.get_by_test_id("transfer-received").click()
    phone.wait_for_selector('[data-testid="sale-number"]')
    [(_client, total, _lines)] = sales(app)
    assert total == 80_000


def test_signing_out_with_unsent_sales_asks_first(app, phone, live_server, rail_items):
    open_counter(phone, live_server)
    phone.context.set_offline(True)
    scan_fast(phone, "10008")
    phone.wait_for_selector('.cart-line[data-code="10008"]')
    pay_exact(phone)
    # Still no answer from the server (shut before the link is back, or the waiting sale
    # could leave in between).
    phone.route("**/api/v1/**", lambda route: route.abort())
    phone.context.set_offline(False)
    phone.goto(f"{live_server}/")
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    phone.on("dialog", answer)
    phone.get_by_role("button", name="Đăng xuất").click()
    for _ in range(50):  # the question comes after the outbox is read from IndexedDB
        if questions:
            break
        phone.wait_for_timeout(100)
    assert questions and "Còn 1 hóa đơn chưa gửi" in questions[0]
    assert phone.url == f"{live_server}/"  # she said no: still signed in


def test_a_code_scanned_before_the_page_has_started_is_kept(browser, live_server, three_items):
    """A scanner's code arriving while the counter's module is still loading becomes a line,
    not a reload of the page with the code in its address."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Số điện thoại").fill("0912000002")
    page.get_by_label("Mã PIN").fill("1357")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/counter/")
    page.get_by_label("Tiền đầu ca").fill("0")
    page.get_by_role("button", name="Mở ca").click()
    page.wait_for_url(f"{live_server}/counter/")
    # Hold the module back, scan as soon as the box is there, then let the module load.
    held = []
    page.route("**/js/counter/app.js", lambda route: held.append(route))
    page.goto(f"{live_server}/counter/", wait_until="commit")
    page.wait_for_selector("#code", state="attached")
    # The box's own keeper (early.js, parsed right after it) has run: on a busy machine the
    # box can be in the page a moment before it.
    page.wait_for_function("() => Array.isArray(window.earlyScans)")
    while not held:
        page.wait_for_timeout(20)
    page.locator("#code").focus()
    page.keyboard.type("10008", delay=0)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # a form sent now would be a reload to /counter/?code=10008
    held[0].continue_()
    page.wait_for_selector('[data-code="10008"]', timeout=15_000)
    assert page.url == f"{live_server}/counter/"
    context.close()


def test_a_tablet_whose_clock_is_wrong_prices_as_the_shop_does(
    app, browser, live_server, rail_items
):
    """A cheap tablet's clock may reset after a power cut: the page's today follows the
    server's (as the rail last said it), so its markdown is the shop's."""
    from datetime import UTC, datetime, timedelta

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.clock.install(time=datetime.now(UTC) + timedelta(days=200))  # 200 days ahead
    open_counter(page, live_server)
    scan_fast(page, "10008")
    page.wait_for_selector('.cart-line[data-code="10008"]')
    assert text(page.get_by_test_id("total")) == "50.000 ₫"  # tagged today: no markdown
    page.get_by_test_id("pay").click()
    page.wait_for_selector('[data-testid="sale-number"]')
    assert page.locator('[data-testid="server-total"]').count() == 0  # the same total
    context.close()
