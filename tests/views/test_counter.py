import json
import re
from datetime import UTC, datetime

import pytest
import zxingcpp

from shop.extensions import db
from tests.conftest import save_shop
from tests.factories import HANOI, donated


def total(page):
    return re.search(r'data-testid="total">([^<]+)<', page.text).group(1).replace("\xa0", " ")


def test_a_shift_must_be_open_to_sell(as_member, stocked):
    page = as_member.get("/counter/")
    assert "Mở ca bán" in page.text
    blank = as_member.post("/counter/shift/open", data={"opening_float_dong": ""})
    assert blank.status_code == 422 and "Hãy đếm tiền trong ngăn kéo" in blank.text
    assert (
        as_member.post("/counter/shift/open", data={"opening_float_dong": "200k"}).status_code
        == 303
    )
    assert "Quét hoặc gõ mã hàng" in as_member.get("/counter/").text


def test_scan_cart_discounts_and_cash_with_change(as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "200k"})
    for code in ("A", "B"):
        assert as_member.post("/counter/add", data={"code": code}).status_code == 303
    again = as_member.post("/counter/add", data={"code": "A"}, follow_redirects=True)
    assert "Món A đã có trong giỏ hàng." in again.text
    unknown = as_member.post("/counter/add", data={"code": "ZZZ"}, follow_redirects=True)
    assert "Không có hàng mã ZZZ." in unknown.text
    page = as_member.get("/counter/basic")
    assert total(page) == "170.000 ₫"
    line_b = re.findall(r'action="/counter/line/(\d+)"', page.text)[1]
    refused = as_member.post(
        f"/counter/line/{line_b}",
        data={"quantity": "1", "discount_dong": "10k"},
        follow_redirects=True,
    )
    assert "Hãy ghi lý do giảm giá." in refused.text
    as_member.post(
        f"/counter/line/{line_b}",
        data={"quantity": "1", "discount_dong": "10k", "discount_reason": "vết bẩn"},
    )
    assert total(as_member.get("/counter/basic")) == "160.000 ₫"
    short = as_member.post(
        "/counter/pay",
        data={"method": "cash", "tendered_dong": "100k", "client_id": "t1"},
        follow_redirects=True,
    )
    assert "Tiền khách đưa phải đủ phần trả tiền mặt." in short.text
    paid = as_member.post(
        "/counter/pay", data={"method": "cash", "tendered_dong": "200k", "client_id": "t2"}
    )
    assert paid.headers["Location"] == "/counter/sales/1"
    receipt = as_member.get("/counter/sales/1")
    assert "Tiền thừa trả khách" in receipt.text and "40.000" in receipt.text
    # Sent twice (a weak connection): still one sale.
    twice = as_member.post(
        "/counter/pay", data={"method": "cash", "tendered_dong": "200k", "client_id": "t2"}
    )
    assert twice.headers["Location"] == "/counter/sales/1"
    assert "Giỏ hàng trống" in as_member.get("/counter/basic").text


def test_transfer_shows_a_vietqr_that_scans_then_confirms(as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "0"})
    as_member.post("/counter/add", data={"code": "B"})
    paid = as_member.post("/counter/pay", data={"method": "transfer", "client_id": "q1"})
    page = as_member.get(paid.headers["Location"])
    assert "Mời khách quét mã này" in page.text
    svg = re.search(r'data-testid="qr">(.*?)</div>', page.text, re.S).group(1)
    assert svg.lstrip().startswith("<svg")
    from shop.domain import bank as bank_code
    from shop.domain import vietqr

    expected = vietqr.payload(
        vietqr.BankAccount("970415", "113366668888"),
        120_000,
        bank_code.purpose(bank_code.sale_code(1), "NEW ME – Đồ cũ"),
    )
    png = vietqr.qr_png(expected)
    from io import BytesIO

    from PIL import Image

    assert zxingcpp.read_barcodes(Image.open(BytesIO(png)))[0].text == expected
    assert "NM13 NEW ME Do cu" in page.text  # sale 1, Damm digit 3, the shop's name
    close = as_member.post("/counter/shift/close", data={"counted_cash_dong": "0"})
    assert close.status_code == 422 and "chuyển khoản đang chờ" in close.text
    as_member.post("/counter/sales/1/confirm")
    assert "Tiền thừa" not in as_member.get("/counter/sales/1").text
    done = as_member.post(
        "/counter/shift/close", data={"counted_cash_dong": "0"}, follow_redirects=True
    )
    assert "Đã đóng ca" in done.text


