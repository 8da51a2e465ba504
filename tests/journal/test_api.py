"""The journal through the API: export as a coordinator, import into a shop being set up."""

from shop.extensions import db
from shop.journal import normalise_journal
from tests.journal.conftest import importable_example


def sign_in_as_hong(app):
    """Set the shop up the way its first coordinator would, then sign her in."""
    client = app.test_client()
    client.post(
        "/setup",
        data={"shop_name": "Tạm", "name": "Nguyễn Thị Hồng", "phone": "0912000001", "pin": "2468"},
    )
    return client


def test_import_through_the_api_keeps_the_coordinator_and_round_trips(app):
    client = sign_in_as_hong(app)
    journal = importable_example()
    response = client.post("/api/v1/journal", json=journal)
    assert response.status_code == 201, response.json
    assert response.json["members"] == 4 and response.json["items"] == 6
    exported = client.get("/api/v1/journal").json
    assert exported == normalise_journal(journal)
    # She is still signed in with her PIN, now with the journal's details.
    assert client.get("/api/v1/me").json["joined_on"] == "2026-10-01"
    assert client.get("/api/v1/items/B").json["owner"] == 2


def test_import_refuses_a_shop_with_stock_or_a_stranger_coordinator(app):
    client = sign_in_as_hong(app)
    journal = importable_example()
    journal["members"][0]["name"] = "Somebody Else"
    refused = client.post("/api/v1/journal", json=journal)
    assert refused.status_code == 422
    assert any("member 1" in m for m in refused.json["fields"]["/members"])
    assert client.post("/api/v1/journal", json=importable_example()).status_code == 201
    again = client.post("/api/v1/journal", json=importable_example())
    assert again.status_code == 409


def test_problems_come_back_with_their_place(app):
    client = sign_in_as_hong(app)
    journal = importable_example()
    journal["intakes"][0]["items"][0]["price_dong"] = -1
    journal["sales"] = [{"number": 1}]
    response = client.post("/api/v1/journal", json=journal)
    assert response.status_code == 422
    assert "/intakes/0/items/0/price_dong" in response.json["fields"]
    with app.app_context():
        from shop.models import Item

        assert db.session.query(Item).count() == 0


def test_only_coordinators_export(app, client, coordinator, member):
    client.post("/sign-in", data={"phone": "0912000002", "pin": "1357"})
    assert client.get("/api/v1/journal").status_code == 403
