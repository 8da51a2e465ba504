"""What coordinators and cashiers see of transfers the bank checks: the list of bank
transactions to look at and its decisions (page and API), who or what confirmed a sale's
transfer (its page and its JSON), the Z report's transfers against the bank and the month
close's warning about transfers the bank never showed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shop.domain import bank as rules
from shop.domain.bank import Direction
from shop.extensions import db
from shop.models import AuditEvent, BankTransaction, IntakeKind, Sale
from shop.services import bank, stock
from shop.services import counter as svc
from shop.services import members as member_service
from tests.conftest import save_shop, sign_in

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi


@pytest.fixture
def shop(app, coordinator, member, clock):
    """The shop's bank account, six 54.000 ₫ items A–F, Hồng's shift open since 10:00;
    "now" is 11:00 in Hanoi on 3 November 2026."""
    clock.set(AT + timedelta(hours=1))
    with app.app_context(), app.test_request_context():
        session = db.session
        save_shop(session)
        hong = member_service.get_member(session, 1)
        intake = stock.receive_intake(
            session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime(2026, 11, 1, 2, tzinfo=UTC)),
            by=hong,
            tz=HANOI,
        )
        for code in "ABCDEF":
            stock.add_item(session, intake, stock.ItemDetails("Áo", 54_000, code=code))
        svc.open_shift(session, hong, 100_000, at=AT, tz=HANOI)
        session.commit()
    return app


def in_shop(app, work):
    """``work(session)`` in the app, committed; its answer."""
    with app.app_context(), app.test_request_context():
        answer = work(db.session)
        db.session.commit()
        return answer


def sell(code, *, at=AT, confirm_by=None):
    def work(session):
        hong = member_service.get_member(session, 1)
        request = svc.SaleRequest(lines=(svc.LineRequest(code),), all_by_transfer=True)
        sale = svc.record_sale(session, request, cashier=hong, at=at, tz=HANOI)[0]
        if confirm_by is not None:
            svc.confirm_transfer(
                session, sale, at=at, by=member_service.get_member(session, confirm_by)
            )
        return sale.number

    return work


def arrives(content, amount=54_000, *, pid="t1", at=AT + timedelta(minutes=1), out=False):
    def work(session):
        row, _new = bank.receive(
            session,
            rules.BankTransaction(
                provider="sepay", provider_id=pid,
                direction=Direction.OUT if out else Direction.IN, amount_dong=amount,
                content=content, at=at, account="113366668888", reference="FT" + pid, raw="{}",
            ),
            via="webhook", signature_ok=True, at=at,
        )  # fmt: skip
        return row.id

    return work


def feed_since(moment, *, days=3):
    def work(session):
        hong = member_service.get_member(session, 1)
        bank.save_settings(session, by=hong, at=moment, provider="sepay", check_days=days)

    return work


def code(number):
    return rules.sale_code(number)


def words(page) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).replace("\u00a0", " ").split())


def row_html(page, transaction_id) -> str:
    """The list's card of one transaction."""
    match = re.search(rf'<li class="card" id="bank-{transaction_id}".*?</li>', page.text, re.S)
    assert match, f"transaction {transaction_id} is not on the page"
    return match.group(0)


def client_of(app, phone, pin):
    client = app.test_client()
    assert sign_in(client, phone, pin).status_code == 303
    return client


@pytest.fixture
def hong(shop):
    return client_of(shop, "0912000001", "2468")


@pytest.fixture
def ngoc(shop):
    return client_of(shop, "0912000002", "1357")


# -- the list of bank transactions to look at ----------------------------------------------


