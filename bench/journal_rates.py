"""The main shop's journal checked and imported in this run, on SQLite and on PostgreSQL.

The shops the benchmark measures on are imported once and cached; so that the import's rate
is always the code's being measured, the main shop's journal (three years, the history
the other figures are measured on) is generated, checked and imported again in every run,
timed whole: the check alone (:func:`shop.journal.check.check_journal`), then the import
(check and write, as ``flask journal import`` does it, committed) into an empty database.

    .venv/bin/python -m bench.journal_rates            # BENCH_SCALE, both databases
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

#: Issue 20: a three-year shop moved to PostgreSQL in seconds.
IMPORT_TARGET = 2_000  # sales a second
#: Where PostgreSQL is looked for (a database is created on it and dropped after).
PG_URL = os.environ.get("PG_TEST_URL", "postgresql://localhost/test")


def _timed(work) -> tuple[float, float, object]:
    """(wall seconds, processor seconds, result) of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _postgres_database() -> tuple[str, object] | None:
    """(url, dropper) of a new empty database on :data:`PG_URL`, or ``None``."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - no server: the row says so
        print(f"journal rates: PostgreSQL at {PG_URL} not reachable ({error})", file=sys.stderr)
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def _import_into(uri: str, instance: Path, journal: dict) -> tuple[float, float, object]:
    from bench.app import config_for
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db
    from shop.journal.importer import import_journal

    config = config_for("unused", str(instance), testing=True)
    config["SQLALCHEMY_DATABASE_URI"] = uri
    app = create_app(config)
    upgrade_database(app)
    with app.app_context():

        def work():
            summary = import_journal(db.session, journal, app_config=app.config)
            db.session.commit()
            return summary

        try:
            return _timed(work)
        finally:
            db.session.remove()
            db.engine.dispose()


def run_journal_rates(scale: float, last_month_sales: int | None = None) -> dict:
    """The check's and the import's times of the journal of ``scale`` (and
    ``last_month_sales``, as :func:`bench.generate.generate` takes them); each database's
    import, or ``None`` where it could not run."""
    import json

    from bench.generate import generate
    from shop.journal.check import check_journal

    journal = generate(scale, last_month_sales=last_month_sales)
    text = json.dumps(journal, ensure_ascii=False)
    sales = len(journal["sales"])
    check = _timed(lambda: check_journal(json.loads(text)))
    assert not check[2], check[2][:3]
    imports: dict[str, tuple | None] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    try:
        imports["SQLite"] = _import_into(
            f"sqlite:///{work / 'shop.sqlite3'}", work, json.loads(text)
        )
        postgres = _postgres_database()
        imports["PostgreSQL"] = None
        if postgres is not None:
            url, drop = postgres
            try:
                imports["PostgreSQL"] = _import_into(url, work, json.loads(text))
            finally:
                drop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"scale": scale, "sales": sales, "check": check, "imports": imports}


def rows(rates: dict) -> list[str]:
    """The rates' rows of a ``| rate | figure | target | holds? |`` table."""
    sales = rates["sales"]
    wall, cpu, _problems = rates["check"]
    out = [
        f"| journal check (main shop, {sales:,} sales, this run) | {sales / wall:,.0f} sales/s; "
        f"{wall:.1f} s ({cpu:.1f} s of processor) |  |  |"
    ]
    for database, timed in rates["imports"].items():
        if timed is None:
            out.append(f"| journal import (main shop, {database}) | not run: no server |  |  |")
            continue
        wall, cpu, _summary = timed
        rate = sales / wall
        verdict = f"{'yes' if rate >= IMPORT_TARGET else '**no**'} ({rate:,.0f} sales/s)"
        out.append(
            f"| journal import (main shop, {database}, this run: check and write) | "
            f"{rate:,.0f} sales/s; {wall:.1f} s ({cpu:.1f} s of processor) | "
            f"≥ {IMPORT_TARGET:,} sales/s | {verdict} |"
        )
    return out


def main() -> int:
    from bench.run import LAST_MONTH_SALES

    scale = float(os.environ.get("BENCH_SCALE", "0.25"))
    print("\n".join(rows(run_journal_rates(scale, LAST_MONTH_SALES))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
