"""A transfer at the counter app: with a link, the server's code for the recorded sale and
"The money has arrived"; with no link, the same kind of code made in the page for the
sale's reference (its payment code written by the page: the prefix, "0", the reference's
ten digits and their Damm digit), confirmed as the cashier sees the money arrive, and the
sale sent later, recorded once and complete. Each code is read back from a 360×740
screenshot."""

from __future__ import annotations

from io import BytesIO

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from shop.domain import bank as rules
from shop.domain import vietqr
from shop.extensions import db
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_counter_app import open_counter, ready, scan_fast, text
from tests.conftest import save_shop

pytestmark = pytest.mark.browser

ACCOUNT = vietqr.BankAccount("970415", "113366668888", "NHOM NEW ME")


@pytest.fixture
def bank(app, three_items):

    with app.app_context(), app.test_request_context():
        save_shop(db.session)
        db.session.commit()


def read_code(page, name):
    page.get_by_test_id("transfer-qr").scroll_into_view_if_needed()
    png = page.screenshot()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    return [code.text for code in zxingcpp.read_barcodes(Image.open(BytesIO(png)).convert("L"))]


def recorded(app):
    from shop.models import Sale

    with app.app_context():
        db.session.expire_all()
        return [
            (s.client_id, s.transfer_dong, s.confirmed_at is not None, s.void is not None)
            for s in db.session.scalars(select(Sale).order_by(Sale.number))
        ]


def pay_by_transfer(page):
    page.locator("label", has_text="Chuyển khoản").first.click()
    page.get_by_test_id("pay").click()
    page.wait_for_selector('[data-testid="transfer-panel"]')


def test_a_transfer_with_no_link_is_confirmed_on_the_page_and_arrives_complete(
    app, phone, live_server, bank
):
    open_counter(phone, live_server)
    phone.context.set_offline(True)
    scan_fast(phone, "10008")
    phone.wait_for_selector('.cart-line[data-code="10008"]')
    pay_by_transfer(phone)
    assert "Mất kết nối" in text(phone.get_by_test_id("transfer-no-link"))
    client_id = phone.evaluate(
        "() => new Promise((ok) => { const r = indexedDB.open('shop-counter');"
        " r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox')"
        ".getAll(); q.onsuccess = () => ok(q.result.map((e) => e.client_id)); }; })"
    )
    assert len(client_id) == 1
    reference = rules.reference_of(client_id[0])
    purpose = rules.purpose(rules.reference_code(reference, "NM"), "NEW ME – Đồ cũ")
    assert purpose.startswith("NM0") and len(purpose) <= vietqr.MAX_PURPOSE
    expected = vietqr.payload(ACCOUNT, 50_000, purpose)
    assert phone.get_by_test_id("transfer-qr").get_attribute("data-payload") == expected
    assert read_code(phone, "counter-transfer-offline") == [expected]
    assert f"Nội dung: {purpose}" in text(phone.get_by_test_id("transfer-panel"))
    screenshot(phone, "counter-transfer-offline-page")
    # Not a sale until she has seen the money: nothing is waiting to be sent.
    assert text(phone.get_by_test_id("link-state")) == "Mất kết nối: 0 hóa đơn chờ gửi"
    phone.get_by_test_id("transfer-received").click()
    phone.wait_for_selector('[data-testid="queued"]')
    assert text(phone.get_by_test_id("link-state")) == "Mất kết nối: 1 hóa đơn chờ gửi"
    assert recorded(app) == []
    phone.context.set_offline(False)
    phone.wait_for_selector('[data-testid="link-state"][data-state="online"]', timeout=20_000)
    expect(phone.get_by_test_id("link-state")).to_have_text("Đã gửi hết", timeout=20_000)
    assert recorded(app) == [(client_id[0], 50_000, True, False)]


def test_a_transfer_with_a_link_shows_the_servers_code_then_completes(
    app, phone, live_server, bank
):
    open_counter(phone, live_server)
    scan_fast(phone, "10019")
    phone.wait_for_selector('.cart-line[data-code="10019"]')
    pay_by_transfer(phone)
    [(client_id, amount, confirmed, voided)] = recorded(app)
    assert (amount, confirmed, voided) == (45_000, False, False)
    with app.app_context():
        from shop.models import Sale
        from shop.services.transfers import transfer_payload

        sale = db.session.scalar(select(Sale))
        payload = transfer_payload(db.session, sale)[0]
    assert read_code(phone, "counter-transfer-online") == [payload]
    phone.get_by_test_id("transfer-received").click()
    phone.wait_for_selector('[data-testid="sale-number"]')
    assert recorded(app) == [(client_id, 45_000, True, False)]
    assert text(phone.get_by_test_id("link-state")) == "Đã gửi hết"


