"""Copies of a live SQLite shop, taken while the counter goes on selling, and their rotation.

:func:`backup_sqlite` copies the database with SQLite's online backup API, a few pages at a
time, from one read snapshot: in WAL mode a reader never blocks a writer, so the counter
goes on committing sales while the copy is made, and the copy is the shop as it was when
the backup began. (Without the held snapshot, SQLite restarts a backup from the first page
whenever another connection writes, so a busy counter could keep it from ever finishing.)

The copy is written under a temporary name, checked with ``PRAGMA integrity_check``, its
sales counted, and only then given its name, ``shop-2026-11-23T1530.sqlite3`` in the shop's
time zone: a file with that name is always a whole, sound copy. :func:`remove_old_backups`
keeps the newest few of those files and never touches any other file. :func:`check_backup`
tells whether a file restores, without writing to it.

PostgreSQL is not copied here: ``pg_dump`` does that (see :data:`POSTGRESQL_ADVICE`).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

#: Pages copied in one step of the backup (4 MiB at SQLite's default 4 KiB page size).
PAGES_PER_STEP = 1024
#: The pause between two steps, so that the copy never takes the disk from the counter.
PAUSE_SECONDS = 0.01

#: A backup's name: ``shop-YYYY-MM-DDTHHMM``, seconds if that minute already had one, and
#: ``-N`` if even that second had one. Only files with such names are ever removed.
NAME_PATTERN = re.compile(
    r"^shop-(?P<day>\d{4}-\d{2}-\d{2})T(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2})?"
    r"(?:-(?P<n>[1-9]\d{0,3}))?\.sqlite3$"
)

POSTGRESQL_ADVICE = (
    "This shop runs on PostgreSQL; `backup` copies only a SQLite database.\n"
    "Back up PostgreSQL with pg_dump:\n"
    '  pg_dump --format=custom --file=shop-$(date +%F).dump "$DATABASE_URL"\n'
    "and restore such a file into the (stopped) shop's database with:\n"
    '  pg_restore --clean --if-exists -d "$DATABASE_URL" shop-2026-11-23.dump\n'
    "`flask --app wsgi journal export FILE` writes the portable backup on either database:\n"
    "the whole history as JSON, which `journal import` reads into any empty shop."
)


class BackupError(RuntimeError):
    """A backup that cannot be made, or a copy that failed its check (nothing was kept)."""


class NotSQLite(BackupError):
    """The shop's database is not a SQLite file: the message says what to do instead."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size_bytes: int
    sales: int


@dataclass(frozen=True)
class BackupCheck:
    """What a sound backup holds: its migration and the shop's counts."""

    path: Path
    size_bytes: int
    revision: str
    newest: bool
    members: int
    sales: int
    months: int


