"""A three-line cash sale through the API with its receipt job, step by step, in one process.

Each step of issue 20 is put back to what it was for the configurations before it (nothing
in the tree changes), and the configurations take turns, one sale each per round, in a
rotating order, so that all of them see the same machine (a shared, busy one):

- ``before``: the raster packed by python-escpos's ``image()``, the receipt drawn for every
  job, the print queue as it was (``BASE``'s ``shop/printing/queue.py``);
- ``1 packer``: the shop's own ``GS v 0`` packer (:mod:`shop.printing.escpos_raster`);
- ``2 cached``: and the packed receipt kept per sale (``escpos_out.receipt_raster``);
- ``3 queue``: and the queue as it is now (claim and slip in one transaction);
- ``4 sale``: and the sale's statements as they are now (``BASE``'s ``record_sale``, in
  place of ``ring_up``, and ``after_sale`` before);
- ``5 job``: and the print job as it is now (``JOB_BASE``'s queue, receipt drawing, sale
  read and labels before): the claim's UPDATE returning the jobs, the receipt's sale in
  one query, the try logged by two Core statements, each text seen twice kept drawn.

For each: the API request (the sale), the receipt job (claim, bytes, file printer, log), a
reprint of the same receipt, the statements and transactions of the job, and the floor
(read one row and insert one, committed) probed after every sale, as ``bench.run`` does.

    .venv/bin/python -m bench.receipt_steps              # 40 rounds; bench/receipt-steps.md
    BENCH_ROUNDS=80 .venv/bin/python -m bench.receipt_steps
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import types
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import bench.app  # noqa: F401  (the bench clock first, as in bench.run)

ROOT = Path(__file__).resolve().parent.parent
#: The commit whose code the "before" configurations run.
BASE = os.environ.get("BENCH_BASE", "30bcded")
#: The commit whose print job (queue, drawing, the receipt's read) the configurations
#: before ``5 job`` run.
JOB_BASE = os.environ.get("BENCH_JOB_BASE", "fb8417b")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
OUT = ROOT / "bench" / "receipt-steps.md"
#: How many configurations :func:`configurations` returns.
CONFIGURATIONS = 6


def old_module(path: str, name: str, base: str = BASE) -> types.ModuleType:
    """``path`` as it was at ``base``, loaded as a module of its own."""
    source = subprocess.run(  # noqa: S603  (git, a fixed commit and path of this tree)
        ["git", "show", f"{base}:{path}"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(name)
    module.__file__ = str(ROOT / path)
    sys.modules[name] = module  # its dataclasses look their module up
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
    return module


def python_escpos_raster(receipt, *, paper_mm: int, dpi: int) -> bytes:
    """The receipt drawn and its image handed to python-escpos, as before step 1."""
    from escpos.printer import Dummy

    from shop.printing.escpos_out import RASTER_BAND_DOTS
    from shop.printing.receipt import printable_width_px, render_image

    printer = Dummy(profile="default")
    printer.profile.profile_data = {
        **printer.profile.profile_data,
        "media": {"width": {"pixels": printable_width_px(paper_mm, dpi)}},
    }
    image = render_image(receipt, paper_mm=paper_mm, dpi=dpi)
    printer.image(image, impl="bitImageRaster", fragment_height=RASTER_BAND_DOTS)
    return printer.output


@contextmanager
def patched(target, name: str, value):
    original = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, original)


def post_cash_sale(client, codes: list[str], headers: dict) -> tuple:
    """A cash sale of one piece of each of ``codes`` through the API (status, headers, body)."""
    return client.post(
        "/api/v1/sales",
        json_body={
            "lines": [{"code": code} for code in codes],
            "tendered_dong": 5_000_000,
            "client_id": str(uuid.uuid4()),
        },
        headers=headers,
    )


def configurations() -> dict:
    from shop.printing import escpos_out, queue, receipt, slips
    from shop.services import counter, printing

    old_queue = old_module("shop/printing/queue.py", "bench_before_queue")
    old_counter = old_module("shop/services/counter.py", "bench_before_counter")
    old_printing = old_module("shop/services/printing.py", "bench_before_printing")
    job_queue = old_module("shop/printing/queue.py", "bench_job_queue", JOB_BASE)
    job_receipt = old_module("shop/printing/receipt.py", "bench_job_receipt", JOB_BASE)
    job_escpos = old_module("shop/printing/escpos_out.py", "bench_job_escpos", JOB_BASE)
    job_slips = old_module("shop/printing/slips.py", "bench_job_slips", JOB_BASE)
    uncached = escpos_out.receipt_raster.__wrapped__
    connection_of = printing.connection_of

    def connection_with_place(settings, timeout=None, *, place=None):
        return connection_of(settings, timeout, place=place or queue.printer_place())

    def old_job(stack: ExitStack, queue_module) -> None:
        # The print job as it was at JOB_BASE: its queue, drawing, sale read and labels.
        stack.enter_context(patched(queue, "run_due", queue_module.run_due))
        if queue_module is old_queue:
            # BASE's queue names no printer place (given by the caller since 29f1495).
            stack.enter_context(patched(printing, "connection_of", connection_with_place))
        stack.enter_context(patched(escpos_out, "render_image", job_receipt.render_image))
        stack.enter_context(patched(receipt, "render_image", job_receipt.render_image))
        stack.enter_context(patched(escpos_out, "_printer", job_escpos._printer))
        stack.enter_context(patched(slips, "_sale_with_lines", job_slips._sale_with_lines))
        stack.enter_context(patched(slips, "labels", job_slips.labels))

    def old_sale(stack: ExitStack) -> None:
        # The counter's sale is ring_up now; BASE's record_sale takes the same arguments.
        stack.enter_context(patched(counter, "ring_up", old_counter.record_sale))
        stack.enter_context(patched(printing, "after_sale", old_printing.after_sale))

    def before(stack: ExitStack) -> None:
        stack.enter_context(patched(escpos_out, "receipt_raster", python_escpos_raster))
        old_job(stack, old_queue)
        old_sale(stack)

    def packer(stack: ExitStack) -> None:
        stack.enter_context(patched(escpos_out, "receipt_raster", uncached))
        old_job(stack, old_queue)
        old_sale(stack)

    def cached(stack: ExitStack) -> None:
        old_job(stack, old_queue)
        old_sale(stack)

    def queue_now(stack: ExitStack) -> None:
        old_job(stack, job_queue)
        old_sale(stack)

    def sale_now(stack: ExitStack) -> None:
        old_job(stack, job_queue)

    def now(stack: ExitStack) -> None:
        pass

    return {
        "before": before,
        "1 packer": packer,
        "2 cached": cached,
        "3 queue": queue_now,
        "4 sale": sale_now,
        "5 job": now,
    }


def median_ms(samples: list[int]) -> float:
    return statistics.median(samples) / 1e6


def main() -> int:
    from sqlalchemy import event

    import bench.run
    from bench.app import create_bench_app
    from bench.run import InProcess, build_shop, prepare, sign_in_and_open_shift, working_copy
    from shop.extensions import db
    from shop.models import JobKind, PrintAttempt, Sale
    from shop.printing import queue
    from shop.services import printing

    # Enough unique items on the rail for every sale (a bag donated that morning tops it up):
    # three a sale, a sale a configuration a round and one more to warm each up.
    bench.run.ITEMS_NEEDED = max(bench.run.ITEMS_NEEDED, 3 * CONFIGURATIONS * (ROUNDS + 1) + 30)
    source, _meta = build_shop(0.025, None)
    database, instance = working_copy(source, "receipt-steps")
    prepared = prepare(database, instance)
    app = create_bench_app(str(prepared.database), str(prepared.instance))
    client = InProcess(app)
    sign_in_and_open_shift(client)  # the API's sales go into the cashier's open shift
    api = {"Authorization": f"Bearer {prepared.token}"}
    stock = iter(prepared.stock)
    configs = configurations()
    assert len(configs) == CONFIGURATIONS, "CONFIGURATIONS counts the items needed"
    names = list(configs)
    sale_ns = {name: [] for name in names}
    job_ns = {name: [] for name in names}
    reprint_ns = {name: [] for name in names}
    counts = {
        name: {"sale statements": [], "job statements": [], "job transactions": []}
        for name in names
    }
    floor_ns: list[int] = []
    counted = {"statements": 0, "transactions": 0}

    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def statement(*_args):
            counted["statements"] += 1

        @event.listens_for(db.engine, "begin")
        def begin(*_args):
            counted["transactions"] += 1

    def floor() -> None:
        code = prepared.lookups[len(floor_ns) % len(prepared.lookups)]
        started = time.perf_counter_ns()
        status, _l, _b = client.post("/bench-floor/" + code)
        floor_ns.append(time.perf_counter_ns() - started)
        assert status == 200, status

    def one_sale(name: str, timed: bool) -> None:
        codes = [next(stock) for _ in range(3)]
        with ExitStack() as stack:
            configs[name](stack)
            counted.update(statements=0, transactions=0)
            started = time.perf_counter_ns()
            status, _l, body = post_cash_sale(client, codes, api)
            sold = time.perf_counter_ns()
            sale_statements = counted["statements"]
            assert status == 201, (status, body[:300])
            with app.app_context():
                counted.update(statements=0, transactions=0)
                started_job = time.perf_counter_ns()
                assert queue.run_due(db.session) == 1, "no receipt was tried"
                done = time.perf_counter_ns()
                job = dict(counted)
                sale = db.session.scalars(db.select(Sale).order_by(Sale.id.desc()).limit(1)).one()
                printing.queue_job(db.session, JobKind.RECEIPT, sale=sale)
                db.session.commit()
                started_reprint = time.perf_counter_ns()
                assert queue.run_due(db.session) == 1, "the reprint was not tried"
                printed = db.session.scalars(
                    db.select(PrintAttempt.ok).order_by(PrintAttempt.id.desc()).limit(2)
                ).all()
                assert printed == [True, True], f"{name}: not printed ({printed})"
                reprinted = time.perf_counter_ns()
                db.session.remove()
        if timed:
            sale_ns[name].append(sold - started)
            job_ns[name].append(done - started_job)
            reprint_ns[name].append(reprinted - started_reprint)
            counts[name]["sale statements"].append(sale_statements)
            counts[name]["job statements"].append(job["statements"])
            counts[name]["job transactions"].append(job["transactions"])
        floor()

    for name in names:  # warm every path once
        one_sale(name, timed=False)
    for round_ in range(ROUNDS):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            one_sale(name, timed=True)

    floor_ms = median_ms(floor_ns)
    load = os.getloadavg()
    lines = [
        f"Rounds: {ROUNDS} (each configuration one sale a round, in a rotating order); "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; "
        f"floor (read one row + insert one, committed) median {floor_ms:.2f} ms over "
        f"{len(floor_ns)} probes.",
        "",
        "| configuration | sale (API) | receipt job | sale + job | × floor | reprint job "
        "| sale statements | job statements | job transactions |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        sale = median_ms(sale_ns[name])
        job = median_ms(job_ns[name])
        both = statistics.median(a + b for a, b in zip(sale_ns[name], job_ns[name], strict=True))
        lines.append(
            f"| {name} | {sale:.2f} ms | {job:.2f} ms | {both / 1e6:.2f} ms "
            f"| {both / 1e6 / floor_ms:.1f}× | {median_ms(reprint_ns[name]):.2f} ms "
            f"| {statistics.median(counts[name]['sale statements']):.0f} "
            f"| {statistics.median(counts[name]['job statements']):.0f} "
            f"| {statistics.median(counts[name]['job transactions']):.0f} |"
        )
    text = "\n".join(
        [
            "# A sale through the API with its receipt job, step by step",
            "",
            f"Written by `bench/receipt_steps.py` on {time.strftime('%Y-%m-%d %H:%M')} in one "
            "process (SQLite, the Flask test client, the small shop; 80 mm raster receipts "
            "to a file printer); each configuration puts back the code of the steps after "
            f"it as it was at `{BASE}` (the print job's, step 5, as at `{JOB_BASE}`). "
            "Medians in ms.",
            "",
            *lines,
            "",
        ]
    )
    OUT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