def test_a_waiting_transfer_stays_on_the_counter_however_many_sales_follow(app, as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "0"})
    as_member.post("/counter/add", data={"code": "B"})
    as_member.post("/counter/pay", data={"method": "transfer", "client_id": "w-transfer"})
    with app.app_context(), app.test_request_context():
        more = {f"T{n}": ("Áo", 10_000) for n in range(25)}
        donated(db.session, datetime(2026, 11, 15, 2, tzinfo=UTC), **more)
        db.session.commit()
    for n in range(25):  # a busy afternoon after it
        as_member.post("/counter/add", data={"code": f"T{n}"})
        as_member.post("/counter/pay", data={"method": "cash", "client_id": f"w-cash-{n}"})
    waiting = "Hóa đơn 1 đang chờ chuyển khoản 120.000"
    assert waiting in as_member.get("/counter/basic").text
    as_member.post("/counter/sales/1/confirm")
    assert "đang chờ chuyển khoản" not in as_member.get("/counter/basic").text


def test_void_and_refund_on_the_sale_page(as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "100k"})
    as_member.post("/counter/add", data={"code": "A"})
    as_member.post("/counter/pay", data={"method": "cash", "client_id": "v1"})
    no_reason = as_member.post("/counter/sales/1/void", data={"reason": ""}, follow_redirects=True)
    assert "Hãy ghi lý do hủy hóa đơn." in no_reason.text
    as_member.post("/counter/sales/1/void", data={"reason": "nhầm hàng"})
    assert "Đã hủy" in as_member.get("/counter/sales/").text
    assert as_member.post("/counter/add", data={"code": "A"}).status_code == 303  # back in stock
    as_member.post("/counter/pay", data={"method": "cash", "client_id": "v2"})
    too_much = as_member.post(
        "/counter/sales/2/refund",
        data={
            "line": "0",
            "amount_dong": "60k",
            "quantity": "1",
            "method": "cash",
            "reason": "lỗi",
        },
        follow_redirects=True,
    )
    assert "chỉ còn hoàn được tối đa 50.000" in too_much.text
    ok = as_member.post(
        "/counter/sales/2/refund",
        data={
            "line": "0",
            "amount_dong": "50k",
            "quantity": "1",
            "method": "cash",
            "reason": "khách trả lại",
            "restock": "y",
        },
        follow_redirects=True,
    )
    assert "Đã hoàn tiền và ghi lại." in ok.text
    close = as_member.get("/counter/shift/close")
    assert 'data-testid="expected"' not in close.text  # blind: her count comes first
    counted = as_member.post("/counter/shift/close", data={"counted_cash_dong": "90k"})
    assert counted.headers["Location"] == "/counter/shifts/1/count"
    page = as_member.get("/counter/shifts/1/count").text
    # 100.000 float + 50.000 sale 2 (sale 1 voided) − 50.000 refunded.
    assert "100.000" in re.search(r'data-testid="expected">([^<]+)<', page).group(1)
    assert "-10.000" in re.search(r'data-testid="difference">([^<]+)<', page).group(1)


def test_lot_by_quantity_and_find_by_words(as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "0"})
    found = as_member.get("/counter/find?q=tat")
    assert "SOCKS" in found.text
    as_member.post("/counter/add", data={"code": "SOCKS", "quantity": "3"})
    assert total(as_member.get("/counter/basic")) == "30.000 ₫"
    too_many = as_member.post(
        "/counter/add", data={"code": "SOCKS", "quantity": "3"}, follow_redirects=True
    )
    assert "chỉ còn 5 cái" in too_many.text


