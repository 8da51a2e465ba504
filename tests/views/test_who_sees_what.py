"""Who sees whose money on the pages: a member's month page and report hold the group's
totals and her own part; a coordinator's hold everyone's; "Sổ sách mở" on the shop's
settings page shows members everyone's part, and "Thành viên được ghi chi phí" lets them
record expenses; both changes are in the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.views.test_month_pages import ARTIFACTS, money, pdf_text, phone_of

SETTINGS = {
    "name": "NEW ME – Đồ cũ",
    "address": "Hà Nội",
    "bank_bin": "",
    "bank_account": "",
    "bank_account_name": "",
    "receipt_footer": "",
}


def cards(page) -> list[int]:
    return [int(n) for n in re.findall(r'data-member="(\d+)"', page.text)]


def test_a_members_month_page_has_the_totals_and_her_own_part(app, trial):
    ngoc = phone_of(app, 2)
    page = ngoc.get("/months/2026-11")
    assert page.status_code == 200
    assert cards(page) == [2]
    text = money(page.text)
    assert 'data-field="result_dong">' in text and "100.000 ₫" in text  # the group's totals
    assert "Phần của chị" in text and 'data-testid="own-lines-only"' in text
    assert "Từng thành viên" not in text
    for other in ("Nguyễn Thị Hồng", "Nguyễn Thị Út"):  # no card, no bar on the chart
        assert other not in text.split("<main", 1)[1]
    assert "Chị được hưởng trong các tháng này" in text
    # Her own card with her own figures (November: 98.429 ₫ earned).
    assert "98.429 ₫" in text.split('<li data-member="2">')[1]

    lan = phone_of(app, 4)  # joined in December: no part in November
    nothing = lan.get("/months/2026-11")
    assert cards(nothing) == [] and "Tháng này chị chưa có phần." in nothing.text

    hong = phone_of(app, 1)
    everyone = hong.get("/months/2026-11")
    assert cards(everyone) == [1, 2, 3]
    assert "Từng thành viên" in everyone.text and "own-lines-only" not in everyone.text


def test_the_report_pdf_of_a_member_has_her_own_line(app, trial):
    response = phone_of(app, 2).get("/months/2026-11/report.pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-2026-11-member.pdf").write_bytes(response.data)
    ngoc_pdf = pdf_text(response)
    assert "Nguyễn Thị Ngọc" in ngoc_pdf and "98.429" in ngoc_pdf
    assert "Nguyễn Thị Út" not in ngoc_pdf and "62.764" not in ngoc_pdf
    assert "Phần của chị" in ngoc_pdf
    assert "100.000 ₫" in ngoc_pdf  # the month's result
    hong_pdf = pdf_text(phone_of(app, 1).get("/months/2026-11/report.pdf"))
    assert "Nguyễn Thị Út" in hong_pdf and "62.764" in hong_pdf


OPEN_BOOKS_TICKED = re.compile(
    r'<input[^>]*checked[^>]*name="open_books"|<input[^>]*name="open_books"[^>]*checked'
)


def test_open_books_on_the_settings_page_shows_members_everyones_part(app, trial):
    hong, ngoc = phone_of(app, 1), phone_of(app, 2)
    form = hong.get("/settings/shop")
    assert "Sổ sách mở" in form.text and "Số điện thoại của người tặng" in form.text
    assert re.search(r'<input[^>]*name="open_books"', form.text)
    assert not re.search(
        r'<input[^>]*checked[^>]*name="open_books"|name="open_books"[^>]*checked', form.text
    )
    saved = hong.post("/settings/shop", data={**SETTINGS, "open_books": "y"})
    assert saved.status_code == 303
    assert re.search(
        r'name="open_books"[^>]*checked|checked[^>]*name="open_books"',
        hong.get("/settings/shop").text,
    )

    assert cards(ngoc.get("/months/2026-11")) == [1, 2, 3]
    assert ngoc.get("/months/2026-11/statements/3").status_code == 200
    assert "Nguyễn Thị Út" in pdf_text(ngoc.get("/months/2026-11/report.pdf"))
    assert ngoc.get("/months/2026-11/payouts").status_code == 403  # still a coordinator's

    log = hong.get("/audit?action=books_settings").text
    assert log.count('data-action="books_settings"') == 1
    assert "Sổ sách mở: tắt → bật" in log and "Nguyễn Thị Hồng" in log

    hong.post("/settings/shop", data=SETTINGS)  # unticked: closed again
    assert cards(ngoc.get("/months/2026-11")) == [2]
    assert ngoc.get("/months/2026-11/statements/3").status_code == 403
    log = hong.get("/audit?action=books_settings").text
    assert log.count('data-action="books_settings"') == 2 and "Sổ sách mở: bật → tắt" in log
    hong.post("/settings/shop", data=SETTINGS)  # nothing changed: no line
    assert hong.get("/audit?action=books_settings").text.count("data-action=") == 2


def test_members_record_expenses_only_when_the_shop_allows_it(app, trial, clock):
    clock.set(datetime(2027, 2, 10, 3, 0, tzinfo=UTC))
    bags = {"spent_on": "09/02/2027", "category": "supplies", "amount_dong": "12k", "note": "túi"}
    hong, ngoc = phone_of(app, 1), phone_of(app, 2)
    page = ngoc.get("/expenses/?month=2027-02")
    assert page.status_code == 200  # she reads them
    assert 'data-testid="expenses-by-coordinators"' in page.text
    assert 'name="amount_dong"' not in page.text
    assert ngoc.post("/expenses/", data=bags).status_code == 403
    assert ngoc.post("/expenses/", data={}).status_code == 403  # not "fix the form"
    assert "túi" not in hong.get("/expenses/?month=2027-02").text

    settings = {**SETTINGS, "members_record_expenses": "y"}
    assert hong.post("/settings/shop", data=settings).status_code == 303
    log = hong.get("/audit?action=books_settings").text
    assert "Thành viên ghi chi phí: tắt → bật" in log and "Sổ sách mở" not in log
    page = ngoc.get("/expenses/?month=2027-02")
    assert 'name="amount_dong"' in page.text
    assert ngoc.post("/expenses/", data=bags).status_code == 303
    listing = hong.get("/expenses/?month=2027-02").text
    assert "túi" in listing and "Nguyễn Thị Ngọc" in listing
    # Open books and recording are two choices: her month page still has her part only.
    assert cards(ngoc.get("/months/2026-11")) == [2]


def test_a_coordinator_records_expenses_whatever_the_setting(app, trial, clock):
    clock.set(datetime(2027, 2, 10, 3, 0, tzinfo=UTC))
    hong = phone_of(app, 1)
    assert 'name="amount_dong"' in hong.get("/expenses/?month=2027-02").text
    added = hong.post(
        "/expenses/", data={"spent_on": "09/02/2027", "category": "supplies", "amount_dong": "5k"}
    )
    assert added.status_code == 303


def test_the_lost_item_rule_is_a_shop_setting_kept_in_the_audit_log(app, trial):
    from shop.extensions import db
    from shop.models import ShopProfile

    hong = phone_of(app, 1)
    page = hong.get("/settings/shop").text
    assert 'name="lost_item_pays" value="owner_split" checked' in page
    refused = hong.post("/settings/shop", data={**SETTINGS, "lost_item_pays": "everything"})
    assert refused.status_code == 422 and "lost_item_pays-error" in refused.text
    assert (
        hong.post("/settings/shop", data={**SETTINGS, "lost_item_pays": "nothing"}).status_code
        == 303
    )
    with app.app_context():
        assert db.session.get(ShopProfile, 1).lost_item_pays == "nothing"
    assert 'value="nothing" checked' in hong.get("/settings/shop").text
    log = hong.get("/audit?action=books_settings").text
    assert "Phần của chị ấy theo giá món hàng → Không trả (chủ hàng chịu mất)" in log
    hong.post("/settings/shop", data=SETTINGS)  # not sent: kept as it was
    with app.app_context():
        assert db.session.get(ShopProfile, 1).lost_item_pays == "nothing"