def test_the_list_shows_each_reason_and_the_waiting_sales_as_suggestions(shop, hong):
    first, second = in_shop(shop, sell("A")), in_shop(shop, sell("B"))
    no_code = in_shop(shop, arrives("CHUYEN TIEN AO", pid="t1"))
    low = in_shop(shop, arrives(f"MBVCB.3278907687.{code(first)}.CT", 50_000, pid="t2"))
    unknown = in_shop(shop, arrives(code(999), pid="t3"))
    out = in_shop(shop, arrives("rut tien", 20_000, pid="t4", out=True))
    page = hong.get("/counter/bank")
    assert page.status_code == 200
    text = words(page)
    assert "Giao dịch ngân hàng cần xem" in text
    assert "Cần xem (4)" in text
    card = words_of(row_html(page, no_code))
    assert "Không có mã hóa đơn" in card and "CHUYEN TIEN AO" in card and "+54.000 ₫" in card
    assert "03/11/2026 10:01" in card and "SePay" in card and "tài khoản 113366668888" in card
    # Both sales waiting for 54.000 ₫ are suggested, and neither is confirmed.
    assert "Gợi ý, chưa xác nhận:" in card
    assert f"Hóa đơn {first}" in card and f"Hóa đơn {second}" in card
    low_card = row_html(page, low)
    assert "Chuyển thiếu" in words_of(low_card) and "50.000 ₫" in words_of(low_card)
    # The sale its code named, linked; it is not a suggestion for 50.000 ₫.
    assert f'href="/counter/sales/{first}"' in low_card and "Mã trong nội dung chỉ" in low_card
    assert "Gợi ý" not in low_card
    assert "Mã của hóa đơn không tồn tại" in words_of(row_html(page, unknown))
    out_card = row_html(page, out)
    assert "Tiền ra không khớp hoàn tiền/chia tiền" in words_of(out_card)
    assert 'name="sale_number"' not in out_card  # money out pays no sale: a note only
    # Newest first.
    order = [int(n) for n in re.findall(r'id="bank-(\d+)"', page.text)]
    assert order == [out, unknown, low, no_code]
    assert in_shop(shop, lambda s: s.get(Sale, 1).confirmed_at) is None


def words_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())