def test_transfer_needs_the_bank_account(as_coordinator, app, stocked):
    with app.app_context():
        save_shop(db.session, name="X", bank=False)
        db.session.commit()
    as_coordinator.post("/counter/shift/open", data={"opening_float_dong": "0"})
    as_coordinator.post("/counter/add", data={"code": "A"})
    refused = as_coordinator.post(
        "/counter/pay", data={"method": "transfer", "client_id": "b"}, follow_redirects=True
    )
    assert "chưa có tài khoản ngân hàng" in refused.text
    bad = as_coordinator.post(
        "/settings/shop", data={"name": "X", "bank_bin": "12", "bank_account": "1"}
    )
    assert bad.status_code == 422 and "Mã ngân hàng có 6 chữ số." in bad.text


def test_member_cannot_change_shop_settings(as_member):
    assert as_member.get("/settings/shop").status_code == 403


def test_a_sale_from_the_paper_notebook(as_coordinator, app, stocked, clock):

    from shop.services import counter
    from shop.services import members as svc

    with app.app_context():
        ngoc = svc.get_member(db.session, 2)
        # Her shift that day was opened on the tablet before the power went out.
        counter.open_shift(
            db.session, ngoc, 100_000, at=datetime(2026, 11, 10, 1, tzinfo=UTC), tz=HANOI
        )
        db.session.commit()
    no_shift = as_coordinator.post(
        "/counter/notebook",
        data={
            "day": "19/11/2026",
            "time": "15:30",
            "cashier": "1",
            "codes": "A",
            "method": "cash",
            "client_id": "notebook-0000",
        },
    )
    assert no_shift.status_code == 422 and "không có ca bán nào mở lúc đó" in no_shift.text
    page = as_coordinator.get("/counter/notebook")
    assert "Nhập hóa đơn từ sổ ghi" in page.text
    # 19 November, 15:30 in Hanoi: before "now" (20 November 10:00) and after the intake.
    data = {
        "day": "19/11/2026",
        "time": "15:30",
        "cashier": "2",
        "codes": "A\nSOCKS 2\n",
        "method": "cash",
        "client_id": "notebook-0001",
    }
    entered = as_coordinator.post("/counter/notebook", data=data)
    assert entered.status_code == 303, entered.text
    sale = as_coordinator.get(entered.headers["Location"])
    assert "70.000" in sale.text and "19/11/2026 15:30" in sale.text
    assert "Nguyễn Thị Ngọc" in sale.text
    again = as_coordinator.post("/counter/notebook", data=data)
    assert again.headers["Location"] == entered.headers["Location"]
    future = as_coordinator.post(
        "/counter/notebook", data={**data, "day": "21/11/2026", "client_id": "notebook-0002"}
    )
    assert future.status_code == 422 and "tương lai" in future.text
    early = as_coordinator.post(
        "/counter/notebook",
        data={**data, "day": "10/11/2026", "codes": "C", "client_id": "notebook-0003"},
    )
    assert early.status_code == 422 and "chưa được nhập" in early.text
    bad = as_coordinator.post(
        "/counter/notebook",
        data={**data, "codes": "A B C", "time": "25:99", "client_id": "notebook-0004"},
    )
    assert bad.status_code == 422
    assert "mỗi dòng một mã" in bad.text and "hh:mm" in bad.text


def test_only_coordinators_enter_notebook_sales(as_member):
    assert as_member.get("/counter/notebook").status_code == 403


def test_receipt_in_the_browser_and_as_printer_bytes(as_member, app, stocked, runner):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "0"})
    as_member.post("/counter/add", data={"code": "A"})
    as_member.post("/counter/add", data={"code": "SOCKS", "quantity": "2"})
    as_member.post(
        "/counter/pay", data={"method": "cash", "tendered_dong": "100k", "client_id": "r1"}
    )
    page = as_member.get("/counter/sales/1/receipt?paper=58")
    assert page.status_code == 200 and 'class="paper-58"' in page.text
    for text in (
        "NEW ME – Đồ cũ",
        "HÓA ĐƠN",
        "Tổng cộng",
        "70.000",
        "Tiền thừa trả khách",
        "30.000",
        "Áo · Áo sơ mi",
        "2 × 10.000",
    ):
        assert text in page.text, text
    assert "paper-80" in as_member.get("/counter/sales/1/receipt?paper=x").text

    from tests.printing.escpos_decoder import decode

    path = app.instance_path + "/receipt.bin"
    result = runner.invoke(args=["receipt", "1", "--to", path])
    assert result.exit_code == 0, result.output
    from pathlib import Path

    events = decode(Path(path).read_bytes())
    images = [event[1] for event in events if event[0] == "image"]
    assert images and all(image.width == 384 for image in images)
    assert ("cut",) in events or any(event[0] == "cut" for event in events)
    assert runner.invoke(args=["receipt", "99", "--to", path]).exit_code != 0


