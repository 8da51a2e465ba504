"""Two instances of the shop (two gunicorn, two workers each) on one PostgreSQL database
and one instance folder, as a shop that outgrew one process runs them: every print job
queued at once is printed exactly once, and a month's statements started on one instance
are made once and followed and fetched from the other.

The background work of the app is the print queue (a thread in every web process, claiming
jobs by a conditional UPDATE, with SKIP LOCKED on PostgreSQL) and the statements' PDF (a
thread of the process that was asked, its progress and file in the instance folder). There
is no bank polling yet.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reliability.floods import Browser
from reliability.live import Server
from shop.extensions import db
from shop.models import ConnectionKind, JobKind, JobStatus, PrintAttempt, PrintJob
from shop.printing import queue
from shop.printing.escpos_out import drawer_bytes
from shop.services import members as member_service
from shop.services import printing

from ..conftest import TRIAL_PINS

JOBS = 60
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def postgresql_only(db_kind):
    if db_kind != "postgresql":
        pytest.skip(
            "several instances share one database only on PostgreSQL: SQLite is one file "
            "that one machine's processes open (run with SHOP_TEST_DATABASE=postgresql://…)"
        )


@pytest.fixture
def two_instances(postgresql_only, app, trial, tmp_path):
    """The worked example, a file printer in printer-out, and two gunicorn on it."""
    with app.app_context(), app.test_request_context():
        boss = member_service.get_member(db.session, 1)
        (tmp_path / "printer-out").mkdir()
        printing.save_printer_settings(
            db.session,
            {"connection": ConnectionKind.FILE, "path": str(tmp_path / "printer-out" / "r.bin"),
             "drawer_pin": 2, "auto_receipt": True},
            by=boss,
            at=datetime.now(UTC),
            place=queue.printer_place(),
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first = Server(url, tmp_path, tmp_path / "first.log")
    second = Server(url, tmp_path, tmp_path / "second.log")
    with first, second:
        first.start()
        second.start()
        yield app, first, second


def wait_until(done, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not done in {seconds} s")
        time.sleep(0.2)


@pytest.mark.slow
def test_print_jobs_queued_at_once_are_printed_once_by_two_instances(two_instances, tmp_path):
    app, first, second = two_instances
    with app.app_context():
        for _ in range(JOBS):
            printing.queue_job(db.session, JobKind.DRAWER, open_drawer=True)
        db.session.commit()

        def finished() -> bool:
            db.session.rollback()
            waiting = select(func.count(PrintJob.id)).where(
                PrintJob.status.not_in((JobStatus.PRINTED, JobStatus.FAILED))
            )
            return db.session.scalar(waiting) == 0

        wait_until(finished, 60, "printing")
        jobs = list(db.session.scalars(select(PrintJob)))
        attempts = list(db.session.scalars(select(PrintAttempt)))
        db.session.remove()
        db.engine.dispose()

    assert len(jobs) == JOBS
    assert {job.status for job in jobs} == {JobStatus.PRINTED}, first.tail() + second.tail()
    assert sorted(a.job_id for a in attempts) == sorted(job.id for job in jobs)  # one each
    assert all(a.ok for a in attempts)
    one = len(drawer_bytes(2, profile="default"))
    printed = (tmp_path / "printer-out" / "r.bin").stat().st_size
    assert printed == sum(a.size_bytes for a in attempts) == JOBS * one


@pytest.mark.slow
def test_statements_started_on_one_instance_are_made_once_and_fetched_from_the_other(
    two_instances, tmp_path, trial
):
    _app, first, second = two_instances
    boss = next(m for m in trial["members"] if m["number"] == 1)
    browser = Browser(first.port, "127.0.0.1")
    status, page = browser.request("GET", "/sign-in")
    token = CSRF.search(page)[1]
    form = {"csrf_token": token, "phone": boss["phone"], "pin": TRIAL_PINS[1]}
    assert browser.request("POST", "/sign-in", form)[0] == 303
    status, page = browser.request("GET", "/months/2026-11")
    assert status == 200, page[:300]
    token = CSRF.search(page)[1]

    connection_path = "/months/2026-11/statements/render"
    status, _page = browser.request("POST", connection_path, {"csrf_token": token})
    assert status == 303
    renders = tmp_path / "renders"
    (state,) = renders.glob("*.json")
    render_id = state.stem

    browser.port = second.port  # the next look lands on the other instance
    progress = f"{connection_path}/{render_id}"

    def done() -> bool:
        status, page = browser.request("GET", progress)
        assert status == 200, page[:300]
        return (renders / f"{render_id}.pdf").exists() and "failed" not in state.read_text()

    wait_until(done, 120, "the statements")
    status, pdf = browser.request("GET", f"{progress}.pdf")
    assert status == 200 and pdf.startswith("%PDF")
    assert sorted(p.name for p in renders.iterdir()) == [f"{render_id}.json", f"{render_id}.pdf"]
    logs = Path(first.log).read_text() + Path(second.log).read_text()
    assert "rendering the statements" not in logs  # no failed render anywhere
