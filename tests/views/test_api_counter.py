import pytest

from tests.factories import varied_sale_bodies


@pytest.fixture
def token(app, stocked):  # noqa: F811
    from shop.extensions import db
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "till", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_a_day_at_the_counter_through_the_api(client, token):
    assert client.get("/api/v1/shifts/current", headers=token).status_code == 404
    shift = client.post("/api/v1/shifts", json={"opening_float_dong": 200000}, headers=token)
    assert shift.status_code == 201 and shift.json["expected_cash_dong"] == 200000
    body = {
        "client_id": "phone-1-0001",
        "lines": [
            {"code": "A"},
            {"code": "B", "discount_dong": 10000, "discount_reason": "vết bẩn"},
        ],
        "tendered_dong": 200000,
    }
    sale = client.post("/api/v1/sales", json=body, headers=token)
    assert sale.status_code == 201, sale.json
    assert (sale.json["number"], sale.json["total_dong"], sale.json["change_dong"]) == (
        1,
        160000,
        40000,
    )
    assert [line["owner"] for line in sale.json["lines"]] == [None, 2]
    retried = client.post("/api/v1/sales", json=body, headers=token)
    assert retried.status_code == 200 and retried.json["number"] == 1
    transfer = client.post(
        "/api/v1/sales",
        headers={**token, "Idempotency-Key": "phone-1-0002"},
        json={"lines": [{"code": "SOCKS", "quantity": 2}], "transfer_dong": 20000},
    )
    assert transfer.json["status"] == "awaiting_transfer"
    assert transfer.json["vietqr"].startswith("000201010212")
    confirmed = client.post("/api/v1/sales/2/confirm", headers=token)
    assert confirmed.json["status"] == "complete" and confirmed.json["vietqr"] is None
    refund = client.post(
        "/api/v1/sales/1/refunds",
        headers=token,
        json={"line": 1, "amount_dong": 110000, "method": "cash", "reason": "khách trả lại"},
    )
    assert refund.status_code == 201 and refund.json["lines"][1]["refunded_dong"] == 110000
    assert client.get("/api/v1/items/B", headers=token).json["status"] == "in_stock"
    current = client.get("/api/v1/shifts/current", headers=token).json
    assert current["expected_cash_dong"] == 200000 + 160000 - 110000
    closed = client.post(
        "/api/v1/shifts/current/close", json={"counted_cash_dong": 250000}, headers=token
    )
    assert closed.json["difference_dong"] == 0 and closed.json["closed_at"]
    assert [s["number"] for s in client.get("/api/v1/sales", headers=token).json["items"]] == [2, 1]


def test_sale_bodies_are_checked_field_by_field(client, token):
    client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    response = client.post(
        "/api/v1/sales",
        headers=token,
        json={
            "lines": [{"code": "", "quantity": 0}, "x", {"code": "A", "colour": "red"}],
            "tendered_dong": -5,
            "extra": 1,
        },
    )
    assert response.status_code == 422
    assert {
        "client_id",
        "lines[0].code",
        "lines[0].quantity",
        "lines[1]",
        "lines[2].colour",
        "tendered_dong",
        "extra",
    } <= set(response.json["fields"])
    sold_twice = client.post(
        "/api/v1/sales",
        headers=token,
        json={"client_id": "phone-1-0009", "lines": [{"code": "A"}, {"code": "A"}]},
    )
    assert sold_twice.status_code == 422
    unknown = client.post(
        "/api/v1/sales",
        headers=token,
        json={"client_id": "phone-1-0010", "lines": [{"code": "NOPE"}]},
    )
    assert unknown.status_code == 422 and "code" in unknown.json["fields"]


def test_no_shift_no_sale_and_void_rules(client, token):
    refused = client.post(
        "/api/v1/sales", headers=token, json={"client_id": "phone-1-0020", "lines": [{"code": "A"}]}
    )
    assert refused.status_code == 422 and "shift" in refused.json["fields"]
    client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    client.post(
        "/api/v1/sales", headers=token, json={"client_id": "phone-1-0021", "lines": [{"code": "A"}]}
    )
    no_reason = client.post("/api/v1/sales/1/void", headers=token, json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["fields"]
    voided = client.post("/api/v1/sales/1/void", headers=token, json={"reason": "nhầm"})
    assert voided.json["status"] == "voided"
    assert client.get("/api/v1/sales/99", headers=token).status_code == 404


def test_z_reports_through_the_api(client, token):
    client.post("/api/v1/shifts", json={"opening_float_dong": 100000}, headers=token)
    client.post(
        "/api/v1/sales",
        headers=token,
        json={"client_id": "phone-1-0100", "lines": [{"code": "A"}], "tendered_dong": 50000},
    )
    shift_id = client.get("/api/v1/shifts/current", headers=token).json["id"]
    report = client.get(f"/api/v1/reports/shifts/{shift_id}", headers=token)
    assert report.status_code == 200, report.json
    assert (report.json["sales_count"], report.json["net_dong"], report.json["cash_dong"]) == (
        1,
        50000,
        50000,
    )
    assert report.json["drawers"][0]["expected_cash_dong"] == 150000
    day = report.json["day"]
    whole_day = client.get(f"/api/v1/reports/days/{day}", headers=token).json
    assert whole_day["kind"] == "day" and whole_day["net_dong"] == 50000
    assert client.get("/api/v1/reports/days/2026-13-45", headers=token).status_code == 404
    assert client.get("/api/v1/reports/shifts/999", headers=token).status_code == 404


def test_a_new_sale_is_answered_as_reading_it_back_answers(client, token):
    """The answer to a new sale is made from what was written (nothing read back): it is
    what GET answers for it afterwards, line for line, for a cash sale with an owner's item,
    a line discount, a lot and a whole-sale discount, and for a sale waiting for its
    transfer."""
    client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    bodies = varied_sale_bodies("phone-1-01")[:2]
    for body in bodies:
        sold = client.post("/api/v1/sales", json=body, headers=token)
        assert sold.status_code == 201, sold.json
        read = client.get(f"/api/v1/sales/{sold.json['number']}", headers=token)
        assert read.status_code == 200 and sold.json == read.json
    assert [line["owner"] for line in sold.json["lines"]] == [None]
    first = client.get("/api/v1/sales/1", headers=token).json
    assert [line["owner"] for line in first["lines"]] == [2, None, None]
    assert first["transfer"]["check"] == "none" and sold.json["status"] == "awaiting_transfer"


def test_a_sale_with_a_transfer_wakes_the_bank_feed_after_its_commit(
    app, client, token, monkeypatch
):
    """The counter inserts its sale as one statement, not through a flush: a sale with a
    transfer part still wakes the bank feed's poller after its commit (once it is saved),
    and a cash sale does not."""
    from sqlalchemy import func, select

    from shop.bank import poller
    from shop.extensions import db
    from shop.models import Sale

    woken = []

    def wake(_app):
        with db.engine.connect() as connection:  # what is committed, seen from outside
            woken.append(connection.scalar(select(func.count(Sale.id))))

    monkeypatch.setattr(poller, "wake", wake)
    client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    cash = {"client_id": "phone-1-0201", "lines": [{"code": "A"}], "tendered_dong": 50000}
    assert client.post("/api/v1/sales", json=cash, headers=token).status_code == 201
    assert woken == []
    transfer = {"client_id": "phone-1-0202", "lines": [{"code": "C"}], "transfer_dong": 35000}
    assert client.post("/api/v1/sales", json=transfer, headers=token).status_code == 201
    assert woken == [2]
