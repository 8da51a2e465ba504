"""A full disk or a database that cannot be written: a clear 503 on the pages and the API,
``/healthz`` saying so, nothing half saved; and all is well again once there is room.

Read-only for real: SQLite's ``PRAGMA query_only`` and PostgreSQL's
``default_transaction_read_only`` on every connection (the database itself refuses each
write). A full disk for real, on SQLite: the shop's folder on a tmpfs of 2 MB that a filler
file fills up (this needs ``mount``, as root: skipped where it cannot be mounted).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime

import psycopg.errors
import pytest
from sqlalchemy import event, func, select

from shop.database import reading_only, unwritable_reason
from shop.extensions import db
from shop.models import Member
from tests.conftest import DEMO_PIN, TRIAL_JOURNAL, _test_config, delete_everything, sign_in

NEW_MEMBER = {
    "name": "Lê Thị Thu",
    "phone": "0912000009",
    "role": "member",
    "joined_on": "01/11/2026",
    "pin": "3579",
}
SAID = "Ổ đĩa của cửa hàng đã đầy (hoặc không ghi được dữ liệu): chưa lưu được gì."


@pytest.fixture
def token(app, coordinator):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, coordinator)
        _row, secret = svc.create_token(db.session, boss, "tests", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def read_only(app, db_kind) -> None:
    """From now on every connection of ``app`` is read-only, by the database's own rule."""
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _read_only(connection, _record):
            if db_kind == "sqlite":
                connection.execute("PRAGMA query_only = ON")
            else:
                connection.autocommit = True
                connection.execute("SET default_transaction_read_only = on")
                connection.autocommit = False

        engine.dispose()


def members(app) -> int:
    token = reading_only.set(True)  # a reading transaction, which a read-only database allows
    try:
        with app.app_context():
            return db.session.scalar(select(func.count(Member.id)))
    finally:
        reading_only.reset(token)


def test_a_read_only_database_is_a_503_saying_so(app, db_kind, as_coordinator, token):
    assert as_coordinator.get("/healthz").json["failing"] == []
    before = members(app)
    read_only(app, db_kind)

    page = as_coordinator.post("/members/new", data=NEW_MEMBER)
    api = as_coordinator.post("/api/v1/members", json={**NEW_MEMBER, "joined_on": "2026-11-01"},
                              headers=token)  # fmt: skip
    health = as_coordinator.get("/healthz")

    assert page.status_code == 503 and SAID in page.text
    assert api.status_code == 503
    assert api.json == {"error": "read_only", "message": SAID, "fields": {}}
    assert health.status_code == 503
    assert health.json["failing"] == ["database"] and health.json["message"] == SAID
    assert health.json["checks"]["database"] == {"state": "fail", "problem": "read_only"}
    assert as_coordinator.get("/members/").status_code == 200  # reading still works
    assert members(app) == before


def test_which_errors_mean_nothing_can_be_written():
    import errno
    import sqlite3

    # PostgreSQL's disk_full cannot be brought about here: its error, as psycopg raises it.
    assert unwritable_reason(psycopg.errors.DiskFull()) == "disk_full"
    assert unwritable_reason(psycopg.errors.ReadOnlySqlTransaction()) == "read_only"
    assert unwritable_reason(psycopg.errors.UniqueViolation()) is None
    assert unwritable_reason(sqlite3.OperationalError("database is locked")) is None
    assert unwritable_reason(sqlite3.OperationalError("database or disk is full")) == "disk_full"
    assert unwritable_reason(OSError(errno.ENOSPC, "No space left")) == "disk_full"
    assert unwritable_reason(OSError(errno.EROFS, "Read-only file system")) == "read_only"
    assert unwritable_reason(OSError(errno.ECONNREFUSED, "refused")) is None
    assert unwritable_reason(ValueError("x")) is None


# ---------------------------------------------------------------- a full disk, for real


@pytest.fixture
def small_disk(tmp_path, db_kind):
    """A folder on a tmpfs of 2 MB, unmounted afterwards."""
    if db_kind != "sqlite":
        pytest.skip("the shop's own disk holds the database on SQLite only")
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"no tmpfs can be mounted here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder) -> None:
    """Fill the disk of ``folder`` to its last byte."""
    with open(folder / "filler", "ab", buffering=0) as filler:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    filler.write(b"\0" * size)
            except OSError:
                continue
    assert shutil.disk_usage(folder).free == 0


