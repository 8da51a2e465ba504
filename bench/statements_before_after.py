"""The statement PDFs of two versions of the code, measured side by side in one process.

On the benchmark's main shop (its busiest month, December 2025, closed), one member's
statement (the one with most items sold) and every member's in one PDF are asked for through
the app, in alternating rounds: "before" with the statement's templates, ``paper.css`` and
the PDF rendering (``shop/printing/pdf.py``, loaded as a module of its own) of another commit
put back for the length of the measurement (nothing in the tree changes), "after" as the
tree has them. The two PDFs must say the same words (page numbers aside: a BEFORE that made
all members' statements as one document numbered its pages through), on as many pages; the
medians, the processor time of each (this process's, and the PDF worker processes' when the
tree uses them), the critical path (this process's processor time and its busiest worker's:
the wall clock of an idle machine), the first "all members" of the tree (the workers' start
included) and the load average go to ``bench/statements-before-after.md``.

A BEFORE whose view made all members' statements as one document (before the worker
processes) gets that view back for its rounds. A BEFORE that already used worker processes
makes its statements in this process instead: its PDF module, loaded under another name, is
not one the workers can import.

By default "before" is ``main``: run on a branch, it measures what the branch changes.

    .venv/bin/python -m bench.statements_before_after
    BENCH_STATEMENTS_BEFORE=<commit> ...   # the "before" (default: main)
    BENCH_ROUNDS=7 ...                     # rounds of the one statement (all: half as many)
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import types
from contextlib import contextmanager
from pathlib import Path

import bench.app  # noqa: F401  (the bench clock first, as in bench.run)
from bench import run

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "statements-before-after.md"
BEFORE = os.environ.get("BENCH_STATEMENTS_BEFORE", "main")
OLD_FILES = (
    "templates/month/_statement.html",
    "templates/month/statements_pdf.html",
    "static/css/paper.css",
    "shop/printing/pdf.py",
)


def old_file(path: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", "show", f"{BEFORE}:{path}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def old_pdf_module(source: str, css: str):
    """``shop/printing/pdf.py`` as it was at BEFORE, a module of its own (its own font
    configuration and lock), styling with BEFORE's ``paper.css``."""
    from weasyprint import CSS

    from shop.files import STATIC

    module = types.ModuleType("shop.printing.pdf_before")
    module.__file__ = str(ROOT / "shop" / "printing" / "pdf_before.py")
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
    sheets = {}

    def stylesheet(name: str):
        if name not in sheets:
            sheets[name] = CSS(
                string=css,
                base_url=(STATIC / name).as_uri(),
                url_fetcher=module.StaticFetcher(),
                font_config=module._font_configuration(),
            )
        return sheets[name]

    module._stylesheet = stylesheet
    return module


def one_document_view(old_pdf):
    """The view of all members' statements as BEFORE had it before the worker processes:
    every statement in one HTML document, one PDF made in this process."""
    from flask import render_template

    from shop import clock
    from shop.extensions import db
    from shop.i18n import month_label
    from shop.month import views
    from shop.services import month as month_service
    from shop.services import statements as statement_service
    from shop.services.members import shop_profile

    def all_statements_pdf(month: str):
        month = views._month(month)
        html = render_template(
            "month/statements_pdf.html",
            statements=statement_service.statements(db.session, month, clock.shop_tz()),
            label=month_label(month),
            settings=month_service.sharing_settings(db.session, month),
            shop=shop_profile(db.session),
            now=clock.now(),
        )
        db.session.rollback()
        return views.pdf_response(old_pdf.html_to_pdf(html, stylesheets=(views.PAPER,)), "x.pdf")

    return all_statements_pdf


