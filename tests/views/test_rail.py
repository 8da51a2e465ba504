"""The counter's copy of the rail: a full copy, then only what changed since its cursor."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shop.extensions import db
from shop.models import IntakeKind

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def token(app, stocked):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "till", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def rail(client, token, since=None):
    url = "/api/v1/counter/rail" + (f"?since={since}" if since else "")
    response = client.get(url, headers=token)
    assert response.status_code == 200, response.json
    return response.json


def in_app(app, work):
    from shop.services import members as svc

    with app.app_context(), app.test_request_context():
        boss = svc.get_member(db.session, 1)
        work(boss)
        db.session.commit()


def test_the_full_copy_then_nothing_when_nothing_changed(client, token):
    copy = rail(client, token)
    assert copy["full"] is True
    assert [i["code"] for i in copy["items"]] == ["A", "B", "C", "SOCKS"]
    b = next(i for i in copy["items"] if i["code"] == "B")
    assert b == {
        "code": "B",
        "name": "Váy · Váy hoa",
        "size": None,
        "price_dong": 120000,
        "received_on": "2026-11-15",
        "is_lot": False,
        "on_hand": None,
        "owner": 2,
    }
    socks = next(i for i in copy["items"] if i["code"] == "SOCKS")
    assert (socks["is_lot"], socks["on_hand"]) == (True, 5)
    assert copy["policy"]["markdown"] == [
        {"after_days": 30, "percent_off": 25},
        {"after_days": 60, "percent_off": 50},
    ]
    assert copy["policy"]["clearance_after_days"] == 90
    again = rail(client, token, copy["cursor"])
    assert (again["full"], again["items"], again["gone"]) == (False, [], [])
    assert again["cursor"] == copy["cursor"]


def test_every_kind_of_change_shows_in_the_next_delta(app, client, token):
    from shop.models import DisposalKind, IntakeKind
    from shop.services import counter as counter_service
    from shop.services import stock

    cursor = rail(client, token)["cursor"]

    def step(work):
        nonlocal cursor
        in_app(app, work)
        delta = rail(client, token, cursor)
        assert delta["full"] is False
        cursor = delta["cursor"]
        assert rail(client, token, cursor)["items"] == []  # and then nothing again
        return {i["code"]: i for i in delta["items"]}, delta["gone"]

    # A price change.
    items, gone = step(
        lambda boss: stock.change_price(
            db.session,
            stock.get_item(db.session, "A"),
            40_000,
            by=boss,
            at=datetime.now(UTC),
            reason="cũ",
            tz=TZ,
        )
    )
    assert list(items) == ["A"] and items["A"]["price_dong"] == 40000 and gone == []

    # A new item.
    def receive(boss):
        intake = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)), by=boss, tz=TZ
        )
        stock.add_item(db.session, intake, stock.ItemDetails("Quần", 60_000, "Quần", code="D"))

    items, gone = step(receive)
    assert list(items) == ["D"]

    # A sale: a unique item gone, a lot's pieces fewer.
    def sell(boss):
        counter_service.open_shift(db.session, boss, 0, at=datetime.now(UTC), tz=TZ)
        counter_service.record_sale(
            db.session,
            counter_service.SaleRequest(
                lines=(
                    counter_service.LineRequest("C"),
                    counter_service.LineRequest("SOCKS", 2),
                ),
                client_id="rail-test-0001",
            ),
            cashier=boss,
            at=datetime.now(UTC),
            tz=TZ,
        )

    items, gone = step(sell)
    assert gone == ["C"] and items["SOCKS"]["on_hand"] == 3

    # A void puts them back.
    def void(boss):
        sale = counter_service.get_sale(db.session, 1)
        counter_service.void_sale(
            db.session, sale, by=boss, at=datetime.now(UTC), reason="nhầm", tz=TZ
        )

    items, gone = step(void)
    assert sorted(items) == ["C", "SOCKS"] and items["SOCKS"]["on_hand"] == 5

    # A disposal.
    items, gone = step(
        lambda boss: stock.dispose(
            db.session,
            stock.get_item(db.session, "D"),
            DisposalKind.WRITTEN_OFF,
            by=boss,
            at=datetime.now(UTC),
            note="rách",
            tz=TZ,
        )
    )
    assert (items, gone) == ({}, ["D"])

    # The whole lot sold: gone too.
    def sell_all(boss):
        counter_service.record_sale(
            db.session,
            counter_service.SaleRequest(
                lines=(counter_service.LineRequest("SOCKS", 5),), client_id="rail-test-0002"
            ),
            cashier=boss,
            at=datetime.now(UTC),
            tz=TZ,
        )

    items, gone = step(sell_all)
    assert (items, gone) == ({}, ["SOCKS"])
    # A full copy never carries the sold or disposed ones.
    assert [i["code"] for i in rail(client, token)["items"]] == ["A", "B", "C"]


def test_a_cursor_it_cannot_use_gets_a_full_copy(client, token):
    for since in ("nonsense", "r999999", "r-1", "x" * 39):
        copy = rail(client, token, since)
        assert copy["full"] is True and len(copy["items"]) == 4


def test_the_rail_needs_a_signed_in_member(client, stocked):
    assert client.get("/api/v1/counter/rail").status_code == 401


def test_the_rail_copy_travels_compressed(app, client, token):
    """On a weak link the copy goes gzip- or brotli-compressed to a browser that asks."""
    import gzip
    import json

    from shop.services import stock

    with app.app_context(), app.test_request_context():
        from shop.services import members as svc

        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)),
            by=svc.get_member(db.session, 1),
            tz=app.config["SHOP_TZ"],
        )
        for n in range(300):
            stock.add_item(db.session, intake, stock.ItemDetails("Áo", 20_000 + n, f"Áo {n}"))
        db.session.commit()
    plain = client.get("/api/v1/counter/rail", headers=token)
    packed = client.get("/api/v1/counter/rail", headers={**token, "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.data) * 5 < len(plain.data)
    assert json.loads(gzip.decompress(packed.data)) == plain.json