@pytest.fixture
def shop_on_small_disk(small_disk, database):
    from shop import create_app
    from shop.models import Role
    from shop.services import members as svc

    target = small_disk / "shop.sqlite3"
    shutil.copyfile(database[1], target)
    app = create_app(_test_config(f"sqlite:///{target}", str(small_disk / "instance")))
    with app.app_context():
        details = svc.MemberDetails("Nguyễn Thị Hồng", "0912000001", Role.COORDINATOR,
                                    date(2026, 10, 1))  # fmt: skip
        boss = svc.create_member(db.session, details, DEMO_PIN, country_code="84")
        _row, secret = svc.create_token(db.session, boss, "tests", Role.COORDINATOR)
        db.session.commit()
    yield app, small_disk, {"Authorization": f"Bearer {secret}"}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_full_disk_is_a_503_saying_so_and_saves_nothing(shop_on_small_disk):
    app, disk, token = shop_on_small_disk
    phone = app.test_client()
    assert sign_in(phone, "0912000001").status_code == 303
    assert phone.get("/healthz").json["checks"]["database"] == {"state": "ok"}
    fill(disk)

    page = phone.post("/members/new", data=NEW_MEMBER)
    api = phone.post("/api/v1/members", json={**NEW_MEMBER, "joined_on": "2026-11-01"},
                     headers=token)  # fmt: skip
    health = phone.get("/healthz")

    assert page.status_code == 503 and SAID in page.text
    assert (api.status_code, api.json["error"], api.json["message"]) == (503, "disk_full", SAID)
    assert health.status_code == 503 and "database" in health.json["failing"]
    assert health.json["checks"]["database"] == {"state": "fail", "problem": "disk_full"}
    assert members(app) == 1

    (disk / "filler").unlink()  # room again: the same form goes through
    assert phone.get("/healthz").json["checks"]["database"] == {"state": "ok"}
    assert phone.post("/members/new", data=NEW_MEMBER).status_code == 303
    assert members(app) == 2


def test_a_photo_onto_a_full_disk_is_a_503(shop_on_small_disk):
    from io import BytesIO

    from PIL import Image

    from shop.models import IntakeKind
    from shop.services import stock

    app, disk, _token = shop_on_small_disk
    with app.app_context():
        stock.seed_categories(db.session)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime(2026, 11, 15, 2, tzinfo=UTC)),
            by=db.session.scalar(select(Member)),
            tz=app.config["SHOP_TZ"],
        )
        code = stock.add_item(db.session, intake, stock.ItemDetails("Áo", 50_000)).code
        db.session.commit()
    phone = app.test_client()
    assert sign_in(phone, "0912000001").status_code == 303
    picture = BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(picture, "PNG")
    fill(disk)

    upload = {"photo": (BytesIO(picture.getvalue()), "ao.png")}
    response = phone.post(f"/stock/{code}/photo", data=upload)

    assert response.status_code == 503 and SAID in response.text
    assert phone.get(f"/stock/{code}/photo.jpg").status_code == 404


def test_a_journal_import_onto_a_full_disk_says_so(shop_on_small_disk):
    app, disk, _token = shop_on_small_disk
    with app.app_context():
        delete_everything(db.session)
        db.session.commit()
    journal = disk / "journal.json"
    journal.write_text(json.dumps(json.loads(TRIAL_JOURNAL.read_text("utf-8"))), "utf-8")
    fill(disk)

    result = app.test_cli_runner().invoke(args=["journal", "import", str(journal)])

    assert result.exit_code == 1
    assert "the disk is full" in result.stderr and "nothing was imported" in result.stderr
    assert members(app) == 0


def test_health_is_ok_while_another_writer_holds_sqlites_lock(app, db_kind):
    # The probe waits out the busy timeout (5 s), then takes the held lock as a sign that
    # the database can be written.
    import sqlite3

    if db_kind != "sqlite":
        pytest.skip("SQLite's write lock")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        health = app.test_client().get("/healthz")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (health.status_code, health.json["failing"]) == (200, [])


def test_a_write_that_waits_out_sqlites_lock_is_a_503_to_try_again(app, db_kind, token):
    # Another writer keeps SQLite's write lock past the busy timeout (made short here):
    # the request is told to try again (503, Retry-After), never a 500, and saves nothing.
    import sqlite3

    if db_kind != "sqlite":
        pytest.skip("SQLite's write lock")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _impatient(connection, _record):
            connection.execute("PRAGMA busy_timeout = 100")

        db.engine.dispose()
        before = db.session.scalar(select(func.count()).select_from(Member))
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        answer = app.test_client().post("/api/v1/members", headers=token, json=NEW_MEMBER)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert answer.status_code == 503, answer.json
    assert answer.json["error"] == "busy" and answer.headers["Retry-After"] == "2"
    assert "thử lại" in answer.json["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == before
