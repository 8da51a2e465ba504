"""The shop as the benchmark runs it: the real app on a bench database, its clock set to a
fixed moment after the generated history (and running on from there), and one extra
blueprint that only the benchmark registers: *the floor*.

The floor is the least a request of this app on this database can cost: a bare route
that reads one item by its indexed code and inserts one row in a write transaction
(``BEGIN IMMEDIATE`` on SQLite, as every write request of the shop), then commits. It runs
through the same Flask app (its before/after-request hooks, session cookie, security
headers), so a figure divided by it says how much work the shop adds on top of a framework
round trip and a committed write.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

#: The moment the benchmark's shop clock starts at: Monday 5 January 2026, 09:00 in Hanoi,
#: a few days after the generated history ends (December 2025, still open).
BENCH_NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

floor = Blueprint("bench_floor", __name__, url_prefix="/bench-floor")

FLOOR_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_floor ("
    "id INTEGER PRIMARY KEY, code VARCHAR(32) NOT NULL, at VARCHAR(40) NOT NULL)"
)


def _read(code: str):
    from shop.extensions import db

    return db.session.execute(
        text("SELECT id, code, price_dong FROM item WHERE code = :code"), {"code": code}
    ).first()


@floor.get("/read/<code>")
def floor_read(code: str):
    """One row by index, nothing written."""
    from shop.extensions import db

    row = _read(code)
    db.session.rollback()
    return jsonify(id=row.id if row else None)


@floor.post("/write/<code>")
def floor_write(code: str):
    """One row inserted in a write transaction, committed."""
    from shop.extensions import db

    db.session.execute(
        text("INSERT INTO bench_floor (code, at) VALUES (:code, :at)"),
        {"code": code, "at": datetime.now(UTC).isoformat()},
    )
    db.session.commit()
    return jsonify(ok=True)


@floor.post("/<code>")
def floor_both(code: str):
    """The floor: read one row by index and insert one row in one write transaction."""
    from shop.extensions import db

    row = _read(code)
    db.session.execute(
        text("INSERT INTO bench_floor (code, at) VALUES (:code, :at)"),
        {"code": row.code if row else code, "at": datetime.now(UTC).isoformat()},
    )
    db.session.commit()
    return jsonify(id=row.id if row else None)


for view in (floor_read, floor_write, floor_both):
    view.is_public = True  # no sign-in: the floor is the bare round trip


def _set_clock(start: datetime = BENCH_NOW) -> None:
    """The shop's "now" starts at ``start`` and runs on with the real clock.

    Done once, when this module is imported and before the shop's modules that import
    ``utc_now`` by name (the print queue, the models' defaults): they all get this clock.
    """
    from shop.domain import calendar

    if getattr(calendar.utc_now, "bench_clock", False):
        return
    origin = time.monotonic()

    def bench_now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - origin)

    bench_now.bench_clock = True
    calendar.utc_now = bench_now


_set_clock()


def config_for(database: str, instance: str, *, testing: bool) -> dict:
    """Settings for an in-process app (``testing``: CSRF off and no print thread, as the
    test suite runs it) or, with ``testing`` false, the production settings gunicorn gets
    from the environment, pointed at the bench database."""
    base = {
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SHOP_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SHOP_COUNTRY_CODE": "84",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "MIGRATE_ON_START": False,
        "INSTANCE_PATH": instance,
    }
    if testing:
        base.update({"TESTING": True, "WTF_CSRF_ENABLED": False, "PRINT_WORKER": "off"})
    return base


def create_bench_app(database: str, instance: str, *, testing: bool = True) -> Flask:
    from shop import create_app
    from shop.extensions import csrf, db

    app = create_app(config_for(database, instance, testing=testing))
    csrf.exempt(floor)
    app.register_blueprint(floor)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql(FLOOR_TABLE)
        db.engine.dispose()
    return app


def gunicorn_app() -> Flask:
    """For ``gunicorn bench.app:gunicorn_app()``: the database and instance from
    ``BENCH_DATABASE`` and ``BENCH_INSTANCE``; production settings otherwise (CSRF on, the
    print queue's thread on)."""
    return create_bench_app(
        os.environ["BENCH_DATABASE"], os.environ["BENCH_INSTANCE"], testing=False
    )