def test_the_counter_is_an_app_with_the_server_cart_behind_a_noscript_link(as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "0"})
    page = as_member.get("/counter/")
    assert 'id="counter-config"' in page.text and 'id="counter-text"' in page.text
    assert '<noscript><p class="error">' in page.text and 'href="/counter/basic"' in page.text
    words = re.search(r'id="counter-text">(.*?)</script>', page.text).group(1)
    # The page's words come translated from the server.
    assert json.loads(words)["offline"] == "Mất kết nối: %(count)s hóa đơn chờ gửi"
    worker = as_member.get("/counter/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/counter/"
    manifest = as_member.get("/counter/manifest.webmanifest").get_json(force=True)
    assert manifest["start_url"] == "/counter/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        response = as_member.get(icon["src"])
        assert response.status_code == 200
        response.close()


@pytest.mark.parametrize("typed", ["0", "-3", "−3", "2,5"])
def test_a_quantity_below_one_gets_a_clear_message(as_member, stocked, typed):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "0"})
    refused = as_member.post(
        "/counter/add", data={"code": "SOCKS", "quantity": typed}, follow_redirects=True
    )
    assert "Số lượng phải ít nhất là 1." in refused.text
    assert 'class="cart-line"' not in as_member.get("/counter/basic").text  # nothing added


def test_the_closing_count_is_blind_then_shows_the_difference_and_keeps_a_note(as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "100k"})
    as_member.post("/counter/add", data={"code": "A"})
    as_member.post("/counter/pay", data={"method": "cash", "client_id": "n1"})
    blind = as_member.get("/counter/shift/close").text
    assert "150.000" not in blind and "Tiền dự kiến" not in blind  # nothing to aim at
    assert as_member.post("/counter/shift/close", data={"counted_cash_dong": ""}).status_code == 422
    done = as_member.post(
        "/counter/shift/close", data={"counted_cash_dong": "140k"}, follow_redirects=True
    )
    text = done.text.replace("\xa0", " ")
    assert "Đã đóng ca" in text
    assert re.search(r'data-testid="expected">([^<]+)<', text).group(1) == "150.000 ₫"
    assert re.search(r'data-testid="difference">([^<]+)<', text).group(1) == "-10.000 ₫ (thiếu)"
    empty = as_member.post("/counter/shifts/1/count", data={"note": " "})
    assert empty.status_code == 422 and 'id="note-error"' in empty.text
    kept = as_member.post(
        "/counter/shifts/1/count", data={"note": "Trả thừa tiền cho khách"}, follow_redirects=True
    )
    assert "Trả thừa tiền cho khách" in re.search(
        r'data-testid="count-note">(.*?)</p>', kept.text, re.S
    ).group(1)  # on the shift's report
    again = as_member.get("/counter/shifts/1/count").text
    assert 'name="note"' not in again and "Trả thừa tiền cho khách" in again


def test_a_matching_count_asks_for_no_note_and_others_cannot_look(as_member, app, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "100k"})
    page = as_member.post(
        "/counter/shift/close", data={"counted_cash_dong": "100k"}, follow_redirects=True
    ).text
    assert 'data-testid="count-matches"' in page and 'name="note"' not in page
    with app.app_context():
        from shop.services import counter as svc
        from shop.services import members as members_svc

        hong = members_svc.get_member(db.session, 1)
        svc.open_shift(db.session, hong, 0, at=datetime(2026, 11, 20, 2, tzinfo=UTC), tz=HANOI)
        db.session.commit()
    assert as_member.get("/counter/shifts/2/count").status_code == 403
