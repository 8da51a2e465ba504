"""STAND-IN for the lead's offline sales (drop with the commit that brought it)."""

import pytest

from shop.extensions import db


@pytest.fixture
def token(app, stocked):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "till", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_an_offline_sale_keeps_its_moment_and_is_recorded_once(client, token):
    client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    body = {
        "client_id": "tablet-offline-0001",
        "offline": True,
        "at": "2026-11-15T03:00:00Z",
        "cashier": 1,
        "lines": [{"code": "A", "unit_price_dong": 50000}],
        "tendered_dong": 100000,
    }
    first = client.post("/api/v1/sales", json=body, headers=token)
    assert first.status_code == 201, first.json
    assert first.json["at"].startswith("2026-11-15T03:00:00")
    assert first.json["change_dong"] == 50000
    again = client.post("/api/v1/sales", json=body, headers=token)
    assert again.status_code == 200 and again.json["number"] == first.json["number"]
    # Without "offline": true the offline fields are refused, as before.
    body = {**body, "client_id": "tablet-online-0002", "offline": False}
    refused = client.post("/api/v1/sales", json=body, headers=token)
    assert refused.status_code == 422 and {"at", "cashier"} <= set(refused.json["fields"])
