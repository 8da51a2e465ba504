import re

import pytest

from tests.conftest import sign_in


def test_empty_shop_sends_everyone_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/setup"
    assert client.get("/sign-in").headers["Location"] == "/setup"


def test_setup_creates_the_first_coordinator_then_closes(client):
    page = client.get("/setup")
    assert page.status_code == 200
    assert "Thiết lập cửa hàng" in page.text
    response = client.post(
        "/setup",
        data={
            "shop_name": "NEW ME – Đồ cũ",
            "shop_address": "Hà Nội",
            "name": "Nguyễn Thị Hồng",
            "phone": "0912 000 001",
            "pin": "2468",
        },
    )
    assert response.status_code == 302
    members = client.get("/members/")
    assert "Nguyễn Thị Hồng" in members.text and "Trưởng nhóm" in members.text
    assert "NEW ME – Đồ cũ" in members.text
    assert client.get("/setup").status_code == 404
    client.post("/sign-out")
    assert (
        client.post(
            "/setup", data={"shop_name": "X", "name": "Y", "phone": "0912000009", "pin": "2468"}
        ).status_code
        == 404
    )


def test_setup_blank_form_says_what_is_missing(client):
    response = client.post("/setup", data={})
    assert response.status_code == 422  # like every refused form
    assert "Hãy nhập tên cửa hàng." in response.text
    assert "Hãy nhập họ tên của chị." in response.text
    assert "Hãy nhập số điện thoại của chị." in response.text
    assert "Hãy nhập mã PIN." in response.text


def test_sign_in_page_is_vietnamese(client, coordinator):
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập" in page.text and "Số điện thoại" in page.text


def test_sign_in_and_out(client, coordinator):
    response = sign_in(client, "0912 000 001")
    assert response.status_code == 303
    home = client.get("/")
    assert "Chào chị Nguyễn Thị Hồng!" in home.text
    client.post("/sign-out")
    assert client.get("/").status_code == 302


def cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def test_signing_out_ends_the_session_and_its_copies(app, client, coordinator):
    assert sign_in(client, "0912000001").status_code == 303
    copied = cookies(client)
    assert {"session", "remember_token"} <= set(copied)
    session_only, remember_only = app.test_client(), app.test_client()
    session_only.set_cookie("session", copied["session"])
    remember_only.set_cookie("remember_token", copied["remember_token"])
    assert session_only.get("/").status_code == 200  # a copy works while she is signed in
    assert remember_only.get("/").status_code == 200
    out = client.post("/sign-out")
    assert out.status_code == 303
    assert "Chị đã đăng xuất, trên máy này và mọi máy khác." in client.get("/sign-in").text
    both = app.test_client()
    both.set_cookie("session", copied["session"])
    both.set_cookie("remember_token", copied["remember_token"])
    assert both.get("/").status_code == 302
    assert session_only.get("/").status_code == 302
    assert remember_only.get("/").status_code == 302
    # Signing in again works, and only the new cookies do.
    assert sign_in(client, "0912000001").status_code == 303
    assert client.get("/").status_code == 200


def test_signing_out_on_her_phone_ends_her_session_at_the_counter(app, coordinator, member):
    counter, phone = app.test_client(), app.test_client()
    assert sign_in(counter, "0912000002", "1357").status_code == 303
    assert sign_in(phone, "0912000002", "1357").status_code == 303
    phone.post("/sign-out")
    assert counter.get("/").status_code == 302


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client, coordinator):
    response = client.post("/sign-in?next=/members/", data={"phone": "0912000001", "pin": "2468"})
    assert response.headers["Location"] == "/members/"
    client.post("/sign-out")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/sign-in", data={"phone": "0912000001", "pin": "2468", "next": target}
        )
        assert response.headers["Location"] == "/", target
        client.post("/sign-out")


def test_wrong_pin_says_so_beside_the_pin(client, coordinator):
    response = sign_in(client, "0912000001", "9999")
    assert response.status_code == 401
    # Three tries from one device (the address's limit comes before the phone's five).
    assert "Sai số điện thoại hoặc mã PIN. Còn 2 lần thử." in response.text
    assert 'id="pin-error"' in response.text


def test_blank_sign_in_form(client, coordinator):
    response = client.post("/sign-in", data={"phone": "", "pin": ""})
    assert response.status_code == 422
    assert "Hãy nhập số điện thoại của chị." in response.text
    assert "Hãy nhập mã PIN của chị." in response.text


def test_malformed_phone(client, coordinator):
    response = client.post("/sign-in", data={"phone": "abc", "pin": "2468"})
    assert response.status_code == 422
    assert "Đây không phải số điện thoại" in response.text


def from_address(client, address, phone, pin):
    return client.post(
        "/sign-in", data={"phone": phone, "pin": pin}, environ_base={"REMOTE_ADDR": address}
    )


