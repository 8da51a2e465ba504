"""Inputs that used to end in a 500: JSON nested hundreds deep, days at the calendar's ends,
a refused ``next`` after a reprint. Each now gets its 4xx (or its redirect)."""

from __future__ import annotations

import pytest

from shop.extensions import db
from tests.conftest import TRIAL_PINS, sign_in
from tests.security.walk import SAMPLES


def nested(depth: int) -> str:
    """JSON text of ``depth`` lists and objects inside each other (too deep for json.dumps)."""
    opening = "".join('{"k": ' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return f'{opening}"x"{closing}'


@pytest.fixture
def token(app, trial):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "odd inputs", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def api_writes(app):
    """(method, url) of every API route that takes a body, its variables from the walk's."""
    import re

    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            found.append((method, url))
    return sorted(found)


def test_there_are_json_endpoints_to_try(app):
    writes = api_writes(app)
    assert ("POST", "/api/v1/sales") in writes and ("POST", "/api/v1/journal") in writes
    assert len(writes) > 20


@pytest.mark.parametrize(("depth", "field"), [(30, "name"), (500, "name"), (5000, "body")])
def test_json_nested_too_deep_is_a_400_naming_its_field_on_every_endpoint(
    app, client, token, depth, field
):
    body = '{"name": ' + nested(depth) + "}"
    answers = {}
    for method, url in api_writes(app):
        response = client.open(
            url, method=method, data=body, content_type="application/json", headers=token
        )
        answers[method, url] = response.status_code
        assert response.status_code < 500, (method, url)
        assert response.is_json, (method, url)
        if response.status_code == 400:
            assert response.json["fields"] == {field: [response.json["message"]]}, url
    # Every endpoint that reads a body refuses it there (those that read none act or 4xx).
    assert answers["POST", "/api/v1/members"] == 400
    assert answers["POST", "/api/v1/sales"] == 400
    assert answers["POST", "/api/v1/journal"] == 400
    assert sum(status == 400 for status in answers.values()) > 15


def test_a_body_too_deep_for_the_parser_is_a_400_naming_the_body(app, client, token):
    for body in ("[" * 100_000, '{"a":' * 3000 + "1" + "}" * 3000):
        for method, url in (("POST", "/api/v1/members"), ("POST", "/api/v1/journal")):
            response = client.open(
                url, method=method, data=body, content_type="application/json", headers=token
            )
            assert response.status_code == 400, url
            assert list(response.json["fields"]) == ["body"]


def test_json_as_deep_as_a_journal_goes_is_read(app, client, token):
    # A sale's lines are two deep; a journal's deepest (a sale's lines) four: far from the cap.
    response = client.post(
        "/api/v1/members",
        json={"name": "Lê Thị Thu", "phone": "0912000009", "role": "member",
              "joined_on": "2027-02-01", "pin": "3579", "note": None},
        headers=token,
    )  # fmt: skip
    assert response.status_code == 422 and list(response.json["fields"]) == ["note"]


def test_text_deep_in_a_body_is_still_cleaned(app, client, token):
    response = client.post(
        "/api/v1/sales",
        json={"lines": [{"code": "A\x00", "quantity": 1}], "tendered_dong": 50_000},
        headers=token,
    )
    assert response.status_code < 500
    assert "\x00" not in response.text and "\\u0000" not in response.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2999-01-01"])
def test_a_day_report_at_the_calendars_ends(client, token, day):
    api = client.get(f"/api/v1/reports/days/{day}", headers=token)
    assert api.status_code == 404 and api.is_json
    assert list(api.json["fields"]) == ["day"]


def test_a_reprint_with_a_refused_next_goes_back_to_the_sale(app, trial):
    phone = app.test_client()
    assert sign_in(phone, "0912000001", TRIAL_PINS[1]).status_code == 303
    for target in ("//evil.example/x", "https://evil.example/", "\\\\evil", "sales"):
        response = phone.post("/printer/sales/1/reprint", data={"next": target})
        assert response.status_code == 303, target
        assert response.headers["Location"] == "/counter/sales/1", target
    kept = phone.post("/printer/sales/1/reprint", data={"next": "/counter/"})
    assert kept.headers["Location"] == "/counter/"


def expense(phone, **changes):
    form = {"spent_on": "09/02/2027", "category": "other", "amount_dong": "1k", "note": "x"}
    return phone.post("/expenses/", data={**form, **changes})


@pytest.fixture
def hong(app, trial):
    phone = app.test_client()
    assert sign_in(phone, "0912000001", TRIAL_PINS[1]).status_code == 303
    return phone


@pytest.mark.parametrize("amount", ["1tr" + "5" * 5000, "1k" + "0" * 4301, "9" * 5000])
def test_an_amount_of_thousands_of_digits_is_too_large_on_the_page(hong, amount):
    response = expense(hong, amount_dong=amount)
    assert response.status_code == 422
    assert "Số tiền quá lớn." in response.text
    assert "Exceeds the limit" not in response.text and "digits" not in response.text


@pytest.mark.parametrize("amount", ["٤٥k", "𝟒𝟓k", "４５０００"])
def test_an_amount_in_other_digits_is_not_read_on_the_page(hong, amount):
    response = expense(hong, amount_dong=amount)
    assert response.status_code == 422
    assert "Viết số tiền bằng chữ số" in response.text


@pytest.mark.parametrize("day", ["𝟐𝟎𝟐𝟕-02-09", "09/02/２０２７", "09-02-٢٠٢٧"])
def test_a_day_in_other_digits_is_not_read_on_the_page(hong, day):
    response = expense(hong, spent_on=day)
    assert response.status_code == 422
    assert "Viết ngày theo dạng ngày/tháng/năm" in response.text


def test_a_notebook_time_or_count_in_other_digits_is_not_read(hong):
    form = {"day": "09/02/2027", "time": "10:30", "cashier": "1", "codes": "A", "method": "cash"}
    time = hong.post("/counter/notebook", data={**form, "time": "١٠:٣٠"})
    assert time.status_code == 422 and "Hãy viết giờ theo dạng hh:mm" in time.text
    count = hong.post("/counter/notebook", data={**form, "time": "10:30", "codes": "A ٣"})
    assert count.status_code == 422 and "Hãy viết mỗi dòng một mã" in count.text


def test_a_page_number_in_other_digits_is_the_first_page(client, token):
    assert client.get("/api/v1/items?page=٢", headers=token).json["page"] == 1
    assert client.get("/api/v1/items?page=2", headers=token).json["page"] == 2
    assert client.get("/api/v1/items?per_page=𝟓", headers=token).json["per_page"] == 30


def test_a_truncated_picture_is_refused_not_kept_as_a_black_photo(app, as_member, stocked):
    from io import BytesIO

    import weasyprint  # noqa: F401  what printing a tag imports: it lets Pillow read cut files
    from PIL import Image, ImageFile

    from shop.models import Item

    assert ImageFile.LOAD_TRUNCATED_IMAGES  # as in the running shop once a PDF was made
    whole = BytesIO()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(whole, "PNG")
    for cut in (whole.getvalue()[:60], whole.getvalue()[:70]):
        response = as_member.post(
            "/stock/A/photo", data={"photo": (BytesIO(cut), "ao.png")}, follow_redirects=True
        )
        assert "Đây không phải ảnh mà cửa hàng đọc được." in response.text, len(cut)
    with app.app_context():
        assert db.session.scalar(db.select(Item.photo).where(Item.code == "A")) is None
    assert as_member.get("/stock/A/photo.jpg").status_code == 404
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as WeasyPrint wants it
