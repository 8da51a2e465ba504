"""Sales rung up with no link, arriving later: recorded once, even when another counter
sold the same dress meanwhile (the line says so and the sale goes on the review list), at
the price the page charged, into the shift of the cashier who rang it up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Item, ReviewKind, Sale, SaleLine, SaleReview


class Counter:
    """A counter device: a test client, signed in on the page or holding a bearer token."""

    def __init__(self, client, headers=None):
        self.client, self.headers = client, headers or {}

    def post(self, path, **kw):
        return self.client.post(path, headers=self.headers, **kw)

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)


@pytest.fixture
def tokens(app, stocked):
    """Hồng's counter (1, coordinator, a bearer token) and Ngọc's (2, signed in on the
    page), each with her shift open."""
    from shop.models import Role
    from shop.services import members as svc
    from tests.conftest import sign_in

    with app.app_context():
        owner = svc.get_member(db.session, 1)
        secret = svc.create_token(db.session, owner, "quầy", Role.COORDINATOR)[1]
        db.session.commit()
    ngoc = app.test_client()
    assert sign_in(ngoc, "0912000002", "1357").status_code == 303
    counters = {
        1: Counter(app.test_client(), {"Authorization": f"Bearer {secret}"}),
        2: Counter(ngoc),
    }
    for counter in counters.values():
        assert counter.post("/api/v1/shifts", json={"opening_float_dong": 0}).status_code == 201
    return counters


def offline_sale(key, *lines, at=None, cashier=None, **extra):
    body = {
        "client_id": key,
        "offline": True,
        "lines": list(lines),
        "at": (at or datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        **extra,
    }
    if cashier is not None:
        body["cashier"] = cashier
    return body


def test_a_dress_sold_online_then_arriving_from_an_offline_counter_is_kept_and_reviewed(
    app, tokens
):
    online = tokens[1].post(
        "/api/v1/sales", json={"client_id": "online-0001", "lines": [{"code": "A"}]}
    )
    assert online.status_code == 201
    body = offline_sale(
        "offline-0001",
        {"code": "A", "unit_price_dong": 50000},
        {"code": "C", "unit_price_dong": 35000},
        tendered_dong=100000,
    )
    answers = [tokens[2].post("/api/v1/sales", json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200], answers[0].json
    sale = answers[0].json
    assert [(line["code"], line["sold_twice"]) for line in sale["lines"]] == [
        ("A", True),
        ("C", False),
    ]
    assert sale["total_dong"] == 85000 and sale["change_dong"] == 15000
    with app.app_context():
        assert db.session.scalar(select(func.count(Sale.id))) == 2
        dress = db.session.scalar(select(Item).where(Item.code == "A"))
        assert (dress.status.value, dress.times_sold) == ("sold", 1)  # not taken twice
        assert db.session.scalar(select(Item.status).where(Item.code == "C")).value == "sold"
        review = db.session.scalar(select(SaleReview))
        assert review.kind == ReviewKind.SOLD_TWICE
        assert review.detail["other_sales"] == [online.json["number"]]
    # The coordinators see it, with both sales; a member may not.
    listed = tokens[1].get("/api/v1/reviews").json["items"]
    assert [(r["kind"], r["code"], r["sale"]) for r in listed] == [("sold_twice", "A", 2)]
    assert tokens[2].get("/api/v1/reviews").status_code == 403
    done = tokens[1].post(
        f"/api/v1/reviews/{listed[0]['id']}/resolve",
        json={"resolution": "khách trả lại váy, đã hoàn tiền"},
    )
    assert done.status_code == 200 and done.json["resolved_at"]
    assert tokens[1].get("/api/v1/reviews").json["items"] == []
    # Voiding the sale that came second puts back nothing the stock never gave it.
    void = tokens[2].post("/api/v1/sales/2/void", json={"reason": "trùng"})
    assert void.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Item.status).where(Item.code == "A")).value == "sold"
        assert db.session.scalar(select(Item.status).where(Item.code == "C")).value == "in_stock"


def test_a_lot_sold_below_zero_takes_what_is_left_and_says_how_many_were_missing(app, tokens):
    tokens[1].post(
        "/api/v1/sales",
        json={"client_id": "online-0002", "lines": [{"code": "SOCKS", "quantity": 4}]},
    )
    answer = tokens[2].post(
        "/api/v1/sales",
        json=offline_sale(
            "offline-0002", {"code": "SOCKS", "quantity": 3, "unit_price_dong": 10000}
        ),
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["lines"][0]["short_pieces"] == 2
    with app.app_context():
        assert db.session.scalar(select(Item.quantity_on_hand).where(Item.code == "SOCKS")) == 0
        review = db.session.scalar(select(SaleReview))
        assert (review.kind, review.detail["short"]) == (ReviewKind.LOT_SHORT, 2)


def test_an_offline_sale_keeps_the_price_charged_and_its_cashier(app, tokens):
    rung_up = datetime.now(UTC)  # the shifts opened a moment ago
    body = offline_sale(
        "offline-0003", {"code": "B", "unit_price_dong": 100000}, at=rung_up, cashier=2
    )
    answer = tokens[1].post("/api/v1/sales", json=body)  # Hồng sends it
    assert answer.status_code == 201, answer.json
    assert answer.json["cashier"] == 2 and answer.json["total_dong"] == 100000
    with app.app_context():
        sale = db.session.scalar(select(Sale))
        assert sale.entered_by_id != sale.cashier_id
        assert sale.shift.member.number == 2
        assert abs((sale.at - rung_up).total_seconds()) < 1
        line = db.session.scalar(select(SaleLine))
        assert (line.unit_price_dong, line.tag_price_dong) == (100000, 120000)
        review = db.session.scalar(select(SaleReview))
        assert review.kind == ReviewKind.PRICE and review.detail["shop_dong"] == 120000


def test_a_device_clock_behind_the_shops_dates_the_sale_when_the_shift_opened(app, tokens):
    body = offline_sale(
        "offline-0009",
        {"code": "C", "unit_price_dong": 35000},
        at=datetime.now(UTC) - timedelta(hours=3),
    )
    assert tokens[2].post("/api/v1/sales", json=body).status_code == 201
    with app.app_context():
        sale = db.session.scalar(select(Sale))
        assert sale.at == sale.shift.opened_at


def test_a_transfer_seen_arriving_with_no_link_is_recorded_confirmed(app, tokens):
    body = offline_sale(
        "offline-0011",
        {"code": "A", "unit_price_dong": 50000},
        transfer_dong=50000,
        transfer_confirmed=True,
    )
    answer = tokens[2].post("/api/v1/sales", json=body)
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "complete" and answer.json["vietqr"] is None
    unconfirmed = offline_sale(
        "offline-0012", {"code": "C", "unit_price_dong": 35000}, transfer_dong=35000
    )
    assert tokens[2].post("/api/v1/sales", json=unconfirmed).json["status"] == ("awaiting_transfer")
    with app.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.client_id == "offline-0011"))
        assert sale.confirmed_at is not None and sale.transfer_dong == 50000


def test_a_sale_whose_answer_was_lost_is_confirmed_by_the_offline_try(app, tokens):
    # The first try reached the server (the sale waits for its transfer) but its answer
    # never came back; the page took the transfer with no link and sends it again.
    first = tokens[2].post(
        "/api/v1/sales",
        json={"client_id": "offline-0013", "lines": [{"code": "A"}], "transfer_dong": 50000},
    )
    assert first.json["status"] == "awaiting_transfer"
    again = offline_sale(
        "offline-0013",
        {"code": "A", "unit_price_dong": 50000},
        transfer_dong=50000,
        transfer_confirmed=True,
    )
    answer = tokens[2].post("/api/v1/sales", json=again)
    assert answer.status_code == 200 and answer.json["status"] == "complete"
    assert answer.json["number"] == first.json["number"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Sale.id))) == 1


def test_offline_fields_are_only_for_offline_sales(tokens):
    body = {
        "client_id": "online-0004",
        "lines": [{"code": "A", "unit_price_dong": 1}],
        "at": "2026-11-20T03:00:00Z",
        "cashier": 2,
        "transfer_confirmed": True,
    }
    refused = tokens[1].post("/api/v1/sales", json=body)
    assert refused.status_code == 422
    fields = {"at", "cashier", "lines[0].unit_price_dong", "transfer_confirmed"}
    assert fields <= set(refused.json["fields"])
    not_a_bool = offline_sale("offline-0006", {"code": "A"}, transfer_confirmed="yes")
    answer = tokens[1].post("/api/v1/sales", json=not_a_bool)
    assert answer.status_code == 422 and "transfer_confirmed" in answer.json["fields"]
    bad = tokens[1].post(
        "/api/v1/sales",
        json=offline_sale("offline-0005", {"code": "A"}, at=None) | {"at": "hôm qua"},
    )
    assert bad.status_code == 422 and "at" in bad.json["fields"]


def test_the_review_page_lists_and_settles(app, tokens, as_coordinator):
    tokens[1].post("/api/v1/sales", json={"client_id": "online-0006", "lines": [{"code": "A"}]})
    tokens[2].post(
        "/api/v1/sales", json=offline_sale("offline-0006", {"code": "A", "unit_price_dong": 50000})
    )
    home = as_coordinator.get("/").text
    assert "Hóa đơn cần xem (1)" in home
    page = as_coordinator.get("/counter/reviews").text
    assert "Bán trùng" in page and "Hóa đơn 1" in page
    with app.app_context():
        review_id = db.session.scalar(select(SaleReview.id))
    empty = as_coordinator.post(f"/counter/reviews/{review_id}/resolve", data={"resolution": ""})
    assert empty.status_code == 303
    assert "Hóa đơn cần xem (1)" in as_coordinator.get("/").text
    as_coordinator.post(
        f"/counter/reviews/{review_id}/resolve", data={"resolution": "đã tìm thấy váy khác"}
    )
    assert "Không có gì cần xem" in as_coordinator.get("/counter/reviews").text


def test_sales_sold_twice_and_lots_short_go_through_the_journal_and_back(app, tokens):
    """Exported, checked, imported into an empty shop: the same lines, the same stock."""
    import json

    from shop.journal import check_journal, export_journal, import_journal
    from tests.journal.conftest import wipe

    tokens[1].post("/api/v1/sales", json={"client_id": "online-0007", "lines": [{"code": "A"}]})
    tokens[1].post(
        "/api/v1/sales",
        json={"client_id": "online-0008", "lines": [{"code": "SOCKS", "quantity": 4}]},
    )
    late = offline_sale(
        "offline-0007",
        {"code": "A", "unit_price_dong": 50000},
        {"code": "SOCKS", "quantity": 3, "unit_price_dong": 10000},
    )
    assert tokens[2].post("/api/v1/sales", json=late).status_code == 201
    with app.app_context():
        tz = app.config["SHOP_TZ"]
        first = export_journal(db.session, timezone=tz)
        lines = first["sales"][-1]["lines"]
        assert [line.get("short_pieces") for line in lines] == [1, 2]
        assert check_journal(first) == []
        wipe(db.session)
        import_journal(db.session, json.loads(json.dumps(first)), app_config=app.config)
        assert export_journal(db.session, timezone=tz) == first
        shorts = db.session.scalars(
            select(SaleLine.short_pieces)
            .join(Sale, SaleLine.sale_id == Sale.id)
            .order_by(Sale.number, SaleLine.position)
        ).all()
        assert shorts == [0, 0, 1, 2]
        assert db.session.scalar(select(Item.quantity_on_hand).where(Item.code == "SOCKS")) == 0
        # A journal that says more pieces were missing than were sold is refused.
        first["sales"][-1]["lines"][1]["short_pieces"] = 4
        assert any("short_pieces" in problem.path for problem in check_journal(first))
        db.session.rollback()
