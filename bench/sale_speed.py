"""The API sale and its receipt job, timed in one process on the bench's small shop, for
comparing two trees (run it from each, alternately) or profiling one.

Each round: one three-line cash sale through the API (timed: the request), its receipt
job run as the print thread does after the commit (timed), then one floor probe (read one
row and insert one, committed), as ``bench.run`` does. Also counted: the statements of
the sale and of the job, and the processor time of each part (``cpu …``: less moved by
other work on the machine than the time on the clock). Prints one JSON line of medians.

    .venv/bin/python -m bench.sale_speed              # 40 rounds
    BENCH_ROUNDS=80 .venv/bin/python -m bench.sale_speed
    BENCH_PROFILE=sale|job .venv/bin/python -m bench.sale_speed   # pyinstrument of one part
    BENCH_LIST=1 BENCH_ROUNDS=1 .venv/bin/python -m bench.sale_speed  # the statements
    BENCH_NO_PRINTER=1 .venv/bin/python -m bench.sale_speed  # a shop without a printer
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import bench.app  # noqa: F401  (the bench clock first, as in bench.run)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
PROFILE = os.environ.get("BENCH_PROFILE", "")
LIST = os.environ.get("BENCH_LIST", "")
#: "1": the shop has no printer (the sale queues no job; the job's figures are 0).
NO_PRINTER = os.environ.get("BENCH_NO_PRINTER", "") == "1"
#: As the print thread runs the queue after the commit of a job (where the tree has it).
WOKEN = {"look": False} if "look: bool" in Path("shop/printing/queue.py").read_text() else {}


def main() -> int:
    from sqlalchemy import event

    import bench.run
    from bench.app import create_bench_app
    from bench.run import InProcess, build_shop, prepare, sign_in_and_open_shift, working_copy
    from shop.extensions import db
    from shop.printing import queue

    bench.run.ITEMS_NEEDED = max(bench.run.ITEMS_NEEDED, 3 * (ROUNDS + 5) + 30)
    source, _meta = build_shop(0.025, None)
    database, instance = working_copy(source, f"sale-speed-{os.getpid()}")
    prepared = prepare(database, instance)
    if NO_PRINTER:
        import sqlite3

        with sqlite3.connect(prepared.database) as raw:
            raw.execute("UPDATE printer_settings SET connection = 'none'")
    app = create_bench_app(str(prepared.database), str(prepared.instance))
    client = InProcess(app)
    sign_in_and_open_shift(client)
    api = {"Authorization": f"Bearer {prepared.token}"}
    stock = iter(prepared.stock)
    counted = {"statements": 0}
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def statement(_conn, _cursor, sql, *_args):
            counted["statements"] += 1
            if LIST:
                print("   ", " ".join(sql.split())[:200])

    profiler = None
    if PROFILE:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)

    sale_ns, job_ns, floor_ns, sale_st, job_st = [], [], [], [], []
    cpu_ns: dict[str, list[int]] = {"floor": [], "sale": [], "job": []}
    for round_ in range(ROUNDS + 3):
        codes = [next(stock) for _ in range(3)]
        body = {
            "lines": [{"code": code} for code in codes],
            "tendered_dong": 5_000_000,
            "client_id": str(uuid.uuid4()),
        }
        if LIST:
            print("--- sale", round_)
        counted["statements"] = 0
        if profiler and PROFILE == "sale" and round_ >= 3:
            profiler.start()
        started, cpu = time.perf_counter_ns(), time.process_time_ns()
        status, _l, answer = client.post("/api/v1/sales", json_body=body, headers=api)
        sold, sold_cpu = time.perf_counter_ns(), time.process_time_ns()
        if profiler and profiler.is_running:
            profiler.stop()
        assert status == 201, (status, answer[:300])
        statements = counted["statements"]
        with app.app_context():
            if LIST:
                print("--- job", round_)
            counted["statements"] = 0
            if profiler and PROFILE == "job" and round_ >= 3:
                profiler.start()
            started_job, job_cpu = time.perf_counter_ns(), time.process_time_ns()
            tried = queue.run_due(db.session, **WOKEN)
            assert tried == (0 if NO_PRINTER else 1), f"{tried} receipts were tried"
            done, done_cpu = time.perf_counter_ns(), time.process_time_ns()
            if profiler and profiler.is_running:
                profiler.stop()
            db.session.remove()
        job_statements = counted["statements"]
        code = prepared.lookups[round_ % len(prepared.lookups)]
        started_floor, floor_cpu = time.perf_counter_ns(), time.process_time_ns()
        status, _l, _b = client.post("/bench-floor/" + code)
        floor_ns.append(time.perf_counter_ns() - started_floor)
        cpu_ns["floor"].append(time.process_time_ns() - floor_cpu)
        if round_ < 3:
            continue
        cpu_ns["sale"].append(sold_cpu - cpu)
        cpu_ns["job"].append(done_cpu - job_cpu)
        sale_ns.append(sold - started)
        job_ns.append(done - started_job)
        sale_st.append(statements)
        job_st.append(job_statements)
    floor = statistics.median(floor_ns) / 1e6
    both = [a + b for a, b in zip(sale_ns, job_ns, strict=True)]
    result = {
        "floor": round(floor, 3),
        "sale": round(statistics.median(sale_ns) / 1e6, 3),
        "job": round(statistics.median(job_ns) / 1e6, 3),
        "sale+job": round(statistics.median(both) / 1e6, 3),
        **{f"cpu {k}": round(statistics.median(v) / 1e6, 3) for k, v in cpu_ns.items()},
        "sale statements": statistics.median(sale_st),
        "job statements": statistics.median(job_st),
    }
    print(json.dumps(result))
    if profiler:
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