@contextmanager
def before(app, old_pdf):
    """BEFORE's templates, style sheet and rendering, for as long as the block runs."""
    from jinja2 import ChoiceLoader, DictLoader

    from shop.month import views

    endpoint = "month.all_statements_pdf"
    view = app.view_functions[endpoint]
    one_document = "htmls_to_pdf" not in old_file("shop/month/views.py")
    old_view = one_document_view(old_pdf) if one_document else view

    templates = {
        path.removeprefix("templates/"): old_file(path)
        for path in OLD_FILES
        if path.startswith("templates/")
    }
    loader, to_pdf, to_pdfs = app.jinja_env.loader, views.html_to_pdf, views.htmls_to_pdf
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), loader])
    app.jinja_env.cache.clear()
    views.html_to_pdf = old_pdf.html_to_pdf
    if hasattr(old_pdf, "htmls_to_pdf"):
        views.htmls_to_pdf = old_pdf.htmls_to_pdf
    app.view_functions[endpoint] = old_view
    try:
        yield
    finally:
        app.jinja_env.loader = loader
        app.jinja_env.cache.clear()
        views.html_to_pdf, views.htmls_to_pdf = to_pdf, to_pdfs
        app.view_functions[endpoint] = view


def workers_cpu() -> dict[int, float]:
    """The processor time (seconds) of each of the tree's PDF worker processes so far, by
    process id (Linux)."""
    from shop.printing import pdf

    pool = pdf._pool_state.get("pool")
    ticks = os.sysconf("SC_CLK_TCK")
    spent = {}
    for pid in list(pool._processes or {}) if pool is not None else []:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return spent


#: "3 / 74" or "3/74" at a page's foot (and anything else so written, on both sides alike).
PAGE_NUMBER = re.compile(r"\b\d+ ?/ ?\d+\b")


def pdf_words(data: bytes) -> list[str]:
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-", "-"],  # noqa: S607
        input=data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return PAGE_NUMBER.sub(" ", text).split()


def shop_copy() -> tuple[Path, Path]:
    """A working copy of the main shop (from ``bench/.cache/`` when there is one), brought up
    to the tree's migrations."""
    from shop import create_app
    from shop.cli import upgrade_database

    scale = float(os.environ.get("BENCH_SCALE", "0.25"))
    cached = sorted(
        run.CACHE.glob(f"shop-scale{scale:g}-last{run.LAST_MONTH_SALES}-*.sqlite3"),
        key=lambda path: path.stat().st_mtime,
    )
    source = cached[-1] if cached else run.build_shop(scale, run.LAST_MONTH_SALES)[0]
    database, instance = run.working_copy(source, "statements-before-after")
    upgrade_database(create_app(run.sqlite_config(database, instance)))
    return database, instance


def closed_month_bench():
    """The app on a copy of the main shop, signed in, with its busiest month closed:
    ``(app, prepared, bench)``."""
    from bench.app import create_bench_app

    database, instance = shop_copy()
    prepared = run.prepare(database, instance)
    app = create_bench_app(str(database), str(instance))
    client = run.InProcess(app)
    run.sign_in_and_open_shift(client)
    bench = run.Bench(client, prepared, app)
    bench.close_month(0)
    return app, prepared, bench


