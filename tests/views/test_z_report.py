import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shop.extensions import db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi on 3 November


@pytest.fixture
def shift_id(app, coordinator, member, clock):
    """Ngọc's closed shift of 3 November (float 100.000): sale 1 is A 50.000 + her B
    120.000 − 10.000 = 160.000 cash; sale 2 is C 35.000 by transfer, confirmed. She counted
    255.000 of the 260.000 expected. "Now" is 16:00 in Hanoi the same day."""
    from shop.services import counter as svc
    from shop.services import members as member_service
    from tests.factories import consigned, donated, sell

    clock.set(AT + timedelta(hours=6))
    with app.app_context(), app.test_request_context():
        session = db.session
        ngoc = member_service.get_member(session, 2)
        received = datetime(2026, 11, 1, 2, tzinfo=UTC)
        donated(session, received, A=("Áo", 50_000), C=("Quần", 35_000))
        consigned(session, received, 2, B=("Váy", 120_000))
        shift = svc.open_shift(session, ngoc, 100_000, at=AT, tz=HANOI)
        for lines, transfer in [
            (
                (
                    svc.LineRequest("A"),
                    svc.LineRequest("B", discount_dong=10_000, discount_reason="vết bẩn"),
                ),
                0,
            ),
            ((svc.LineRequest("C"),), 35_000),
        ]:
            sale = sell(session, *lines, at=AT, cashier=ngoc, transfer_dong=transfer)
            svc.confirm_transfer(session, sale, at=AT)
        svc.close_shift(session, shift, 255_000, at=AT + timedelta(hours=4), by=ngoc)
        session.commit()
        return shift.id


def words(page) -> str:
    """The page's text without tags, with its spaces (non-breaking ones too) made plain."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).replace("\u00a0", " ").split())


def test_a_member_sees_her_shift_report(as_member, shift_id):
    page = as_member.get(f"/counter/z/shift/{shift_id}")
    assert page.status_code == 200
    text = words(page)
    assert "Nguyễn Thị Ngọc" in text and "03/11/2026 10:00" in text and "03/11/2026 14:00" in text
    # Vietnamese from the shop's catalogue and data: category, pieces, consigned items.
    assert "Loại hàng Số món" in text and "Hàng ký gửi" in text
    assert "Áo 1 50.000 ₫" in text and "Váy 1 110.000 ₫" in text and "Quần 1 35.000 ₫" in text
    assert "195.000 ₫" in text  # net: 160.000 + 35.000
    assert "160.000 ₫" in text  # cash
    assert "77.000 ₫" in text  # Ngọc's 70% of B's 110.000
    assert "260.000 ₫" in text and "255.000 ₫" in text and "-5.000 ₫" in text
    assert 'href="/counter/z/day/2026-11-03"' in page.text


def test_the_day_report_today_and_a_past_day(as_member, shift_id):
    today = as_member.get("/counter/z/day")
    assert today.status_code == 200
    text = words(today)
    assert "03/11/2026" in text and "195.000 ₫" in text and "-5.000 ₫" in text
    assert f'href="/counter/z/shift/{shift_id}"' in today.text
    assert 'href="/counter/z/day/2026-11-02"' in today.text  # the day before
    assert "/counter/z/day/2026-11-04" not in today.text  # no day after today
    same = as_member.get("/counter/z/day/2026-11-03")
    assert same.status_code == 200 and "195.000 ₫" in words(same)
    before = as_member.get("/counter/z/day/2026-11-02")
    assert before.status_code == 200
    quiet = words(before)
    assert "02/11/2026" in quiet and "195.000" not in quiet and "Nguyễn Thị Ngọc" in quiet
    assert 'href="/counter/z/day/2026-11-03"' in before.text  # the day after


def test_the_page_prints_with_its_own_stylesheet_and_no_inline_style(as_member, shift_id, client):
    page = as_member.get(f"/counter/z/shift/{shift_id}")
    assert '<link rel="stylesheet" media="print" href="/static/css/print.css">' in page.text
    assert "style=" not in page.text and "<style" not in page.text
    assert "<script>" not in page.text
    sheet = client.get("/static/css/print.css")
    assert sheet.status_code == 200 and b"@media (max-width: 90mm)" in sheet.data
    sheet.close()


def test_a_stranger_is_sent_to_sign_in(client, coordinator):
    for path in ("/counter/z/day", "/counter/z/day/2026-11-03", "/counter/z/shift/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/counter/z/day/2026-02-30",
        "/counter/z/day/2026-13-01",
        "/counter/z/day/3-11-2026",
        "/counter/z/day/03-11-2026",
        "/counter/z/day/2026-11-3",
        "/counter/z/day/yesterday",
        "/counter/z/day/%D9%A2%D9%A0%D9%A2%D9%A6-11-03",  # Arabic-Indic digits
        "/counter/z/day/2026-11-04",  # tomorrow
        "/counter/z/day/0001-01-01",
        "/counter/z/day/9999-12-31",
        "/counter/z/shift/999",
        "/counter/z/shift/99999999999999",
        "/counter/z/shift/abc",
    ],
)
def test_bad_days_and_unknown_shifts_are_404(as_member, shift_id, path):
    assert as_member.get(path).status_code == 404


def test_the_pages_speak_vietnamese(as_member, shift_id):
    """Needs the Z report's messages in vi/messages.po (as test_translations does)."""
    shift = words(as_member.get(f"/counter/z/shift/{shift_id}"))
    for phrase in ("Báo cáo ca bán", "Tiền đầu ca", "Tiền đếm cuối ca", "Chênh lệch", "thiếu"):
        assert phrase in shift
    day = words(as_member.get("/counter/z/day"))
    for phrase in ("Báo cáo cuối ngày", "Tiền mặt", "Chuyển khoản", "Trả hàng, hoàn tiền"):
        assert phrase in day
    assert "Hóa đơn đã hủy 0 · 0 ₫" in day and "Tổng chênh lệch -5.000 ₫ (thiếu)" in day
