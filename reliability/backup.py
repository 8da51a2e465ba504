"""Does a backup restore? ``flask --app wsgi backup`` taken while the shop sells, then the
shop run on the copy.

On SQLite: a shop served by gunicorn with cashiers ringing up sales; in the middle,
``flask --app wsgi backup --to DIR`` in its own process. The backup file is then put in a
new instance folder and opened as the shop (migrations, the API): its books must be sound
(every sale whole, nothing sold twice, lots adding up) and every sale acknowledged before
the backup began must be in it. On PostgreSQL the command refuses (pg_dump is the way)
and that is all this says. If the command does not exist (yet), the answer is "not yet".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from reliability.live import (
    ROOT,
    NoAnswer,
    Server,
    app_config,
    call,
    fresh_database,
    prepare_shop,
)

WRITTEN = re.compile(r"backup written: (\S+) \(")


@dataclass
class BackupFigures:
    status: str = "not yet"  # "not yet", "restores", "does not restore"
    sales_before: int = 0  # sales acknowledged before the backup began
    sales_in_backup: int = 0
    missing: int = 0  # acknowledged before the backup, not in it
    books_wrong: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == "restores":
            return f"yes ({self.sales_in_backup} sales, taken while selling)"
        return self.status


def _flask(args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def backup_command_exists(env: dict) -> bool:
    return _flask(["backup", "--help"], env).returncode == 0


def run_backup_check(workdir: Path) -> BackupFigures:
    started = time.monotonic()
    figures = BackupFigures()
    (workdir / "live").mkdir(parents=True, exist_ok=True)
    with fresh_database("sqlite", workdir / "live") as url:
        shop = prepare_shop(url, workdir / "live", cashiers=3, plain_members=0, items=300, lots=4)
        with Server(url, workdir / "live", workdir / "gunicorn.log") as server:
            env = server.environment()
            if not backup_command_exists(env):
                return figures
            server.start()
            acked: list[dict] = []
            stop = threading.Event()
            lock = threading.Lock()

            def sell(number: int, token: str, codes: list[str]) -> None:
                call(server.port, "POST", "/api/v1/shifts", {"opening_float_dong": 0}, token=token)
                for index, code in enumerate(codes):
                    if stop.is_set():
                        return
                    body = {"client_id": f"backup-{number}-{index:05d}", "lines": [{"code": code}]}
                    try:
                        status, answer = call(
                            server.port, "POST", "/api/v1/sales", body, token=token
                        )
                    except NoAnswer:
                        return
                    if status == 201:
                        with lock:
                            acked.append(answer)

            sellers = [
                threading.Thread(
                    target=sell, args=(number, token, shop.unique_codes[i::3]), daemon=True
                )
                for i, (number, token) in enumerate(shop.cashiers)
            ]
            for seller in sellers:
                seller.start()
            time.sleep(1.5)
            with lock:
                before = list(acked)
            result = _flask(["backup", "--to", str(workdir / "backups")], env)
            stop.set()
            for seller in sellers:
                seller.join(30)
        figures.sales_before = len(before)
        found = WRITTEN.search(result.stdout)
        if result.returncode != 0 or found is None:
            figures.status = "does not restore"
            figures.problems.append(f"backup failed: {result.stdout[-300:]}{result.stderr[-300:]}")
            return figures
        _restore(Path(found[1]), workdir / "restored", shop, before, figures)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _restore(backup: Path, instance: Path, shop, before: list[dict], figures) -> None:
    """Open the backup as the shop: sound books, every earlier sale there, the API answers."""
    from reliability.crash import book_problems, read_books
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db

    instance.mkdir(parents=True, exist_ok=True)
    restored = instance / "shop.sqlite3"
    shutil.copyfile(backup, restored)
    url = f"sqlite:///{restored}"
    books = read_books(url)
    figures.sales_in_backup = len(books.sales)
    for _kind, problem in book_problems(books):
        figures.books_wrong += 1
        figures.problems.append(f"restored: {problem}")
    kept = {sale.client_id: sale.number for sale in books.sales}
    for sale in before:
        if kept.get(sale["client_id"]) != sale["number"]:
            figures.missing += 1
            figures.problems.append(f"sale {sale['number']} acknowledged before, not in it")
    app = create_app(app_config(url, instance))
    try:
        upgrade_database(app)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {shop.coordinator_token}"}
        for sale in before[-5:]:
            answer = client.get(f"/api/v1/sales/{sale['number']}", headers=headers)
            if answer.status_code != 200 or answer.get_json()["lines"] != sale["lines"]:
                figures.problems.append(f"sale {sale['number']} in the restored shop: {answer}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    ok = not figures.problems and figures.sales_in_backup >= figures.sales_before
    figures.status = "restores" if ok else "does not restore"
