"""``BENCH_PEER=tryton``: our sale side by side with a peer's, Tryton 8.2 ``sale_point``.

Tryton is installed into a venv of its own, ``bench/.peer-venv`` (git-ignored, made here
from the same Python as the shop's, so a clean clone needs nothing else), with the versions
pinned in :data:`PINS`. Its database is SQLite, like ours, with the same settings (WAL,
``synchronous = NORMAL``): ``trytond-admin`` activates ``sale_point`` and what it depends on
once (kept in ``bench/.cache/tryton/``, keyed by the installed versions), and each run sets
a copy up as the module's scenario does (``bench/tryton_driver.py``, run by the peer venv's
Python in its own process). Then the two ring up the same number of three-line cash sales
in alternating rounds (:data:`ROUND` of Tryton's, then as many of ours, and again), so that
both see the same machine: Tryton's through proteus (lines, save, pay, post, as its
scenario does), ours through the API in process, its receipt printed, exactly as the
"sale (API)" row measures it. Only the sales are timed, each in its own process: not the
install, the activation, the scenario's setup nor the pipe between the two.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".peer-venv"
CACHE = BENCH / ".cache" / "tryton"
DRIVER = BENCH / "tryton_driver.py"

#: What the peer venv gets; the modules ``sale_point`` needs come with it (all 8.2.x).
PINS = ("trytond==8.2.1", "trytond_sale_point==8.2.0", "proteus==8.2.0")
#: Sales of each side in a row before the other side's turn.
ROUND = 5
#: The issue's target: our sale at least this many times faster than Tryton's.
TARGET = 100


class PeerError(RuntimeError):
    """The peer could not be installed, set up or run: why, for the report."""


def _run(command: list[str], what: str, **options) -> float:
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)  # noqa: S603
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise PeerError(f"{what} failed ({done.returncode}): " + " / ".join(tail))
    return time.monotonic() - started


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(log) -> tuple[float | None, str]:
    """The peer venv with :data:`PINS` installed: the seconds it took if made now (None if
    it was there), and what is installed in it (``pip freeze``)."""
    marker = VENV / ".installed"
    wanted = " ".join(PINS)
    if marker.exists() and python().exists():
        pins, _, frozen = marker.read_text().partition("\n")
        if pins == wanted:
            return None, frozen
    log(f"the peer: a venv in {VENV.relative_to(BENCH.parent)} with {wanted} ...")
    shutil.rmtree(VENV, ignore_errors=True)
    started = time.monotonic()
    _run([sys.executable, "-m", "venv", str(VENV)], "making the peer venv")
    _run(
        [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS],
        f"pip install {wanted}",
    )
    took = time.monotonic() - started
    frozen = subprocess.run(  # noqa: S603
        [str(python()), "-m", "pip", "freeze", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    marker.write_text(wanted + "\n" + frozen)
    return took, frozen


def config_file(folder: Path) -> Path:
    """trytond's settings: SQLite databases in ``folder``."""
    path = folder / "trytond.conf"
    path.write_text(f"[database]\nuri = sqlite://\npath = {folder}\n")
    return path


def activated_database(frozen: str, log) -> tuple[Path, float | None]:
    """An SQLite database with ``sale_point`` and its dependencies activated by
    ``trytond-admin`` (cached by what is installed), and the seconds it took if made now."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(frozen.encode()).hexdigest()[:12]
    name = f"activated-{key}"
    path = CACHE / f"{name}.sqlite"
    if path.exists():
        return path, None
    for old in CACHE.glob("activated-*"):
        old.unlink()
    log("the peer: trytond-admin activates sale_point (once; cached) ...")
    building = CACHE / f"{name}.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    (building / f"{name}.sqlite").touch()
    password = building / "password"
    password.write_text(hashlib.sha256(os.urandom(16)).hexdigest() + "\n")
    took = _run(
        [str(VENV / "bin" / "trytond-admin"), "-c", str(config_file(building)), "-d", name,
         "-u", "sale_point", "--activate-dependencies", "--email", "admin@example.com"],
        "trytond-admin (activating sale_point)",
        env={**os.environ, "TRYTONPASSFILE": str(password)},
    )  # fmt: skip
    _run(
        [str(python()), "-c",
         "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()",
         str(building / f"{name}.sqlite")],
        "checkpointing the activated database",
    )  # fmt: skip
    shutil.move(building / f"{name}.sqlite", path)
    shutil.rmtree(building, ignore_errors=True)
    return path, took


class Driver:
    """The peer's process: ``bench/tryton_driver.py`` in the peer venv, on a copy of the
    activated database."""

    def __init__(self, database: Path, work: Path):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copyfile(database, work / "peer.sqlite")
        self.log_path = work / "driver.log"
        self.stderr = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [str(python()), str(DRIVER), "--config", str(config_file(work)), "--database",
             "peer"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            cwd=work, env={k: v for k, v in os.environ.items() if not k.startswith("TRYTON")},
        )  # fmt: skip
        try:
            self.setup_s = self.read()["setup_s"]
        except BaseException:
            self.close()
            raise

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            tail = self.log_path.read_text().strip().splitlines()[-5:]
            raise PeerError(
                f"the Tryton driver ended ({self.process.returncode}): " + " / ".join(tail)
            )
        answer = json.loads(line)
        if "error" in answer:
            raise PeerError(f"the Tryton driver: {answer['error']}")
        return answer

    def sales(self, n: int) -> dict:
        self.process.stdin.write(f"sales {n}\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def run_tryton(bench, n: int, *, log, warmup: int = 2) -> dict:
    """``n`` three-line cash sales on each side, in alternating rounds of :data:`ROUND`:
    Tryton's through the driver, ours by ``bench.sale_api`` (the bench's in-process API sale,
    receipt printed, its print job's time appended to ``bench.receipt_samples``)."""
    venv_s, frozen = ensure_venv(log)
    database, activate_s = activated_database(frozen, log)
    log("the peer: the scenario's setup (company, chart, fiscal year, point of sale) ...")
    driver = Driver(database, CACHE.parent / "work" / "tryton")
    try:
        driver.sales(warmup)
        for i in range(warmup):
            bench.sale_api(-1 - i)
        log(f"the peer: {n} sales each, alternating by {ROUND} ...")
        out = {"tryton_ms": [], "tryton_cpu_ms": [], "ours_ms": [], "ours_cpu_ms": [],
               "ours_receipt_ms": []}  # fmt: skip
        while len(out["ours_ms"]) < n:
            k = min(ROUND, n - len(out["ours_ms"]))
            answer = driver.sales(k)
            out["tryton_ms"] += answer["ms"]
            out["tryton_cpu_ms"] += answer["cpu_ms"]
            for i in range(k):
                printed = len(bench.receipt_samples)
                started, cpu = time.perf_counter_ns(), time.process_time_ns()
                bench.sale_api(i)
                out["ours_ms"].append((time.perf_counter_ns() - started) / 1e6)
                out["ours_cpu_ms"].append((time.process_time_ns() - cpu) / 1e6)
                out["ours_receipt_ms"] += [ns / 1e6 for ns in bench.receipt_samples[printed:]]
    finally:
        driver.close()
    installed = dict(
        line.split("==", 1) for line in frozen.splitlines()
        if line.lower().startswith(("trytond", "proteus")) and "==" in line
    )  # fmt: skip
    pinned = [pin.split("==", 1)[0] for pin in PINS]
    others = sorted(name for name in installed if name not in pinned)
    versions = ", ".join(f"{name} {installed.get(name, '?')}" for name in pinned) + (
        f" and the {len(others)} modules they need "
        f"(all {' or '.join(sorted({installed[name] for name in others}))})"
    )
    return {
        **out,
        "setup": {"venv_s": venv_s, "activate_s": activate_s, "scenario_s": driver.setup_s},
        "versions": versions,
    }


