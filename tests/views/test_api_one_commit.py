"""One commit per API request (shop.api.one_commit): what a view did is committed once, when
it answers; a refusal or a failure keeps nothing (but the wrong PINs a refusal counts); a
request that reads commits nothing; and what follows a commit (the print queue woken for a
receipt queued with the sale) follows that one commit, with the receipt already saved."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from shop.extensions import db
from shop.models import PinLock, Sale
from shop.printing import queue
from tests.conftest import sign_in
from tests.views.test_printer import set_printer


@pytest.fixture
def token(app, stocked):
    from shop.models import Role
    from shop.services import members as svc

    with app.app_context():
        boss = svc.get_member(db.session, 1)
        _row, secret = svc.create_token(db.session, boss, "till", Role.COORDINATOR)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def commits(app):
    """Each commit of a request's transaction, as it happens (a savepoint's is not one).
    Only this thread's: the test client runs each request here, while the print queue's
    own thread may commit its jobs' tries at any moment (it made this test fail under load)."""
    seen: list[str] = []
    requests_thread = threading.get_ident()

    def counted(session):
        if not session.in_nested_transaction() and threading.get_ident() == requests_thread:
            seen.append("commit")

    event.listen(db.session, "after_commit", counted)
    yield seen
    event.remove(db.session, "after_commit", counted)


@pytest.fixture
def printer(app, coordinator):
    """The receipt printer is a file, receipts printed after every sale."""
    boss = app.test_client()
    assert sign_in(boss, "0912000001").status_code == 303
    set_printer(boss, connection="file", path=str(Path(app.instance_path) / "printer-out" / "lp0"))


def saved_jobs(app) -> int:
    """The print jobs another connection sees: only what was committed."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM print_job")).scalar_one()


def test_each_write_commits_once_and_the_printer_is_woken_after(
    app, client, token, commits, printer, monkeypatch
):
    woken = []

    def wake(_app):
        woken.append(saved_jobs(app))

    monkeypatch.setattr(queue, "wake", wake)
    commits.clear()  # the printer's settings, saved by the page
    opened = client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    assert opened.status_code == 201 and commits == ["commit"]
    commits.clear()
    body = {"client_id": "phone-1-0300", "lines": [{"code": "A"}], "tendered_dong": 50_000}
    sold = client.post("/api/v1/sales", json=body, headers=token)
    assert sold.status_code == 201 and commits == ["commit"]
    # Woken once, after the commit: the receipt's job is there for the queue to find.
    assert woken == [1]
    again = {"client_id": "phone-1-0301", "lines": [{"code": "C"}]}
    for path, sent in (("/api/v1/sales/1/refunds", {"line": 0, "amount_dong": 10_000,
                                                    "method": "cash", "reason": "vết bẩn"}),
                       ("/api/v1/sales", again),
                       ("/api/v1/sales/2/void", {"reason": "nhầm"})):  # fmt: skip
        commits.clear()
        answer = client.post(path, json=sent, headers=token)
        assert answer.status_code < 300 and commits == ["commit"], answer.json


def test_a_refusal_keeps_nothing(app, client, token, commits):
    client.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=token)
    commits.clear()
    # The body is right; the service refuses it once it has started (an item it does not
    # have, after one it does).
    body = {"client_id": "phone-1-0302", "lines": [{"code": "A"}, {"code": "NOPE"}]}
    refused = client.post("/api/v1/sales", json=body, headers=token)
    assert refused.status_code == 422 and commits == []
    wrong = client.post("/api/v1/sales", json={**body, "tendered_dong": "40k"}, headers=token)
    assert wrong.status_code == 422 and commits == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Sale.id))) == 0


def test_a_view_that_answers_a_refusal_itself_keeps_nothing(client, commits):
    refused = client.post(
        "/api/v1/bank/sepay", json={"id": 1}, headers={"Authorization": "Apikey nope"}
    )
    assert refused.status_code == 401 and commits == []


def test_reading_commits_nothing(client, token, commits):
    assert client.get("/api/v1/sales", headers=token).status_code == 200
    assert client.get("/api/v1/openapi.json", headers=token).status_code == 200
    assert commits == []


def test_a_wrong_pin_is_counted_though_the_change_is_refused(app, client, token, commits):
    body = {"current_pin": "0000", "new_pin": "8024", "confirm_pin": "8024"}
    wrong = client.post("/api/v1/me/pin", json=body, headers=token)
    assert wrong.status_code == 422 and "current_pin" in wrong.json["fields"]
    assert commits == ["commit"]
    with app.app_context():
        assert db.session.scalar(select(func.max(PinLock.failures))) == 1