def main() -> None:
    if not shutil.which("pdftotext"):
        sys.exit("needs poppler-utils (pdftotext)")
    rounds = int(os.environ.get("BENCH_ROUNDS", "7"))
    app, prepared, bench = closed_month_bench()

    asks = {"one": bench.statement_pdf, "all": bench.statements_pdf}
    old_pdf = old_pdf_module(old_file("shop/printing/pdf.py"), old_file("static/css/paper.css"))
    times: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    workers: dict[tuple[str, str], list[float]] = {}
    busiest: dict[tuple[str, str], list[float]] = {}
    pdfs: dict[tuple[str, str], bytes] = {}

    def once(what: str, mode: str) -> None:
        context = before(app, old_pdf) if mode == "before" else _nothing()
        with context:
            started_workers = workers_cpu()
            started, started_cpu = time.perf_counter(), time.process_time()
            asks[what](0)
            times.setdefault((what, mode), []).append(time.perf_counter() - started)
            own = time.process_time() - started_cpu
            cpu.setdefault((what, mode), []).append(own)
            spent = [t - started_workers.get(pid, 0.0) for pid, t in workers_cpu().items()]
            workers.setdefault((what, mode), []).append(sum(spent))
            # what an idle machine's wall clock would be: this process, then the busiest worker
            busiest.setdefault((what, mode), []).append(own + max(spent, default=0.0))
        pdfs[what, mode] = bench.last_pdf

    for what in asks:  # warm: fonts, templates, the first queries (and the workers' start)
        for mode in ("before", "after"):
            once(what, mode)
    cold = times["all", "after"][0]
    times.clear()
    cpu.clear()
    workers.clear()
    busiest.clear()
    loads = []
    for what, count in (("one", rounds), ("all", max(2, rounds // 2))):
        for i in range(count):
            loads.append(os.getloadavg()[0])
            order = ("before", "after") if i % 2 == 0 else ("after", "before")
            for mode in order:
                once(what, mode)
            run.log(f"{what} round {i + 1}/{count}")

    lines = [
        "# Statement PDFs: before and after, side by side",
        "",
        f"`bench/statements_before_after.py`, before = `{BEFORE}`; December 2025 of the main",
        f"shop ({prepared.counts['month_sales']:,} sales), member {prepared.statement_member} "
        f"({prepared.counts['statement_lines']} items sold). In process, alternating rounds;",
        f"load average {min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} cores.",
        "",
        "| | before (median) | after (median) | ratio | CPU before | CPU after "
        "| CPU after, workers | critical path before | critical path after | rounds | pages "
        "| bytes before | bytes after | same words |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    changed: list[str] = []
    for what, label in (("one", "one statement"), ("all", "all members")):
        b = statistics.median(times[what, "before"])
        a = statistics.median(times[what, "after"])
        cb = statistics.median(cpu[what, "before"])
        ca = statistics.median(cpu[what, "after"])
        wa = statistics.median(workers[what, "after"])
        pb = statistics.median(busiest[what, "before"])
        pa = statistics.median(busiest[what, "after"])
        pages = run.pdf_pages(pdfs[what, "after"])
        same_pages = run.pdf_pages(pdfs[what, "before"]) == pages
        same = pdf_words(pdfs[what, "before"]) == pdf_words(pdfs[what, "after"])
        lines.append(
            f"| {label} | {b * 1000:,.0f} ms | {a * 1000:,.0f} ms | {b / a:.2f}× | "
            f"{cb * 1000:,.0f} ms | {ca * 1000:,.0f} ms | {wa * 1000:,.0f} ms | "
            f"{pb * 1000:,.0f} ms | {pa * 1000:,.0f} ms | "
            f"{len(times[what, 'after'])} | {pages}{'' if same_pages else ' (differs)'} | "
            f"{len(pdfs[what, 'before']):,} | {len(pdfs[what, 'after']):,} | "
            f"{'yes' if same else 'NO'} |"
        )
        changed += [] if same and same_pages else [label]
        for mode in ("before", "after"):  # to look at
            (run.CACHE / "work" / f"statements-{what}-{mode}.pdf").write_bytes(pdfs[what, mode])
    lines += ["", "Each sample: " + "; ".join(
        f"{what} {mode}: " + ", ".join(f"{t * 1000:.0f}" for t in times[what, mode])
        for what in asks for mode in ("before", "after")
    ) + " (ms, wall). CPU: the process's processor time for the same requests; workers: the "
    "PDF worker processes' in the same time; critical path: the process's processor time "
    "and its busiest worker's, what the wall clock would be on an idle machine (a busy one "
    "shares its cores between sessions, not processes: more processes do not get more of "
    "them)."]  # fmt: skip
    processes = app.config.get("PDF_PROCESSES")
    lines += ["", f"The tree's first all members, the workers' start included: {cold * 1000:,.0f} "
              f"ms ({os.cpu_count()} cores; PDF_PROCESSES {processes})."]  # fmt: skip
    text = "\n".join(lines) + "\n"
    OUT.write_text(text)
    print(re.sub(r"\n{3,}", "\n\n", text))
    assert not changed, f"what the PDF says changed: {', '.join(changed)}"


@contextmanager
def _nothing():
    yield


if __name__ == "__main__":
    main()
