"""``python -m reliability`` (``make reliability``): every reliability scenario, one table.

SQLite always; PostgreSQL too when the server named by ``--pg`` (default
``$PG_TEST_URL`` or postgresql://localhost/test) answers: each scenario gets a database of
its own there, dropped afterwards. The table is printed and written to
``reliability/results.md``. The exit status is 1 if any scenario saw a lost or doubled
sale, a 500, markup shown, a cross-member read that got through, or a member locked out
by a stranger's flood.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from reliability.live import PG_DEFAULT, app_config, fill_shop, fresh_database, pg_reachable

RESULTS = Path(__file__).resolve().parent / "results.md"


def _in_process(kind: str, workdir: Path, server: str | None, work):
    """Run ``work(app, shop)`` on a fresh shop served in this process."""
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db

    workdir.mkdir(parents=True, exist_ok=True)
    with fresh_database(kind, workdir, server) as url:
        app = create_app(app_config(url, workdir))
        upgrade_database(app)
        try:
            shop = fill_shop(app, cashiers=1, plain_members=2, items=80, lots=2, lot_quantity=5000)
            return work(app, shop)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--pg", default=os.environ.get("PG_TEST_URL", PG_DEFAULT))
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="kill rounds of the crash")
    parser.add_argument(
        "--offline-sales", type=int, default=200, help="sales of the offline counter scenario"
    )
    parser.add_argument("--quick", action="store_true", help="fewer hostile strings")
    parser.add_argument(
        "--flood-seconds",
        type=float,
        default=30,
        help="how long the sign-in and photo floods go on",
    )
    options = parser.parse_args(argv)

    from reliability.access import run_access
    from reliability.backup import run_backup_check
    from reliability.concurrency import run_concurrency
    from reliability.crash import run_crash
    from reliability.floods import run_floods
    from reliability.hostile import QUICK, run_hostile
    from reliability.money import run_money
    from reliability.offline_counter import run_offline_counter

    strings = QUICK if options.quick else None
    kinds = ["sqlite"]
    if not options.sqlite_only:
        if pg_reachable(options.pg):
            kinds.append("postgresql")
        else:
            print(f"PostgreSQL at {options.pg} is not reachable: SQLite only.", file=sys.stderr)
    started = time.monotonic()
    results: dict[str, dict] = {kind: {} for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="shop-reliability-") as temp:
        work = Path(temp)
        for kind in kinds:
            server = options.pg if kind == "postgresql" else None
            step(f"crash ({kind}, {options.rounds} kill rounds)")
            results[kind]["crash"] = run_crash(
                kind, work / kind / "crash", server_url=server, rounds=options.rounds
            )
            step(f"concurrency ({kind})")
            results[kind]["concurrency"] = run_concurrency(
                kind, work / kind / "concurrency", server_url=server
            )
            step(f"money races and database kills ({kind})")
            results[kind]["money"] = run_money(kind, work / kind / "money", server_url=server)
            step(f"sign-in and photo floods while the counter sells ({kind})")
            results[kind]["floods"] = run_floods(
                kind, work / kind / "floods", server_url=server, flood_seconds=options.flood_seconds
            )
            step(f"hostile input ({kind})")
            results[kind]["hostile"] = _in_process(
                kind,
                work / kind / "hostile",
                server,
                lambda app, shop, kind=kind: run_hostile(app, shop, database=kind, names=strings),
            )
            step(f"cross-member reads ({kind})")
            results[kind]["access"] = _in_process(
                kind,
                work / kind / "access",
                server,
                lambda app, shop, kind=kind: run_access(app, shop, database=kind),
            )
        if Path("/usr/bin/chromium").exists():
            step(f"the counter page: link cut, reloaded and killed, {options.offline_sales} sales")
            results["sqlite"]["offline"] = run_offline_counter(
                work / "sqlite" / "offline", sales=options.offline_sales
            )
        else:
            print("Chromium is not installed: the offline counter is not tried.", file=sys.stderr)
        step("backup and restore (sqlite)")
        backup = run_backup_check(work / "backup")
    seconds = round(time.monotonic() - started)
    table = render(results, backup, kinds)
    problems = list_problems(results, backup)
    print()
    print(table)
    if problems:
        print("\nWhat went wrong:\n" + "\n".join(f"- {p}" for p in problems))
    RESULTS.write_text(
        "# Reliability figures\n\n"
        f"Measured by `make reliability` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {seconds} s in all).\n\n"
        + table
        + "\n"
        + ("\n## What went wrong\n\n" + "\n".join(f"- {p}" for p in problems) + "\n")
        * bool(problems),
        encoding="utf-8",
    )
    print(f"\nWritten to reliability/results.md ({seconds} s).")
    return 1 if failed(results, backup) else 0


def step(text: str) -> None:
    print(f"== {text}", file=sys.stderr, flush=True)


def render(results: dict, backup, kinds: list[str]) -> str:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    header = "| | " + " | ".join(names[k] for k in kinds) + " |"
    rows = [header, "|---|" + "---:|" * len(kinds)]

    def row(label: str, value) -> None:
        cells = []
        for kind in kinds:
            try:
                cells.append(str(value(results[kind])))
            except Exception:  # a scenario that did not run
                cells.append("–")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("**crash**: kill -9 of gunicorn's master and workers, rounds", lambda r: r["crash"].rounds)
    row(
        "sale requests sent (first tries + retries after a restart)",
        lambda r: f"{r['crash'].sent} + {r['crash'].retried}",
    )
    row("… acknowledged (201) at once", lambda r: r["crash"].acknowledged)
    row("… cut by the kill (no answer)", lambda r: r["crash"].no_answer)
    row(
        "… of those, retried after the restart: already recorded (200) / recorded now (201) "
        "/ refused (lot sold out)",
        lambda r: f"{r['crash'].retry_same} / {r['crash'].retry_new} / {r['crash'].retry_refused}",
    )
    row("… refused at once (a lot sold out)", lambda r: r["crash"].refused)
    row(
        "acknowledged sales found whole after the crashes",
        lambda r: f"{r['crash'].found} of {r['crash'].found + r['crash'].lost}",
    )
    row("sales lost / half-written", lambda r: f"{r['crash'].lost} / {r['crash'].half_written}")
    row(
        "double sales (an item twice, a client id twice)",
        lambda r: r["crash"].double_sales,
    )
    row("stock not matching the sale lines", lambda r: r["crash"].stock_mismatches)
    row("500s seen (crash)", lambda r: r["crash"].server_errors)
    row("crash scenario, seconds", lambda r: r["crash"].seconds)
    row(
        "**concurrency**: sale requests racing (same item / same lot / same client id)",
        lambda r: r["concurrency"].requests,
    )
    row(
        "… sold / same sale again / refused",
        lambda r: (
            f"{r['concurrency'].sold} / {r['concurrency'].same_sale} / {r['concurrency'].refused}"
        ),
    )
    row(
        "double sales / books wrong afterwards",
        lambda r: f"{r['concurrency'].double_sales} / {r['concurrency'].books_wrong}",
    )
    row("500s seen (concurrency)", lambda r: r["concurrency"].server_errors)
    row(
        "**money races** (one token per device): rounds of refunds × 7, void vs refund, "
        "voids × 3, shift close vs sales and a refund; then payouts vs the next close",
        lambda r: f"{r['money'].rounds} rounds, {r['money'].requests} requests",
    )
    row("… money wrong afterwards", lambda r: r["money"].money_wrong)
    row("500s seen (money races)", lambda r: r["money"].server_errors)
    row(
        "**database backends killed** mid-request while selling and refunding",
        lambda r: r["money"].backends_killed if r["money"].database == "postgresql" else "–",
    )
    row(
        "… requests / answered at once / sent again (503 or no answer)",
        lambda r: (
            f"{r['money'].kill_requests} / {r['money'].kill_definite} / {r['money'].kill_retried}"
            if r["money"].database == "postgresql"
            else "–"
        ),
    )
    row(
        "… answers that lie (saved but not in the books, or the other way round)",
        lambda r: r["money"].lies if r["money"].database == "postgresql" else "–",
    )
    row(
        "**floods**: sign-in threads (wrong PINs, CSRF token, from n addresses) + photo "
        "upload threads, for seconds",
        lambda r: (
            f"{r['floods'].sign_in_threads} (from {r['floods'].addresses}) + "
            f"{r['floods'].upload_threads}, "
            f"{r['floods'].flood_seconds:g} s"
        ),
    )
    row(
        "counter's API sale on a quiet shop: median / p95 ms (sales)",
        lambda r: _sale_times(r["floods"], r["floods"].sales_quiet),
    )
    row(
        "… during the floods: median / p95 ms (sales)",
        lambda r: _sale_times(r["floods"], r["floods"].sales_flooded),
    )
    row("… sales answered 500 (quiet / during the floods)", lambda r: (
        f"{r['floods'].sale_errors_quiet} / {r['floods'].sale_errors_flooded}"
    ))  # fmt: skip
    row("sign-in attempts during the floods (by answer)", lambda r: r["floods"].sign_in_summary())
    row("photo uploads (by picture and answer)", lambda r: r["floods"].upload_summary())
    row("500s seen (floods: sales, sign-ins, uploads)", lambda r: r["floods"].server_errors)
    row(
        "the member whose PIN was guessed signs in from her own phone during the flood",
        lambda r: "yes" if r["floods"].her_sign_in == 303 else f"no ({r['floods'].her_sign_in})",
    )
    row(
        "largest worker's peak memory, quiet / after the floods (MB)",
        lambda r: f"{r['floods'].memory_quiet_mb} / {r['floods'].memory_flooded_mb}",
    )
    row(
        "**hostile input**: requests tried (strings × free-text fields, API + pages)",
        lambda r: (
            f"{r['hostile'].tried} ({r['hostile'].strings} strings; "
            f"{r['hostile'].api} API, {r['hostile'].pages} pages)"
        ),
    )
    row(
        "… accepted / refused (4xx)",
        lambda r: f"{r['hostile'].accepted} / {r['hostile'].refused}",
    )
    row("500s seen (hostile input)", lambda r: r["hostile"].server_errors)
    row(
        "pages read back / showing hostile markup",
        lambda r: f"{r['hostile'].pages_read} / {r['hostile'].unescaped}",
    )
    row(
        "**cross-member** reads and writes attempted / succeeded",
        lambda r: f"{r['access'].attempted} / {r['access'].succeeded}",
    )
    row(
        "PIN guessing from one address: the address locked after wrong PINs / she still "
        "signs in from her own phone",
        lambda r: (
            f"{r['access'].address_locked_after or 'not locked'} / "
            f"{'yes' if r['access'].owner_signs_in else 'no'}"
        ),
    )
    row(
        "PIN guessing from many addresses: her phone locked after wrong PINs",
        lambda r: r["access"].locked_after if r["access"].locked_after else "not locked",
    )
    row(
        "**offline counter** (Chromium, the page over gunicorn): sales rung up / shown done "
        "(of them with no link)",
        lambda r: (
            f"{r['offline'].sales_tried} / {r['offline'].done_on_screen} "
            f"({r['offline'].done_with_no_link})"
        ),
    )
    row(
        "… link cuts / page reloads / browser killed before Pay / right after Pay "
        "(signed in again)",
        lambda r: (
            f"{r['offline'].link_cuts} / {r['offline'].reloads} / "
            f"{r['offline'].kills_before_pay} / {r['offline'].kills_after_pay} "
            f"({r['offline'].signed_in_again})"
        ),
    )
    row(
        "… sales in the database / lost / doubled / never rung up",
        lambda r: (
            f"{r['offline'].in_database} / {r['offline'].lost} / {r['offline'].doubled} "
            f"/ {r['offline'].strangers}"
        ),
    )
    row(
        "… reopened with no link after a reload or a kill, the page did not come from the "
        "device (then opened with the link)",
        lambda r: r["offline"].no_page_offline,
    )
    row(
        "… left in the outbox at the end / seconds to send them after the link was back",
        lambda r: f"{r['offline'].left_in_outbox} / {r['offline'].seconds_to_empty}",
    )
    rows.append(
        "| **backup** (`flask --app wsgi backup` while selling) restores | "
        + " | ".join(
            backup.summary() if kind == "sqlite" else "pg_dump (not checked)" for kind in kinds
        )
        + " |"
    )
    return "\n".join(rows)


def _sale_times(floods, times: list[float]) -> str:
    return f"{floods.ms(times, 0.5)} / {floods.ms(times, 0.95)} ({len(times)})"


def list_problems(results: dict, backup) -> list[str]:
    seen: list[str] = []
    for kind, scenarios in results.items():
        for name, figures in scenarios.items():
            for problem in _summarised(figures):
                entry = f"{kind}, {name}: {problem}"
                if entry not in seen:
                    seen.append(entry)
    seen.extend(f"backup: {problem}" for problem in backup.problems)
    return seen


def _summarised(figures) -> list[str]:
    """Problems, once each; the hostile 500s folded by (error, string) over the fields."""
    failures = getattr(figures, "failures", None)
    if not failures:
        return list(dict.fromkeys(figures.problems))
    folded: dict[tuple, list[str]] = {}
    for failure in failures:
        error = re.sub(r" in position \d+", "", failure.error)[:110]
        path = re.sub(r"/\d+(?=/|$)", "/N", failure.path.split("?")[0][:60])
        where = f"{failure.method} {path} {failure.field}"
        folded.setdefault((error, failure.string), [])
        if where not in folded[(error, failure.string)]:
            folded[(error, failure.string)].append(where)
    lines = [
        f"500 {error} — with the {string!r} string, on {len(places)} field(s): {'; '.join(places)}"
        for (error, string), places in folded.items()
    ]
    lines.extend(p for p in figures.problems if "as markup" in p)
    return lines


def failed(results: dict, backup) -> bool:
    for scenarios in results.values():
        crash, race = scenarios["crash"], scenarios["concurrency"]
        hostile, access = scenarios["hostile"], scenarios["access"]
        floods = scenarios["floods"]
        if crash.problems or crash.lost or crash.half_written or crash.double_sales:
            return True
        if floods.server_errors or floods.her_sign_in != 303:
            return True
        if race.double_sales or race.books_wrong or race.server_errors:
            return True
        money = scenarios["money"]
        if money.money_wrong or money.lies or money.server_errors or money.no_answer:
            return True
        offline = scenarios.get("offline")
        if offline is not None and (
            offline.lost
            or offline.doubled
            or offline.strangers
            or offline.left_in_outbox
            or offline.no_page_offline
        ):
            return True
        if hostile.server_errors or hostile.unescaped or access.succeeded or access.problems:
            return True
    return backup.status == "does not restore"


if __name__ == "__main__":
    sys.exit(main())
