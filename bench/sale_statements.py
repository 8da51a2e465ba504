"""A three-line cash sale through the API, the sale's code as it is against as it was at
``BENCH_BASE`` (``main`` unless said: its ``sell``, ``after_sale`` and ``transfer_of``, and
the answer reading the sale's refunds): alternating rounds in one process, the floor probed
after every sale, the SQL statements of each sale counted (and those of the last one listed
with ``BENCH_LIST=1``). No printer: the receipt job is queued, not run.

    .venv/bin/python -m bench.sale_statements
    BENCH_ROUNDS=80 BENCH_BASE=HEAD~1 .venv/bin/python -m bench.sale_statements
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import ExitStack

import bench.app  # noqa: F401  (the bench clock first, as in bench.run)
from bench.receipt_steps import old_module, patched, post_cash_sale

BASE = os.environ.get("BENCH_BASE", "main")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))


def main() -> int:
    from sqlalchemy import event

    import bench.receipt_steps
    import bench.run
    from bench.app import create_bench_app
    from bench.run import InProcess, build_shop, prepare, sign_in_and_open_shift, working_copy
    from shop.api import counter as api_counter
    from shop.extensions import db
    from shop.services import bank, counter, printing

    bench.receipt_steps.BASE = BASE
    old_counter = old_module("shop/services/counter.py", "bench_base_counter")
    old_printing = old_module("shop/services/printing.py", "bench_base_printing")
    old_bank = old_module("shop/services/bank.py", "bench_base_bank")
    answer = api_counter.sale_json

    def base(stack: ExitStack) -> None:
        stack.enter_context(patched(counter, "sell", old_counter.sell))
        stack.enter_context(patched(printing, "after_sale", old_printing.after_sale))
        stack.enter_context(patched(bank, "transfer_of", old_bank.transfer_of))
        # The answer reads the sale's refunds, as it did before it knew a new sale has none.
        stack.enter_context(patched(api_counter, "sale_json", lambda sale, **_kw: answer(sale)))

    configs = {BASE: base, "now": lambda stack: None}
    bench.run.ITEMS_NEEDED = max(bench.run.ITEMS_NEEDED, 3 * len(configs) * (ROUNDS + 2) + 30)
    source, _meta = build_shop(0.025, None)
    database, instance = working_copy(source, "sale-statements")
    prepared = prepare(database, instance)
    app = create_bench_app(str(prepared.database), str(prepared.instance))
    client = InProcess(app)
    sign_in_and_open_shift(client)
    api = {"Authorization": f"Bearer {prepared.token}"}
    stock = iter(prepared.stock)
    statements: list[str] = []
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def statement(_conn, _cursor, text, *_args):
            statements.append(" ".join(text.split())[:160])

    sale_ns = {name: [] for name in configs}
    counts = {name: [] for name in configs}
    floor_ns: list[int] = []
    listed = {}

    def one_sale(name: str, timed: bool) -> None:
        codes = [next(stock) for _ in range(3)]
        with ExitStack() as stack:
            configs[name](stack)
            statements.clear()
            started = time.perf_counter_ns()
            status, _l, body = post_cash_sale(client, codes, api)
            elapsed = time.perf_counter_ns() - started
            assert status == 201, (status, body[:300])
        listed[name] = list(statements)
        if timed:
            sale_ns[name].append(elapsed)
            counts[name].append(len(statements))
        code = prepared.lookups[len(floor_ns) % len(prepared.lookups)]
        started = time.perf_counter_ns()
        status, _l, _b = client.post("/bench-floor/" + code)
        floor_ns.append(time.perf_counter_ns() - started)

    names = list(configs)
    for name in names:
        one_sale(name, timed=False)
    for round_ in range(ROUNDS):
        for name in names[round_ % 2 :] + names[: round_ % 2]:
            one_sale(name, timed=True)
    floor = statistics.median(floor_ns) / 1e6
    print(f"rounds {ROUNDS}; floor median {floor:.2f} ms; load {os.getloadavg()[0]:.2f}")
    for name in names:
        ms = statistics.median(sale_ns[name]) / 1e6
        print(
            f"{name:>8}: sale (API) median {ms:.2f} ms, {ms / floor:.1f}× floor, "
            f"{statistics.median(counts[name]):.0f} statements"
        )
    ratio = statistics.median(a / b for a, b in zip(sale_ns["now"], sale_ns[BASE], strict=True))
    print(f"now / {BASE}: median of per-round ratios {ratio:.2f}")
    if os.environ.get("BENCH_LIST"):
        for name in names:
            print(f"\n{name}:")
            print("\n".join(f"  {text}" for text in listed[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
