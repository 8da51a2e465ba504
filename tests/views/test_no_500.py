"""Whatever arrives, the answer is a page or a JSON 4xx, never a 500 (nor a crash)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.extensions import db

FIELDS = [
    "name",
    "phone",
    "role",
    "joined_on",
    "left_on",
    "pin",
    "current_pin",
    "new_pin",
    "confirm_pin",
    "shop_name",
    "number",
    "csrf_token",
    "lang",
    "next",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=300),
    st.sampled_from(
        [
            "0912000001",
            "2026-02-30",
            "31/12/2026",
            "coordinator",
            "member",
            "2468",
            "\x00",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "١٢٣٤",
        ]
    ),
)
json_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def token(app, coordinator):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, coordinator)
        _row, secret = svc.create_token(db.session, boss, "fuzz", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@FUZZ
@given(
    body=st.one_of(json_values, st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=7)),
    target=st.sampled_from(
        [
            ("post", "/api/v1/members"),
            ("patch", "/api/v1/members/1"),
            ("put", "/api/v1/members/1/pin"),
            ("post", "/api/v1/tokens"),
            ("post", "/api/v1/me/pin"),
        ]
    ),
)
def test_api_answers_any_json_with_a_4xx_or_success(client, token, body, target):
    method, path = target
    response = getattr(client, method)(path, json=body, headers=token)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.is_json and response.json["error"]
        assert set(response.json["fields"]) <= set(FIELDS) | {"body"} | (
            set(body) if isinstance(body, dict) else set()
        )


@FUZZ
@given(
    form=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=200), max_size=8),
    path=st.sampled_from(
        [
            "/sign-in",
            "/members/new",
            "/members/1/edit",
            "/members/1/pin",
            "/account/pin",
            "/switch/1",
            "/members/tokens",
            "/language",
        ]
    ),
)
def test_pages_answer_any_form_without_a_500(as_coordinator, form, path):
    response = as_coordinator.post(path, data=form)
    assert response.status_code < 500


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ]
    ),
)
def test_api_answers_garbage_bodies_with_a_4xx(client, token, raw, content_type):
    response = client.post(
        "/api/v1/members", data=raw, headers={**token, "Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500
