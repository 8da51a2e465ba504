import re

import pytest
from openapi_spec_validator import validate

from shop.extensions import db


@pytest.fixture
def token(app, coordinator):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, coordinator)
        _row, secret = svc.create_token(db.session, boss, "tests", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def member_token(app, coordinator, member):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, coordinator)
        _row, secret = svc.create_token(db.session, boss, "read only", Role.MEMBER)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


NEW = {
    "name": "Nguyễn Thị Út",
    "phone": "0912 000 003",
    "role": "member",
    "joined_on": "2026-10-01",
    "pin": "3579",
}


def test_no_credentials_is_401_json(client, coordinator):
    response = client.get("/api/v1/members")
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_token_is_401_naming_the_header(client, coordinator):
    response = client.get("/api/v1/members", headers={"Authorization": "Bearer shop_nope"})
    assert response.status_code == 401
    assert "Authorization" in response.json["fields"]


def test_create_list_get_member_with_a_token(client, token):
    created = client.post("/api/v1/members", json=NEW, headers=token)
    assert created.status_code == 201, created.json
    assert created.json == {
        "number": 2,
        "name": "Nguyễn Thị Út",
        "phone": "0912000003",
        "role": "member",
        "joined_on": "2026-10-01",
        "left_on": None,
        "has_pin": True,
    }
    listing = client.get("/api/v1/members", headers=token).json["items"]
    assert [m["number"] for m in listing] == [1, 2]
    assert client.get("/api/v1/members/2", headers=token).json["name"] == "Nguyễn Thị Út"
    missing = client.get("/api/v1/members/9", headers=token)
    assert missing.status_code == 404 and missing.json["fields"] == {
        "number": ["Không có thành viên số 9."]
    }


def test_validation_errors_name_every_field(client, token):
    response = client.post("/api/v1/members", json={"phone": "abc", "pin": "1"}, headers=token)
    assert response.status_code == 422
    fields = response.json["fields"]
    assert set(fields) == {"name", "phone", "joined_on", "pin"}
    assert fields["phone"] == [
        "Đây không phải số điện thoại: dùng 8 đến 15 chữ số, ví dụ 0912 345 678."
    ]
    assert client.get("/api/v1/members", headers=token).json["items"][-1]["number"] == 1


def test_messages_follow_accept_language(client, token):
    response = client.post("/api/v1/members", json={}, headers={**token, "Accept-Language": "en"})
    assert response.json["fields"]["name"] == ["Enter her name."]


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"data": "not json", "content_type": "text/plain"}, 415, "body"),
        ({"data": "{broken", "content_type": "application/json"}, 400, "body"),
        ({"json": [1, 2]}, 400, "body"),
        ({"json": {**NEW, "admin": True}}, 422, "admin"),
        ({"json": {**NEW, "name": ["a"]}}, 422, "name"),
        ({"json": {**NEW, "pin": 1111}}, 422, "pin"),
        ({"json": {**NEW, "joined_on": "yesterday"}}, 422, "joined_on"),
        ({"json": {**NEW, "phone": "0912000001"}}, 422, "phone"),
    ],
)
def test_malformed_bodies_get_a_4xx_naming_the_field(client, token, kwargs, status, field):
    response = client.post("/api/v1/members", headers=token, **kwargs)
    assert response.status_code == status, response.json
    assert field in response.json["fields"]


def test_patch_changes_only_what_is_sent(client, token, member):
    response = client.patch(f"/api/v1/members/{member}", json={"name": "Ngọc"}, headers=token)
    assert response.status_code == 200, response.json
    assert response.json["name"] == "Ngọc" and response.json["phone"] == "0912000002"
    cleared = client.patch(f"/api/v1/members/{member}", json={"phone": None}, headers=token)
    assert cleared.json["phone"] is None


def test_member_token_cannot_manage(client, member_token):
    assert client.get("/api/v1/members", headers=member_token).status_code == 200
    refused = client.post("/api/v1/members", json=NEW, headers=member_token)
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert client.get("/api/v1/tokens", headers=member_token).status_code == 403
    assert (
        client.put("/api/v1/members/2/pin", json={"pin": "8024"}, headers=member_token).status_code
        == 403
    )


def test_member_sees_phones_of_nobody_but_herself(app, as_member):
    items = as_member.get("/api/v1/members").json["items"]
    phones = {m["number"]: m["phone"] for m in items}
    assert phones == {1: None, 2: "0912000002"}


