"""Sending queued print jobs, after the transaction that queued them, and logging each try.

A background thread per web process wakes when a transaction that queued a job commits (and
every few seconds anyway, for retries and for jobs left by a process that stopped). Each
job is *claimed* by a conditional UPDATE, so two processes never print it twice; a claim
older than :data:`STALE_CLAIM` (its process died mid-send) is taken over. What a slip shows
is read in the claim's transaction, from committed data; the bytes are then drawn and sent
with no transaction open, so neither the drawing nor a slow printer holds a lock.

Every try is a :class:`~shop.models.PrintAttempt` row. A job that failed is tried again
after :data:`RETRY_DELAYS`; once it is older than :data:`GIVE_UP_AFTER` it is marked
failed and the counter offers a reprint. The cash drawer opens only within
:data:`DRAWER_WINDOW` of the sale: a receipt that comes out ten minutes late must not open
the drawer of a counter nobody is watching.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import bindparam, event, insert, or_, select, update
from sqlalchemy.orm import Session

from shop.database import UTCDateTime, reading_only, run_core
from shop.domain.calendar import utc_now
from shop.extensions import db
from shop.models import ConnectionKind, JobKind, JobStatus, PrintAttempt, PrintJob

log = logging.getLogger(__name__)

#: Seconds to wait before the next try, by how many tries failed so far (the last repeats).
RETRY_DELAYS = (3, 10, 20, 30, 60, 120)
GIVE_UP_AFTER = timedelta(minutes=15)
DRAWER_WINDOW = timedelta(minutes=2)
STALE_CLAIM = timedelta(minutes=5)
#: How often the thread looks for due jobs when nobody wakes it, seconds.
POLL_SECONDS = 3.0


# The claim's statements, made once (the queue runs them after every sale): due at ``now``,
# a claim older than ``stale`` taken over; ``ids`` are the candidates.
_NOW = bindparam("now", type_=UTCDateTime())
_DUE = or_(
    (PrintJob.status == JobStatus.QUEUED) & (PrintJob.next_try_at <= _NOW),
    (PrintJob.status == JobStatus.SENDING)
    & (PrintJob.claimed_at < bindparam("stale", type_=UTCDateTime())),
)
_LOOK = select(PrintJob.id).where(_DUE).order_by(PrintJob.id).limit(bindparam("limit"))
_CLAIM = (
    update(PrintJob)
    .where(PrintJob.id.in_(bindparam("ids", expanding=True)), _DUE)
    .values(status=JobStatus.SENDING, claimed_at=_NOW)
    .execution_options(synchronize_session=False)
)
# The claimed jobs whole, as rows of the table (what a try reads of its job; the ORM's
# objects of them would cost more to make than the claim does).
_CLAIM_JOBS = (
    update(PrintJob.__table__)
    .where(PrintJob.__table__.c.id.in_(bindparam("ids", expanding=True)), _DUE)
    .values(status=JobStatus.SENDING, claimed_at=_NOW)
    .returning(*PrintJob.__table__.c)
)
_CLAIM_IDS = _CLAIM.returning(PrintJob.id)
# The claim with no look before it: the due jobs' ids picked inside the UPDATE (a woken
# queue knows a job is due; on PostgreSQL the look is in the claim's transaction anyway).
_PICK = _LOOK.scalar_subquery()
_PICK_LOCKED = _LOOK.with_for_update(skip_locked=True).scalar_subquery()
_CLAIM_PICKED = {
    locked: update(PrintJob.__table__)
    .where(PrintJob.__table__.c.id.in_(pick), _DUE)
    .values(status=JobStatus.SENDING, claimed_at=_NOW)
    .returning(*PrintJob.__table__.c)
    for locked, pick in ((False, _PICK), (True, _PICK_LOCKED))
}


def claim_due(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Claim up to ``limit`` due jobs, oldest first; commits. Returns the claimed ids.

    Several processes (gunicorn workers, several instances on one PostgreSQL) claim at
    once: each job goes to the one whose conditional UPDATE changed it. On PostgreSQL the
    candidates are locked with ``SKIP LOCKED`` first, so a second process takes the next
    jobs instead of waiting for the first one's claims.
    """
    return [ready.job_id for ready in _claim(session, now, limit, prepare=False)]


