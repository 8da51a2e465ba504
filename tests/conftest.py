"""Fixtures: an app on a migrated database per test, its client and CLI runner, factories.

The database is SQLite unless ``SHOP_TEST_DATABASE`` names a PostgreSQL server, for
instance ``postgresql://localhost/test``: then a fresh database is created on that server
for this run, migrated once, emptied before every test and dropped at the end.

A test reaches the database under test through the ``database`` fixture (and those built on
it: ``db_url``, ``app``, ``client``...) or, making a database of its own on that server,
through ``server_under_test``. With ``SHOP_TEST_DATABASE_ONLY=1`` as well (``make test``'s
PostgreSQL pass) only those tests run: the others (the rules, the journal's file checks, the
printers, the packaging...) do the same whatever the database, and ran in the SQLite pass.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shop import create_app
from shop.database import forget_read_once
from shop.extensions import db

IN_CI = os.environ.get("CI", "").lower() == "true"
#: The PostgreSQL server of this run (``SHOP_TEST_DATABASE``), None on SQLite. Tests read it
#: through the ``server_under_test`` fixture, never from the environment themselves.
SERVER_UNDER_TEST = os.environ.get("SHOP_TEST_DATABASE") or None
#: Where a test that always needs PostgreSQL (moving a shop to it) makes its own database.
POSTGRESQL_SERVER = SERVER_UNDER_TEST or "postgresql://localhost/test"
#: Screenshots, PDFs and receipts the tests leave to be looked at; the PostgreSQL pass leaves
#: its own in a folder of their own (beside the SQLite pass's, not over them).
ARTIFACTS = (
    Path(__file__).resolve().parent / "artifacts" / ("postgresql" if SERVER_UNDER_TEST else "")
)
DEMO_PIN = "2468"


def pytest_configure(config):
    # PINs hashed at a test's cost, not a phone thief's: the suite sets hundreds of them.
    # (Only how new PINs are hashed changes; checking reads the method from the hash.)
    from shop.services import members

    members.PIN_HASH_METHOD = "pbkdf2:sha256:1000"
    _compile_url_builders_once()


def _compile_url_builders_once() -> None:
    """Every test makes its own app, and Werkzeug writes and compiles Python for each of
    its ~170 routes' URL builders each time (45 of the 50 ms an app takes). The builder
    is a function of the rule alone (its converters are called through the rule it is
    bound to), so a process compiles each once; the URLs built are the same."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def compiled_once(rule: Rule, append_unknown: bool = True):
        key = (
            rule.rule, rule.subdomain, rule.host, rule.merge_slashes, append_unknown,
            tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
        )  # fmt: skip
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = compiled_once


def pytest_report_header(config):
    target = SERVER_UNDER_TEST or "sqlite (a file per test)"
    only = " (only the tests that reach it)" if _database_only() else ""
    return f"shop database under test: {target}{only}"


#: The fixtures through which a test reaches the database under test.
REACHES_THE_DATABASE = ("database", "server_under_test")


def _database_only() -> bool:
    return bool(SERVER_UNDER_TEST) and os.environ.get("SHOP_TEST_DATABASE_ONLY") == "1"


def pytest_collection_modifyitems(config, items):
    """On a PostgreSQL pass that asks for it (``SHOP_TEST_DATABASE_ONLY=1``), only the tests
    that reach the database under test; the rest ran, the same, in the SQLite pass."""
    if not _database_only():
        return
    reach = [i for i in items if set(REACHES_THE_DATABASE) & set(getattr(i, "fixturenames", ()))]
    if len(reach) < len(items):
        kept = set(reach)
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = reach


#: The tables whose rows the database refuses to delete (payouts and their corrections,
#: bank transactions).
APPEND_ONLY = ("payout", "payout_correction", "bank_transaction", "count_scan", "count_decision")


