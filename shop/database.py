"""How the shop talks to its database: SQLite settings, UTC times and numbering."""

from __future__ import annotations

import enum
import errno
import shutil
import sqlite3
from contextvars import ContextVar
from datetime import UTC
from functools import cache
from typing import Annotated

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    bindparam,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached, mapped_column
from sqlalchemy.types import TypeDecorator

#: Whole đồng in a column wide enough for any amount the shop accepts (up to 100 billion):
#: a 32-bit integer would stop at about 2.1 billion on PostgreSQL.
Dong = Annotated[int, mapped_column(BigInteger)]

# True while serving a request that must not write (GET, HEAD): its SQLite transactions
# begin DEFERRED, so a long report does not hold the write lock against the counter. A
# request marked :func:`reads_first` starts so too, until it calls :func:`begin_writing`.
reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)


def reads_first(view):
    """Mark a view that reads, does slow work (hashing a PIN, decoding a photo), then writes.

    Its request begins reading only, as a GET does, so the slow work holds no write lock
    (on SQLite one writer at a time: the counter would wait); the service it calls says
    when the writing starts with :func:`begin_writing`.
    """
    view.reads_first = True
    return view


def begin_writing(session: Session) -> None:
    """From here on this request writes: end its reading-only transaction, so that the next
    statement begins a write transaction (``BEGIN IMMEDIATE`` on SQLite).

    Services call it before their slow work, which then runs with no transaction open;
    they read again, in the write transaction, what they change. Rows read before are
    expired (read again when next used). Where the request writes already (a POST not
    marked :func:`reads_first`, a command, a test's session) it does nothing, so the
    service works as before, inside the caller's transaction.
    """
    if not reading_only.get():
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("changes made while reading only; call begin_writing() before them")
    session.rollback()  # it wrote nothing: nothing is lost
    reading_only.set(False)  # the request's teardown puts back what was there before it


def _arrays_sent_binary(dbapi_connection, _record) -> None:
    """psycopg sends a list parameter (only the arrays of :func:`unnested` are lists) in
    PostgreSQL's binary format: in its text format every element of a list of strings or
    moments is quoted and escaped in Python, 7 to 15 times slower, and a journal's import
    sends thousands of such arrays. Each array parameter is cast to its column's array type
    in the statement (SQLAlchemy writes ``%(c)s::VARCHAR(200)[]``), whatever it is sent as."""
    from psycopg.types.array import ListBinaryDumper

    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def configure_engine(engine: Engine) -> None:
    """Make a SQLite engine safe for several counters; on PostgreSQL, send arrays in
    binary (see :func:`_arrays_sent_binary`).

    pysqlite's legacy mode emits BEGIN only before the first write, so a read-then-write in
    two requests could interleave. Here the driver's own transaction handling is switched
    off and every transaction starts with ``BEGIN IMMEDIATE``: the second writer waits (up to
    the busy timeout) until the first has committed, then reads what it wrote. Requests
    that only read (see :data:`reading_only`) begin DEFERRED and read a snapshot instead.
    """
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _arrays_sent_binary)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=5000",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN" if reading_only.get() else "BEGIN IMMEDIATE")