@dataclass
class _Ready:
    """A claimed job with what its try needs, read from the database: the bytes' maker and
    where they go, or why it cannot be tried (``reason``: "render" or "settings")."""

    job_id: int
    connection_name: str
    make: Callable[[], bytes] | None = None
    connection: Any = None
    reason: str = ""
    detail: str = ""
    #: What the try's outcome depends on, read with the claim (none of it changes while the
    #: job is claimed): its kind, when it was queued and the tries before this one.
    kind: JobKind | None = None
    created_at: datetime | None = None
    attempts: int = 0


def _claim(
    session: Session, now: datetime, limit: int, *, prepare: bool, look: bool = True
) -> list[_Ready]:
    """Claim due jobs in one UPDATE and, with ``prepare``, read what each one's bytes need in
    the same transaction; commits. The bytes are drawn afterwards, with no transaction open.

    ``look``: on SQLite, look for due jobs without the write lock first (the thread's poll,
    which mostly finds none); without it, the jobs are picked by the UPDATE itself (a queue
    woken by the commit of a job: one transaction and one statement fewer)."""
    due = {"now": now, "stale": now - STALE_CLAIM}
    postgresql = session.get_bind().dialect.name == "postgresql"
    if prepare and (postgresql or not look):
        jobs = run_core(session, _CLAIM_PICKED[postgresql], {**due, "limit": limit}).all()
        return _prepared(session, jobs, now)
    if postgresql:
        look = _LOOK.with_for_update(skip_locked=True)
        candidates = list(session.scalars(look, {**due, "limit": limit}))
    else:
        token = reading_only.set(True)  # looking first takes no write lock on SQLite
        try:
            candidates = list(session.scalars(_LOOK, {**due, "limit": limit}))
            session.rollback()
        finally:
            reading_only.reset(token)
    if not candidates:
        session.commit()
        return []
    # Only the jobs still due when the write lock is held: another process may have taken
    # some since the look. The UPDATE returns the claimed rows whole, as they are now.
    if prepare:
        return _prepared(session, run_core(session, _CLAIM_JOBS, {**due, "ids": candidates}), now)
    claimed = session.scalars(_CLAIM_IDS, {**due, "ids": candidates})
    ready = [_Ready(job_id, "") for job_id in sorted(claimed)]
    session.commit()
    return ready


def _prepared(session: Session, jobs, now: datetime) -> list[_Ready]:
    """The claimed rows ``jobs`` prepared (:func:`_prepare`), oldest first; commits."""
    ready = [_prepare(session, job, now) for job in sorted(jobs, key=lambda job: job.id)]
    session.commit()
    return ready


def printer_place():
    """Where this app's file printers may write, and the files they never may
    (:func:`shop.services.printing.file_place` of its instance folder and database)."""
    from shop.services.printing import file_place

    return file_place(current_app.instance_path, current_app.config["SQLALCHEMY_DATABASE_URI"])


def _prepare(session: Session, job, now: datetime) -> _Ready:
    """Read what ``job``'s bytes need, inside the caller's transaction. A slip that cannot be
    made or a printer not set up is the outcome of the try, never an exception. ``job``: a
    :class:`PrintJob`, or its claimed row (the same names)."""
    from shop.printing.slips import job_maker, label_printer_job_maker
    from shop.services.printing import (
        connection_of,
        label_connection_of,
        label_printer_on,
        label_printer_settings,
        printer_settings_row,
    )

    settings = printer_settings_row(session)
    ready = _Ready(
        job.id,
        settings.connection.value,
        kind=job.kind,
        created_at=job.created_at,
        attempts=job.attempts,
    )
    if job.to_label_printer:
        # Labels go where the label printer's settings say now, in its language and roll.
        label = label_printer_settings(session)
        if label.connection != ConnectionKind.NONE:
            ready.connection_name = label.connection.value
        if not label_printer_on(label, settings):
            ready.reason, ready.detail = "settings", "no label printer is set up"
        else:
            try:
                ready.connection = label_connection_of(label, settings, place=printer_place())
                ready.make = label_printer_job_maker(session, job, label, settings)
            except Exception as error:  # a label that cannot be drawn must not stop the queue
                log.exception("print job %s could not be made", job.id)
                ready.reason, ready.detail = "render", f"{type(error).__name__}: {error}"
    elif settings.connection == ConnectionKind.NONE:
        ready.reason, ready.detail = "settings", "no printer is set up"
    else:
        try:
            ready.connection = connection_of(settings, place=printer_place())
            drawer = job.open_drawer and now - job.created_at <= DRAWER_WINDOW
            ready.make = job_maker(session, job, settings, open_drawer=drawer)
        except Exception as error:  # a slip that cannot be drawn must not stop the queue
            log.exception("print job %s could not be made", job.id)
            ready.reason, ready.detail = "render", f"{type(error).__name__}: {error}"
    return ready


