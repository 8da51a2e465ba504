"""``flask journal export FILE`` and ``flask journal import FILE``."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from shop import clock
from shop.database import reading_only, unwritable_reason
from shop.extensions import db
from shop.journal.check import check_journal
from shop.journal.export import export_journal
from shop.journal.importer import import_journal
from shop.journal.problems import JournalError, JournalInvalid
from shop.journal.reader import NotJSON, copy_to_file, read_journal
from shop.journal.text import journal_text

journal_cli = AppGroup("journal", help="Export, check and import the shop's whole history as JSON.")


@journal_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_command(file: str) -> None:
    """Write the whole shop to FILE as a journal ("-" for standard output)."""
    # Read-only: on SQLite the transaction begins DEFERRED and reads one snapshot without
    # holding the write lock against the counter; on PostgreSQL REPEATABLE READ gives the
    # same one snapshot for all the queries.
    token = reading_only.set(True)
    try:
        if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
            db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        journal = export_journal(db.session, timezone=clock.shop_tz())
    except JournalError as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.session.rollback()
        reading_only.reset(token)
    text = journal_text(journal)
    if file == "-":
        click.echo(text, nl=False)
        return
    _write_whole(Path(file), text)
    click.echo(f"journal written to {file}", err=True)


@journal_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def import_command(file: str) -> None:
    """Read the journal in FILE into this empty shop ("-" for standard input).

    Either all of it is imported, or nothing: on any problem each is printed as
    "path: message" and the command exits with status 1. The file is read entry by entry
    (its lists kept in a temporary file beside the system's others, about the journal's
    size), never whole; progress bars on standard error show it being read, checked and
    written, each with about how long is left.
    """
    copied = read_journal_copy(file)
    try:
        _import(copied or Path(file))
    finally:
        if copied is not None:
            copied.unlink(missing_ok=True)


@journal_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def check_command(file: str) -> None:
    """Check the journal in FILE ("-" for standard input) without importing it: every
    problem is printed as "path: message" (the history's too, replayed in time order) and
    the command exits with status 1; a sound journal says so. Nothing is written."""
    copied = read_journal_copy(file)
    try:
        problems = _check(copied or Path(file))
    finally:
        if copied is not None:
            copied.unlink(missing_ok=True)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s).", err=True)
        raise click.exceptions.Exit(1)
    click.echo("The journal is sound: it can be imported into an empty shop.")


def _check(path: Path) -> list:
    bar = ProgressBar(sys.stderr, what="kB read (once for the keys, once for each list)")
    try:
        journal = read_journal(path, progress=lambda done, total: bar(done >> 10, total >> 10))
    except NotJSON as error:
        return [f"/: the file is not JSON: {error}"]
    except JournalInvalid as error:
        return list(error.problems)
    finally:
        bar.stop()
    with journal:
        checked = ProgressBar(sys.stderr, what="entries checked")
        try:
            return check_journal(
                journal, country_code=current_app.config["SHOP_COUNTRY_CODE"], progress=checked
            )
        finally:
            checked.stop()


def read_journal_copy(file: str) -> Path | None:
    """Standard input copied to a temporary file (it is read more than once), or None."""
    if file != "-":
        if not os.path.isfile(file):
            raise click.BadParameter(f"{file!r} is not a file.", param_hint="FILE")
        return None
    return copy_to_file(sys.stdin.buffer)


def _import(path: Path) -> None:
    big = path.stat().st_size >= 10 << 20
    unit, shift = ("MB", 20) if big else ("kB", 10)
    bar = ProgressBar(sys.stderr, what=f"{unit} read (once for the keys, once for each list)")
    try:
        journal = read_journal(
            path, progress=lambda done, total: bar(done >> shift, total >> shift)
        )
    except NotJSON as error:
        bar.stop()
        click.echo(f"/: the file is not JSON: {error}", err=True)
        raise click.exceptions.Exit(1) from None
    except JournalInvalid as error:
        bar.stop()
        _refused(error)
    bar.stop()
    with journal:
        checked = ProgressBar(sys.stderr, what="entries checked")
        written = ProgressBar(sys.stderr, what="entries written")
        try:
            summary = import_journal(
                db.session,
                journal,
                app_config=current_app.config,
                progress=written,
                checking=checked,
            )
            db.session.commit()
        except JournalInvalid as error:
            db.session.rollback()
            checked.stop()
            written.stop()
            _refused(error)
        except JournalError as error:
            db.session.rollback()
            checked.stop()
            written.stop()
            raise click.ClickException(str(error)) from None
        except DBAPIError as error:
            if unwritable_reason(error) is None:
                raise
            db.session.rollback()
            checked.stop()
            written.stop()
            raise click.ClickException(
                "the disk is full (or the database cannot be written): nothing was imported."
            ) from None
        checked.stop()
        written.stop()
    click.echo(f"imported: {summary}")
    click.echo("No member has a PIN yet: set each with `flask members set-pin NUMBER`.")


def _refused(error: JournalInvalid) -> NoReturn:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(error.problems)} problem(s); nothing was imported.", err=True)
    raise click.exceptions.Exit(1)


class ProgressBar:
    """``progress(done, total)`` for :func:`import_journal`, drawn on ``stream``.

    On a terminal, one line redrawn in place (at most five times a second): a bar, the
    entries written out of all of them, and an estimate of the time left from the pace so
    far. Elsewhere (a log file, a pipe) a plain line at each tenth of the way.
    """

    WIDTH = 24

    def __init__(self, stream, *, what: str = "entries written", clock=time.monotonic):
        self.stream = stream
        self.what = what
        self.clock = clock
        self.terminal = stream.isatty()
        self.started: float | None = None
        self.drawn_at = 0.0
        self.tenth = -1
        self.line = ""

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.started is None:
            self.started = now
        if self.terminal:
            if done < total and now - self.drawn_at < 0.2:
                return
            self.drawn_at = now
            self.line = self.text(done, total, now)
            self.stream.write("\r" + self.line + "\x1b[K")
            self.stream.flush()
            return
        tenth = 10 * done // total if total else 10
        if tenth != self.tenth:
            self.tenth = tenth
            self.stream.write(self.text(done, total, now) + "\n")
            self.stream.flush()

    def text(self, done: int, total: int, now: float) -> str:
        share = done / total if total else 1.0
        filled = round(self.WIDTH * share)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        written = f"[{bar}] {done:,}/{total:,} {self.what} ({share:.0%})"
        if done >= total:
            return f"{written} in {_duration(now - (self.started or now))}"
        if done == 0:
            return written
        left = (now - (self.started or now)) / done * (total - done)
        return f"{written}, about {_duration(left)} left"

    def stop(self) -> None:
        """End the line drawn in place, if any."""
        if self.terminal and self.line:
            self.stream.write("\n")
            self.stream.flush()
            self.line = ""


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that the file is either the old one or all of the new.

    A half-written journal would be a backup that fails exactly when it is needed.
    """
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
