"""``flask backup``: a sound copy of the live SQLite shop while it sells, its rotation, the
refusal on PostgreSQL, and moving a shop from SQLite to PostgreSQL through the journal."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import stat
import threading
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from shop import create_app
from shop.extensions import db
from shop.journal import normalise_journal
from shop.models import IntakeKind, Sale
from shop.services import backup as backup_service
from shop.services import counter as counter_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import stock as stock_service
from tests.factories import HANOI

from .conftest import IN_CI, POSTGRESQL_SERVER, TRIAL_JOURNAL, _test_config

WRITTEN = re.compile(r"backup written: (\S+) \(")
#: 10 February 2027, 10:00 in Hà Nội: the trial fixture's "now".
NOW = datetime(2027, 2, 10, 3, 0, tzinfo=UTC)
TRIAL_MONTHS = ("2026-11", "2026-12", "2027-01")


@pytest.fixture
def sqlite_only(db_kind):
    if db_kind != "sqlite":
        pytest.skip("backup copies SQLite databases; on PostgreSQL it refuses (tested apart)")


def written(result) -> Path:
    assert result.exit_code == 0, result.output
    return Path(WRITTEN.search(result.output)[1])


def open_shop(path: Path, instance: Path):
    """An app on the SQLite file ``path``, as the shop would run on a restored backup."""
    return create_app(_test_config(f"sqlite:///{path}", str(instance)))


def close_app(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- a copy while selling


@pytest.fixture
def selling(app, trial):
    """The worked example, and a shift open on 10 February 2027 with a big lot to sell."""
    with app.app_context(), app.test_request_context():
        session = db.session
        hong = member_service.get_member(session, 1)
        intake = stock_service.receive_intake(
            session,
            stock_service.IntakeDetails(IntakeKind.DONATION, NOW - timedelta(hours=1)),
            by=hong,
            tz=app.config["SHOP_TZ"],
        )
        stock_service.add_lot(
            session, intake, stock_service.LotDetails("Phụ kiện", 10_000, 100_000, code="TAT")
        )
        counter_service.open_shift(session, hong, 0, at=NOW - timedelta(minutes=30), tz=HANOI)
        session.commit()
    return app


class Counter(threading.Thread):
    """Rings up one pair of socks after another, committing each, until told to stop
    (or after ``limit`` sales, so a test can never run away)."""

    def __init__(self, app, limit=1_500):
        super().__init__(daemon=True)
        self.app, self.limit = app, limit
        self.committed: list[int] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self):
        try:
            with self.app.app_context(), self.app.test_request_context():
                session = db.session
                hong = member_service.get_member(session, 1)
                for i in range(self.limit):
                    if self.stop.is_set():
                        return
                    sale, _new = counter_service.record_sale(
                        session,
                        counter_service.SaleRequest(lines=(counter_service.LineRequest("TAT"),)),
                        cashier=hong,
                        at=NOW - timedelta(minutes=20) + timedelta(seconds=i),
                        tz=self.app.config["SHOP_TZ"],
                    )
                    number = sale.number
                    session.commit()
                    self.committed.append(number)
        except BaseException as error:  # pragma: no cover - reported by the test
            self.errors.append(error)

    def wait_for(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(self.committed) < count and not self.errors:
            assert time.monotonic() < deadline, "the counter did not get going"
            time.sleep(0.01)


def test_a_backup_taken_while_the_counter_sells_holds_every_sale_made_before_it(
    sqlite_only, selling, runner, monkeypatch, tmp_path
):
    app = selling
    # Tiny steps, so that the copy takes long enough for the counter to sell during it.
    monkeypatch.setattr(backup_service, "PAGES_PER_STEP", 2)
    monkeypatch.setattr(backup_service, "PAUSE_SECONDS", 0.01)
    counter = Counter(app)
    counter.start()
    try:
        counter.wait_for(20)
        before = list(counter.committed)  # every sale committed before the backup started
        started = time.monotonic()
        result = runner.invoke(args=["backup"])
        took = time.monotonic() - started
        during = len(counter.committed) - len(before)
        still_selling = counter.is_alive()
    finally:
        counter.stop.set()
        counter.join(30)
    assert counter.errors == []
    assert not counter.is_alive()
    path = written(result)
    assert result.output.endswith(f"1 backup(s) kept in {path.parent}, 0 removed\n")
    assert path.parent == Path(app.instance_path) / "backups"
    assert path.name == "shop-2027-02-10T1000.sqlite3"  # Hà Nội time
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary left
    # The counter was never held up: it went on committing while the copy was made.
    assert during > 0, f"no sale was committed during the {took:.2f} s backup"
    # And the copy did not have to wait for the counter to stop (SQLite restarts a backup
    # whenever another connection writes, unless it reads from one snapshot).
    assert still_selling, "the backup finished only once the counter had stopped"

    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    restored = open_shop(path, tmp_path / "restored")
    try:
        with restored.app_context():
            numbers = db.session.scalars(select(Sale.number).order_by(Sale.number)).all()
            copied_months = [
                month_service.month_data(db.session, m, restored.config["SHOP_TZ"])
                for m in TRIAL_MONTHS
            ]
    finally:
        close_app(restored)
    assert set(before) <= set(numbers)
    # One moment of the shop: the sales up to some number, none missing in between.
    assert numbers == list(range(1, len(numbers) + 1))
    assert f", {len(numbers):,} sales, integrity ok)" in result.output
    with app.app_context():
        live = db.session.scalar(select(func.count(Sale.id)))
        live_months = [
            month_service.month_data(db.session, m, app.config["SHOP_TZ"]) for m in TRIAL_MONTHS
        ]
    assert live > len(numbers)  # the sales made during the backup are not in it
    assert copied_months == live_months


def test_two_backups_in_one_minute_get_different_names(sqlite_only, app, runner, clock, tmp_path):
    clock.set(datetime(2026, 11, 23, 8, 30, 12, tzinfo=UTC))  # 15:30:12 in Hà Nội
    target = tmp_path / "kept"
    paths = [written(runner.invoke(args=["backup", "--to", str(target)])) for _ in range(3)]
    assert [p.name for p in paths] == [
        "shop-2026-11-23T1530.sqlite3",
        "shop-2026-11-23T153012.sqlite3",
        "shop-2026-11-23T153012-2.sqlite3",
    ]
    assert backup_service.backups(target) == paths  # oldest first
    inodes = {p.stat().st_ino for p in paths}
    assert len(inodes) == 3


# ---------------------------------------------------------------- keeping the last N


def test_keep_deletes_the_oldest_backups_and_nothing_else(
    sqlite_only, app, runner, clock, tmp_path
):
    target = tmp_path / "backups"
    target.mkdir()
    older = [
        "shop-2026-11-01T0200.sqlite3",
        "shop-2026-11-02T0200.sqlite3",
        "shop-2026-11-02T020005.sqlite3",
        "shop-2026-11-03T0200.sqlite3",
    ]
    others = [
        "notes.txt",
        "shop.sqlite3",
        "shop-2026-10-01.dump",
        "shop-2026-10-01.json",
        "shop-2026-10-01T0200.sqlite3.bak",
        "shop-2026-10-01T0200.sqlite3-wal",
        "my-shop-2026-10-01T0200.sqlite3",
        "shop-2026-10-01T02.sqlite3",
        ".shop-backup-abc.part",
    ]
    for name in older + others:
        (target / name).write_text(name)
    (target / "shop-2026-10-01T0100.sqlite3").mkdir()  # a folder, even with such a name
    clock.set(datetime(2026, 11, 23, 8, 30, tzinfo=UTC))

    result = runner.invoke(args=["backup", "--to", str(target), "--keep", "3"])

    newest = written(result)
    assert newest.name == "shop-2026-11-23T1530.sqlite3"
    assert [line for line in result.output.splitlines() if line.startswith("removed")] == [
        f"removed old backup: {target / 'shop-2026-11-01T0200.sqlite3'}",
        f"removed old backup: {target / 'shop-2026-11-02T0200.sqlite3'}",
    ]
    assert result.output.endswith(f"3 backup(s) kept in {target}, 2 removed\n")
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [*others, "shop-2026-10-01T0100.sqlite3", *older[2:], newest.name]
    )
    for name in others:
        assert (target / name).read_text() == name

    clock.advance(days=1)
    result = runner.invoke(args=["backup", "--to", str(target), "--keep", "1"])
    newest = written(result)
    assert backup_service.backups(target) == [newest]
    assert len([p for p in target.iterdir()]) == len(others) + 2


def test_keep_must_be_at_least_one(app, runner, tmp_path):
    result = runner.invoke(args=["backup", "--to", str(tmp_path / "b"), "--keep", "0"])
    assert result.exit_code == 2
    assert "0 is not in the range x>=1" in result.output
    assert not (tmp_path / "b").exists()


def test_a_missing_database_is_not_created_by_a_backup(tmp_path):
    missing = tmp_path / "shop.sqlite3"
    with pytest.raises(backup_service.BackupError, match="there is no database at"):
        backup_service.backup_sqlite(missing, tmp_path / "b", at=NOW, tz=UTC)
    assert not missing.exists()


def test_a_file_that_is_not_the_shop_leaves_no_backup(tmp_path):
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    target = tmp_path / "b"
    with pytest.raises(backup_service.BackupError, match="has no sales table"):
        backup_service.backup_sqlite(other, target, at=NOW, tz=UTC)
    assert list(target.iterdir()) == []


# ---------------------------------------------------------------- PostgreSQL


def test_on_postgresql_backup_refuses_and_points_to_pg_dump(app, runner, db_kind):
    if db_kind != "postgresql":
        pytest.skip("the shop under test runs on SQLite")
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 1
    assert "This shop runs on PostgreSQL" in result.output
    assert 'pg_dump --format=custom --file=shop-$(date +%F).dump "$DATABASE_URL"' in result.output
    assert "pg_restore --clean --if-exists -d" in result.output
    assert "journal export" in result.output
    assert not (Path(app.instance_path) / "backups").exists()


def test_a_postgresql_url_is_refused_with_the_pg_dump_command():
    with pytest.raises(backup_service.NotSQLite) as refused:
        backup_service.sqlite_file("postgresql+psycopg://shop@localhost/shop")
    assert "pg_dump --format=custom" in str(refused.value)
    with pytest.raises(backup_service.NotSQLite):
        backup_service.sqlite_file("sqlite://")
    assert backup_service.sqlite_file("sqlite:////srv/shop/shop.sqlite3") == Path(
        "/srv/shop/shop.sqlite3"
    )


# ---------------------------------------------------------------- SQLite → PostgreSQL

#: The PostgreSQL server the move is tested on; a fresh database is made on it and dropped.
PG_SERVER = POSTGRESQL_SERVER


@pytest.fixture
def fresh_postgresql():
    """The URL of a new, empty PostgreSQL database with a random name; dropped afterwards."""
    base = make_url(PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_move_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_SERVER} must be reachable in CI: {error}")
        pytest.skip(
            f"PostgreSQL at {PG_SERVER} is not reachable, so moving a shop from SQLite to "
            f"PostgreSQL is not tested: {str(error).splitlines()[0]}"
        )
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def shop_figures(app) -> tuple[dict, int]:
    with app.app_context():
        try:
            months = {
                m: month_service.month_data(db.session, m, app.config["SHOP_TZ"])
                for m in TRIAL_MONTHS
            }
            sales = db.session.scalar(select(func.count(Sale.id)))
        finally:
            db.session.rollback()
    return months, sales


def test_a_shop_moves_from_sqlite_to_postgresql_through_the_journal(
    fresh_postgresql, clock, tmp_path
):
    from shop.cli import upgrade_database

    clock.set(NOW)
    data = json.loads(TRIAL_JOURNAL.read_text(encoding="utf-8"))
    sqlite_app = create_app(
        _test_config(f"sqlite:///{tmp_path / 'shop.sqlite3'}", str(tmp_path / "sqlite"))
    )
    postgresql_app = create_app(_test_config(fresh_postgresql, str(tmp_path / "postgresql")))
    try:
        upgrade_database(sqlite_app)
        runner = sqlite_app.test_cli_runner()
        result = runner.invoke(args=["journal", "import", str(TRIAL_JOURNAL)])
        assert result.exit_code == 0, result.output
        from_sqlite = tmp_path / "from-sqlite.json"
        result = runner.invoke(args=["journal", "export", str(from_sqlite)])
        assert result.exit_code == 0, result.output

        upgrade_database(postgresql_app)
        with postgresql_app.app_context():
            assert db.engine.dialect.name == "postgresql"
        runner = postgresql_app.test_cli_runner()
        result = runner.invoke(args=["journal", "import", str(from_sqlite)])
        assert result.exit_code == 0, result.output
        from_postgresql = tmp_path / "from-postgresql.json"
        result = runner.invoke(args=["journal", "export", str(from_postgresql)])
        assert result.exit_code == 0, result.output

        sqlite_months, sqlite_sales = shop_figures(sqlite_app)
        postgresql_months, postgresql_sales = shop_figures(postgresql_app)
    finally:
        close_app(sqlite_app)
        close_app(postgresql_app)

    assert postgresql_months == sqlite_months
    assert all(sqlite_months[m]["closed"] for m in TRIAL_MONTHS)
    assert sqlite_months["2026-11"]["result_dong"] == 100_000  # docs/sharing.md's November
    assert postgresql_sales == sqlite_sales == len(data["sales"])
    exported = json.loads(from_sqlite.read_text(encoding="utf-8"))
    assert json.loads(from_postgresql.read_text(encoding="utf-8")) == exported
    assert normalise_journal(exported) == exported == normalise_journal(data)


# ---------------------------------------------------------------- checking a backup


@pytest.fixture
def made(sqlite_only, app, trial, runner, tmp_path) -> Path:
    """A backup of the worked example, made by the command."""
    return written(runner.invoke(args=["backup", "--to", str(tmp_path / "backups")]))


def _newest_migration(app) -> str:
    from alembic.script import ScriptDirectory

    (head,) = ScriptDirectory(app.extensions["migrate"].directory).get_heads()
    return head


def test_check_tells_that_a_backup_restores_and_what_it_holds_without_writing_to_it(
    app, made, runner
):
    with app.app_context():
        members, sales, months = (
            db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("member", "sale", "closed_month")
        )
    assert months == len(TRIAL_MONTHS) and members > 0 and sales > 0
    before = (made.read_bytes(), made.stat().st_mtime_ns)

    result = runner.invoke(args=["backup", "--check", str(made)])

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{made} restores: integrity ok, migration {_newest_migration(app)} (the newest), "
        f"{members:,} members, {sales:,} sales, {months:,} closed months "
        f"({made.stat().st_size:,} bytes)\n"
    )
    assert (made.read_bytes(), made.stat().st_mtime_ns) == before
    assert sorted(p.name for p in made.parent.iterdir()) == [made.name]  # no -wal, -journal


def test_check_leaves_no_files_beside_a_copy_left_in_wal_mode(app, made, runner, tmp_path):
    close_app(app)
    copied = tmp_path / "copied" / "shop.sqlite3"  # `cp` of the stopped shop's database
    copied.parent.mkdir()
    shutil.copyfile(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), copied)
    with closing(sqlite3.connect(copied)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    for leftover in copied.parent.glob("*-*"):
        leftover.unlink()

    result = runner.invoke(args=["backup", "--check", str(copied)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{copied} restores: integrity ok")
    assert [p.name for p in copied.parent.iterdir()] == ["shop.sqlite3"]


def test_check_refuses_a_truncated_backup(made, runner, tmp_path):
    whole = made.read_bytes()
    for kept in (100, len(whole) // 2, len(whole) - 4096):
        cut = tmp_path / f"cut-{kept}.sqlite3"
        cut.write_bytes(whole[:kept])

        result = runner.invoke(args=["backup", "--check", str(cut)])

        assert result.exit_code == 1, (kept, result.output)
        assert result.output.startswith(
            f"Error: this backup does not restore: {cut} is damaged (truncated or corrupted): "
        ), result.output


def test_check_refuses_a_backup_at_a_migration_this_shop_does_not_know(made, runner):
    with closing(sqlite3.connect(made)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()

    result = runner.invoke(args=["backup", "--check", str(made)])

    assert result.exit_code == 1
    assert f"{made} is at migration 9999, which this version of the shop does not know" in (
        result.output
    )


def test_check_refuses_a_file_that_is_not_a_backup_of_the_shop(app, runner, tmp_path):
    journal = tmp_path / "shop.json"
    journal.write_text('{"format": "shop-journal"}')
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    alembic_only = tmp_path / "alembic-only.sqlite3"
    with closing(sqlite3.connect(alembic_only)) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        connection.execute("INSERT INTO alembic_version VALUES (?)", (_newest_migration(app),))
        connection.commit()
    expected = {
        journal: f"{journal} is not a SQLite database, so not a backup of the shop",
        empty: f"{empty} is empty",
        other: f"{other} is a SQLite database but not one of this shop (no migration recorded)",
        alembic_only: f"{alembic_only} has no member table: it is not a database of this shop",
        tmp_path / "missing.sqlite3": f"there is no file at {tmp_path / 'missing.sqlite3'}",
    }
    for path, message in expected.items():
        result = runner.invoke(args=["backup", "--check", str(path)])
        assert result.exit_code == 1, result.output
        assert result.output == f"Error: this backup does not restore: {message}\n"
    assert not (tmp_path / "missing.sqlite3").exists()


def test_check_is_for_reading_a_backup_not_for_making_one(app, runner, tmp_path):
    result = runner.invoke(args=["backup", "--check", "x.sqlite3", "--to", str(tmp_path)])
    assert result.exit_code == 2
    assert "--check reads a backup; --to is for making one" in result.output
    copy = runner.invoke(args=["backup", "--check", "x.sqlite3", "--copy-to", str(tmp_path)])
    assert copy.exit_code == 2 and "--copy-to for copying one" in copy.output