def test_a_customer_who_does_not_transfer_leaves_the_cart_as_it_was(app, phone, live_server, bank):
    open_counter(phone, live_server)
    scan_fast(phone, "10024")
    phone.wait_for_selector('.cart-line[data-code="10024"]')
    pay_by_transfer(phone)
    phone.get_by_test_id("transfer-cancel").click()
    phone.wait_for_selector('[data-testid="transfer-panel"]', state="detached")
    [(first, _amount, confirmed, voided)] = recorded(app)
    assert (confirmed, voided) == (False, True)  # the sale waiting for it is voided
    assert phone.locator('.cart-line[data-code="10024"]').count() == 1
    # She takes cash instead: a new sale, complete.
    phone.locator("label", has_text="Tiền mặt").first.click()
    phone.get_by_test_id("cash-exact").click()
    phone.get_by_test_id("pay").click()
    phone.wait_for_selector('[data-testid="sale-number"]')
    ready(phone)
    sales = recorded(app)
    assert len(sales) == 2 and sales[1][0] != first and sales[1][1:] == (0, True, False)


def test_the_pages_damm_digit_and_offline_code_are_pythons(phone, live_server):
    """The page's Damm digit and offline code (static/js/counter/vietqr.js), run in
    Chromium over hundreds of numbers and references, against shop.domain.bank's."""
    import random

    randomly = random.Random(17)
    numbers = [str(n) for n in range(600)]
    numbers += ["0" + str(n) for n in range(100)]  # a leading zero changes nothing
    numbers += ["".join(randomly.choice("0123456789") for _ in range(11)) for _ in range(300)]
    references = ["00000000", "FFFFFFFF", "0000000A", "7FFFFFFF"]
    references += [f"{randomly.getrandbits(32):08X}" for _ in range(300)]
    phone.goto(f"{live_server}/sign-in")
    digits, codes, refused = phone.evaluate(
        """async ([numbers, references]) => {
             const qr = await import("/static/js/counter/vietqr.js");
             const transfer = { code_before: "NM0", code_after: " NEW ME", reference_digits: 10 };
             return [numbers.map((n) => qr.dammDigit(n)),
                     references.map((r) => qr.referenceCode(transfer, r)),
                     ["1234567", "ABCDEFGH", "abcdef12", ""]
                       .map((r) => qr.referenceCode(transfer, r))];
           }""",
        [numbers, references],
    )
    assert digits == [rules.damm_digit(n) for n in numbers]
    assert codes == [rules.reference_code(r, "NM") for r in references]
    assert refused == [None, None, None, None]  # not 8 hex characters: no code at all
    # Each code the page writes is one the bank's content is read back as.
    assert all(
        rules.codes_in(f"MBVCB.3278907687.{code}.CT", "NM")
        == [rules.Code(reference_digits=rules.reference_digits(r))]
        for code, r in zip(codes, references, strict=True)
    )


def test_the_pages_offline_transfer_is_pythons_for_another_prefix_and_a_long_name(
    phone, live_server
):
    """transferPayload with the server's own parts (offline_transfer) for a shop with its
    own prefix and a long name: the same payload as shop.domain's, byte for byte."""
    phone.goto(f"{live_server}/sign-in")
    cases = []
    for prefix, name in (("NM", "NEW ME – Đồ cũ"), ("SHOPVN", "Cửa hàng đồ cũ Hà Nội"), ("AB", "")):
        parts = {
            "head": vietqr.head(ACCOUNT),
            "code_before": rules.purpose_before_reference(prefix),
            "code_after": rules.purpose(rules.reference_code("00000000", prefix), name)[
                len(rules.reference_code("00000000", prefix)) :
            ],
            "reference_digits": rules.REFERENCE_DIGITS,
        }
        for reference in ("00000000", "1A2B3C4D", "FFFFFFFF"):
            cases.append((parts, 123_000, reference, prefix, name))
    made = phone.evaluate(
        """async (cases) => {
             const qr = await import("/static/js/counter/vietqr.js");
             return cases.map(([parts, amount, ref]) => qr.transferPayload(parts, amount, ref));
           }""",
        cases,
    )
    for (_parts, amount, reference, prefix, name), page in zip(cases, made, strict=True):
        purpose = rules.purpose(rules.reference_code(reference, prefix), name)
        assert page == {"payload": vietqr.payload(ACCOUNT, amount, purpose), "purpose": purpose}


def test_offline_transfer_serves_the_parts_the_page_writes_its_code_with(app, bank):
    from shop.services.transfers import offline_transfer

    with app.app_context():
        parts = offline_transfer(db.session)
    assert parts["code_before"] == "NM0"
    assert parts["reference_digits"] == 10
    assert parts["head"] == vietqr.head(ACCOUNT)
    code = rules.reference_code("1A2B3C4D", "NM")
    assert code + parts["code_after"] == rules.purpose(code, "NEW ME – Đồ cũ")
