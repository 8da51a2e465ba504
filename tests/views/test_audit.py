"""The audit log: what was done, by whom, kept as it happened."""

import re

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from shop.extensions import db
from shop.models import AuditEvent
from tests.conftest import TRIAL_PINS, sign_in


def phone_of(app, number: int):
    client = app.test_client()
    assert sign_in(client, f"091200000{number}", TRIAL_PINS[number]).status_code == 303
    return client


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_history_is_in_the_log(app, trial):
    # The worked example's discounts, refund, closes and payouts came in through the services.
    logged = actions(app)
    assert logged.count("discount") == 2  # B's line discount, sale 2's whole-sale discount
    assert logged.count("refund") == 1
    assert logged.count("month_closed") == 3
    assert logged.count("payout") == 3


def test_a_coordinator_reads_it_a_member_cannot(app, trial):
    hong = phone_of(app, 1)
    ngoc = phone_of(app, 2)
    assert ngoc.get("/audit").status_code == 403
    stranger = app.test_client()
    stranger.post(  # a wrong PIN, from somewhere
        "/sign-in",
        data={"phone": "0912000003", "pin": "0000"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    hong.post("/members/3/pin", data={"pin": "8024", "confirm_pin": "8024"})
    page = hong.get("/audit")
    assert page.status_code == 200
    assert "Nhật ký thao tác" in page.text
    assert "Đặt lại mã PIN · thành viên 3" in page.text
    assert "Đăng nhập bị từ chối" in page.text and "Chốt sổ tháng" in page.text
    assert "Từ địa chỉ: 203.0.113.9" in page.text  # where the wrong PIN came from
    assert "8024" not in page.text  # never the PIN itself
    closed = re.search(r"Chốt sổ tháng · ([^<]+)<", page.text)
    assert closed and "2027" in closed.group(1) and "2027-01" not in closed.group(1), closed
    only_payouts = hong.get("/audit?action=payout").text
    assert (
        only_payouts.count('data-action="payout"') == 3
        and 'data-action="refund"' not in only_payouts
    )
    assert hong.get("/audit?action=nonsense").status_code == 200


def test_settings_prices_and_expenses_are_logged_with_their_figures(app, trial):
    hong = phone_of(app, 1)
    hong.post(
        "/expenses/",
        data={"spent_on": "09/02/2027", "category": "rent", "amount_dong": "1.500.000"},
    )
    hong.post(
        "/settings/shop",
        data={
            "name": "NEW ME",
            "address": "",
            "bank_bin": "970415",
            "bank_account": "113366668888",
        },
    )
    page = hong.get("/audit").text.replace("\xa0", " ")
    assert "Ghi khoản chi" in page and "1.500.000 ₫" in page
    assert "Đổi cài đặt cửa hàng" in page
    # In her words: the day as the shop writes days, the category by its label, the
    # month by its name; never the codes kept in the log.
    assert "09/02/2027" in page and "2027-02-09" not in page
    assert "Tiền thuê" in page and ": rent" not in page
    assert "tháng 11 năm 2026" in page.lower() and ": 2026-11" not in page


def test_a_refused_change_leaves_no_line(app, trial):
    before = actions(app)
    hong = phone_of(app, 1)
    refused = hong.post(
        "/months/2027-01/payouts",
        data={"member": "1", "amount_dong": "999999", "paid_on": "11/02/2027", "method": "cash"},
    )
    assert refused.status_code == 422
    assert actions(app) == before


def test_the_database_refuses_to_change_a_line(app, trial):
    with app.app_context():
        with pytest.raises(DatabaseError):
            db.session.execute(update(AuditEvent).values(subject="nothing happened"))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(DatabaseError):
            db.session.execute(text("UPDATE audit_event SET action = 'payout'"))
        db.session.rollback()
