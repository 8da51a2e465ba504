"""The slow parts of a request hold no write lock: hashing a PIN, decoding a photo.

On SQLite one writer at a time holds the whole database, so a sign-in that hashes its PIN
inside ``BEGIN IMMEDIATE`` (or a photo decoded there) makes the counter's sale wait, and a
flood of them answers it "database is locked". On PostgreSQL a sign-in used to hash with
its lock row held ``FOR UPDATE``. Each test watches the real slow function (the real one
still runs) and, at that moment, asks the database from another connection whether it
could write now.
"""

from __future__ import annotations

import sqlite3
import threading
from io import BytesIO

import pytest

from shop.extensions import db
from tests.conftest import sign_in


def can_write_now(app, db_kind) -> bool:
    """Whether another connection could write at once: on SQLite take the write lock, on
    PostgreSQL lock every sign-in count row, without waiting."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if db_kind == "sqlite":
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as other:
        try:
            other.execute("SELECT key FROM pin_lock FOR UPDATE NOWAIT").fetchall()
            return True
        except psycopg.errors.LockNotAvailable:
            return False


def watch(monkeypatch, module, name: str, app, db_kind) -> list[bool]:
    """Call the real ``module.name`` as before, noting each time whether the database could
    take another writer just then."""
    real = getattr(module, name)
    seen: list[bool] = []

    def watched(*args, **kwargs):
        seen.append(can_write_now(app, db_kind))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, watched)
    return seen


def test_a_sign_in_checks_the_pin_with_no_write_lock(
    app, client, coordinator, db_kind, monkeypatch
):
    from shop.services import members

    seen = watch(monkeypatch, members, "check_password_hash", app, db_kind)
    # The first wrong PIN makes the count's row; the second finds it (and would lock it).
    for _ in range(2):
        assert sign_in(client, "0912000001", "9999").status_code == 401
    assert client.post("/sign-in", data={"phone": "0912000001", "pin": "2468"}).status_code == 303
    assert seen == [True, True, True]


def test_the_switch_and_a_pin_change_check_the_pin_with_no_write_lock(
    app, as_coordinator, member, db_kind, monkeypatch
):
    from shop.services import members

    seen = watch(monkeypatch, members, "check_password_hash", app, db_kind)
    for _ in range(2):
        assert as_coordinator.post(f"/switch/{member}", data={"pin": "0000"}).status_code == 401
    for _ in range(2):
        wrong = as_coordinator.post(
            "/account/pin", data={"current_pin": "0000", "new_pin": "8024", "confirm_pin": "8024"}
        )
        assert wrong.status_code == 422
    hashed = watch(monkeypatch, members, "generate_password_hash", app, db_kind)
    changed = as_coordinator.post(
        "/account/pin", data={"current_pin": "2468", "new_pin": "8024", "confirm_pin": "8024"}
    )
    assert changed.status_code == 303
    assert as_coordinator.get("/").status_code == 200  # still signed in, with the new PIN
    assert seen == [True] * 5 and hashed == [True]


def test_a_pin_change_through_the_api_checks_with_no_write_lock(
    app, client, coordinator, db_kind, monkeypatch
):
    from shop.models import Role
    from shop.services import members

    with app.app_context():
        boss = members.get_member(db.session, coordinator)
        _row, secret = members.create_token(db.session, boss, "tests", Role.COORDINATOR)
        db.session.commit()
    seen = watch(monkeypatch, members, "check_password_hash", app, db_kind)
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"current_pin": "0000", "new_pin": "8024", "confirm_pin": "8024"}
    for _ in range(2):
        assert client.post("/api/v1/me/pin", json=body, headers=headers).status_code == 422
    done = client.post("/api/v1/me/pin", json={**body, "current_pin": "2468"}, headers=headers)
    assert done.status_code == 204
    assert seen == [True] * 3


def test_a_coordinator_sets_a_pin_or_adds_a_member_hashing_with_no_write_lock(
    app, as_coordinator, member, db_kind, monkeypatch
):
    if db_kind != "sqlite":
        pytest.skip("PostgreSQL locks no row while these hash")
    from shop.services import members

    hashed = watch(monkeypatch, members, "generate_password_hash", app, db_kind)
    reset = as_coordinator.post(
        f"/members/{member}/pin", data={"pin": "8024", "confirm_pin": "8024"}
    )
    assert reset.status_code == 303
    added = as_coordinator.post(
        "/members/new",
        data={
            "name": "Nguyễn Thị Út",
            "phone": "0912000003",
            "role": "member",
            "joined_on": "01/11/2026",
            "pin": "3579",
        },
    )
    assert added.status_code == 303, added.text
    assert hashed == [True, True]


def test_a_locked_sign_in_is_refused_while_another_request_writes(
    app, client, coordinator, db_kind
):
    """A flood of refused attempts neither waits for the write lock nor takes it."""
    for n in range(1, 6):  # five places: the phone is locked
        client.post(
            "/sign-in",
            data={"phone": "0912000001", "pin": "9999"},
            environ_base={"REMOTE_ADDR": f"10.0.9.{n}"},
        )
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    answers: list[int] = []

    def attempt():
        answers.append(sign_in(client, "0912000001", "9999").status_code)

    if db_kind == "sqlite":
        writer = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # a sale in the middle of its transaction
        release = lambda: writer.execute("ROLLBACK")  # noqa: E731
    else:
        import psycopg

        writer = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
        writer.execute("SELECT key FROM pin_lock FOR UPDATE").fetchall()
        release = writer.rollback
    try:
        thread = threading.Thread(target=attempt, daemon=True)
        thread.start()
        thread.join(30)
        still_waiting = thread.is_alive()
    finally:
        release()
        writer.close()
    thread.join(30)
    assert not still_waiting, "the refused attempt waited for the other writer"
    assert answers == [429]


# ---------------------------------------------------------------- photos


@pytest.fixture
def item_code(app, coordinator):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from shop.models import IntakeKind
    from shop.services import members, stock

    with app.app_context(), app.test_request_context():
        boss = members.get_member(db.session, coordinator)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime(2026, 11, 15, 2, tzinfo=UTC)),
            by=boss,
            tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        )
        code = stock.add_item(db.session, intake, stock.ItemDetails("Áo", 50_000, "Áo")).code
        db.session.commit()
        return code


def png(size=(2400, 1800)) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, code, data, name="ao.png"):
    return client.post(
        f"/stock/{code}/photo",
        data={"photo": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_photo_is_decoded_with_no_write_lock(
    app, as_coordinator, item_code, db_kind, monkeypatch
):
    if db_kind != "sqlite":
        pytest.skip("PostgreSQL locks no row while a photo is decoded")
    from PIL import ImageOps

    seen = watch(monkeypatch, ImageOps, "exif_transpose", app, db_kind)
    assert upload(as_coordinator, item_code, png()).status_code == 303
    assert "Đã lưu ảnh." in as_coordinator.get(f"/stock/{item_code}").text
    assert seen == [True]


def test_photos_are_decoded_one_at_a_time(app, coordinator, item_code, monkeypatch):
    """While one photo is decoded, a second waits its turn and a third is asked to try
    again (a 503, with the message beside the photo), instead of three decoding at once;
    one of too many pixels is refused meanwhile, without waiting."""
    from PIL import ImageOps

    from shop.models import Role
    from shop.services import members

    with app.app_context():
        boss = members.get_member(db.session, coordinator)
        _row, secret = members.create_token(db.session, boss, "tests", Role.COORDINATOR)
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    real = ImageOps.exif_transpose
    inside, first_in, go_on = [0], threading.Event(), threading.Event()
    most = [0]
    lock = threading.Lock()

    def held(image, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        first_in.set()
        go_on.wait(30)
        with lock:
            inside[0] -= 1
        return real(image, **kwargs)

    monkeypatch.setattr(ImageOps, "exif_transpose", held)
    answers: dict[str, object] = {}

    def put(name: str, picture: bytes | None = None) -> None:
        answer = app.test_client().put(
            f"/api/v1/items/{item_code}/photo",
            headers=headers,
            data={"photo": (BytesIO(picture or png()), f"{name}.png")},
            content_type="multipart/form-data",
        )
        answers[name] = (answer.status_code, answer.json)

    first = threading.Thread(target=put, args=("first",), daemon=True)
    first.start()
    assert first_in.wait(30)
    # A picture of too many pixels is refused at once, by its header, without waiting.
    put("too large", png((7300, 5466)))
    assert answers.pop("too large")[0] == 422
    assert "first" not in answers  # answered while the first was still being decoded
    others = [threading.Thread(target=put, args=(n,), daemon=True) for n in ("second", "third")]
    for thread in others:
        thread.start()
    # One of the two is refused at once (only one may wait); then the first may finish.
    for _ in range(300):
        if len(answers) == 1:
            break
        threading.Event().wait(0.1)
    go_on.set()
    for thread in [first, *others]:
        thread.join(60)
    statuses = sorted(status for status, _body in answers.values())
    assert statuses == [200, 200, 503], answers
    refused = next(body for status, body in answers.values() if status == 503)
    assert refused["fields"]["photo"] == ["Đang lưu một ảnh khác. Chị thử lại sau ít giây nhé."]
    assert most[0] == 1  # never two decoding at once