def test_session_api_writes_need_the_csrf_header(app, coordinator):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    client.post("/sign-in", data={"csrf_token": csrf, "phone": "0912000001", "pin": "2468"})
    assert client.get("/api/v1/me").json["number"] == 1
    refused = client.post("/api/v1/members", json=NEW)
    assert refused.status_code == 400 and "csrf_token" in refused.json["fields"]
    accepted = client.post("/api/v1/members", json=NEW, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201


def test_bearer_requests_need_no_csrf(app, token):
    app.config["WTF_CSRF_ENABLED"] = True
    assert app.test_client().post("/api/v1/members", json=NEW, headers=token).status_code == 201


def test_a_bearer_request_leaves_the_page_session_alone(as_member, token):
    """The token says who is asking, never the cookie: a phone signed in as a member that
    sends a coordinator's token acts as the coordinator, its session cookie is neither
    read nor written, and the answer speaks what Accept-Language asks (not the language
    chosen on the pages). Without the header the page session is hers, as before."""
    as_member.post("/language", data={"lang": "en"})
    response = as_member.get("/api/v1/me", headers=token)
    assert response.status_code == 200 and response.json["number"] == 1
    assert "Set-Cookie" not in response.headers
    refused = as_member.post("/api/v1/members", json={}, headers=token)
    assert refused.json["fields"]["name"] != ["Enter her name."]  # Vietnamese, the default
    english = as_member.post("/api/v1/members", json={}, headers={**token, "Accept-Language": "en"})
    assert english.json["fields"]["name"] == ["Enter her name."]
    assert as_member.get("/api/v1/me").json["number"] == 2


def test_pin_reset_by_token_and_own_change_by_session(app, client, token, member):
    assert (
        client.put(f"/api/v1/members/{member}/pin", json={"pin": "8024"}, headers=token).status_code
        == 204
    )
    weak = client.put(f"/api/v1/members/{member}/pin", json={"pin": "0000"}, headers=token)
    assert weak.status_code == 422 and "pin" in weak.json["fields"]
    her_phone = app.test_client()
    assert (
        her_phone.post("/sign-in", data={"phone": "0912000002", "pin": "8024"}).status_code == 303
    )
    wrong = her_phone.post(
        "/api/v1/me/pin", json={"current_pin": "3333", "new_pin": "8025", "confirm_pin": "8025"}
    )
    assert wrong.status_code == 422 and "current_pin" in wrong.json["fields"]
    changed = her_phone.post(
        "/api/v1/me/pin", json={"current_pin": "8024", "new_pin": "8025", "confirm_pin": "8025"}
    )
    assert changed.status_code == 204
    assert her_phone.get("/api/v1/me").json["number"] == member


def test_tokens_through_the_api(client, token):
    created = client.post(
        "/api/v1/tokens", json={"name": "kế toán", "role": "member"}, headers=token
    )
    assert created.status_code == 201
    secret = created.json["secret"]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    listed = client.get("/api/v1/tokens", headers=token).json["items"]
    assert all("secret" not in t for t in listed)
    revoked = client.delete(f"/api/v1/tokens/{created.json['id']}", headers=token)
    assert revoked.json["revoked_at"] is not None
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_openapi_document_is_valid_and_covers_every_api_route(app, client, token):
    document = client.get("/api/v1/openapi.json", headers=token).json
    validate(document)
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    body = document["paths"]["/api/v1/members"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert set(body["required"]) == {"name", "joined_on", "pin"}
    assert body["properties"]["role"]["enum"] == ["member", "coordinator"]
    assert body["properties"]["joined_on"]["format"] == "date"
    assert body["additionalProperties"] is False


def test_me_answers_the_role_the_token_acts_with(client, token, member_token):
    # Both tokens are the coordinator's; one was made for the member role only.
    mine = client.get("/api/v1/me", headers=member_token)
    assert mine.status_code == 200
    assert (mine.json["number"], mine.json["role"]) == (1, "member")
    assert client.get("/api/v1/me", headers=token).json["role"] == "coordinator"
    # What the token may do agrees with what /me says.
    assert client.get("/api/v1/tokens", headers=member_token).status_code == 403


def test_me_on_the_page_session_is_her_own_role(as_member):
    assert as_member.get("/api/v1/me").json["role"] == "member"