def delete_everything(session) -> None:
    """Delete every row of every table, children first: a shop emptied to start again (a
    test's own; the shop never does this). The database's refusal to delete payouts and
    their corrections is lifted for the moment, then put back."""
    if session.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        kept = []
    else:
        kept = session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE :n"),
            {"n": "%_no_delete"},
        ).all()
        for name, _sql in kept:
            session.execute(text(f"DROP TRIGGER {name}"))
    for table in reversed(db.metadata.sorted_tables):
        session.execute(table.delete())
    if session.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    for _name, sql in kept:
        session.execute(text(sql))
    forget_read_once(session)  # behind the services' back: what they read once is gone


def _test_config(url: str, instance_path: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "SHOP_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SHOP_COUNTRY_CODE": "84",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "WTF_CSRF_ENABLED": False,
        "MIGRATE_ON_START": False,
        "PROPAGATE_UNEXPECTED": True,
        "PRINT_WORKER": "off",
        "INSTANCE_PATH": instance_path,
    }


def _migrate(url: str, instance_path: str) -> None:
    from shop.cli import upgrade_database

    app = create_app(_test_config(url, instance_path))
    upgrade_database(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def server_under_test():
    """The PostgreSQL server this run is on, or None on SQLite: for a test that makes a
    database of its own there (the reliability scenarios, each its own gunicorn)."""
    return SERVER_UNDER_TEST


@pytest.fixture(scope="session")
def database(tmp_path_factory, server_under_test):
    """(kind, url) of a migrated database for this test run."""
    server = server_under_test
    instance = str(tmp_path_factory.mktemp("instance"))
    if not server:
        path = tmp_path_factory.mktemp("template") / "shop.sqlite3"
        _migrate(f"sqlite:///{path}", instance)
        yield "sqlite", str(path)
        return
    base = make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # pragma: no cover - depends on the machine
        if IN_CI:
            raise
        pytest.exit(f"PostgreSQL at {server} is not reachable: {error}", returncode=1)
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url, instance)
        yield "postgresql", url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db_url(database, tmp_path):
    """A clean, migrated database for one test."""
    kind, location = database
    if kind == "sqlite":
        target = tmp_path / "shop.sqlite3"
        shutil.copyfile(location, target)
        return f"sqlite:///{target}"
    engine = create_engine(location)
    with engine.begin() as connection:
        connection.exec_driver_sql(_EMPTY_POSTGRESQL)
    engine.dispose()
    return location


def _emptying_postgresql() -> str:
    """The statements, sent at once, that empty the test database between tests as if it
    had just been migrated: every table's rows deleted, children first, the append-only
    tables' refusal lifted meanwhile (as their owner may), every sequence back at 1. A
    TRUNCATE of the 40 tables took 0.3 s a test; this takes about 1 ms."""
    import shop.models  # noqa: F401 - every table in the metadata

    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    return "".join(
        [f'ALTER TABLE "{name}" DISABLE TRIGGER USER;\n' for name in APPEND_ONLY]
        + [f'DELETE FROM "{name}";\n' for name in tables]  # noqa: S608 - our own tables
        + [f'ALTER TABLE "{name}" ENABLE TRIGGER USER;\n' for name in APPEND_ONLY]
        + [
            "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace;"
        ]
    )


_EMPTY_POSTGRESQL = _emptying_postgresql()


@pytest.fixture(scope="session")
def playwright_driver():
    """The test process's one Playwright (its sync API allows one per thread): the browser
    tests' Chromium and any other Chromium a test launches with its own flags come from it.
    Skipped, or failed in CI, when Chromium or Playwright is missing."""
    from tests.browser.conftest import _missing

    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app(_test_config(db_url, str(tmp_path)))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_kind(database):
    return database[0]


class Clock:
    """Moves the shop's "now" for a test (sign-in locks, days)."""

    def __init__(self, monkeypatch):
        self.moment = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
        monkeypatch.setattr("shop.domain.calendar.utc_now", lambda: self.moment)

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.moment = self.moment + timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


#: The test shop's bank account (970415, VietinBank), as the transfer tests expect it.
BANK = {"bank_bin": "970415", "bank_account": "113366668888", "bank_account_name": "NHOM NEW ME"}