class UTCDateTime(TypeDecorator):
    """A moment, stored as UTC without an offset and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime: give it a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def next_number(session: Session, column) -> int:
    """The next number in a sequence kept as ``max(column) + 1`` (members, later sales).

    On SQLite the write transaction already began IMMEDIATE, so nobody else can take the
    same number; on PostgreSQL the table is locked against other writers until commit.
    A unique constraint on the column is the backstop either way.
    """
    if session.get_bind().dialect.name == "postgresql":
        table = column.class_.__table__.name
        session.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))
    current = session.scalar(select(func.max(column)))
    return (current or 0) + 1


# SQLite's primary result codes (the extended codes keep them in their low byte), PostgreSQL's
# SQLSTATEs and the system's errors that mean nothing can be written.
_SQLITE_CODES = {13: "disk_full", 8: "read_only"}  # SQLITE_FULL, SQLITE_READONLY
_SQLITE_MESSAGES = {"database or disk is full": "disk_full", "readonly database": "read_only"}
_PG_STATES = {"53100": "disk_full", "25006": "read_only"}  # disk_full, read_only_sql_transaction
_OS_ERRORS = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only"}
#: Less free space than this where the SQLite file lies, and it cannot be written.
MIN_FREE_BYTES = 1024 * 1024


def unwritable_reason(error: BaseException) -> str | None:
    """``"disk_full"`` or ``"read_only"`` if ``error`` says nothing can be written, else None.

    SQLite's "database or disk is full" and "attempt to write a readonly database",
    PostgreSQL's disk_full (53100) and read_only_sql_transaction (25006), or a file the
    shop writes (a photo, a backup) on a full or read-only disk (ENOSPC, EDQUOT, EROFS).
    """
    original = getattr(error, "orig", None) or error
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE_CODES.get(code & 0xFF)
        message = str(original)
        return next((why for text, why in _SQLITE_MESSAGES.items() if text in message), None)
    state = getattr(original, "sqlstate", None)
    if state is not None:
        return _PG_STATES.get(state)
    return _OS_ERRORS.get(original.errno) if isinstance(original, OSError) else None


def is_busy(error: BaseException) -> bool:
    """SQLite's "database is locked": another connection is writing (SQLITE_BUSY, LOCKED)."""
    code = getattr(getattr(error, "orig", None), "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (5, 6)


def write_problem(session: Session) -> str | None:
    """Why the database cannot be written now (``"read_only"``, ``"disk_full"``), or None.

    Tries a write that changes nothing, in a transaction rolled back at once (a read-only
    database refuses it; on SQLite it waits for the write lock, up to the busy timeout, and
    a lock held all that time by another writer counts as writable), and on SQLite looks
    at the free space beside the database file.
    """
    from sqlalchemy.exc import DBAPIError

    from shop.models import Sequence

    session.rollback()
    token = reading_only.set(False)  # a write transaction, even within a GET
    try:
        session.execute(
            Sequence.__table__.update().where(text("1 = 0")).values(value=Sequence.value)
        )
    except DBAPIError as error:
        reason = unwritable_reason(error)
        if reason is None and not is_busy(error):
            raise
        return reason  # busy: another writer holds the lock, so it can be written
    finally:
        session.rollback()
        reading_only.reset(token)
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and bind.url.database not in (None, "", ":memory:"):
        from pathlib import Path

        folder = Path(bind.url.database.removeprefix("file:").split("?")[0]).parent
        if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            return "disk_full"
    return None


def init_request_transactions(app) -> None:
    """Mark requests with a safe method, and those to a :func:`reads_first` view, as
    reading only (for the length of the request, or until :func:`begin_writing`)."""
    from flask import current_app, g, request

    @app.before_request
    def _mark_reading():
        view = current_app.view_functions.get(request.endpoint or "")
        g.reading_token = reading_only.set(
            request.method in ("GET", "HEAD", "OPTIONS") or getattr(view, "reads_first", False)
        )

    @app.teardown_request
    def _unmark_reading(_error):
        token = g.pop("reading_token", None)
        if token is not None:
            reading_only.reset(token)


def run_core(session: Session, statement, params=None):
    """Run ``statement``, a Core one (on tables, or columns of models: rows come back, never
    ORM objects), on the session's connection, in its transaction.

    What ``session.execute`` does on top for such a statement is the ORM's work per
    statement (its execution context, its events, the bind looked up): about 60 µs, three
    times the statement's own cost on SQLite, paid a dozen times by each sale and its
    receipt job. Nothing is flushed first: for statements whose rows nothing pending in the
    session changes (the session's objects are no more kept in step by a Core statement
    run either way).
    """
    return session.connection().execute(statement, params)


def read_core(session: Session, statement, params=None):
    """:func:`run_core` for a read of columns of models that must see what the session
    holds pending: flushed first (unless the session does not flush by itself now), as
    ``session.execute`` does for such a statement."""
    if session.autoflush:
        session.flush()
    return run_core(session, statement, params)


def adopt_inserted(session: Session, row) -> None:
    """Make ``row``, an object whose row a statement has just inserted (its primary key and
    its columns set as inserted), the session's own as if it had been read: no statement,
    nothing to flush, its unset columns read when first used.

    An object of the same identity left in the session by a rolled-back transaction (on
    SQLite a rolled-back row's id is taken again) stands for a row that never was: it is
    put out of the session first.
    """
    make_transient_to_detached(row)
    stale = session.identity_map.get(inspect(row).key)
    if stale is not None:
        session.expunge(stale)
    session.add(row)


def insert_if_absent(
    session: Session, model, row: dict | None = None, *, on=None, returning=None, **values
):
    """``INSERT … ON CONFLICT DO NOTHING``: a row another request may be adding right now
    (``row``, or the keyword ``values``).

    ``on``: the unique column (or tuple of the columns of one unique key) whose conflict
    means "there already" (any unique column when ``None``); ``returning``: a column whose
    value in the new row is returned, ``None`` when nothing was inserted. Used where two
    counters may create the same row at once (a category, a PIN lock, a sale sent twice, a
    bank transaction by webhook and by poll); without ``returning`` the caller then reads
    the row, whoever wrote it.
    """
    statement = _if_absent(session.get_bind().dialect.name, model.__table__, on, returning)
    written = run_core(session, statement, row if row is not None else values)
    return written.scalar() if returning is not None else None


@cache
def _if_absent(dialect: str, table, on, returning):
    """:func:`insert_if_absent`'s statement, built once for each table and dialect."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    key = None if on is None else [table.c[c.key] for c in (on if isinstance(on, tuple) else (on,))]
    statement = insert(table).on_conflict_do_nothing(index_elements=key)
    return statement.returning(table.c[returning.key]) if returning is not None else statement


def insert_in_order(session: Session, key, rows: list[dict], returned) -> list:
    """Insert ``rows`` into ``key``'s table in a few multi-row ``INSERT … RETURNING``
    statements (Core: no ORM objects are made) and return each row's ``returned`` column
    (its id, say), in the order of ``rows``.

    ``key`` is a unique column every row gives (a sale's number, an item's code): the rows
    come back in any order and are put in place by it. (SQLAlchemy's own
    ``sort_by_parameter_order`` sends one statement a row on SQLite, which has no sentinel
    to order them by.) Every row gives the same columns.
    """
    if not rows:
        return []
    table = key.class_.__table__
    returning = (table.c[key.key], table.c[returned.key])
    by_key = dict(_insert(session, table, rows, returning).all())
    return [by_key[row[key.key]] for row in rows]


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert ``rows`` into ``table`` (Core: no ORM objects are made), every row giving the
    same columns: in one statement on PostgreSQL, where an ``executemany`` sends one
    statement a row (a run's tens of thousands of sale lines); as one ``executemany`` on
    SQLite, which runs them in process."""
    if rows:
        _insert(session, table, rows)


def _insert(session: Session, table, rows: list[dict], returning: tuple = ()):
    if session.get_bind().dialect.name == "postgresql":
        # One statement of one array a column: rows written as many VALUES would each be
        # a parameter for psycopg to find in a query text of hundreds of kilobytes.
        columns = list(rows[0])
        statement = insert(table).from_select(columns, unnested(table, columns))
        if returning:
            statement = statement.returning(*returning)
        return session.execute(statement, {c: [row[c] for row in rows] for c in columns})
    statement = insert(table).returning(*returning) if returning else insert(table)
    return session.execute(statement, rows)


def unnested(table, columns: list[str], types: dict | None = None):
    """``SELECT unnest(:c1) AS c1, unnest(:c2) AS c2, …``: rows given as one array a column
    of ``table`` (PostgreSQL), each column's values bound under its name (``types``: those
    of columns not in the table)."""
    types = types or {}
    return select(
        *(
            func.unnest(
                bindparam(c, type_=ARRAY(types[c] if c in types else table.c[c].type))
            ).label(c)
            for c in columns
        )
    )


def read_once(session: Session, key: str, read, *, rows_of: tuple[type, ...]):
    """What ``read()`` answers, asked once in this transaction: kept until it ends, or until
    the session writes a row of ``rows_of`` (the tables the answer comes from).

    For what a long transaction asks again and again and seldom changes (the latest closed
    month, the policies): another transaction cannot change it meanwhile (on PostgreSQL
    the closed months are locked by whoever asks, see ``ensure_month_open``; on SQLite a
    writing transaction runs alone), and this one's own writes through the session drop it.
    """
    kept = session.info.setdefault(_READ_ONCE, {})
    if key not in kept:
        kept[key] = (read(), rows_of)
    return kept[key][0]


_READ_ONCE = "read_once"


def settings_row(session: Session, model):
    """The shop's one row of a settings table (``id`` 1: its profile, its printers', its
    bank feed's), or ``None`` while no one has saved it; read once in a transaction (a page
    asks it from several places, and a row never saved would be asked for each time)."""
    return read_once(
        session, f"settings:{model.__tablename__}", lambda: session.get(model, 1), rows_of=(model,)
    )


def forget(session: Session, key: str) -> None:
    """Ask ``key`` of :func:`read_once` again next time."""
    session.info.get(_READ_ONCE, {}).pop(key, None)


def forget_read_once(session: Session) -> None:
    """Ask everything of :func:`read_once` again (rows changed behind the session's back)."""
    session.info.pop(_READ_ONCE, None)


@event.listens_for(Session, "before_flush")
def _forget_changed(session: Session, flush_context, instances) -> None:
    kept = session.info.get(_READ_ONCE)
    if not kept:
        return
    changed = {type(row) for row in (*session.new, *session.dirty, *session.deleted)}
    for key, (_answer, rows_of) in list(kept.items()):
        if any(issubclass(kind, rows_of) for kind in changed):
            del kept[key]


@event.listens_for(Session, "after_transaction_end")
def _forget_all(session: Session, transaction) -> None:
    # A flush's own inner transaction ends too, and a savepoint released: what was read
    # stays (nothing is undone; one rolled back is _forget_undone's).
    if transaction.parent is None:
        session.info.pop(_READ_ONCE, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_undone(session: Session, previous_transaction) -> None:
    # A savepoint rolled back may undo a write whose answer was read and kept since.
    session.info.pop(_READ_ONCE, None)


def string_enum(kind: type[enum.Enum], name: str, length: int = 16) -> Enum:
    """A column type for ``kind`` stored as its values' text, with a CHECK of the allowed
    values (the same on SQLite and PostgreSQL; a new value needs no ALTER TYPE)."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def known_migrations(app) -> tuple[frozenset[str], tuple[str, ...]]:
    """Every migration ``app``'s version knows, and the newest (its heads): read once per
    process from its migrations folder, for ``/healthz`` and ``backup --check`` alike."""
    known = app.extensions.get("known_migrations")
    if known is None:
        from alembic.script import ScriptDirectory

        scripts = ScriptDirectory(app.extensions["migrate"].directory)
        revisions = frozenset(script.revision for script in scripts.walk_revisions())
        known = app.extensions["known_migrations"] = (revisions, tuple(scripts.get_heads()))
    return known