def test_three_wrong_pins_lock_the_device_not_her_phone(app, client, coordinator, clock):
    for left in (2, 1):
        answer = from_address(client, "203.0.113.9", "0912000001", "9999")
        assert f"Còn {left} lần thử" in answer.text
    locked = from_address(client, "203.0.113.9", "0912000001", "9999")
    # 03:00 UTC + 15 min is 10:15 in Hanoi.
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "901"
    assert "Nhập sai mã PIN quá nhiều lần trên máy này. Hãy thử lại lúc 10:15." in locked.text
    clock.advance(minutes=14)
    # From there even the right PIN waits ...
    assert from_address(client, "203.0.113.9", "0912000001", "2468").status_code == 429
    assert client.get("/").status_code == 302
    # ... but she signs in from her own phone, elsewhere: a stranger did not lock her out.
    own_phone = app.test_client()
    assert from_address(own_phone, "10.0.0.2", "0912000001", "2468").status_code == 303
    clock.advance(minutes=1)
    assert from_address(client, "203.0.113.9", "0912000001", "2468").status_code == 303


def test_one_pin_tried_on_every_phone_locks_the_address(client, make_member):
    for number in range(1, 6):
        make_member(name=f"Thành viên {number}", phone=f"091200000{number}", pin="3579")
    for number in (1, 2):
        assert from_address(client, "198.51.100.4", f"091200000{number}", "2580").status_code == 401
    assert from_address(client, "198.51.100.4", "0912000003", "2580").status_code == 429
    for number in (4, 5):  # the rest are not even tried
        answer = from_address(client, "198.51.100.4", f"091200000{number}", "2580")
        assert answer.status_code == 429 and "trên máy này" in answer.text
    assert from_address(client, "10.0.0.5", "0912000005", "3579").status_code == 303


def test_five_wrong_pins_from_several_places_lock_the_phone_longer_each_time(
    client, coordinator, clock
):
    places = iter(f"10.0.7.{n}" for n in range(1, 60))
    # Each place could try twice more; the phone, four times more, then three, two, one.
    for left in (2, 2, 2, 1):
        answer = from_address(client, next(places), "0912000001", "9999")
        assert f"Còn {left} lần thử" in answer.text
    locked = from_address(client, next(places), "0912000001", "9999")
    assert locked.status_code == 429
    assert "Số điện thoại này bị khóa đến 10:15" in locked.text
    clock.advance(minutes=15)
    for _ in range(5):
        locked = from_address(client, next(places), "0912000001", "9999")
    assert "bị khóa đến 10:45" in locked.text  # the second lock: 30 minutes
    clock.advance(minutes=30)
    assert from_address(client, next(places), "0912000001", "2468").status_code == 303
    client.post("/sign-out")
    for _ in range(5):
        locked = from_address(client, next(places), "0912000001", "9999")
    assert "bị khóa đến 11:00" in locked.text  # after a good sign-in: 15 minutes again


@pytest.fixture
def behind_a_proxy(db_url, tmp_path):
    """The app as it runs behind one reverse proxy (SHOP_PROXIES=1), on the test's database."""
    from shop import create_app
    from shop.extensions import db
    from tests.conftest import _test_config

    app = create_app({**_test_config(db_url, str(tmp_path)), "SHOP_PROXIES": 1})
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_proxy_the_device_address_is_counted(behind_a_proxy, coordinator):
    def attempt(device, pin):
        return behind_a_proxy.post(
            "/sign-in",
            data={"phone": "0912000001", "pin": pin},
            headers={"X-Forwarded-For": device},
        )

    for _ in range(2):
        assert attempt("10.0.3.1", "9999").status_code == 401
    locked = attempt("10.0.3.1", "9999")
    assert locked.status_code == 429 and "trên máy này" in locked.text
    assert attempt("10.0.3.2", "2468").status_code == 303  # another device behind the proxy


def test_without_a_proxy_a_forged_forwarded_for_changes_nothing(client, coordinator):
    for n in range(1, 4):  # each wrong PIN claims to come from somewhere else
        answer = client.post(
            "/sign-in",
            data={"phone": "0912000001", "pin": "9999"},
            headers={"X-Forwarded-For": f"10.0.4.{n}"},
        )
    assert answer.status_code == 429 and "trên máy này" in answer.text
    forged = client.post(
        "/sign-in",
        data={"phone": "0912000001", "pin": "2468"},
        headers={"X-Forwarded-For": "10.0.4.9"},
    )
    assert forged.status_code == 429


def test_member_who_left_is_signed_out_and_refused(client, app, coordinator, member, clock):
    assert sign_in(client, "0912000002", "1357").status_code == 303
    with app.app_context():
        from datetime import date

        from shop.extensions import db
        from shop.services import members as svc

        m = svc.get_member(db.session, member)
        m.left_on = date(2026, 11, 19)
        db.session.commit()
    assert client.get("/").status_code == 302
    response = sign_in(client, "0912000002", "1357")
    assert response.status_code == 401
    assert "đã rời nhóm" in response.text


