"""A change sent twice is made once: refunds, voids, payouts and expenses carry a client id
(a hidden field on the pages, ``client_id`` or ``Idempotency-Key`` on the API), as sales do.

And a money-only refund (no piece back), given more than once on a one-of-a-kind line.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Expense, Payout, Refund, Void


@pytest.fixture
def token(app, stocked):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "till", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def sell(client, token, code="A", key="sale-00000001"):
    client.post("/api/v1/shifts", json={"opening_float_dong": 500000}, headers=token)
    sale = client.post("/api/v1/sales", json={"client_id": key, "lines": [{"code": code}]},
                       headers=token)  # fmt: skip
    assert sale.status_code == 201, sale.json
    return sale.json["number"]


def test_a_refund_sent_twice_through_the_api_gives_back_once(app, client, token):
    number = sell(client, token)
    body = {"line": 0, "amount_dong": 20000, "method": "cash", "reason": "vết bẩn"}
    first = client.post(f"/api/v1/sales/{number}/refunds", json=body,
                        headers={**token, "Idempotency-Key": "refund-0000001"})  # fmt: skip
    again = client.post(f"/api/v1/sales/{number}/refunds", json=body,
                        headers={**token, "Idempotency-Key": "refund-0000001"})  # fmt: skip
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json == again.json and again.json["lines"][0]["refunded_dong"] == 20000
    in_body = client.post(f"/api/v1/sales/{number}/refunds", headers=token,
                          json={**body, "client_id": "refund-0000002"})  # fmt: skip
    client.post(f"/api/v1/sales/{number}/refunds", headers=token,
                json={**body, "client_id": "refund-0000002"})  # fmt: skip
    assert in_body.json["lines"][0]["refunded_dong"] == 40000
    assert count(app, Refund) == 2
    bad = client.post(f"/api/v1/sales/{number}/refunds", json=body,
                      headers={**token, "Idempotency-Key": "x"})  # fmt: skip
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json["fields"]


def test_a_void_sent_twice_answers_the_voided_sale_both_times(app, client, token):
    number = sell(client, token)
    headers = {**token, "Idempotency-Key": "void-00000001"}
    first = client.post(f"/api/v1/sales/{number}/void", json={"reason": "nhầm"}, headers=headers)
    again = client.post(f"/api/v1/sales/{number}/void", json={"reason": "nhầm"}, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["status"] == "voided" and count(app, Void) == 1
    other = client.post(f"/api/v1/sales/{number}/void", json={"reason": "nhầm"}, headers=token)
    assert other.status_code == 422 and other.json["fields"]["number"]


def test_the_refund_form_posted_twice_refunds_once(app, as_member, stocked):
    as_member.post("/counter/shift/open", data={"opening_float_dong": "100k"})
    as_member.post("/counter/add", data={"code": "A"})
    as_member.post("/counter/pay", data={"method": "cash", "client_id": "page-sale-1"})
    page = as_member.get("/counter/sales/1").text
    key = re.search(r'name="client_id" type="hidden" value="([^"]+)"', page) or re.search(
        r'type="hidden" name="client_id" value="([^"]+)"', page
    )
    assert key, "the refund form carries a client id"
    form = {"line": "0", "amount_dong": "10k", "method": "cash", "reason": "vết bẩn",
            "quantity": "0", "client_id": key.group(1)}  # fmt: skip
    as_member.post("/counter/sales/1/refund", data=form)
    as_member.post("/counter/sales/1/refund", data=form)  # a double tap, a retry
    assert count(app, Refund) == 1
    # The page comes back with a new id: a second refund on purpose is a new one.
    fresh = re.findall(r'value="([0-9a-f]{32})"', as_member.get("/counter/sales/1").text)
    assert fresh and key.group(1) not in fresh


def test_money_only_refunds_on_a_one_of_a_kind_line(app, client, token):
    """Quantity 0: money back, no piece back; more than once, never above the line."""
    number = sell(client, token, code="B")  # 120.000
    for amount, status in ((30000, 201), (40000, 201), (50000, 201), (1, 422)):
        answer = client.post(f"/api/v1/sales/{number}/refunds", headers=token, json={
            "line": 0, "amount_dong": amount, "quantity": 0, "method": "transfer",
            "reason": "giảm giá sau"})  # fmt: skip
        assert answer.status_code == status, answer.json
    assert client.get("/api/v1/items/B", headers=token).json["status"] == "sold"
    # The piece itself can still come back once, with no more money (all 120.000 given).
    with app.app_context():
        assert db.session.scalar(select(func.sum(Refund.quantity))) == 0
    negative = client.post(f"/api/v1/sales/{number}/refunds", headers=token, json={
        "line": 0, "amount_dong": 1, "quantity": -1, "method": "cash", "reason": "x"})  # fmt: skip
    assert negative.status_code == 422


def test_a_payout_and_an_expense_sent_twice_are_recorded_once(app, client, trial):
    from shop.models import Role
    from shop.services import members as svc
    from shop.services import month as month_service

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "office", Role.COORDINATOR)
        db.session.commit()
        tz = app.config["SHOP_TZ"]
        figures = month_service.month_figures(db.session, "2027-01", tz)
        owed = next(m for m in figures.members if m.carried_forward_dong >= 2000)
    token = {"Authorization": f"Bearer {secret}"}
    payouts_before, expenses_before = count(app, Payout), count(app, Expense)
    body = {"member": owed.member, "month": "2027-01", "amount_dong": 1000,
            "paid_on": "2027-02-05", "method": "cash", "client_id": "payout-000001"}  # fmt: skip
    answers = [client.post("/api/v1/payouts", json=body, headers=token) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201], answers[0].json
    assert answers[0].json == answers[1].json
    assert count(app, Payout) == payouts_before + 1
    expense = {"spent_on": "2027-02-03", "category": "supplies", "amount_dong": 15000,
               "note": "túi"}  # fmt: skip
    headers = {**token, "Idempotency-Key": "expense-00001"}
    made = [client.post("/api/v1/expenses", json=expense, headers=headers) for _ in range(2)]
    assert [a.status_code for a in made] == [201, 201], made[0].json
    assert made[0].json["id"] == made[1].json["id"]
    assert count(app, Expense) == expenses_before + 1
