"""``GET /healthz`` names each part (database, migrations, print worker, disk, backup), 200
when all are well and 503 naming the failing ones; the coordinator's home page warns of an
old backup or a nearly full disk in plain words, and a member's does not."""

from __future__ import annotations

import shutil
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from shop import create_app
from shop.extensions import db
from shop.models import JobKind, JobStatus, PrintJob
from shop.services import backup as backup_service

from ..conftest import _test_config

PARTS = {"database", "migrations", "print_worker", "disk", "backup", "bank_feed"}
Usage = namedtuple("Usage", "total used free")


def backed_up(app, ago: timedelta) -> None:
    made = backup_service.Backup(Path(app.instance_path) / "backups" / "x", 0, 0)
    backup_service.record_backup(Path(app.instance_path), made, at=datetime.now(UTC) - ago)


@pytest.fixture
def low_disk(monkeypatch):
    """Make the disk look as full as a test says (the database's own 1 MB check included)."""

    def set_free(megabytes: int) -> None:
        free = megabytes * 1024**2
        monkeypatch.setattr(shutil, "disk_usage", lambda _path: Usage(free * 10, free * 9, free))

    return set_free


def test_a_well_shop_is_200_with_every_part_named_and_nothing_secret(app, client):
    backed_up(app, timedelta(hours=20))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["failing"], body["warnings"]) == ("ok", [], [])
    assert set(body["checks"]) == PARTS
    assert body["checks"]["print_worker"] == {"state": "off"}  # tests run no print thread
    assert body["checks"]["backup"] == {"state": "ok", "age_hours": 20}
    assert body["checks"]["bank_feed"] == {"state": "off"}  # no bank feed set up
    assert body["checks"]["migrations"]["state"] == "ok"
    assert "postgresql" not in response.text and "sqlite" not in response.text
    assert app.instance_path not in response.text
    assert len(response.data) < 500


def test_no_backup_or_an_old_one_is_a_warning_not_a_failure(app, client):
    assert client.get("/healthz").json["checks"]["backup"] == {"state": "warn", "problem": "none"}
    backed_up(app, timedelta(days=3))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["warnings"] == ["backup"]
    assert response.json["checks"]["backup"] == {"state": "warn", "age_hours": 72}


def test_a_bank_feed_that_stopped_answering_is_a_warning_not_a_failure(app, client, coordinator):
    from shop.models import BankFeed
    from shop.services import bank
    from shop.services import members as member_service
    from tests.conftest import save_shop

    backed_up(app, timedelta(hours=1))
    now = datetime.now(UTC)
    with app.app_context(), app.test_request_context():
        save_shop(db.session)
        hong = member_service.get_member(db.session, 1)
        bank.save_settings(db.session, by=hong, at=now - timedelta(hours=2), provider="sepay")
        db.session.add(
            BankFeed(provider="sepay", cursor="", last_error="network",
                     last_ok_at=now - timedelta(minutes=45))
        )  # fmt: skip
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["warnings"] == ["bank_feed"]
    feed = response.json["checks"]["bank_feed"]
    assert feed["state"] == "warn" and feed["problem"] == "error"
    assert 44 <= feed["silent_minutes"] <= 46
    with app.app_context():
        db.session.get(BankFeed, "sepay").last_ok_at = datetime.now(UTC)
        db.session.commit()
    assert client.get("/healthz").json["checks"]["bank_feed"] == {
        "state": "ok", "provider": "sepay",
    }  # fmt: skip


def test_a_database_at_an_older_migration_is_a_503_naming_migrations(app, client):
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(app.extensions["migrate"].directory)
    (head,) = scripts.get_heads()
    older = scripts.get_revision(head).down_revision
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
        db.session.commit()
    try:
        response = client.get("/healthz")
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()

    assert response.status_code == 503
    assert response.json["status"] == "fail" and response.json["failing"] == ["migrations"]
    assert response.json["checks"]["migrations"] == {
        "state": "fail", "problem": "not_current", "revision": [older], "newest": [head],
    }  # fmt: skip
    assert client.get("/healthz").json["checks"]["migrations"]["state"] == "ok"