def test_a_decision_confirms_the_waiting_sale_and_leaves_the_list(shop, hong):
    number = in_shop(shop, sell("A"))
    row = in_shop(shop, arrives("chuyen khoan ao xanh"))
    answer = hong.post(
        f"/counter/bank/{row}/decide", data={"pays": "sale", "sale_number": str(number)}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/counter/bank")
    page = hong.get("/counter/bank")
    assert f"Đã ghi: khoản tiền này trả cho hóa đơn {number}." in words(page)
    assert 'data-testid="bank-transaction"' not in page.text
    assert "Không có gì cần xem." in words(page)
    decided = hong.get("/counter/bank?show=decided")
    card = words_of(row_html(decided, row))
    assert "Chị Nguyễn Thị Hồng quyết định lúc 03/11/2026 11:00" in card
    assert f"Trả cho Hóa đơn {number}" in card
    sale = hong.get(f"/counter/sales/{number}")
    text = words(sale)
    assert "Đã nhận tiền" in text and "Ngân hàng xác nhận lúc 03/11/2026 11:00" in text
    assert "Chị Nguyễn Thị Hồng chọn hóa đơn này" in text
    assert in_shop(
        shop,
        lambda s: s.scalar(select(AuditEvent.action).where(AuditEvent.action == "bank_review")),
    )
    # The audit log says it in her words.
    log = words(hong.get("/audit?action=bank_review"))
    assert "Đã quyết định về giao dịch ngân hàng" in log and "Không có mã hóa đơn" in log


def test_a_wrong_sale_number_is_refused_beside_the_field_with_what_she_typed(shop, hong):
    number = in_shop(shop, sell("A"))
    row = in_shop(shop, arrives("chuyen khoan", 60_000))
    refused = hong.post(f"/counter/bank/{row}/decide", data={"pays": "sale", "sale_number": "999"})
    assert refused.status_code == 422
    card = row_html(refused, row)
    assert "Không có hóa đơn số 999." in words_of(card)
    assert 'value="999"' in card and 'aria-invalid="true"' in card
    # Another amount than the sale waits for: refused too, nothing confirmed.
    again = hong.post(
        f"/counter/bank/{row}/decide",
        data={"pays": "sale", "sale_number": str(number), "note": "khách chuyển thừa"},
    )
    assert again.status_code == 422
    card = row_html(again, row)
    assert "Hóa đơn chờ một số tiền khác" in words_of(card)
    assert f'value="{number}"' in card and 'value="khách chuyển thừa"' in card
    # No sale number at all, and no note for money that pays no sale.
    empty = hong.post(f"/counter/bank/{row}/decide", data={"pays": "sale", "sale_number": ""})
    assert "Hãy ghi số hóa đơn mà khoản tiền này trả." in words_of(row_html(empty, row))
    no_note = hong.post(f"/counter/bank/{row}/decide", data={"pays": "other", "note": " "})
    assert no_note.status_code == 422
    assert "Ghi rõ khoản tiền này là gì." in words_of(row_html(no_note, row))
    assert in_shop(shop, lambda s: s.get(BankTransaction, row).resolved_at) is None
    assert in_shop(shop, lambda s: s.get(Sale, 1).confirmed_at) is None
    # Said what it is: set aside.
    done = hong.post(
        f"/counter/bank/{row}/decide", data={"pays": "other", "note": "tiền cọc giữ váy"}
    )
    assert done.status_code == 303
    assert in_shop(shop, lambda s: s.get(BankTransaction, row).resolution) == "tiền cọc giữ váy"


def test_members_who_are_not_coordinators_get_403(shop, ngoc, hong):
    row = in_shop(shop, arrives("chuyen tien"))
    assert ngoc.get("/counter/bank").status_code == 403
    assert (
        ngoc.post(f"/counter/bank/{row}/decide", data={"pays": "other", "note": "x"}).status_code
        == 403
    )
    assert ngoc.get("/api/v1/bank/reviews").status_code == 403
    assert (
        ngoc.post(
            f"/api/v1/bank/transactions/{row}/decision", json={"pays": "other", "note": "x"}
        ).status_code
        == 403
    )
    assert 'data-testid="bank-reviews-tile"' not in ngoc.get("/").text
    home = hong.get("/").text
    assert 'data-testid="bank-reviews-count">1<' in home


def test_the_tabs_show_the_decided_ones_and_every_transaction(shop, hong):
    number = in_shop(shop, sell("A"))
    confirmed = in_shop(shop, arrives(code(number), pid="t1"))
    review = in_shop(shop, arrives("chuyen tien", 10_000, pid="t2"))
    everything = hong.get("/counter/bank?show=all")
    assert {confirmed, review} == {int(n) for n in re.findall(r'id="bank-(\d+)"', everything.text)}
    assert "Đã xác nhận một hóa đơn" in words_of(row_html(everything, confirmed))
    assert "Hóa đơn" in words_of(row_html(everything, confirmed))
    assert 'data-testid="decision-form"' not in row_html(everything, confirmed)
    assert re.findall(r'id="bank-(\d+)"', hong.get("/counter/bank?show=decided").text) == []
    assert hong.get("/counter/bank?show=nonsense").status_code == 200


# -- the API -------------------------------------------------------------------------------


def test_the_api_lists_and_decides_like_the_page(shop, hong):
    number = in_shop(shop, sell("A"))
    row = in_shop(shop, arrives("tien ao"))
    listed = hong.get("/api/v1/bank/reviews").get_json()["items"]
    assert [(i["id"], i["reason"], i["why"], i["suggestions"]) for i in listed] == [
        (row, "no_code", "Không có mã hóa đơn", [number])
    ]
    wrong = hong.post(f"/api/v1/bank/transactions/{row}/decision", json={"sale_number": 999})
    assert wrong.status_code == 422 and "sale_number" in wrong.get_json()["fields"]
    done = hong.post(f"/api/v1/bank/transactions/{row}/decision", json={"sale_number": number})
    assert done.status_code == 200
    assert done.get_json()["sale"] == number and done.get_json()["pays_sale"] is True
    assert hong.get("/api/v1/bank/reviews").get_json()["items"] == []
    assert [i["id"] for i in hong.get("/api/v1/bank/reviews?show=decided").get_json()["items"]] == [
        row
    ]
    transfer = hong.get(f"/api/v1/sales/{number}").get_json()["transfer"]
    assert transfer == {
        "check": "bank",
        "confirmed_by": "bank",
        "confirmed_by_name": None,
        "confirmed_at": "2026-11-03T04:00:00+00:00",
    }
    assert hong.get("/api/v1/bank/reviews?show=x").status_code == 400
    assert (
        hong.post("/api/v1/bank/transactions/999/decision", json={"note": "x"}).status_code == 404
    )


# -- the sale page: who or what confirmed the transfer -------------------------------------


def test_the_sale_page_says_the_bank_confirmed_it_with_its_reference(shop, hong):
    number = in_shop(shop, sell("A"))
    waiting = hong.get(f"/counter/sales/{number}")
    assert 'data-follow-transfer="/api/v1/sales/1"' in waiting.text
    assert "js/transfer.js" in waiting.text and "Đã nhận tiền" not in words(waiting)
    assert hong.get(f"/api/v1/sales/{number}").get_json()["transfer"] == {
        "check": "waiting", "confirmed_by": None, "confirmed_by_name": None, "confirmed_at": None,
    }  # fmt: skip
    in_shop(shop, arrives(code(number)))
    page = hong.get(f"/counter/sales/{number}")
    text = words(page)
    assert "Đã nhận tiền" in text
    assert "Ngân hàng xác nhận lúc 03/11/2026 10:01 · mã giao dịch FTt1" in text
    assert "js/transfer.js" not in page.text


def test_the_sale_page_says_who_confirmed_by_hand_and_what_the_bank_showed(shop, hong, clock):
    in_shop(shop, feed_since(AT - timedelta(days=1)))
    seen = in_shop(shop, sell("A", confirm_by=2))
    unseen = in_shop(shop, sell("B", confirm_by=2))
    in_shop(shop, arrives(code(seen)))
    page = words(hong.get(f"/counter/sales/{seen}"))
    assert "Chị Nguyễn Thị Ngọc xác nhận bằng tay lúc 03/11/2026 10:00" in page
    assert "ngân hàng đã thấy · mã giao dịch FTt1" in page
    assert hong.get(f"/api/v1/sales/{seen}").get_json()["transfer"] == {
        "check": "verified",
        "confirmed_by": "member",
        "confirmed_by_name": "Nguyễn Thị Ngọc",
        "confirmed_at": "2026-11-03T03:00:00+00:00",
    }
    pending = hong.get(f"/counter/sales/{unseen}")
    assert "chưa thấy ở ngân hàng" in words(pending) and "not-seen" not in pending.text
    clock.advance(days=4)
    late = hong.get(f"/counter/sales/{unseen}")
    assert "KHÔNG thấy ở ngân hàng sau 3 ngày" in words(late)
    assert 'class="transfer-check not-seen"' in late.text
    assert hong.get(f"/api/v1/sales/{unseen}").get_json()["transfer"]["check"] == "not_seen"


def test_with_no_bank_feed_a_hand_confirmation_says_nothing_more(shop, hong):
    number = in_shop(shop, sell("A", confirm_by=1))
    text = words(hong.get(f"/counter/sales/{number}"))
    assert "Chị Nguyễn Thị Hồng xác nhận bằng tay lúc 03/11/2026 10:00" in text
    assert "ngân hàng" not in text.split("xác nhận bằng tay")[1].split("Món")[0]
    assert 'data-check="unchecked"' in hong.get(f"/counter/sales/{number}").text


# -- the Z report and the month close ----------------------------------------------------


def test_the_z_report_counts_the_transfers_by_how_the_bank_saw_them(shop, hong, clock):
    in_shop(shop, feed_since(AT - timedelta(days=10)))
    by_bank = in_shop(shop, sell("A"))
    in_shop(shop, arrives(code(by_bank), pid="t1"))
    verified = in_shop(shop, sell("B", confirm_by=1))
    in_shop(shop, arrives(code(verified), pid="t2"))
    in_shop(shop, sell("C", confirm_by=2))  # by hand, not seen
    in_shop(shop, sell("D", confirm_by=2))  # by hand, not seen
    in_shop(shop, sell("E"))  # still waiting
    report = hong.get("/counter/z/day/2026-11-03")
    section = re.search(r'data-testid="transfer-checks".*?</section>', report.text, re.S).group(0)

    def figure(check):
        return words_of(re.search(rf'<tr data-check="{check}".*?</tr>', section, re.S).group(0))

    assert figure("bank") == "Ngân hàng xác nhận 1 hóa đơn · 54.000 ₫"
    assert figure("verified") == "Xác nhận bằng tay, ngân hàng đã thấy 1 hóa đơn · 54.000 ₫"
    assert figure("pending") == "Xác nhận bằng tay, chưa thấy ở ngân hàng 2 hóa đơn · 108.000 ₫"
    assert figure("not_seen") == "KHÔNG thấy ở ngân hàng 0 hóa đơn · 0 ₫"
    assert figure("waiting") == "Còn đang chờ 1 hóa đơn · 54.000 ₫"
    assert 'data-testid="not-seen"' not in section
    # Who or what confirmed each transfer, one line each.
    lines = re.search(r'data-testid="transfer-lines".*?</details>', section, re.S).group(0)
    said = [words_of(li) for li in re.findall(r"<li.*?</li>", lines, re.S)]
    assert said == [
        "Hóa đơn 1 · 54.000 ₫ · ngân hàng",
        "Hóa đơn 2 · 54.000 ₫ · Nguyễn Thị Hồng, bằng tay (ngân hàng đã thấy)",
        "Hóa đơn 3 · 54.000 ₫ · Nguyễn Thị Ngọc, bằng tay (chưa thấy ở ngân hàng)",
        "Hóa đơn 4 · 54.000 ₫ · Nguyễn Thị Ngọc, bằng tay (chưa thấy ở ngân hàng)",
        "Hóa đơn 5 · 54.000 ₫ · còn đang chờ",
    ]
    clock.advance(days=5)
    later = hong.get("/counter/z/day/2026-11-03").text
    section = re.search(r'data-testid="transfer-checks".*?</section>', later, re.S).group(0)
    assert "KHÔNG thấy ở ngân hàng 2 hóa đơn · 108.000 ₫" in words_of(section)
    listed = re.search(r'data-testid="not-seen".*?</ul>', section, re.S).group(0)
    assert words_of(listed).count("Nguyễn Thị Ngọc") == 2
    assert 'href="/counter/sales/3"' in listed and 'href="/counter/sales/4"' in listed
    shift = hong.get("/counter/z/shift/1").text
    assert "KHÔNG thấy ở ngân hàng 2 hóa đơn · 108.000 ₫" in words(hong.get("/counter/z/shift/1"))
    assert 'data-testid="transfer-checks"' in shift


def test_the_month_close_warns_of_transfers_the_bank_never_showed(shop, hong, clock):
    in_shop(shop, feed_since(AT - timedelta(days=10)))
    unseen = in_shop(shop, sell("A", confirm_by=2))
    seen = in_shop(shop, sell("B", confirm_by=2))
    in_shop(shop, arrives(code(seen)))

    def close_shift(session):
        hong = member_service.get_member(session, 1)
        svc.close_shift(session, svc.current_shift(session, hong), 100_000, at=AT, by=hong)

    in_shop(shop, close_shift)
    clock.set(datetime(2026, 12, 2, 3, tzinfo=UTC))
    page = hong.get("/months/2026-11/close")
    assert page.status_code == 200
    warning = re.search(r'data-testid="not-seen".*?</section>', page.text, re.S).group(0)
    assert "1 khoản chuyển khoản xác nhận bằng tay KHÔNG thấy ở ngân hàng" in words_of(warning)
    assert f'href="/counter/sales/{unseen}"' in warning
    assert f'href="/counter/sales/{seen}"' not in warning


def test_the_audit_log_says_which_refund_the_money_out_paid(shop, hong):
    from shop.models import PaymentMethod

    def refunded(session):
        boss = member_service.get_member(session, 1)
        request = svc.SaleRequest(lines=(svc.LineRequest("A"),), tendered_dong=54_000)
        sale = svc.record_sale(session, request, cashier=boss, at=AT, tz=HANOI)[0]
        svc.refund_line(
            session, sale, sale.lines[0].position, amount_dong=54_000, quantity=1,
            method=PaymentMethod.TRANSFER, reason="áo rách", restock=True, by=boss,
            at=AT + timedelta(minutes=1), shift=svc.current_shift(session, boss), tz=HANOI,
        )  # fmt: skip
        return sale.number

    number = in_shop(shop, refunded)
    in_shop(shop, arrives("hoan tien khach", out=True, at=AT + timedelta(minutes=3)))
    log = words(hong.get("/audit?action=bank_outgoing"))
    assert "Ngân hàng khớp tiền ra với một khoản hoàn tiền/chia tiền" in log
    assert f"hóa đơn {number}" in log and "54.000 ₫" in log and "FTt1" in log
    assert "03/11/2026 10:03 · ngân hàng" in log and "không ai đăng nhập" not in log


def test_the_audit_log_says_what_changed_in_the_feeds_settings_but_no_key(shop, hong):
    def saved(session):
        boss = member_service.get_member(session, 1)
        bank.save_settings(session, by=boss, at=AT, provider="sepay", check_days=5,
                           new_keys={"sepay_api_token": "tok-secret-77"})  # fmt: skip

    in_shop(shop, saved)
    page = hong.get("/audit?action=bank_settings")
    log = words(page)
    line = log[log.rindex("Đổi cài đặt kết nối ngân hàng") :]
    assert "Dịch vụ báo giao dịch: → SePay" in line
    assert "Số ngày chờ ngân hàng báo một khoản chuyển khoản đã xác nhận bằng tay: 3 → 5" in line
    assert "Khóa mới đã lưu: API token của SePay (để hỏi giao dịch)" in line
    assert "Mã thanh toán" not in line  # unchanged
    assert "tok-secret-77" not in page.text and "before" not in line and "{" not in line