def save_shop(session, *, name: str = "NEW ME – Đồ cũ", bank: bool = True) -> None:
    """Save the shop's settings as a coordinator does: its name, and its bank account
    (:data:`BANK`) unless ``bank=False``. Flushes; the caller commits."""
    from shop.services import members as member_service

    account = BANK if bank else dict.fromkeys(BANK, "")
    member_service.save_shop_settings(session, name=name, address="", receipt_footer="", **account)


@pytest.fixture
def make_member(app):
    """Factory: add a member through the service and commit; returns her number."""
    from shop.models import Role
    from shop.services import members as member_service

    def make(
        name="Nguyễn Thị Hồng",
        phone="0912000001",
        pin=DEMO_PIN,
        role=Role.MEMBER,
        joined_on=date(2026, 10, 1),
        left_on=None,
        number=None,
    ):
        with app.app_context():
            details = member_service.MemberDetails(
                name=name, phone=phone, role=Role(role), joined_on=joined_on, left_on=left_on
            )
            member = member_service.create_member(
                db.session, details, pin, country_code="84", number=number
            )
            db.session.commit()
            return member.number

    return make


@pytest.fixture
def coordinator(make_member):
    return make_member(name="Nguyễn Thị Hồng", phone="0912000001", role="coordinator")


@pytest.fixture
def member(make_member):
    return make_member(name="Nguyễn Thị Ngọc", phone="0912000002", pin="1357")


def sign_in(client, phone, pin=DEMO_PIN):
    return client.post("/sign-in", data={"phone": phone, "pin": pin})


@pytest.fixture
def as_coordinator(client, coordinator):
    response = sign_in(client, "0912000001")
    assert response.status_code == 303, response.data
    return client


@pytest.fixture
def as_member(client, coordinator, member):
    response = sign_in(client, "0912000002", "1357")
    assert response.status_code == 303, response.data
    return client


#: docs/sharing.md's worked example as a journal, and the PINs its four members get in tests.
TRIAL_JOURNAL = Path(__file__).resolve().parent / "data" / "trial-3-months.json"
TRIAL_PINS = {1: "2468", 2: "1357", 3: "3579", 4: "8642"}


def _load_trial(app) -> dict:
    """Import docs/sharing.md's example into ``app``'s empty shop, its members with TRIAL_PINS."""
    from shop.journal.importer import import_journal
    from shop.models import Role
    from shop.services import members as member_service

    data = json.loads(TRIAL_JOURNAL.read_text(encoding="utf-8"))
    with app.app_context():
        for entry in data["members"]:
            member_service.create_member(
                db.session,
                member_service.MemberDetails(
                    name=entry["name"],
                    phone=entry["phone"],
                    role=Role(entry["role"]),
                    joined_on=date.fromisoformat(entry["joined_on"]),
                ),
                TRIAL_PINS[entry["number"]],
                country_code="84",
                number=entry["number"],
            )
        import_journal(db.session, data, app_config=app.config, keep_members=True)
        db.session.commit()
        db.engine.dispose()
    return data


@pytest.fixture(scope="session")
def trial_sqlite(database, tmp_path_factory):
    """On SQLite, the example imported once into a file that each test copies (hashing
    four PINs and replaying three months for every test would cost seconds each)."""
    kind, location = database
    if kind != "sqlite":
        return None
    path = tmp_path_factory.mktemp("trial") / "trial.sqlite3"
    shutil.copyfile(location, path)
    instance = str(tmp_path_factory.mktemp("trial-instance"))
    _load_trial(create_app(_test_config(f"sqlite:///{path}", instance)))
    return path


@pytest.fixture
def trial(app, db_kind, trial_sqlite, clock):
    """docs/sharing.md's three months, imported; today is 10 February 2027."""
    if trial_sqlite is not None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        target = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        shutil.copyfile(trial_sqlite, target)
        data = json.loads(TRIAL_JOURNAL.read_text(encoding="utf-8"))
    else:
        data = _load_trial(app)
    clock.set(datetime(2027, 2, 10, 3, 0, tzinfo=UTC))
    return data