#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def check_backup(path: Path, *, revisions: Collection[str], heads: Collection[str]) -> BackupCheck:
    """Whether the file at ``path`` restores as this shop, opened read-only (never written).

    It must be a SQLite database that passes ``PRAGMA integrity_check``, at one of the
    migration ``revisions`` this shop knows (``heads`` are the newest), with the shop's
    tables: members, sales and closed months are counted. Raises :class:`BackupError` with a
    plain message for a missing, broken, truncated or foreign file.
    """
    if not path.is_file():
        raise BackupError(f"there is no file at {path}")
    with open(path, "rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if not header:
        raise BackupError(f"{path} is empty")
    if header != SQLITE_HEADER:
        raise BackupError(f"{path} is not a SQLite database, so not a backup of the shop")
    uri = path.resolve().as_uri() + "?mode=ro"
    if not Path(f"{path}-wal").exists():
        # Nothing but this file to read: immutable, so that even a copy left in WAL mode
        # gets no -wal and -shm files made beside it.
        uri += "&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as copy:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                shown = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
                raise BackupError(f"{path} is damaged (truncated or corrupted): {shown}")
            revision = _revision(copy, path)
            if revision not in revisions:
                raise BackupError(
                    f"{path} is at migration {revision}, which this version of the shop does "
                    "not know: a backup of a newer version, or of another application"
                )
            members, sales, months = (
                _count(copy, path, table) for table in ("member", "sale", "closed_month")
            )
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is damaged (truncated or corrupted): {error}") from error
    return BackupCheck(
        path=path,
        size_bytes=path.stat().st_size,
        revision=revision,
        newest=revision in heads,
        members=members,
        sales=sales,
        months=months,
    )


def _revision(connection: sqlite3.Connection, path: Path) -> str:
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError as error:
        raise BackupError(
            f"{path} is a SQLite database but not one of this shop (no migration recorded)"
        ) from error
    if len(rows) != 1:
        raise BackupError(f"{path} records {len(rows)} migrations instead of one")
    return rows[0][0]


def _count(connection: sqlite3.Connection, path: Path, table: str) -> int:
    query = f"SELECT count(*) FROM {table}"  # noqa: S608 (one of our own table names)
    try:
        return connection.execute(query).fetchone()[0]
    except sqlite3.OperationalError as error:
        raise BackupError(
            f"{path} has no {table} table: it is not a database of this shop"
        ) from error


def sqlite_file(database_url: str) -> Path:
    """The SQLite file the app's ``SQLALCHEMY_DATABASE_URI`` names."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise NotSQLite(POSTGRESQL_ADVICE)
    if url.get_backend_name() != "sqlite":
        raise NotSQLite(f"`backup` copies a SQLite database, not {url.get_backend_name()}")
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise NotSQLite("`backup` copies a SQLite file; this database is not one")
    return Path(url.database)


def backup_sqlite(
    source: Path,
    directory: Path,
    *,
    at: datetime,
    tz: ZoneInfo,
    pages: int | None = None,
    pause: float | None = None,
) -> Backup:
    """Copy the SQLite database ``source`` into ``directory`` (made mode 0700 if missing).

    The copy is named after ``at`` in ``tz`` and is made mode 0600: it holds phone numbers
    and PIN hashes. Raises :class:`BackupError` when the source is not there or the copy
    fails its check; a failed copy leaves nothing behind.
    """
    pages = PAGES_PER_STEP if pages is None else pages
    pause = PAUSE_SECONDS if pause is None else pause
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    _make_directory(directory)
    handle, temporary_name = tempfile.mkstemp(prefix=".shop-backup-", suffix=".part", dir=directory)
    os.close(handle)  # an empty file is an empty database to SQLite, already mode 0600
    temporary = Path(temporary_name)
    try:
        sales_at_start = _copy(source, temporary, pages=pages, pause=pause)
        sales = _check(temporary)
        if sales != sales_at_start:
            raise BackupError(
                f"the copy holds {sales} sales but the database held {sales_at_start} "
                "when the backup began"
            )
        _fsync(temporary)
        path = _give_name(temporary, directory, at.astimezone(tz))
    finally:
        temporary.unlink(missing_ok=True)
        for leftover in ("-journal", "-wal", "-shm"):
            Path(f"{temporary}{leftover}").unlink(missing_ok=True)
    return Backup(path=path, size_bytes=path.stat().st_size, sales=sales)


def backups(directory: Path) -> list[Path]:
    """The backups in ``directory`` (files named as :data:`NAME_PATTERN` says), oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME_PATTERN.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            found.append((_age_key(match), path))
    return [path for _key, path in sorted(found)]


def remove_old_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``directory``; return those deleted."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    old = backups(directory)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    if old:
        _fsync_directory(directory)
    return old


def _copy(source: Path, target: Path, *, pages: int, pause: float) -> int:
    """Copy ``source`` into the empty database ``target``; the number of sales copied."""
    uri = source.resolve().as_uri() + "?mode=rw"  # never create a missing database
    try:
        with (
            contextlib.closing(
                sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5)
            ) as live,
            contextlib.closing(sqlite3.connect(target, isolation_level=None)) as copy,
        ):
            # One read snapshot for the whole copy. The app keeps its database in WAL mode,
            # where a reader does not block the counter's writes; they go on while we copy.
            live.execute("BEGIN DEFERRED")
            sales = _count_sales(live, source)
            live.backup(copy, pages=pages, progress=lambda *_: time.sleep(pause))
            live.execute("ROLLBACK")
            # The copy is one self-contained file: the WAL flag copied from the live
            # database's header is turned back to a rollback journal (the app turns WAL on
            # again when it opens a restored copy).
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"copying {source} failed: {error}") from error
    return sales


