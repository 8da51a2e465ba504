import pytest


def test_member_sees_the_list_without_phones_and_cannot_manage(as_member, coordinator):
    page = as_member.get("/members/")
    assert page.status_code == 200
    assert "Nguyễn Thị Hồng" in page.text
    assert "0912 000 001" not in page.text  # another member's phone
    assert "0912000001" not in page.text
    assert "0912 000 002" in page.text  # her own
    assert "Thêm thành viên" not in page.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/members/new"),
        ("post", "/members/new"),
        ("get", "/members/1/edit"),
        ("post", "/members/1/edit"),
        ("get", "/members/1/pin"),
        ("post", "/members/1/pin"),
        ("get", "/members/tokens"),
        ("post", "/members/tokens"),
        ("post", "/members/tokens/1/revoke"),
    ],
)
def test_member_is_refused_coordinator_pages(as_member, method, path):
    response = getattr(as_member, method)(path, data={"pin": "8024", "name": "x"})
    assert response.status_code == 403
    assert "Chị không có quyền làm việc này" in response.text


@pytest.mark.parametrize(
    "path",
    ["/", "/members/", "/members/new", "/switch", "/account/pin", "/members/tokens", "/switch/1"],
)
def test_stranger_is_sent_to_sign_in(client, coordinator, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_coordinator_adds_a_member(as_coordinator):
    form = as_coordinator.get("/members/new")
    assert "Thêm thành viên" in form.text
    response = as_coordinator.post(
        "/members/new",
        data={
            "name": "Nguyễn Thị Út",
            "phone": "0912 000 003",
            "role": "member",
            "joined_on": "2026-10-01",
            "pin": "3579",
        },
    )
    assert response.status_code == 303
    listing = as_coordinator.get("/members/")
    assert "Nguyễn Thị Út là thành viên số 2." in listing.text
    assert "vào nhóm 01/10/2026" in listing.text


def test_add_member_blank_form(as_coordinator):
    response = as_coordinator.post("/members/new", data={"joined_on": ""})
    assert response.status_code == 422
    for message in ("Hãy nhập họ tên.", "Hãy nhập ngày vào nhóm.", "Hãy nhập mã PIN cho chị ấy."):
        assert message in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "0912000001", "Thành viên số 1 đã dùng số điện thoại này."),
        ("phone", "12ab", "Đây không phải số điện thoại"),
        ("joined_on", "31/02/2026", "Viết ngày theo dạng ngày/tháng/năm"),
        ("pin", "1234", "quá dễ đoán"),
        ("role", "boss", "Hãy chọn thành viên hoặc trưởng nhóm."),
        ("name", "x" * 121, "Tối đa 120 chữ."),
    ],
)
def test_add_member_bad_input_is_explained_beside_the_field(as_coordinator, field, value, message):
    data = {
        "name": "Nguyễn Thị Út",
        "phone": "0912000003",
        "role": "member",
        "joined_on": "01/10/2026",
        "pin": "3579",
        field: value,
    }
    response = as_coordinator.post("/members/new", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}-error"' in response.text
    assert "Nguyễn Thị Út là thành viên" not in as_coordinator.get("/members/").text


def test_coordinator_edits_and_marks_a_member_as_left(as_coordinator, member):
    page = as_coordinator.get(f"/members/{member}/edit")
    assert 'value="Nguyễn Thị Ngọc"' in page.text
    response = as_coordinator.post(
        f"/members/{member}/edit",
        data={
            "name": "Nguyễn Thị Ngọc",
            "phone": "0912000002",
            "role": "member",
            "joined_on": "2026-10-01",
            "left_on": "2026-11-01",
        },
    )
    assert response.status_code == 303
    assert "Nguyễn Thị Ngọc" not in as_coordinator.get("/members/").text
    everyone = as_coordinator.get("/members/?left=1")
    assert "rời nhóm 01/11/2026" in everyone.text
    assert "Nguyễn Thị Ngọc" not in as_coordinator.get("/switch").text


def test_coordinator_cannot_demote_herself_on_the_page(as_coordinator, coordinator):
    response = as_coordinator.post(
        f"/members/{coordinator}/edit",
        data={
            "name": "Nguyễn Thị Hồng",
            "phone": "0912000001",
            "role": "member",
            "joined_on": "2026-10-01",
        },
    )
    assert response.status_code == 422
    assert "Chị không thể tự bỏ vai trò trưởng nhóm" in response.text


def test_tokens_page_creates_shows_once_and_revokes(as_coordinator, client):
    response = as_coordinator.post("/members/tokens", data={"name": "bảng tính", "role": "member"})
    assert response.status_code == 200
    assert "Mã sẽ không hiện lại nữa." in response.text
    import re

    secret = re.search(r'data-testid="secret">([^<]+)<', response.text).group(1)
    assert secret not in as_coordinator.get("/members/tokens").text
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    as_coordinator.post("/members/tokens/1/revoke")
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert "thu hồi lúc" in as_coordinator.get("/members/tokens").text


def test_pages_carry_a_strict_content_security_policy(as_member):
    headers = as_member.get("/members/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_health_is_open(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


def test_unknown_page_is_a_friendly_404(as_member):
    response = as_member.get("/no/such/page")
    assert response.status_code == 404
    assert "Trang này không có." in response.text


def _errors(page) -> dict[str, str]:
    import re

    return dict(re.findall(r'id="([a-z_]+)-error" role="alert">.*?<span>([^<]*)</span>', page))


def test_the_new_member_form_reports_every_problem_at_once(as_coordinator, clock):
    """No name, a PIN too short, a phone another member has and a joining day to come: all
    four beside their fields after one try, what she typed kept (the PIN never written
    back)."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    page = as_coordinator.post(
        "/members/new",
        data={
            "name": "",
            "phone": "0912 000 001",  # the coordinator's
            "role": "member",
            "joined_on": "2026-12-01",
            "pin": "12",
        },
    )
    assert page.status_code == 422
    errors = _errors(page.text)
    assert set(errors) == {"name", "phone", "joined_on", "pin"}, errors
    assert errors["phone"] == "Thành viên số 1 đã dùng số điện thoại này."
    assert errors["joined_on"].startswith("Ngày này chưa tới")
    assert errors["pin"] == "Mã PIN phải có từ 4 đến 8 chữ số."
    assert 'value="0912000001"' in page.text and 'value="2026-12-01"' in page.text
    assert 'value="12"' not in page.text


def test_the_service_refuses_with_every_problem(as_coordinator, clock):
    """The form is fine but the books are not: a phone taken and a joining day to come
    come back together, not one per try."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    page = as_coordinator.post(
        "/members/new",
        data={
            "name": "Nguyễn Thị Út",
            "phone": "0912000001",
            "role": "member",
            "joined_on": "2026-12-01",
            "pin": "3579",
        },
    )
    assert page.status_code == 422
    assert set(_errors(page.text)) == {"phone", "joined_on"}
