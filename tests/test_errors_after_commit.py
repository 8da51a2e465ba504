"""An error answer never says "nothing was saved" about a change that was committed.

Two probe routes are added to a fresh app: one commits a change and then fails (building
its answer, say), one fails while committing. The first must answer that it was saved; the
second that it is not known, and both must leave the row as the database has it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from shop.auth.access import public
from shop.extensions import db
from shop.models import Sequence
from shop.models.sequence import next_in_sequence


@pytest.fixture
def probed(app):
    @public
    def commit_then_fail():
        next_in_sequence(db.session, "probe")
        db.session.commit()
        raise RuntimeError("the answer could not be built")

    @public
    def fail_in_commit():
        # A foreign key checked only at the commit (SQLite's deferred checks): the commit
        # itself fails, as it does when the database goes away in the middle of it.
        db.session.execute(text("PRAGMA defer_foreign_keys = ON"))
        db.session.execute(
            text(
                "INSERT INTO void (sale_id, at, by_id, reason) "
                "VALUES (999999, '2026-11-20 03:00:00', 999999, 'x')"
            )
        )
        db.session.commit()
        return "unreachable"

    @public
    def savepoint_then_fail():
        with db.session.begin_nested():  # a savepoint released is not the change saved
            next_in_sequence(db.session, "probe")
        raise RuntimeError("failed before the commit")

    for path, view in (("/probe/commit-then-fail", commit_then_fail),
                       ("/probe/fail-in-commit", fail_in_commit),
                       ("/probe/savepoint-then-fail", savepoint_then_fail)):  # fmt: skip
        app.add_url_rule(path, view.__name__, view)
        app.add_url_rule("/api/v1" + path, "api_" + view.__name__, view)
    return app


def test_a_failure_after_the_commit_says_the_change_was_saved(probed, client):
    page = client.get("/probe/commit-then-fail")
    assert page.status_code == 500
    assert "đã được lưu" in page.text and "Chưa có gì được lưu" not in page.text
    api = client.get("/api/v1/probe/commit-then-fail")
    assert api.status_code == 500 and api.json["error"] == "saved"
    assert "đã được lưu" in api.json["message"]
    with probed.app_context():
        assert db.session.scalar(select(Sequence.value).where(Sequence.name == "probe")) == 2


@pytest.mark.sqlite_only
def test_a_failure_in_the_commit_says_it_is_not_known(probed, client, db_kind):
    if db_kind != "sqlite":
        pytest.skip("deferred foreign keys by PRAGMA are SQLite's")
    api = client.get("/api/v1/probe/fail-in-commit")
    assert api.status_code == 503 and api.json["error"] == "unsure"
    page = client.get("/probe/fail-in-commit")
    assert page.status_code == 503 and "Chưa có gì được lưu" not in page.text


def test_a_released_savepoint_is_not_taken_for_a_saved_change(probed, client):
    """It is an unexpected error like any other (the tests propagate those), not "saved"."""
    with pytest.raises(RuntimeError, match="before the commit"):
        client.get("/api/v1/probe/savepoint-then-fail")
    with probed.app_context():
        assert db.session.scalar(select(Sequence.value).where(Sequence.name == "probe")) is None


def test_a_backend_ended_by_the_server_is_said_as_the_database_gone(app, client):
    """The server's own word that it ended the connection (a backend killed) may come before
    the driver marks the connection broken: it is still the database gone (503), never
    the bare 500 of an unexpected error."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    @public
    def backend_killed():
        ended = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
        raise OperationalError("UPDATE item SET …", {}, ended)

    app.add_url_rule("/api/v1/probe/backend-killed", "backend_killed", backend_killed)
    api = client.get("/api/v1/probe/backend-killed")
    assert api.status_code == 503 and api.json["error"] == "database_unavailable"