def _check(path: Path) -> int:
    """Open the finished copy afresh: ``PRAGMA integrity_check``, and its number of sales."""
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as copy:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError("the copy failed its integrity check: " + "; ".join(problems))
            return _count_sales(copy, path)
    except sqlite3.Error as error:
        raise BackupError(f"checking the copy failed: {error}") from error


def _count_sales(connection: sqlite3.Connection, path: Path) -> int:
    try:
        return connection.execute("SELECT count(*) FROM sale").fetchone()[0]
    except sqlite3.OperationalError as error:
        raise BackupError(
            f"{path} has no sales table ({error}): is it the shop's database, migrated?"
        ) from error


def _give_name(temporary: Path, directory: Path, local: datetime) -> Path:
    """Link the checked copy under the first free backup name; never replace a file."""
    minute = f"shop-{local:%Y-%m-%dT%H%M}"
    second = f"{minute}{local:%S}"
    names = [f"{minute}.sqlite3", f"{second}.sqlite3"]
    names += [f"{second}-{n}.sqlite3" for n in range(2, 1000)]
    for name in names:
        path = directory / name
        try:
            os.link(temporary, path)  # fails if the name is taken, unlike a rename
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: rename, having looked first
            if path.exists():
                continue
            os.replace(temporary, path)
        _fsync_directory(directory)
        return path
    raise BackupError(f"no free backup name left for {minute} in {directory}")


def _age_key(match: re.Match) -> tuple:
    # A name without seconds was the first of its minute; "-N" came after the plain second.
    second = match["second"]
    return (
        match["day"],
        match["hour"],
        match["minute"],
        -1 if second is None else int(second),
        int(match["n"] or 1),
    )


def _make_directory(directory: Path) -> None:
    if directory.is_dir():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        if not directory.is_dir():
            raise BackupError(f"{directory} is not a folder") from None
        return
    directory.chmod(0o700)  # whatever the umask says


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------- a copy to a second place

#: The file that marks a folder as a place for copies of the shop's backups. It is made once
#: (``backup --copy-to DIR --prepare``) on the USB stick or in the synced folder itself: when
#: the stick is not plugged in, its mount point is an empty folder of the shop's own disk,
#: without this file, and nothing is written there.
PLACE_MARKER = ".shop-backup-place"
PLACE_MARKER_TEXT = (
    "This folder holds copies of the shop's backups (flask backup --copy-to).\n"
    "Thư mục này giữ bản sao lưu của cửa hàng.\n"
)


class PlaceMissing(BackupError):
    """The second place is not there (a stick not plugged in, a folder not made)."""


class PlaceNotPrepared(BackupError):
    """The folder exists but is not marked as the shop's place: perhaps the empty mount
    point of a stick that is not plugged in."""


@dataclass(frozen=True)
class Copied:
    """A backup copied to a second place: where, and what ``--check`` said of it."""

    source: Path
    path: Path
    already_there: bool
    check: BackupCheck
    removed: list[Path]


def prepare_place(directory: Path) -> Path:
    """Mark the existing folder ``directory`` as a place for copies; return the marker.

    The folder must exist already (made on the plugged-in stick or in the synced folder):
    this never makes a folder, so it never marks the empty mount point by mistake when the
    folder is one level below it, as the README advises (``/media/usb/shop``).
    """
    if not directory.is_dir():
        raise PlaceMissing(f"{directory} is not there: make the folder first (on the stick)")
    marker = directory / PLACE_MARKER
    try:
        marker.write_text(PLACE_MARKER_TEXT)
        _fsync(marker)
    except OSError as error:
        raise BackupError(f"cannot write in {directory}: {error.strerror or error}") from None
    return marker