def send_job(session: Session, job_id: int, *, now: datetime | None = None) -> PrintAttempt:
    """Make a claimed job's bytes, send them, and record the try; commits. Never raises for a
    printer's or a slip's fault: the outcome is in the returned attempt."""
    token = reading_only.set(True)  # what the slip shows is only read
    try:
        ready = _prepare(session, session.get(PrintJob, job_id), now or utc_now())
        session.rollback()
    finally:
        reading_only.reset(token)
    return _send_and_log(session, ready, now)


def _send_and_log(session: Session, ready: _Ready, now: datetime | None) -> PrintAttempt:
    """Draw a prepared job's bytes and send them with no transaction open, then record the
    try in one transaction; commits."""
    from shop.printing.escpos_out import PrinterError, send

    job_id, reason, detail = ready.job_id, ready.reason, ready.detail
    data = b""
    if not reason and ready.make is not None:
        try:
            data = ready.make()
        except Exception as error:  # a slip that cannot be drawn must not stop the queue
            log.exception("print job %s could not be made", job_id)
            reason, detail = "render", f"{type(error).__name__}: {error}"

    started = time.monotonic()
    if not reason:
        try:
            send(data, ready.connection)
        except PrinterError as error:
            reason, detail = error.reason, error.detail
        except Exception as error:  # a driver's own exception: logged, retried like the rest
            log.exception("print job %s failed in the printer's driver", job_id)
            reason, detail = "broken", f"{type(error).__name__}: {error}"
    milliseconds = round((time.monotonic() - started) * 1000)

    finished = utc_now() if now is None else now
    attempt = PrintAttempt(
        job_id=job_id,
        at=finished,
        ok=not reason,
        reason=reason,
        detail=detail[:500],
        size_bytes=len(data),
        milliseconds=milliseconds,
        connection=ready.connection_name,
    )
    # The try logged and the job moved on in two statements of one transaction, written
    # from what the claim read: the job is ours while claimed, so nothing else changed it.
    attempt.id = run_core(
        session, _LOG_ATTEMPT, {column: getattr(attempt, column) for column in _ATTEMPT_COLUMNS}
    ).inserted_primary_key[0]
    statement, values = _outcome(ready, reason, finished)
    run_core(session, statement, {"job": job_id, "reason_now": reason, **values})
    session.commit()
    if reason:
        log.warning("print job %s (%s) not printed: %s %s", job_id, ready.kind, reason, detail)
    return attempt


_ATTEMPT_COLUMNS = (
    "job_id", "at", "ok", "reason", "detail", "size_bytes", "milliseconds", "connection"
)  # fmt: skip
# The log's statements, made once: the try, and the claimed job finished (printed or
# failed for good) or queued again.
_LOG_ATTEMPT = insert(PrintAttempt.__table__)
_JOBS = PrintJob.__table__
_TRIED = {
    "attempts": _JOBS.c.attempts + 1,
    "last_reason": bindparam("reason_now", type_=_JOBS.c.last_reason.type),
    "claimed_at": None,
    "status": bindparam("status_now", type_=_JOBS.c.status.type),
}
_FINISHED = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job"))
    .values({**_TRIED, "finished_at": bindparam("finished", type_=UTCDateTime())})
)
_AGAIN = (
    update(_JOBS)
    .where(_JOBS.c.id == bindparam("job"))
    .values({**_TRIED, "next_try_at": bindparam("next_try", type_=UTCDateTime())})
)