def test_change_own_pin(as_member):
    page = as_member.get("/account/pin")
    assert "Đổi mã PIN" in page.text
    wrong = as_member.post(
        "/account/pin", data={"current_pin": "0000", "new_pin": "8024", "confirm_pin": "8024"}
    )
    assert wrong.status_code == 422 and "Mã PIN hiện tại không đúng." in wrong.text
    mismatch = as_member.post(
        "/account/pin", data={"current_pin": "1357", "new_pin": "8024", "confirm_pin": "8025"}
    )
    assert "Hai lần nhập mã PIN mới không giống nhau." in mismatch.text
    weak = as_member.post(
        "/account/pin", data={"current_pin": "1357", "new_pin": "1111", "confirm_pin": "1111"}
    )
    assert "quá dễ đoán" in weak.text
    ok = as_member.post(
        "/account/pin", data={"current_pin": "1357", "new_pin": "8024", "confirm_pin": "8024"}
    )
    assert ok.status_code == 303
    assert as_member.get("/").status_code == 200  # still signed in with the new PIN
    as_member.post("/sign-out")
    assert sign_in(as_member, "0912000002", "1357").status_code == 401
    assert sign_in(as_member, "0912000002", "8024").status_code == 303


def test_pin_reset_ends_her_other_sessions(app, coordinator, member):
    phone_of_hers = app.test_client()
    assert sign_in(phone_of_hers, "0912000002", "1357").status_code == 303
    boss = app.test_client()
    sign_in(boss, "0912000001")
    assert boss.post(f"/members/{member}/pin", data={"pin": "8024"}).status_code == 303
    assert phone_of_hers.get("/").status_code == 302


def test_switch_who_is_selling(as_coordinator, member):
    names = as_coordinator.get("/switch")
    assert "Ai đang bán hàng?" in names.text
    assert "Nguyễn Thị Ngọc" in names.text
    pin_box = as_coordinator.get(f"/switch/{member}").text
    assert 'id="pin"' in pin_box and " autofocus" in pin_box  # ready for her PIN
    wrong = as_coordinator.post(f"/switch/{member}", data={"pin": "0000"})
    assert wrong.status_code == 401 and "Sai mã PIN. Còn 4 lần thử." in wrong.text
    # A wrong PIN at the switch leaves the current seller signed in.
    assert "Nguyễn Thị Hồng" in as_coordinator.get("/").text
    ok = as_coordinator.post(f"/switch/{member}", data={"pin": "1357"})
    assert ok.status_code == 303 and ok.headers["Location"] == "/counter/"  # to sell
    home = as_coordinator.get("/")
    assert "Chào chị Nguyễn Thị Ngọc!" in home.text
    assert "Nguyễn Thị Ngọc đang bán hàng." in home.text


def test_switch_to_unknown_member_is_404(as_coordinator):
    assert as_coordinator.get("/switch/99").status_code == 404


def test_language_can_be_switched_to_english(client, coordinator):
    response = client.post("/language", data={"lang": "en", "next": "/sign-in"})
    assert response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    assert '<html lang="en">' in page.text and "Phone number" in page.text
    client.post("/language", data={"lang": "vi"})
    assert "Số điện thoại" in client.get("/sign-in").text


@pytest.fixture
def csrf_client(app, coordinator):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def test_forms_refuse_a_post_without_csrf_token(csrf_client):
    response = csrf_client.post("/sign-in", data={"phone": "0912000001", "pin": "2468"})
    assert response.status_code == 303
    assert csrf_client.get("/").status_code == 302  # not signed in
    page = csrf_client.get(response.headers["Location"])
    assert "Trang này đã hết hạn" in page.text


def test_an_expired_form_goes_back_to_the_shops_own_page_only(csrf_client):
    """Refused for its token, a form goes back where it came from when that is one of the
    shop's pages, never to another site named by the Referer."""
    data = {"phone": "0912000001", "pin": "2468"}
    own = csrf_client.post(
        "/sign-in", data=data, headers={"Referer": "http://localhost/sign-in?next=/counter/"}
    )
    assert own.headers["Location"] == "/sign-in?next=/counter/"
    for elsewhere in ("https://evil.example/phish", "//evil.example/x", "javascript:alert(1)"):
        away = csrf_client.post("/sign-in", data=data, headers={"Referer": elsewhere})
        assert away.status_code == 303 and away.headers["Location"] == "/sign-in", elsewhere


def test_forms_accept_a_post_with_the_csrf_token(csrf_client):
    page = csrf_client.get("/sign-in")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = csrf_client.post(
        "/sign-in", data={"csrf_token": token, "phone": "0912000001", "pin": "2468"}
    )
    assert response.status_code == 303
    assert csrf_client.get("/").status_code == 200