def check_place(directory: Path) -> None:
    """Raise unless ``directory`` is a folder marked by :func:`prepare_place`."""
    if not directory.is_dir():
        raise PlaceMissing(
            f"{directory} is not there: is the USB stick plugged in (and mounted)? "
            "Nothing was copied."
        )
    if not (directory / PLACE_MARKER).is_file():
        raise PlaceNotPrepared(
            f"{directory} has no {PLACE_MARKER} file, so it is not the shop's place for "
            "copies: if it is a USB stick's folder, the stick is not plugged in (this is "
            "the empty folder under it); if it is a new place, run `flask --app wsgi backup "
            f"--copy-to {directory} --prepare` once. Nothing was copied."
        )


def copy_newest(
    source_directory: Path,
    directory: Path,
    *,
    keep: int,
    revisions: Collection[str],
    heads: Collection[str],
) -> Copied:
    """Copy the newest backup of ``source_directory`` into the marked place ``directory``.

    Written under a temporary name, flushed to the device (``fsync``), compared byte for
    byte with the source, checked as ``backup --check`` checks a file, and only then given
    the backup's own name (a rename): a file with a backup's name on the stick is always
    whole. A copy already there under that name and sound is kept. Then all but the newest
    ``keep`` backups in ``directory`` are deleted (only files named like a backup).
    Raises :class:`BackupError` (nothing left behind) with a plain message otherwise.
    """
    if keep < 1:
        raise ValueError("keep at least one backup")
    check_place(directory)
    found = backups(source_directory)
    if not found:
        raise BackupError(f"there is no backup in {source_directory} to copy: run `backup` first")
    source = found[-1]
    target = directory / source.name
    if target.is_file() and _same_bytes(source, target):
        checked = check_backup(target, revisions=revisions, heads=heads)
        return Copied(source, target, True, checked, remove_old_backups(directory, keep))
    temporary = None
    try:
        handle, name = tempfile.mkstemp(prefix=".shop-copy-", suffix=".part", dir=directory)
        temporary = Path(name)
        with open(source, "rb") as reading, os.fdopen(handle, "wb") as writing:
            while chunk := reading.read(1 << 20):
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        if not _same_bytes(source, temporary):
            raise BackupError(f"the copy in {directory} differs from {source}: a failing stick?")
        checked = check_backup(temporary, revisions=revisions, heads=heads)
        os.replace(temporary, target)
        temporary = None
        _fsync_directory(directory)
    except OSError as error:
        raise BackupError(
            f"copying {source.name} into {directory} failed: {error.strerror or error} "
            "(full, read-only or pulled out?)"
        ) from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    checked = BackupCheck(**{**checked.__dict__, "path": target})
    return Copied(source, target, False, checked, remove_old_backups(directory, keep))


def _same_bytes(one: Path, other: Path) -> bool:
    import hashlib

    def digest(path: Path) -> bytes:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()

    return one.stat().st_size == other.stat().st_size and digest(one) == digest(other)


# ---------------------------------------------------------------- when the last one was made

#: In the instance folder: when the last backup was made and where (written by ``backup``,
#: whichever folder it wrote to), for ``/healthz`` and the coordinator's home page.
LAST_BACKUP_FILE = "last-backup.json"


def record_backup(instance: Path, made: Backup, *, at: datetime) -> None:
    """Note in the instance folder that ``made`` was written at ``at`` (UTC, aware)."""
    import json

    path = instance / LAST_BACKUP_FILE
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"at": at.isoformat(), "path": str(made.path)}))
    os.replace(temporary, path)


def last_backup_at(instance: Path) -> datetime | None:
    """When the newest backup was made: the one ``backup`` noted, or the newest file named
    like a backup (``shop-….sqlite3``, or a ``pg_dump`` file ``shop-….dump``) in the instance
    folder's ``backups``, by its modification time; ``None`` if there is none."""
    import json
    from datetime import UTC

    moments = []
    try:
        noted = json.loads((instance / LAST_BACKUP_FILE).read_text())
        moments.append(datetime.fromisoformat(noted["at"]).astimezone(UTC))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    folder = instance / "backups"
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name.startswith("shop-") and path.suffix in (".sqlite3", ".dump"):
                with contextlib.suppress(OSError):
                    moments.append(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    return max(moments, default=None)