def test_a_nearly_full_disk_warns_and_a_full_one_fails(app, client, low_disk):
    backed_up(app, timedelta(hours=1))
    low_disk(500)
    warned = client.get("/healthz")
    assert warned.status_code == 200 and warned.json["warnings"] == ["disk"]
    assert warned.json["checks"]["disk"] == {"state": "warn", "free_mb": 500}

    low_disk(50)
    failed = client.get("/healthz")
    assert failed.status_code == 503 and failed.json["failing"] == ["disk"]
    assert failed.json["checks"]["disk"] == {"state": "fail", "free_mb": 50}


def test_an_unreachable_database_is_a_503_naming_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'shop.sqlite3'}"
    app = create_app(_test_config(url, str(tmp_path)))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == {"state": "fail", "problem": "unreachable"}
    assert {"database", "migrations"} <= set(response.json["failing"])


def test_a_print_job_waiting_long_past_its_time_fails_the_print_worker(app, client):
    backed_up(app, timedelta(hours=1))
    with app.app_context():
        long_ago = datetime.now(UTC) - timedelta(minutes=10)
        db.session.add(
            PrintJob(
                kind=JobKind.DRAWER,
                status=JobStatus.QUEUED,
                created_at=long_ago,
                next_try_at=long_ago,
            )  # fmt: skip
        )
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["failing"] == ["print_worker"]
    assert response.json["checks"]["print_worker"] == {
        "state": "fail", "problem": "jobs_waiting", "jobs": 1,
    }  # fmt: skip


def test_the_print_thread_is_reported_alive_then_stopped_or_stuck(db_url, tmp_path):
    app = create_app({**_test_config(db_url, str(tmp_path)), "PRINT_WORKER": "thread"})
    client = app.test_client()
    try:
        first = client.get("/healthz")  # the first request starts the thread
        assert first.json["checks"]["print_worker"] == {"state": "ok"}, first.json

        worker = app.extensions["print_worker"]
        worker.last_round = datetime.now(UTC) - timedelta(minutes=5)
        worker.stop()
        worker.join(10)
        worker.last_round = datetime.now(UTC) - timedelta(minutes=5)
        stopped = client.get("/healthz")
        assert stopped.status_code == 503 and "print_worker" in stopped.json["failing"]
        assert stopped.json["checks"]["print_worker"] == {"state": "fail", "problem": "stopped"}
    finally:
        app.extensions["print_worker"].stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_print_thread_that_has_not_gone_round_is_stuck(app, client):
    class Stuck:
        last_round = datetime.now(UTC) - timedelta(minutes=5)

        def is_alive(self):
            return True

    app.config["PRINT_WORKER"] = "thread"
    app.extensions["print_worker"] = Stuck()  # present: the first request starts no other
    response = client.get("/healthz")
    assert response.json["checks"]["print_worker"] == {"state": "fail", "problem": "stuck"}


# ---------------------------------------------------------------- the home page


def test_a_coordinator_is_told_of_no_backup_an_old_one_and_a_full_disk(app, as_coordinator,
                                                                     low_disk):  # fmt: skip
    page = as_coordinator.get("/").text
    assert "Chưa có bản sao lưu nào của cửa hàng" in page

    backed_up(app, timedelta(days=3, hours=2))
    page = as_coordinator.get("/").text
    assert "Lần sao lưu gần nhất đã 3 ngày trước" in page
    assert 'data-testid="warning-disk"' not in page

    backed_up(app, timedelta(hours=2))
    low_disk(300)
    page = as_coordinator.get("/").text
    assert 'data-testid="warning-backup"' not in page
    assert "Máy tính của cửa hàng sắp đầy bộ nhớ (còn 300 MB)" in page


def test_a_member_is_not_shown_the_shops_warnings(as_member, low_disk):
    low_disk(300)
    page = as_member.get("/").text
    assert 'data-testid="shop-warnings"' not in page and "sao lưu" not in page
