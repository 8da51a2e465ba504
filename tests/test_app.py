"""The app as a whole: settings, the database engine, migrations and the command line."""

import os
import stat

import pytest
from sqlalchemy import text

from shop import config, create_app
from shop.extensions import db


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.secret_key(str(tmp_path))
    assert len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert config.secret_key(str(tmp_path)) == first


def test_secret_key_from_the_environment_must_be_long_enough(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(config.SettingsError):
        config.secret_key(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "a-long-enough-secret-key")
    assert config.secret_key(str(tmp_path)) == "a-long-enough-secret-key"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://shop@db/shop", "postgresql+psycopg://shop@db/shop"),
        ("postgres://shop@db/shop", "postgresql+psycopg://shop@db/shop"),
        ("postgresql+psycopg://x@y/z", "postgresql+psycopg://x@y/z"),
        ("sqlite:////srv/shop.sqlite3", "sqlite:////srv/shop.sqlite3"),
    ],
)
def test_database_url(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config.database_url("/instance") == expected


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url("/srv/instance") == "sqlite:////srv/instance/shop.sqlite3"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://x@y/z"),
        ("SHOP_TIMEZONE", "Mars/Olympus"),
        ("SHOP_LOCALE", "fr"),
        ("SHOP_MIGRATE_ON_START", "maybe"),
        ("SHOP_COUNTRY_CODE", "+84"),
        ("SHOP_PROXIES", "yes"),
        ("SHOP_PROXIES", "-1"),
        ("SHOP_BANK_POLLER", "sometimes"),
        ("SHOP_BANK_POLL_WAITING_SECONDS", "1"),
        ("SHOP_BANK_POLL_IDLE_SECONDS", "ten"),
        ("SHOP_PDF_PROCESSES", "0"),
        ("SHOP_PDF_PROCESSES", "many"),
    ],
)
def test_wrong_settings_stop_the_start(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(config.SettingsError):
        config.from_environment(str(tmp_path))


def test_the_number_of_proxies_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOP_PROXIES", raising=False)
    assert config.from_environment(str(tmp_path))["SHOP_PROXIES"] == 0
    monkeypatch.setenv("SHOP_PROXIES", "1")
    assert config.from_environment(str(tmp_path))["SHOP_PROXIES"] == 1


def test_the_bank_pollers_cadence_comes_from_the_environment(tmp_path, monkeypatch):
    for name in (
        "SHOP_BANK_POLLER",
        "SHOP_BANK_POLL_WAITING_SECONDS",
        "SHOP_BANK_POLL_IDLE_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = config.from_environment(str(tmp_path))
    assert (settings["BANK_POLLER"], settings["BANK_POLL_WAITING_SECONDS"]) == ("thread", 15)
    assert settings["BANK_POLL_IDLE_SECONDS"] == 300
    monkeypatch.setenv("SHOP_BANK_POLLER", "off")
    monkeypatch.setenv("SHOP_BANK_POLL_WAITING_SECONDS", "10")
    settings = config.from_environment(str(tmp_path))
    assert (settings["BANK_POLLER"], settings["BANK_POLL_WAITING_SECONDS"]) == ("off", 10)


def test_the_pdf_processes_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOP_PDF_PROCESSES", raising=False)
    assert config.from_environment(str(tmp_path))["PDF_PROCESSES"] is None  # one a core
    monkeypatch.setenv("SHOP_PDF_PROCESSES", "auto")
    assert config.from_environment(str(tmp_path))["PDF_PROCESSES"] is None
    monkeypatch.setenv("SHOP_PDF_PROCESSES", "1")
    assert config.from_environment(str(tmp_path))["PDF_PROCESSES"] == 1


def test_app_from_environment_creates_and_migrates_its_database(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app()
    assert (tmp_path / "shop.sqlite3").exists()
    assert (tmp_path / "secret_key").exists()
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_sqlite_connection_settings(app, db_kind):
    if db_kind != "sqlite":
        pytest.skip("SQLite pragmas")
    with app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_models_and_migrations_agree(app):
    """Autogenerate finds nothing to do: every model change came with its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_go_down_and_up_again(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from shop.database import known_migrations

    with app.app_context():
        downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set(), left  # every downgrade drops what its upgrade made
        upgrade()
        db.engine.dispose()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        at = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert (at,) == known_migrations(app)[1]  # back at the newest


def test_closed_months_keep_compensation_and_0019_goes_down_only_without_it(
    app, make_member, capfd
):
    """Migration 0019: a closed month's member row keeps compensation_dong (≥ 0, inside
    earned); going back to 0018 refuses while one holds a compensation, and keeps the rest."""
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from flask_migrate import downgrade, upgrade
    from sqlalchemy.exc import IntegrityError

    from shop.models import Role
    from shop.services import expenses as expense_service
    from shop.services import members as member_service
    from shop.services import month as month_service

    make_member(role=Role.COORDINATOR)
    row = "UPDATE closed_month_member SET "
    with app.app_context(), app.test_request_context():
        hong = member_service.get_member(db.session, 1)
        expense_service.add_expense(
            db.session, expense_service.ExpenseDetails(date(2026, 11, 2), "rent", 100_000), by=hong
        )
        month_service.close_month(
            db.session, "2026-11", by=hong, at=datetime(2026, 12, 1, tzinfo=UTC),
            tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        )  # fmt: skip
        db.session.commit()
        for wrong in (
            "compensation_dong = 5",  # not in earned
            "compensation_dong = -1, earned_dong = earned_dong - 1, due_dong = due_dong - 1",
        ):
            with pytest.raises(IntegrityError):
                db.session.execute(text(row + wrong))
                db.session.flush()
            db.session.rollback()
        paid = "compensation_dong = 5, earned_dong = earned_dong + 5, due_dong = due_dong + 5"
        db.session.execute(text(row + paid))
        db.session.commit()
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the migration's refusal
            downgrade(revision="0018")
        assert "1 closed month rows hold a compensation for lost items" in capfd.readouterr().err
        assert db.session.execute(
            text("SELECT compensation_dong FROM closed_month_member")
        ).all() == [(5,)]
        undo = "compensation_dong = 0, earned_dong = earned_dong - 5, due_dong = due_dong - 5"
        db.session.execute(text(row + undo))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0018")
        columns = db.session.execute(text("SELECT * FROM closed_month_member")).keys()
        assert "compensation_dong" not in columns
        assert db.session.execute(text("SELECT earned_dong FROM closed_month_member")).all() == [
            (0,)
        ]
        db.session.remove()
        upgrade()
        assert db.session.execute(
            text("SELECT compensation_dong, earned_dong FROM closed_month_member")
        ).all() == [(0, 0)]


def test_database_refuses_what_forms_would_refuse(app, make_member):
    from sqlalchemy.exc import IntegrityError

    make_member()
    with app.app_context():
        for statement in (
            "UPDATE member SET role = 'boss'",
            "UPDATE member SET number = 0",
            "UPDATE member SET left_on = '2000-01-01'",
        ):
            with pytest.raises(IntegrityError):
                db.session.execute(text(statement))
                db.session.flush()
            db.session.rollback()


def test_filters_show_money_and_dates_the_vietnamese_way(app):
    from datetime import UTC, date, datetime

    with app.test_request_context():
        render = app.jinja_env.from_string(
            "{{ 45000|dong }} | {{ d|day }} | {{ t|moment }} | {{ t|day }}"
        )
        out = render.render(d=date(2026, 10, 1), t=datetime(2026, 10, 31, 17, 30, tzinfo=UTC))
    assert out == "45.000\u00a0₫ | 01/10/2026 | 01/11/2026 00:30 | 01/11/2026"


def test_cli_members_and_tokens(runner):
    result = runner.invoke(
        args=[
            "members",
            "create",
            "--name",
            "Nguyễn Thị Hồng",
            "--phone",
            "0912 000 001",
            "--pin",
            "2468",
            "--role",
            "coordinator",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "member 1: Nguyễn Thị Hồng (coordinator), phone 0912000001" in result.output
    duplicate = runner.invoke(
        args=["members", "create", "--name", "X", "--phone", "0912000001", "--pin", "2468"]
    )
    assert duplicate.exit_code != 0 and "phone" in duplicate.output
    weak = runner.invoke(
        args=["members", "create", "--name", "X", "--phone", "0912000009", "--pin", "1111"]
    )
    assert weak.exit_code != 0 and "pin" in weak.output
    listing = runner.invoke(args=["members", "list"])
    assert "Nguyễn Thị Hồng" in listing.output and "0912000009" not in listing.output
    token = runner.invoke(args=["tokens", "create", "--member", "1", "--name", "sheet"])
    assert token.exit_code == 0 and "shop_" in token.output
    assert "active" in runner.invoke(args=["tokens", "list"]).output
    assert runner.invoke(args=["tokens", "revoke", "1"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    reset = runner.invoke(args=["members", "set-pin", "1", "--pin", "8024"])
    assert reset.exit_code == 0


def test_cli_demo_fills_only_an_empty_shop(app, runner, client):
    first = runner.invoke(args=["demo"])
    assert "phone 0912000001, PIN 2468" in first.output
    assert "Trần Thị Lan" in runner.invoke(args=["members", "list"]).output
    again = runner.invoke(args=["demo"])
    assert "was not loaded" in again.output
    assert client.post("/sign-in", data={"phone": "0912000001", "pin": "2468"}).status_code == 303
    assert "NEW ME – Đồ cũ" in client.get("/").text
    assert "Áo khoác gió xanh rêu" in client.get("/stock/").text
    assert "Áo len cũ màu be" in client.get("/stock/clearance").text
    assert "Váy liền hoa nhí" in client.get("/stock/?owner=2").text
    # Last month is left open, ready to close: the month's own task can be tried.
    from shop import clock
    from shop.extensions import db
    from shop.services import month as month_service

    with app.test_request_context():
        tz = app.config["SHOP_TZ"]
        last = month_service.previous_month(month_service.month_of(clock.today(), tz))
        assert not month_service.is_closed(db.session, last)
        assert month_service.is_closed(db.session, month_service.previous_month(last))
        preview = month_service.preview_close(db.session, last, at=clock.now(), tz=tz)
        assert preview.refusal is None and preview.open_shifts == ()
        db.session.rollback()
    assert 'data-testid="close"' in client.get(f"/months/{last}/close").text
    client.post("/counter/shift/open", data={"opening_float_dong": "200k"})
    with app.app_context():  # one category per kind, numeric codes only
        from sqlalchemy import select

        from shop.models import Category, Item

        names = db.session.scalars(select(Category.name)).all()
        assert "Váy, đầm" in names and "Váy" not in names
        codes = db.session.scalars(select(Item.code)).all()
        assert codes and all(code.isdigit() for code in codes), codes
        jacket = db.session.scalar(
            select(Item.code).where(Item.description == "Áo khoác gió xanh rêu")
        )
    client.post("/counter/add", data={"code": jacket})
    paid = client.post("/counter/pay", data={"method": "transfer", "client_id": "demo-0001"})
    assert "Mời khách quét mã này" in client.get(paid.headers["Location"]).text
