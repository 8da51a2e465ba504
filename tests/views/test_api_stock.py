import pytest

from shop.extensions import db


@pytest.fixture
def token(app, coordinator, member):
    from shop.models import Role
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context():
        stock.seed_categories(db.session)
        boss = svc.get_member(db.session, coordinator)
        _row, secret = svc.create_token(db.session, boss, "tests", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def member_token(app, token):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "member", Role.MEMBER)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_record_a_bag_through_the_api(client, token):
    categories = client.get("/api/v1/categories", headers=token).json["items"]
    ao = next(c["id"] for c in categories if c["name"] == "Áo")
    intake = client.post(
        "/api/v1/intakes",
        headers=token,
        json={"kind": "donation", "donor_name": "Chị Mai", "donor_phone": "0912111222"},
    )
    assert intake.status_code == 201, intake.json
    ref = intake.json["ref"]
    assert intake.json["donor"] == "D1" and intake.json["items"] == []
    item = client.post(
        f"/api/v1/intakes/{ref}/items",
        headers=token,
        json={
            "category": str(ao),
            "description": "Áo sơ mi",
            "size": "M",
            "condition": "good",
            "price_dong": 50000,
        },
    )
    assert item.status_code == 201, item.json
    assert item.json["code"] == "10008" and item.json["charged_dong"] == 50000
    lot = client.post(
        f"/api/v1/intakes/{ref}/items",
        headers=token,
        json={
            "category": ao,
            "description": "Tất",
            "is_lot": True,
            "quantity": 30,
            "price_dong": "10k",
        },
    )
    assert lot.json["is_lot"] and lot.json["quantity_on_hand"] == 30
    full = client.get(f"/api/v1/intakes/{ref}", headers=token).json
    assert [i["code"] for i in full["items"]] == ["10008", "10019"]
    found = client.get("/api/v1/items?q=ao+so+mi", headers=token).json
    assert found["total"] == 1 and found["items"][0]["code"] == "10008"
    summary = client.get("/api/v1/stock/summary", headers=token).json["items"]
    assert summary == [{"category": "Áo", "count": 31, "value_dong": 350000}]
    assert client.get("/api/v1/donors?q=mai", headers=token).json["items"][0]["name"] == "Chị Mai"