def _outcome(ready: _Ready, reason: str, finished: datetime) -> tuple[Any, dict]:
    """The claimed job after a try that ended with ``reason`` ("" when printed): printed,
    failed for good, or queued again after :data:`RETRY_DELAYS` (the statement and its
    values; the tries are counted up by the statement)."""
    if not reason:
        return _FINISHED, {"status_now": JobStatus.PRINTED, "finished": finished}
    if (
        reason in ("render", "settings", "unsafe")  # trying again changes nothing
        or ready.kind == JobKind.TEST  # she is watching: she presses the button again herself
        or finished - ready.created_at >= GIVE_UP_AFTER
    ):
        return _FINISHED, {"status_now": JobStatus.FAILED, "finished": finished}
    delay = RETRY_DELAYS[min(ready.attempts + 1, len(RETRY_DELAYS)) - 1]
    return _AGAIN, {
        "status_now": JobStatus.QUEUED,
        "next_try": finished + timedelta(seconds=delay),
    }


def run_due(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = 20,
    beat=None,
    look: bool = True,
) -> int:
    """Send every job due at ``now``; return how many were tried. ``beat()`` is called
    after each job (the thread's sign of life for ``/healthz``).

    The jobs are claimed and what their slips show is read in one transaction; each one's
    try is then drawn and sent with no transaction open and logged in one more. ``look``
    false: the queue was woken by the commit of a job, so the claim takes the write lock
    at once rather than looking for due jobs without it first (on SQLite; see
    :func:`_claim`).
    """
    ready = _claim(session, now or utc_now(), limit, prepare=True, look=look)
    for job in ready:
        _send_and_log(session, job, now)
        if beat is not None:
            beat()
    return len(ready)


class Worker(threading.Thread):
    """The print queue's thread in one web process."""

    def __init__(self, app: Flask):
        super().__init__(name="print-queue", daemon=True)
        self.app = app
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        #: When the thread last went round or sent a job (UTC), for ``/healthz``.
        self.last_round: datetime | None = None

    def beat(self) -> None:
        self.last_round = utc_now()

    def run(self) -> None:
        woken = False  # by the commit of a job: one is due, no need to look first
        while not self.stopping.is_set():
            self.beat()
            try:
                with self.app.app_context():
                    while run_due(db.session, beat=self.beat, look=not woken):
                        woken = False
            except Exception:  # the database away for a moment: try again next round
                log.exception("the print queue stumbled")
            woken = self.wakeup.wait(POLL_SECONDS)
            self.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()


_lock = threading.Lock()


def worker(app: Flask) -> Worker | None:
    """The app's print thread, started on first use; ``None`` where it is turned off
    (``PRINT_WORKER`` is not ``"thread"``: tests, command-line tools)."""
    if app.config.get("PRINT_WORKER", "thread") != "thread":
        return None
    with _lock:
        running = app.extensions.get("print_worker")
        if running is None or not running.is_alive():
            running = Worker(app)
            app.extensions["print_worker"] = running
            running.start()
    return running


def wake(app: Flask) -> None:
    running = worker(app)
    if running is not None:
        running.wakeup.set()


def init_print_queue(app: Flask) -> None:
    """Wake the queue after every commit that queued a job; start it with the first request
    (so jobs left queued by a stopped process are sent after a restart)."""
    from shop.services.printing import JOBS_ADDED

    @event.listens_for(db.session, "after_commit")
    def _after_commit(session):
        if session.info.pop(JOBS_ADDED, False) and has_app_context():
            wake(current_app._get_current_object())

    @event.listens_for(db.session, "after_rollback")
    def _after_rollback(session):
        session.info.pop(JOBS_ADDED, None)

    @app.before_request
    def _start_queue():
        if "print_worker" not in app.extensions:
            worker(app)