# ---------------------------------------------------------------- the report


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(1, -(-95 * len(ordered) // 100)) - 1]


def _seconds(value: float | None, cached: str) -> str:
    return cached if value is None else f"{value:.0f} s"


def peer_section(result: dict, yes, shop: str) -> list[str]:
    """The side-by-side's part of the report (``yes(ok, detail)`` writes a verdict)."""
    out = ["", "## Side by side with a peer: Tryton 8.2 `sale_point`", ""]
    if not result:
        return out + ["Not measured (`BENCH_PEER=tryton make bench` measures it)."]
    if result.get("failed"):
        return out + [f"Not measured: {result['failed']}"]
    tryton, ours = result["tryton_ms"], result["ours_ms"]
    without = [sale - receipt for sale, receipt in
               zip(ours, result["ours_receipt_ms"], strict=True)]  # fmt: skip
    ratio = median(tryton) / median(ours)
    cpu_ratio = median(result["tryton_cpu_ms"]) / median(result["ours_cpu_ms"])
    setup = result["setup"]
    out += [
        f"The same machine, the same run, SQLite on both sides (WAL, `synchronous = NORMAL`), "
        f"{len(ours)} sales each in alternating rounds of {ROUND} (`bench/peer.py`). Tryton "
        f"({result['versions']}; in its own venv `bench/.peer-venv` and process, "
        "`bench/tryton_driver.py`) is set up as its scenario `scenario_sale_point.rst` does "
        "and rings up each sale through proteus as the scenario does: a new sale at the "
        "point of sale, three lines of goods, save, pay the total in cash, post (its stock "
        f"moves and account move). Ours: a three-line cash sale through the API in process on "
        f'the {shop} shop, the receipt\'s print job included (as the "sale (API)" row). '
        "Processor time is each process's own, for the sale alone. Not timed: Tryton's "
        f"install ({_seconds(setup['venv_s'], 'the venv from an earlier run')}), "
        f"`trytond-admin` activating the modules "
        f"({_seconds(setup['activate_s'], 'cached from an earlier run')}), the scenario's "
        f"setup ({setup['scenario_s']:.0f} s).",
        "",
        "| figure | measured | target | holds? |",
        "|---|---:|---|---|",
        f"| Tryton: a three-line cash sale saved, paid and posted through proteus, median of "
        f"{len(tryton)} | {median(tryton):,.1f} ms (p95 {p95(tryton):,.1f}; processor "
        f"{median(result['tryton_cpu_ms']):,.1f} ms) |  |  |",
        f"| ours: a three-line cash sale through the API, receipt included, median of "
        f"{len(ours)} | {median(ours):,.1f} ms (p95 {p95(ours):,.1f}; processor "
        f"{median(result['ours_cpu_ms']):,.1f} ms) |  |  |",
        f"| ours without its receipt's print job (Tryton prints none) | "
        f"{median(without):,.1f} ms |  |  |",
        f"| Tryton's median ÷ ours | {ratio:,.0f}× (without the receipt "
        f"{median(tryton) / median(without):,.0f}×) | ≥ {TARGET}× | "
        f"{yes(ratio >= TARGET, f'processor time {cpu_ratio:,.0f}×')} |",
    ]
    return out
