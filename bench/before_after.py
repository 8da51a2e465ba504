"""Before and after the benchmark's fixes, measured side by side in one process.

Each fix is undone for the "before" run by putting the old behaviour back for the length of
the measurement (nothing in the tree changes):

1. The stock UPDATEs of the counter and of disposals skip SQLAlchemy's in-memory
   synchronisation (``synchronize_session=False``, the changed attributes expired). Before:
   the default, which tests every object the session holds on every UPDATE, so a journal
   import, whose session holds every item and sale, grew quadratically.
2. The journal schema is checked with its ``$ref``s inlined. Before: jsonschema resolved a
   reference for nearly every value.
3. A receipt print job loads its sale with the lines, items and categories in two queries.
   Before: ``job.sale`` and one lazy load per line for its item and another for its
   category.

    .venv/bin/python -m bench.before_after            # writes bench/before-after.md
    BENCH_COMPARE_SCALE=0.02 ...                       # the journal's scale (default 0.02)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import bench.app  # noqa: F401  (the bench clock first, as in bench.run)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "before-after.md"


@contextmanager
def old_update_sync():
    from sqlalchemy.orm import Session

    original = Session.execute

    def execute(self, statement, *args, **kwargs):
        options = getattr(statement, "get_execution_options", lambda: {})()
        if getattr(statement, "is_update", False) and options.get("synchronize_session") is False:
            statement = statement.execution_options(synchronize_session="auto")
        return original(self, statement, *args, **kwargs)

    Session.execute = execute
    try:
        yield
    finally:
        Session.execute = original


@contextmanager
def old_schema():
    from shop.journal import schema

    def validator():
        journal = schema.journal_schema()
        return schema._JournalValidator(journal, format_checker=schema._FORMATS)

    original = schema._validator
    schema._validator = validator
    try:
        yield
    finally:
        schema._validator = original


@contextmanager
def old_receipt_loading():
    from shop.models import Sale
    from shop.printing import slips

    original = slips._sale_with_lines
    slips._sale_with_lines = lambda session, sale_id: session.get(Sale, sale_id)
    try:
        yield
    finally:
        slips._sale_with_lines = original


def import_seconds(journal: dict, folder: Path, name: str) -> tuple[float, int]:
    from bench.app import config_for
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db
    from shop.journal.importer import import_journal

    database = folder / f"{name}.sqlite3"
    app = create_app(config_for(str(database), str(folder), testing=True))
    upgrade_database(app)
    data = json.loads(json.dumps(journal))
    with app.app_context():
        queries = []
        from sqlalchemy import event

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args):
            queries.append(1)

        started = time.perf_counter()
        import_journal(db.session, data, app_config=app.config)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return seconds, len(queries)


def check_seconds(journal: dict) -> float:
    from shop.journal.check import check_journal

    started = time.perf_counter()
    problems = check_journal(journal)
    assert not problems, problems[:3]
    return time.perf_counter() - started


def receipts(folder: Path, database: Path, n: int) -> tuple[float, float]:
    """Median ms and queries per receipt print job (claim, draw, send to a file printer)."""
    from sqlalchemy import event, select

    from bench.run import prepare
    from shop.extensions import db
    from shop.models import ConnectionKind, JobKind, PrintJob, Sale
    from shop.printing.queue import run_due
    from shop.services import printing

    prepared = prepare(database, folder)
    from bench.app import create_bench_app

    app = create_bench_app(str(prepared.database), str(prepared.instance))
    samples, queries = [], []
    with app.app_context():
        counted = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args):
            counted.append(1)

        sales = list(db.session.scalars(select(Sale).order_by(Sale.number.desc()).limit(n)))
        settings = printing.printer_settings(db.session)
        assert settings.connection == ConnectionKind.FILE
        for sale in sales:
            printing.queue_job(db.session, JobKind.RECEIPT, sale=sale)
            db.session.commit()
            counted.clear()
            started = time.perf_counter_ns()
            assert run_due(db.session) == 1
            samples.append(time.perf_counter_ns() - started)
            queries.append(len(counted))
        assert db.session.scalar(select(PrintJob.id).limit(1)) is not None
        db.session.remove()
        db.engine.dispose()
    samples.sort()
    return samples[len(samples) // 2] / 1e6, sum(queries) / len(queries)


def main() -> int:
    from bench.generate import generate, summary

    scale = float(os.environ.get("BENCH_COMPARE_SCALE", "0.02"))
    journal = generate(scale)
    counts = summary(journal)
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        print(f"journal at scale {scale:g}: {counts}", file=sys.stderr)
        with old_update_sync():
            before, before_q = import_seconds(journal, folder, "before")
        after, after_q = import_seconds(journal, folder, "after")
        rows.append(
            (
                f"journal import, scale {scale:g} ({counts['sales']:,} sales, "
                f"{counts['items']:,} items): UPDATE synchronisation",
                f"{before:.1f} s",
                f"{after:.1f} s",
                f"{before / after:.1f}×",
            )
        )
        print(rows[-1], file=sys.stderr)
        with old_schema():
            check_before = min(check_seconds(journal) for _ in range(2))
        check_after = min(check_seconds(journal) for _ in range(2))
        rows.append(
            (
                "check_journal, same journal: schema with $refs inlined",
                f"{check_before:.2f} s",
                f"{check_after:.2f} s",
                f"{check_before / check_after:.1f}×",
            )
        )
        print(rows[-1], file=sys.stderr)
        database = folder / "after.sqlite3"
        work = folder / "receipts"
        work.mkdir()
        with old_receipt_loading():
            ms_before, q_before = receipts(work, database, 40)
        ms_after, q_after = receipts(work, database, 40)
        rows.append(
            (
                "receipt print job (claim, draw ESC/POS, write, log), median of 40",
                f"{ms_before:.1f} ms, {q_before:.0f} queries",
                f"{ms_after:.1f} ms, {q_after:.0f} queries",
                f"{ms_before / ms_after:.2f}×",
            )
        )
        print(rows[-1], file=sys.stderr)
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            "# Before and after the benchmark's fixes",
            "",
            f"Written by `bench/before_after.py` on {time.strftime('%Y-%m-%d %H:%M')} "
            f"(load average {load:.2f} at the end, on a shared 2-core machine); each "
            "'before' puts the old behaviour back for its measurement only.",
            "",
            "| what | before | after | gain |",
            "|---|---|---|---|",
            *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
            "",
        ]
    )
    OUT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