def test_api_refusals_name_their_field(client, token):
    bad_kind = client.post("/api/v1/intakes", headers=token, json={"kind": "stolen"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json["fields"]
    no_owner = client.post("/api/v1/intakes", headers=token, json={"kind": "consignment"})
    assert no_owner.status_code == 422 and "owner" in no_owner.json["fields"]
    future = client.post(
        "/api/v1/intakes", headers=token, json={"kind": "donation", "received_on": "2099-01-01"}
    )
    assert future.status_code == 422 and "received_on" in future.json["fields"]
    ref = client.post("/api/v1/intakes", headers=token, json={"kind": "donation"}).json["ref"]
    bad_item = client.post(
        f"/api/v1/intakes/{ref}/items", headers=token, json={"category": "x", "price_dong": -5}
    )
    assert bad_item.status_code == 422
    assert {"category", "price_dong"} <= set(bad_item.json["fields"])
    assert client.get("/api/v1/intakes/NOPE", headers=token).status_code == 404
    assert client.get("/api/v1/items/NOPE", headers=token).json["fields"] == {
        "code": ["Không có hàng mã NOPE."]
    }
    assert client.get("/api/v1/items?status=stolen", headers=token).status_code == 422


def test_price_change_and_disposal_through_the_api(client, token, member_token):
    ao = client.get("/api/v1/categories", headers=token).json["items"][0]["id"]
    ref = client.post(
        "/api/v1/intakes", headers=token, json={"kind": "consignment", "owner": "2"}
    ).json["ref"]
    code = client.post(
        f"/api/v1/intakes/{ref}/items", headers=token, json={"category": ao, "price_dong": 120000}
    ).json["code"]
    changed = client.post(
        f"/api/v1/items/{code}/price",
        headers=token,
        json={"price_dong": 100000, "reason": "giảm cho nhanh bán"},
    )
    assert changed.status_code == 200 and changed.json["price_dong"] == 100000
    no_reason = client.post(
        f"/api/v1/items/{code}/price", headers=token, json={"price_dong": 90000}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json["fields"]
    refused = client.post(
        f"/api/v1/items/{code}/disposals", headers=token, json={"kind": "given_to_group"}
    )
    assert refused.status_code == 422 and "owner_consents" in refused.json["fields"]
    given = client.post(
        f"/api/v1/items/{code}/disposals",
        headers=token,
        json={"kind": "given_to_group", "owner_consents": True},
    )
    assert given.json["owner"] is None and given.json["status"] == "in_stock"
    forbidden = client.post(
        f"/api/v1/items/{code}/disposals", headers=member_token, json={"kind": "written_off"}
    )
    assert forbidden.status_code == 403
    gone = client.post(
        f"/api/v1/items/{code}/disposals", headers=token, json={"kind": "written_off"}
    )
    assert gone.json["status"] == "written_off"


def test_price_suggestions_through_the_api(client, token, member_token):
    ao = client.get("/api/v1/categories", headers=token).json["items"][0]["id"]
    assert (
        client.put(
            "/api/v1/price-suggestions",
            headers=member_token,
            json={"category": ao, "condition": "good", "price_dong": 50000},
        ).status_code
        == 403
    )
    assert (
        client.put(
            "/api/v1/price-suggestions",
            headers=token,
            json={"category": ao, "condition": "good", "price_dong": 50000},
        ).status_code
        == 204
    )
    assert client.get("/api/v1/price-suggestions", headers=token).json["items"] == [
        {"category": ao, "condition": "good", "price_dong": 50000}
    ]
    assert (
        client.put(
            "/api/v1/price-suggestions",
            headers=token,
            json={"category": ao, "condition": "good", "price_dong": None},
        ).status_code
        == 204
    )
    assert client.get("/api/v1/price-suggestions", headers=token).json["items"] == []
    bad = client.put(
        "/api/v1/price-suggestions", headers=token, json={"category": 999, "condition": "mint"}
    )
    assert bad.status_code == 422 and {"category", "condition"} <= set(bad.json["fields"])


def test_my_items_through_the_api(app, client, token):
    ao = client.get("/api/v1/categories", headers=token).json["items"][0]["id"]
    ref = client.post(
        "/api/v1/intakes", headers=token, json={"kind": "consignment", "owner": 2}
    ).json["ref"]
    client.post(
        f"/api/v1/intakes/{ref}/items", headers=token, json={"category": ao, "price_dong": 35000}
    )
    her = app.test_client()
    her.post("/sign-in", data={"phone": "0912000002", "pin": "1357"})
    assert [i["price_dong"] for i in her.get("/api/v1/me/items").json["items"]] == [35000]
    assert client.get("/api/v1/me/items", headers=token).json["items"] == []


def test_photo_through_the_api(client, token):
    from io import BytesIO

    from PIL import Image

    ao = client.get("/api/v1/categories", headers=token).json["items"][0]["id"]
    ref = client.post("/api/v1/intakes", headers=token, json={"kind": "donation"}).json["ref"]
    code = client.post(
        f"/api/v1/intakes/{ref}/items", headers=token, json={"category": ao, "price_dong": 1000}
    ).json["code"]
    picture = BytesIO()
    Image.new("RGB", (40, 30), (0, 0, 255)).save(picture, "PNG")
    done = client.put(
        f"/api/v1/items/{code}/photo",
        headers=token,
        data={"photo": (BytesIO(picture.getvalue()), "p.png")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 200 and done.json["photo"] is True
    with client.get(f"/api/v1/items/{code}/photo", headers=token) as photo:
        assert photo.mimetype == "image/jpeg"
    bad = client.put(
        f"/api/v1/items/{code}/photo",
        headers=token,
        data={"photo": (BytesIO(b"nope"), "p.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "photo" in bad.json["fields"]
    missing = client.put(f"/api/v1/items/{code}/photo", headers=token)
    assert missing.status_code == 422
    bomb = BytesIO()  # 155 kB, 39.9 million pixels once decoded
    Image.new("RGB", (7300, 5466), (180, 40, 40)).save(bomb, "PNG", compress_level=9)
    refused = client.put(
        f"/api/v1/items/{code}/photo",
        headers={**token, "Accept-Language": "en"},
        data={"photo": (BytesIO(bomb.getvalue()), "bomb.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert refused.json["fields"]["photo"] == [
        "This picture has too many pixels: at most 24 megapixels (a phone photo has about 12)."
    ]
