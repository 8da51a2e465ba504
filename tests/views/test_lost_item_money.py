"""A member's consigned item lost at a stock count, on the pages, in the PDF and the API.

docs/sharing.md's three months imported; on 5 February 2027 a count finds Ngọc's dress B (back
on the rail since December) missing and its close pays her 42.000 (her 70 % of its price
then). Today is 10 February 2027.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from shop.extensions import db
from tests.services.test_statements import lose_the_dress
from tests.views.test_month_pages import ARTIFACTS, field, pdf_text, phone_of


@pytest.fixture
def lost(app, trial):
    with app.test_request_context():
        decision = lose_the_dress(app)
        expense_id = decision.expense_id
        db.session.remove()
    return expense_id


def test_the_month_shows_her_compensation_and_the_pool_bears_it(app, lost):
    hong = phone_of(app, 1)
    page = hong.get("/months/2027-02")
    assert page.status_code == 200
    assert field(page, "expenses_dong") == "-42.000 ₫"
    assert field(page, "compensation_total_dong") == "42.000 ₫"
    assert field(page, "result_dong") == "-42.000 ₫"  # nothing sold yet in February
    assert field(page, "compensation_dong") == "42.000 ₫"  # Ngọc's card, the only one
    assert "Đền hàng bị mất" in page.text
    assert "Đền hàng ký gửi bị mất" in page.text  # among the month's expenses
    assert re.search(r'<th scope="row">Mất khi kiểm kê</th><td>1</td>', page.text)  # B out
    # A member without open books sees the group's total, not whose it was.
    ut = phone_of(app, 3).get("/months/2027-02")
    assert field(ut, "compensation_total_dong") == "42.000 ₫"
    assert 'data-field="compensation_dong"' not in ut.text
    # The month's JSON carries it beside her consignment.
    data = hong.get("/api/v1/months/2027-02").json
    ngoc = next(m for m in data["members"] if m["member"] == 2)
    assert (ngoc["consignment_dong"], ngoc["compensation_dong"]) == (0, 42_000)
    assert list(ngoc)[2:4] == ["consignment_dong", "compensation_dong"]
    assert ngoc["earned_dong"] == 42_000 + ngoc["equal_share_dong"] + ngoc["work_share_dong"]
    assert data["expenses_dong"] == 42_000


def test_her_statement_lists_the_lost_item_with_its_reason(app, lost):
    ngoc = phone_of(app, 2)
    page = ngoc.get("/months/2027-02/statements/2")
    assert page.status_code == 200
    section = page.text.split('data-testid="compensations"')[1].split("</section>")[0]
    assert "Mất khi kiểm kê đợt 1" in section
    assert "B</span> Váy · Váy liền hoa nhí" in section and "tìm cả kho" in section
    assert "42.000" in section
    assert "Đền hàng của chị bị mất" in page.text  # in her balance
    assert "nhóm trả chị 42.000" in page.text.replace("\xa0", " ")  # how it was computed
    pdf = ngoc.get("/months/2027-02/statements/2.pdf")
    text = pdf_text(pdf)
    assert re.search(r"05/02/2027 · Mất khi kiểm kê đợt 1\s+42\.000 ₫", text), text
    assert "B Váy · Váy liền hoa nhí · tìm cả kho" in text
    assert "Đền hàng của chị bị mất" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "statement-2027-02-lost-item.pdf").write_bytes(pdf.data)
    # Út lost nothing: no such section on hers.
    assert (
        'data-testid="compensations"'
        not in phone_of(app, 3).get("/months/2027-02/statements/3").text
    )


def test_a_statement_without_a_lost_item_is_as_before(app, trial):
    page = phone_of(app, 2).get("/months/2026-11/statements/2")
    assert 'data-testid="compensations"' not in page.text
    assert "Đền hàng" not in page.text


def test_the_close_preview_warns_of_an_open_count(app, lost, clock):
    from shop.services import counts
    from shop.services import members as member_service

    with app.test_request_context():
        hong = member_service.get_member(db.session, 1)
        counts.open_count(db.session, by=hong, at=datetime(2027, 2, 28, 10, tzinfo=UTC))
        db.session.commit()
    clock.set(datetime(2027, 3, 1, 3, tzinfo=UTC))
    preview = phone_of(app, 1).get("/months/2027-02/close")
    assert preview.status_code == 200
    warning = preview.text.split('data-testid="open-count"')[1].split("</section>")[0]
    assert "Đợt kiểm kê 2, mở từ 28/02/2027 17:00, chưa đóng" in warning
    assert 'href="/stock/counts/2/result"' in warning
    assert 'data-testid="close"' in preview.text  # a warning: the month still closes
    assert 'data-testid="refusal"' not in preview.text
    assert field(preview, "compensation_total_dong") == "42.000 ₫"


def test_the_expense_list_names_her_and_the_reason(app, lost):
    hong = phone_of(app, 1)
    listing = hong.get("/expenses/?month=2027-02")
    line = listing.text.split('data-testid="compensation"')[1].split("</div>")[0]
    assert "cho Nguyễn Thị Ngọc" in line and "Mất khi kiểm kê đợt 1" in line
    assert "Váy liền hoa nhí" in line
    assert "Đền hàng ký gửi bị mất" in listing.text and "42.000" in listing.text
    # The form offers every category but this one.
    form = listing.text.split('name="category"')[1].split("</select>")[0]
    assert 'value="supplies"' in form and 'value="compensation"' not in form
    # A member who may not see Ngọc's money sees that a member was paid, not who.
    ut = phone_of(app, 3).get("/expenses/?month=2027-02")
    line = ut.text.split('data-testid="compensation"')[1].split("</div>")[0]
    assert "cho một thành viên" in line and "Ngọc" not in line
    assert "Mất khi kiểm kê đợt 1" in line


def test_a_compensation_is_not_corrected_or_removed_on_the_page(app, lost):
    hong = phone_of(app, 1)
    page = hong.get(f"/expenses/{lost}")
    assert page.status_code == 200
    assert "Trả cho Nguyễn Thị Ngọc" in page.text
    assert "không sửa hay xóa bằng tay" in page.text
    assert 'value="remove"' not in page.text and 'name="amount_dong"' not in page.text
    message = "Đây là khoản đợt kiểm kê trả cho hàng bị mất: không sửa hay xóa bằng tay được."
    removed = hong.post(f"/expenses/{lost}", data={"action": "remove"})
    assert removed.status_code == 422 and message in removed.text
    changed = hong.post(
        f"/expenses/{lost}",
        data={"spent_on": "05/02/2027", "category": "other", "amount_dong": "1k"},
    )
    assert changed.status_code == 422 and message in changed.text
    entered = hong.post(
        "/expenses/",
        data={"spent_on": "05/02/2027", "category": "compensation", "amount_dong": "1k"},
    )
    assert entered.status_code == 422
    listing = hong.get("/expenses/?month=2027-02")
    assert "đã xóa" not in listing.text
    assert re.search(r'data-testid="expenses-total">42\.000', listing.text)


def test_the_api_names_her_and_refuses_to_touch_it(app, lost):
    hong = phone_of(app, 1)
    items = hong.get("/api/v1/expenses?month=2027-02").json["items"]
    assert [(e["category"], e["amount_dong"], e["member"]) for e in items] == [
        ("compensation", 42_000, 2)
    ]
    ut = phone_of(app, 3).get("/api/v1/expenses?month=2027-02").json["items"]
    assert [e["member"] for e in ut] == [None]
    patched = hong.patch(f"/api/v1/expenses/{lost}", json={"note": "x"})
    assert patched.status_code == 422 and "expense" in patched.json["fields"]
    deleted = hong.delete(f"/api/v1/expenses/{lost}")
    assert deleted.status_code == 422 and "expense" in deleted.json["fields"]
    entered = hong.post(
        "/api/v1/expenses",
        json={"spent_on": "2027-02-05", "category": "compensation", "amount_dong": 1000},
    )
    assert entered.status_code == 422 and "category" in entered.json["fields"]
    assert hong.get(f"/api/v1/expenses/{lost}").json["removed_at"] is None
