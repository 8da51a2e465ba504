"""Is the shop well? The parts ``/healthz`` reports and the coordinator's home page warns of.

Each part is ``ok``, ``warn`` (the shop works, a person should look: shown to a coordinator,
still a 200) or ``fail`` (a monitor or systemd's watchdog should act: a 503 naming it).

- **database**: it answers and can be written (a full disk or a read-only database fails);
- **migrations**: the database is at the newest migration this version knows;
- **print_worker**: this process's print thread is alive and went round lately, and no
  print job waits long past its time (which no process of the service would then be
  sending); ``off`` where the process runs no print thread;
- **disk**: free space in the instance folder (warn under :data:`DISK_WARN_BYTES`, fail
  under :data:`DISK_FAIL_BYTES`);
- **backup**: the age of the newest backup (warn past :data:`BACKUP_WARN_AFTER`, or none);
- **bank_feed**: with a bank feed set up, how long since the service last answered a poll
  (warn past :data:`BANK_SILENT_AFTER`: transfers then wait for a hand confirmation);
  ``off`` with no feed. Never a failure: the counter works without it.

Nothing here holds a secret: states, ages and sizes only.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shop.services import backup as backup_service

OK, WARN, FAIL = "ok", "warn", "fail"
DISK_WARN_BYTES = 1024**3  # 1 GiB: a few months of backups and photos
DISK_FAIL_BYTES = 100 * 1024**2  # 100 MiB: a backup may no longer fit
BACKUP_WARN_AFTER = timedelta(days=2)
#: A print thread that has not gone round for this long is stuck (a send times out in 8 s).
WORKER_STUCK_AFTER = timedelta(minutes=2)
#: A print job still waiting this long after its time means nobody is sending jobs.
JOB_OVERDUE_AFTER = timedelta(minutes=2)
#: A bank feed that has not answered for this long (it is asked every 5 minutes at most).
BANK_SILENT_AFTER = timedelta(minutes=20)


@dataclass(frozen=True)
class Part:
    state: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    parts: dict[str, Part]

    @property
    def failing(self) -> list[str]:
        return [name for name, part in self.parts.items() if part.state == FAIL]

    @property
    def warnings(self) -> list[str]:
        return [name for name, part in self.parts.items() if part.state == WARN]

    def as_json(self) -> dict:
        return {
            "status": "fail" if self.failing else "ok",
            "failing": self.failing,
            "warnings": self.warnings,
            "checks": {name: {"state": p.state, **p.detail} for name, p in self.parts.items()},
        }


def database_part(session: Session) -> Part:
    """Whether the database answers and can be written."""
    from shop.database import write_problem

    try:
        session.execute(text("SELECT 1"))
        session.rollback()
        problem = write_problem(session)
    except SQLAlchemyError:
        session.rollback()
        return Part(FAIL, {"problem": "unreachable"})
    if problem is not None:
        return Part(FAIL, {"problem": problem})
    return Part(OK)


def migrations_part(session: Session, heads: Collection[str]) -> Part:
    """Whether the database's migration is the newest of ``heads``."""
    try:
        found = list(session.scalars(text("SELECT version_num FROM alembic_version")))
        session.rollback()
    except SQLAlchemyError:
        session.rollback()
        return Part(FAIL, {"problem": "unknown"})
    if sorted(found) == sorted(heads):
        return Part(OK, {"revision": found[0] if len(found) == 1 else found})
    return Part(FAIL, {"problem": "not_current", "revision": found, "newest": sorted(heads)})


def print_worker_part(
    session: Session, *, enabled: bool, alive: bool, last_round: datetime | None, now: datetime
) -> Part:
    """This process's print thread (``enabled``: the process runs one), and the queue."""
    from shop.models import JobStatus, PrintJob

    if enabled:
        if not alive:
            return Part(FAIL, {"problem": "stopped"})
        if last_round is not None and now - last_round > WORKER_STUCK_AFTER:
            return Part(FAIL, {"problem": "stuck"})
    try:
        overdue = session.scalar(
            select(func.count(PrintJob.id)).where(
                PrintJob.status == JobStatus.QUEUED,
                PrintJob.next_try_at < now - JOB_OVERDUE_AFTER,
            )
        )
        session.rollback()
    except SQLAlchemyError:
        session.rollback()
        overdue = 0  # the database part says what is wrong
    if overdue:
        return Part(FAIL, {"problem": "jobs_waiting", "jobs": overdue})
    return Part(OK if enabled else "off")


def disk_part(folder: Path) -> Part:
    """Free space where the shop keeps its files (the database on SQLite, the backups)."""
    free = shutil.disk_usage(folder).free
    detail = {"free_mb": free // 1024**2}
    if free < DISK_FAIL_BYTES:
        return Part(FAIL, detail)
    return Part(WARN if free < DISK_WARN_BYTES else OK, detail)


def backup_part(instance: Path, now: datetime) -> Part:
    """The age of the newest backup the shop knows of (``backup.last_backup_at``)."""
    last = backup_service.last_backup_at(instance)
    if last is None:
        return Part(WARN, {"problem": "none"})
    age = now - last
    detail = {"age_hours": max(0, int(age.total_seconds() // 3600))}
    return Part(WARN if age > BACKUP_WARN_AFTER else OK, detail)


def bank_feed_part(session: Session, now: datetime) -> Part:
    """How long since the bank feed last answered (``off`` with no feed set up)."""
    from shop.models import BankFeed, BankSettings

    try:
        settings = session.get(BankSettings, 1)
        feed = session.get(BankFeed, settings.provider) if settings and settings.provider else None
        session.rollback()
    except SQLAlchemyError:
        session.rollback()
        return Part(WARN, {"problem": "unknown"})
    if settings is None or not settings.provider:
        return Part("off")
    since = (feed.last_ok_at if feed else None) or settings.feed_since
    if since is None or now - since <= BANK_SILENT_AFTER:
        return Part(OK, {"provider": settings.provider})
    silent = {
        "provider": settings.provider,
        "silent_minutes": int((now - since).total_seconds() // 60),
    }
    if feed is not None and feed.last_error:
        silent["problem"] = "error"
    return Part(WARN, silent)


def shop_health(
    session: Session,
    *,
    instance: Path,
    heads: Collection[str],
    worker_enabled: bool,
    worker_alive: bool,
    worker_last_round: datetime | None,
    now: datetime,
) -> Health:
    """Every part, for ``/healthz``."""
    database = database_part(session)
    unknown = Part(FAIL, {"problem": "database"})
    unknown_feed = Part(WARN, {"problem": "database"})
    reachable = database.state == OK or database.detail.get("problem") != "unreachable"
    return Health(
        {
            "database": database,
            "migrations": migrations_part(session, heads) if reachable else unknown,
            "print_worker": print_worker_part(
                session,
                enabled=worker_enabled,
                alive=worker_alive,
                last_round=worker_last_round,
                now=now,
            ),
            "disk": disk_part(instance),
            "backup": backup_part(instance, now),
            "bank_feed": bank_feed_part(session, now) if reachable else unknown_feed,
        }
    )


def coordinator_warnings(instance: Path, now: datetime) -> dict[str, Part]:
    """What a coordinator is shown on the home page: an old or missing backup, a nearly full
    disk (cheap: no database probe)."""
    parts = {"backup": backup_part(instance, now), "disk": disk_part(instance)}
    return {name: part for name, part in parts.items() if part.state != OK}
