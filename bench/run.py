"""``make bench``: the shop's real work measured on a large generated shop, against a floor.

Builds (or takes from ``bench/.cache/``) two shops loaded through the journal importer: the
main one at ``BENCH_SCALE`` (whose last month, December 2025, holds 5,000 sales and is the
month the benchmark closes) and one ten times smaller, for the "ten times larger history"
comparison. Then, on working copies of them:

1. in process, through the Flask test client (CSRF off, no print thread: as the tests run);
2. end to end over HTTP: gunicorn with the repository's ``gunicorn.conf.py`` (2 workers,
   4 threads, the print thread on, CSRF on) on 127.0.0.1, driven by one keep-alive
   ``http.client`` connection.

Every figure is the median and 95th percentile (99th for the lookup) of ``n`` runs, in
milliseconds, and as a ratio to the floor measured in the same run and the same way. The
table goes to standard output and to ``bench/results.md`` with the machine, the versions,
the date and the notes on each target.

    .venv/bin/python -m bench.run                  # what make bench runs
    BENCH_SCALE=1 .venv/bin/python -m bench.run    # the full 120,000-sale shop
    BENCH_QUICK=1 ...                              # fewer repeats, for trying the script
    BENCH_PROFILE=1 ...                            # pyinstrument profiles in bench/profiles/
    BENCH_OUT=bench/results-scale-1.md ...         # the table elsewhere than results.md
    BENCH_ONLY=stocktake ...                       # only these sections (see SECTIONS),
                                                   # written to bench/results-<names>.md
    BENCH_PEER=tryton ...                          # also our sale side by side with
                                                   # Tryton 8.2 sale_point (bench/peer.py);
                                                   # alone: BENCH_PEER=tryton BENCH_ONLY=peer
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import bench.app  # noqa: F401,E402  (first: the shop's clock is set before the shop loads)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results.md"
PROFILES = BENCH / "profiles"

PIN = "2468"
CASHIER_PHONE = "0912000001"  # member 1, a coordinator
MONTH_TO_CLOSE = "2025-12"
LAST_MONTH_SALES = 5_000
TENDERED = "5000000"

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
#: ``BENCH_PEER=tryton``: also the side-by-side with Tryton's point of sale (bench/peer.py).
PEER = os.environ.get("BENCH_PEER", "").strip().lower()
PEERS = ("tryton",)
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")


def repeats(normal: int, quick: int | None = None) -> int:
    return (quick or max(3, normal // 5)) if QUICK else normal


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- figures


@dataclass
class Figure:
    """One measured thing: its samples in nanoseconds."""

    name: str
    transport: str  # "in-process" or "HTTP"
    samples: list[int]
    unit_note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.samples)

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] / 1e6

    @property
    def median(self) -> float:
        ordered = sorted(self.samples)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle] / 1e6
        return (ordered[middle - 1] + ordered[middle]) / 2e6


#: Called (untimed for the figure) after each timed run: the floor, measured all along the
#: run, so that a figure and its floor see the same machine (this one is shared, and busy).
PROBE = None


def timed(function, n: int, *, warmup: int = 2, before=None) -> list[int]:
    """Run ``function(i)`` ``warmup`` times untimed and ``n`` times timed (``before(i)``
    runs untimed before each; the floor probe after each)."""
    for i in range(warmup):
        if before:
            before(-1 - i)
        function(-1 - i)
    samples = []
    for i in range(n):
        if before:
            before(i)
        start = time.perf_counter_ns()
        function(i)
        samples.append(time.perf_counter_ns() - start)
        if PROBE is not None:
            PROBE()
    return samples


@contextmanager
def profiled(name: str):
    """With ``BENCH_PROFILE``, write a pyinstrument profile of the block to bench/profiles/."""
    if not PROFILE:
        yield
        return
    from pyinstrument import Profiler

    PROFILES.mkdir(exist_ok=True)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        (PROFILES / f"{name}.txt").write_text(text)
        log(f"profile written to {PROFILES / (name + '.txt')}")


# ---------------------------------------------------------------- the shops, cached


def migration_heads() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ",".join(sorted(ScriptDirectory.from_config(config).get_heads()))


def cache_key(scale: float, last_month: int | None) -> str:
    from bench import generate

    source = (BENCH / "generate.py").read_bytes()
    text = f"{scale}|{last_month}|{migration_heads()}|{generate.VERSION}|"
    return hashlib.sha256(text.encode() + source).hexdigest()[:12]


def sqlite_config(path: Path, instance: Path) -> dict:
    from bench.app import config_for

    return config_for(str(path), str(instance), testing=True)


def build_shop(scale: float, last_month: int | None) -> tuple[Path, dict]:
    """The imported shop of ``scale`` (cached by scale, the migration heads and the
    generator), and what building it took."""
    from bench.generate import generate, summary

    CACHE.mkdir(exist_ok=True)
    name = f"shop-scale{scale:g}" + (f"-last{last_month}" if last_month else "")
    key = cache_key(scale, last_month)
    path = CACHE / f"{name}-{key}.sqlite3"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        log(f"{path.name}: from the cache (built {meta['built_at']})")
        return path, meta
    for old in CACHE.glob(f"{name}-*.sqlite3*"):
        old.unlink()
    log(f"generating the shop at scale {scale:g} ...")
    started = time.perf_counter()
    journal = generate(scale, last_month_sales=last_month)
    generated = time.perf_counter() - started
    text = json.dumps(journal, ensure_ascii=False, separators=(",", ":"))
    counts = summary(journal)
    log(f"generated in {generated:.1f} s: {counts}; {len(text) / 1e6:.1f} MB of JSON")

    building = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(building) + suffix).unlink(missing_ok=True)
    instance = CACHE / "instance-build"
    instance.mkdir(exist_ok=True)
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db
    from shop.journal.importer import import_journal

    app = create_app(sqlite_config(building, instance))
    upgrade_database(app)
    log(f"importing {counts['sales']} sales and {counts['items']} items through the importer ...")
    data = json.loads(text)  # as `flask journal import` has it: parsed from the file
    with app.app_context():
        started = time.perf_counter()
        imported = import_journal(db.session, data, app_config=app.config)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    raw = sqlite3.connect(building)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    raw.close()
    log(f"imported in {seconds:.1f} s: {imported}")
    meta = {
        "scale": scale,
        "last_month_sales": last_month,
        "key": key,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": machine()["commit"],
        "counts": counts,
        "journal_bytes": len(text.encode()),
        "generate_s": round(generated, 2),
        "import_s": round(seconds, 2),
        "imported": str(imported),
        "december_sales": sum(1 for s in journal["sales"] if s["at"].startswith(MONTH_TO_CLOSE)),
    }
    os.replace(building, path)
    meta_path.write_text(json.dumps(meta, indent=1))
    return path, meta


def working_copy(source: Path, name: str) -> tuple[Path, Path]:
    """A fresh copy of a cached shop to measure on, with its own instance folder."""
    work = CACHE / "work"
    work.mkdir(exist_ok=True)
    target = work / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    instance = work / f"{name}-instance"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir()
    return target, instance


@dataclass
class Prepared:
    database: Path
    instance: Path
    token: str
    stock: list[str]  # unique items on the rail, in a shuffled order, to sell
    lookups: list[str]  # codes of any items, to look up
    statement_member: int  # the member with most consigned lines sold in the month
    counts: dict


def prepare(database: Path, instance: Path) -> Prepared:
    """Give member 1 a PIN and an API token, set up a receipt printer writing to a file in
    the instance folder's printer-out, and pick the codes the measurements use."""
    from sqlalchemy import func, select

    from bench.app import create_bench_app
    from shop import clock
    from shop.extensions import db
    from shop.models import (
        ConnectionKind,
        Item,
        ItemStatus,
        Member,
        PrintMode,
        Role,
        Sale,
        SaleLine,
    )
    from shop.printing import queue
    from shop.services import members as member_service
    from shop.services.month import month_moments
    from shop.services.printing import save_printer_settings

    app = create_bench_app(str(database), str(instance))
    with app.app_context():
        member = member_service.get_member(db.session, 1)
        member_service.set_pin(db.session, member, PIN)
        _token, secret = member_service.create_token(db.session, member, "bench", Role.COORDINATOR)
        save_printer_settings(
            db.session,
            {
                "connection": ConnectionKind.FILE,
                "path": str(instance / "printer-out" / "receipts.bin"),
                "paper_mm": 80,
                "profile": "default",
                "mode": PrintMode.RASTER,
                "drawer_pin": 2,
                "auto_receipt": True,
            },
            by=member,
            at=clock.now(),
            place=queue.printer_place(),
        )
        db.session.commit()
        receive_if_short(db.session, member, app.config["SHOP_TZ"])
        rng = random.Random(8)
        stock = list(
            db.session.scalars(
                select(Item.code)
                .where(Item.status == ItemStatus.IN_STOCK, Item.is_lot.is_(False))
                .order_by(Item.id)
            )
        )
        rng.shuffle(stock)
        every = list(db.session.scalars(select(Item.code).order_by(Item.id)))
        lookups = [rng.choice(every) for _ in range(2000)]
        start, end = month_moments(MONTH_TO_CLOSE, app.config["SHOP_TZ"])
        busiest = db.session.execute(
            select(Member.number, func.count(SaleLine.id))
            .join(SaleLine, SaleLine.owner_id == Member.id)
            .join(Sale, Sale.id == SaleLine.sale_id)
            .where(Sale.at >= start, Sale.at < end)
            .group_by(Member.number)
            .order_by(func.count(SaleLine.id).desc())
            .limit(1)
        ).first()
        counts = {
            "items": db.session.scalar(select(func.count(Item.id))),
            "in_stock": len(stock),
            "sales": db.session.scalar(select(func.count(Sale.id))),
            "sale_lines": db.session.scalar(select(func.count(SaleLine.id))),
            "month_sales": db.session.scalar(
                select(func.count(Sale.id)).where(Sale.at >= start, Sale.at < end)
            ),
            "statement_lines": busiest[1] if busiest else 0,
        }
        db.session.remove()
        db.engine.dispose()
    return Prepared(
        database, instance, secret, stock, lookups, busiest[0] if busiest else 1, counts
    )


#: Unique items the measurements sell from one working copy (about 130 sales of three).
ITEMS_NEEDED = 420


def receive_if_short(session, member, tz) -> None:
    """A small shop has too few items on the rail for the sales the benchmark rings up: a
    bag donated this morning tops it up (the main shop never needs it)."""
    from sqlalchemy import func, select

    from shop import clock
    from shop.models import IntakeKind, Item, ItemStatus
    from shop.services import stock as stock_service

    on_rail = session.scalar(
        select(func.count(Item.id)).where(
            Item.status == ItemStatus.IN_STOCK, Item.is_lot.is_(False)
        )
    )
    if on_rail >= ITEMS_NEEDED:
        return
    donor = stock_service.create_donor(
        session, stock_service.DonorDetails(name="Chị Mai"), country_code="84"
    )
    intake = stock_service.receive_intake(
        session,
        stock_service.IntakeDetails(
            kind=IntakeKind.DONATION, received_at=clock.now(), donor_id=donor.id
        ),
        by=member,
        tz=tz,
    )
    for index in range(ITEMS_NEEDED - on_rail):
        stock_service.add_item(
            session,
            intake,
            stock_service.ItemDetails(
                category="Áo", price_dong=50_000 + 5_000 * (index % 10), description="Áo phông"
            ),
        )
    session.commit()


# ---------------------------------------------------------------- two ways to send requests


class Client:
    """What a measurement needs of a client: requests, a sign-in, a CSRF token."""

    transport = ""

    def request(self, method: str, path: str, *, form=None, json_body=None, headers=None):
        raise NotImplementedError

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.request("POST", path, **kw)


class InProcess(Client):
    transport = "in-process"

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.csrf = ""

    def request(self, method, path, *, form=None, json_body=None, headers=None):
        response = self.client.open(
            path, method=method, data=form, json=json_body, headers=headers or {}
        )
        return response.status_code, response.headers.get("Location", ""), response.get_data()


class Http(Client):
    """One keep-alive connection to 127.0.0.1, with the cookies the shop sets."""

    transport = "HTTP"

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method, path, *, form=None, json_body=None, headers=None):
        sent = dict(headers or {})
        body = None
        if form is not None:
            fields = dict(form)
            if self.csrf and method == "POST":
                fields.setdefault("csrf_token", self.csrf)
            body = urlencode(fields)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body)
            sent["Content-Type"] = "application/json"
        elif method == "POST" and self.csrf:
            body = urlencode({"csrf_token": self.csrf})
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        location = response.getheader("Location", "")
        if location.startswith("http"):
            parts = urlsplit(location)
            location = parts.path + (f"?{parts.query}" if parts.query else "")
        return response.status, location, data

    def close(self):
        self.connection.close()


CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def sign_in_and_open_shift(client: Client) -> None:
    status, _loc, page = client.get("/sign-in")
    found = CSRF.search(page)
    client.csrf = found.group(1).decode() if found else ""
    status, location, _ = client.post("/sign-in", form={"phone": CASHIER_PHONE, "pin": PIN})
    assert status == 303, f"sign-in answered {status}"
    status, _loc, page = client.get("/counter/")
    assert status == 200, f"the counter answered {status}"
    found = CSRF.search(page)
    client.csrf = found.group(1).decode() if found else client.csrf
    if b'name="opening_float_dong"' in page:
        status, _loc, _ = client.post("/counter/shift/open", form={"opening_float_dong": "500000"})
        assert status == 303, f"opening the shift answered {status}"


# ---------------------------------------------------------------- what is measured


class Bench:
    """The measurements, the same for both clients."""

    def __init__(self, client: Client, prepared: Prepared, app=None):
        self.client = client
        self.prepared = prepared
        self.app = app  # in process: the app, for the print queue and the service calls
        self.stock = iter(prepared.stock)
        self.api = {"Authorization": f"Bearer {prepared.token}"}
        self.sales: list[int] = []
        self.floor_samples: list[int] = []
        self.receipt_samples: list[int] = []  # in process: the print job's part of a sale

    def codes(self, count: int) -> list[str]:
        return [next(self.stock) for _ in range(count)]

    def print_receipts(self) -> None:
        """In process: the print queue's work for the sale just made (the receipt drawn as
        ESC/POS bytes and written to the file printer), as the thread does after commit
        (woken by it: the claim without a look first)."""
        if self.app is None:
            return
        from shop.extensions import db
        from shop.printing.queue import run_due

        with self.app.app_context():
            started = time.perf_counter_ns()
            assert run_due(db.session, look=False) >= 1, "no receipt was printed"
            self.receipt_samples.append(time.perf_counter_ns() - started)
            db.session.remove()

    # -- the floor

    def probe_floor(self) -> None:
        """One floor request (read one row by index, insert one row, commit), timed."""
        code = self.prepared.lookups[len(self.floor_samples) % len(self.prepared.lookups)]
        start = time.perf_counter_ns()
        status, _l, _b = self.client.post("/bench-floor/" + code)
        self.floor_samples.append(time.perf_counter_ns() - start)
        assert status == 200, status

    def interleaved_floor(self) -> Figure:
        return Figure(FLOOR, self.client.transport, list(self.floor_samples))

    def floor(self, n: int) -> dict[str, Figure]:
        codes = self.prepared.lookups
        c = self.client
        figures = {}
        for name, method, path in (
            ("floor: read one row by index (GET)", "GET", "/bench-floor/read/"),
            ("floor: insert one row, commit (POST)", "POST", "/bench-floor/write/"),
            ("floor: read one row + insert one row, commit (in a row)", "POST", "/bench-floor/"),
        ):

            def one(i, method=method, path=path):
                status, _l, _b = c.request(method, path + codes[i % len(codes)])
                assert status == 200, status

            figures[name] = Figure(name, c.transport, timed(one, n, warmup=20))
        return figures

    # -- a sale

    def sale_pages(self, _i: int) -> None:
        """Scan three codes on the server-rendered counter (each: POST, then the page it
        redirects to), pay cash (POST, then the sale page), and the receipt printed. (The
        counter in the page makes one request per sale: ``bench/counter_page.py``.)"""
        c = self.client
        codes = self.codes(3)
        for code in codes:
            status, location, _ = c.post("/counter/add", form={"code": code})
            assert status == 303, status
            status, _l, page = c.get("/counter/basic")  # the server-rendered cart
            assert status == 200 and code.encode() in page, f"{code} is not in the cart"
        status, location, _ = c.post(
            "/counter/pay",
            form={"method": "cash", "tendered_dong": TENDERED, "client_id": str(uuid.uuid4())},
        )
        assert status == 303 and "/counter/sales/" in location, (status, location)
        status, _l, page = c.get(location)
        assert status == 200 and all(code.encode() in page for code in codes)
        self.sales.append(int(location.rstrip("/").rsplit("/", 1)[1]))
        self.print_receipts()

    def sale_api(self, _i: int) -> None:
        """The same sale as one JSON request to the API, and the receipt printed."""
        codes = self.codes(3)
        status, _l, body = self.client.post(
            "/api/v1/sales",
            json_body={
                "lines": [{"code": code} for code in codes],
                "tendered_dong": int(TENDERED),
                "client_id": str(uuid.uuid4()),
            },
            headers=self.api,
        )
        assert status == 201, (status, body[:300])
        self.sales.append(json.loads(body)["number"])
        self.print_receipts()

    # -- looking up

    def lookup_api(self, i: int) -> None:
        code = self.prepared.lookups[i % len(self.prepared.lookups)]
        status, _l, _b = self.client.get(f"/api/v1/items/{code}", headers=self.api)
        assert status == 200, status

    def lookup_page(self, i: int) -> None:
        code = self.prepared.lookups[i % len(self.prepared.lookups)]
        status, _l, _b = self.client.get(f"/stock/{code}")
        assert status == 200, status

    SEARCHES = ("ao khoac", "vay hoa", "quan jean 28", "giay")

    def search(self, i: int) -> None:
        q = self.SEARCHES[i % len(self.SEARCHES)]
        status, _l, page = self.client.get("/stock/?" + urlencode({"q": q}))
        assert status == 200 and b"<" in page, status

    # -- the counter page

    def fill_cart(self) -> list[str]:
        codes = self.codes(3)
        for code in codes:
            status, _l, _b = self.client.post("/counter/add", form={"code": code})
            assert status == 303
        return codes

    def empty_cart(self) -> None:
        status, _l, _b = self.client.post("/counter/empty", form={})
        assert status == 303, status

    def counter_page(self, _i: int) -> None:
        status, _l, page = self.client.get("/counter/")
        assert status == 200 and b'id="code"' in page, status

    def counter_weight(self) -> dict:
        """The counter page as a browser loads it: its HTML and every file it links (style
        sheets, script, icons, and what the style sheets name), bytes and requests; and
        whether any of them is on another host."""
        status, _l, page = self.client.get("/counter/")
        assert status == 200
        html = page.decode()
        urls = re.findall(
            r'<(?:link|script|img|use|image|source|iframe)\b[^>]*?\b(?:href|src)="([^"]+)"', html
        )
        urls += re.findall(r"url\(['\"]?([^'\")]+)", html)
        seen, sizes, other_hosts = [], {}, []
        queue = list(urls)
        while queue:
            url = queue.pop(0).split("#", 1)[0]
            if not url or url in seen or url.startswith("data:"):
                continue
            seen.append(url)
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                other_hosts.append(url)
                continue
            status, _l, body = self.client.get(parts.path)
            assert status == 200, (url, status)
            sizes[url] = len(body)
            if parts.path.endswith(".css"):
                base = parts.path.rsplit("/", 1)[0]
                for ref in re.findall(r"url\(['\"]?([^'\")]+)", body.decode()):
                    if not ref.startswith(("data:", "/", "http:", "https:")):
                        ref = f"{base}/{ref}"
                    queue.append(ref)
        return {
            "html_bytes": len(page),
            "files": sizes,
            "total_bytes": len(page) + sum(sizes.values()),
            "requests": 1 + len(sizes) + len(other_hosts),
            "other_hosts": other_hosts,
        }

    # -- the month

    def close_month(self, _i: int) -> None:
        status, location, _b = self.client.post(f"/months/{MONTH_TO_CLOSE}/close", form={})
        assert status == 303 and location.endswith(f"/months/{MONTH_TO_CLOSE}"), (status, location)

    def reopen_month(self, _i: int = 0) -> None:
        """Undo the close the last measurement made (bench only, straight in SQLite)."""
        connection = sqlite3.connect(self.prepared.database, timeout=30)
        with connection:
            row = connection.execute(
                "SELECT id FROM closed_month WHERE month = ?", (MONTH_TO_CLOSE,)
            ).fetchone()
            if row:
                connection.execute("DELETE FROM closed_month_member WHERE closed_month_id = ?", row)
                connection.execute("DELETE FROM closed_month WHERE id = ?", row)
                tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
                if "audit_event" in tables:
                    connection.execute(
                        "DELETE FROM audit_event WHERE action = 'month_closed' AND subject = ?",
                        (MONTH_TO_CLOSE,),
                    )
        connection.close()

    def statement_pdf(self, _i: int) -> None:
        number = self.prepared.statement_member
        status, _l, body = self.client.get(f"/months/{MONTH_TO_CLOSE}/statements/{number}.pdf")
        assert status == 200 and body.startswith(b"%PDF"), status
        self.last_pdf = body

    def statements_pdf(self, _i: int) -> None:
        status, _l, body = self.client.get(f"/months/{MONTH_TO_CLOSE}/statements.pdf")
        assert status == 200 and body.startswith(b"%PDF"), status
        self.last_pdf = body


FLOOR = "floor: read one row + insert one row, commit (interleaved)"


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF, as pdfinfo (poppler) counts them; 0 without it."""
    try:
        out = subprocess.run(  # noqa: S603
            ["pdfinfo", "-"],  # noqa: S607
            input=data,
            capture_output=True,
            check=False,  # noqa: S607
        ).stdout.decode()
    except OSError:
        return 0
    found = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(found.group(1)) if found else 0


# ---------------------------------------------------------------- one run of each kind


def run_in_process(prepared: Prepared, label: str, *, full: bool = True) -> dict:
    from bench.app import create_bench_app

    app = create_bench_app(str(prepared.database), str(prepared.instance))
    client = InProcess(app)
    sign_in_and_open_shift(client)
    bench = Bench(client, prepared, app)
    out: dict = {"figures": {}}
    figures = out["figures"]
    log(f"{label}: in process ...")
    figures.update(bench.floor(repeats(300)))
    global PROBE
    PROBE = bench.probe_floor
    try:
        measure_in_process(bench, app, prepared, label, figures, out, full)
    finally:
        PROBE = None
    figures[FLOOR] = bench.interleaved_floor()
    with app.app_context():
        from shop.extensions import db

        db.session.remove()
        db.engine.dispose()
    return out


def measure_in_process(bench, app, prepared, label, figures, out, full) -> None:
    measure_sales(bench, label, figures, profile=True)
    figures["receipt print job (part of each sale)"] = Figure(
        "receipt print job (part of each sale)", "in-process", bench.receipt_samples[2:]
    )
    if not full:
        return
    figures["lookup (service)"] = Figure(
        "lookup (service)", "in-process", lookup_service(app, prepared, repeats(2000, 300))
    )
    measure_the_rest(bench, label, figures, out, profile=True)
    out["export"] = export_rate(app, repeats(3, 1))


def _measurer(bench, label: str, figures: dict, profile: bool):
    """``measure(name, one, n, **timed_options)``: one figure, timed through the bench's
    client; with ``profile``, in a pyinstrument profile named after it (``BENCH_PROFILE``)."""

    def measure(name: str, one, n: int, **options) -> None:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        context = profiled(f"{label}-{slug}") if profile else nullcontext()
        with context:
            figures[name] = Figure(name, bench.client.transport, timed(one, n, **options))

    return measure


def measure_sales(bench, label: str, figures: dict, *, profile: bool) -> None:
    """The three-line sale, at the counter page and through the API (both clients)."""
    measure = _measurer(bench, label, figures, profile)
    measure("sale", bench.sale_pages, repeats(60))
    measure("sale (API)", bench.sale_api, repeats(60))


def measure_the_rest(bench, label: str, figures: dict, out: dict, *, profile: bool) -> None:
    """Lookups, the search, the counter page, closing the month and the statements (both
    clients, in this order: the month is closed before its statements are made)."""
    measure = _measurer(bench, label, figures, profile)
    measure("lookup (API)", bench.lookup_api, repeats(1000, 200), warmup=20)
    measure("lookup (item page)", bench.lookup_page, repeats(200))
    measure("stock search", bench.search, repeats(80), warmup=4)
    bench.fill_cart()
    measure("counter page", bench.counter_page, repeats(100))
    out["counter_weight"] = bench.counter_weight()
    bench.empty_cart()
    measure("close month", bench.close_month, repeats(7, 3), warmup=1, before=bench.reopen_month)
    # The month stays closed from here on: its statements are those of a closed month.
    measure("statement PDF", bench.statement_pdf, repeats(7, 3), warmup=1)
    out["statement_pages"] = pdf_pages(bench.last_pdf)
    measure("statements PDF, all", bench.statements_pdf, repeats(3, 1), warmup=0)
    out["statements_pages"] = pdf_pages(bench.last_pdf)


def run_comparison(big: Prepared, small: Prepared) -> dict:
    """The sale (both ways) on the main shop and on the small one, alternately."""
    from bench.app import create_bench_app

    log("the sale on the main and the small shop, alternately ...")
    benches = {}
    for label, prepared in (("main", big), ("small", small)):
        app = create_bench_app(str(prepared.database), str(prepared.instance))
        client = InProcess(app)
        sign_in_and_open_shift(client)
        benches[label] = Bench(client, prepared, app)
    samples: dict = {(label, kind): [] for label in benches for kind in ("sale", "sale (API)")}
    n = repeats(60)
    for i in range(-2, n):
        for label, one in benches.items():
            for kind, step in (("sale", one.sale_pages), ("sale (API)", one.sale_api)):
                started = time.perf_counter_ns()
                step(i)
                if i >= 0:
                    samples[(label, kind)].append(time.perf_counter_ns() - started)
    return {
        "figures": {
            f"{kind} — {label} shop": Figure(f"{kind} — {label} shop", "in-process", values)
            for (label, kind), values in samples.items()
        }
    }


def lookup_service(app, prepared: Prepared, n: int) -> list[int]:
    """``get_item`` by code, in its own read transaction each time, as a page gets it."""
    from shop.database import reading_only
    from shop.extensions import db
    from shop.services import stock as stock_service

    codes = prepared.lookups
    with app.app_context():
        token = reading_only.set(True)
        try:

            def one(i):
                stock_service.get_item(db.session, codes[i % len(codes)])
                db.session.rollback()

            return timed(one, n, warmup=50)
        finally:
            reading_only.reset(token)
            db.session.remove()


def export_rate(app, n: int) -> dict:
    """``flask journal export``'s work, timed whole: the journal read and written as its
    file's text (the same bytes as ``json.dumps(journal, ensure_ascii=False, indent=2)``)."""
    from shop.extensions import db
    from shop.journal.export import export_journal
    from shop.journal.text import journal_text

    samples, size = [], 0
    with app.app_context():
        for _ in range(n):
            started = time.perf_counter_ns()
            journal = export_journal(db.session, timezone=app.config["SHOP_TZ"])
            text = journal_text(journal)
            samples.append(time.perf_counter_ns() - started)
            size = len(text.encode())
            entries = sum(len(v) for v in journal.values() if isinstance(v, list))
            entries += sum(len(i.get("items", [])) for i in journal.get("intakes", []))
            db.session.rollback()
        db.session.remove()
    return {"figure": Figure("journal export", "in-process", samples), "bytes": size,
            "entries": entries, "sales": len(journal.get("sales", []))}  # fmt: skip


#: Issue 20: a three-year shop's journal written in seconds.
EXPORT_TARGET = 10_000  # sales a second


def export_row(export: dict, label: str = "journal export (main shop") -> str:
    """The export's row of a ``| rate | figure | target | holds? |`` table."""
    seconds = export["figure"].median / 1000
    rate = export["sales"] / seconds
    return (
        f"| {label}, n={export['figure'].n}, median) | {rate:,.0f} sales/s; "
        f"{export['bytes'] / 1e6 / seconds:.1f} MB/s; {seconds:.2f} s for "
        f"{export['sales']:,} sales, {export['bytes'] / 1e6:.1f} MB | "
        f"≥ {EXPORT_TARGET:,} sales/s | {_yes(rate >= EXPORT_TARGET, f'{rate:,.0f} sales/s')} |"
    )


def run_export_alone() -> dict:
    """``BENCH_ONLY=export``: the export alone, on a fresh copy of the main shop."""
    from bench.app import create_bench_app

    main_db, _meta = build_shop(float(os.environ.get("BENCH_SCALE", "0.25")), LAST_MONTH_SALES)
    path, instance = working_copy(main_db, "export")
    app = create_bench_app(str(path), str(instance))
    log("the journal export ...")
    result = export_rate(app, repeats(5, 3))
    with app.app_context():
        from shop.extensions import db

        db.engine.dispose()
    return result


def _export_section(export: dict) -> list[str]:
    return [
        "## The journal export",
        "",
        "`flask journal export`'s work in process: the journal read and written as the "
        "file's text.",
        "",
        "| rate | figure | target | holds? |",
        "|---|---|---|---|",
        export_row(export),
        "",
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(prepared: Prepared):
    """gunicorn with the repository's gunicorn.conf.py on 127.0.0.1 and a free port; always
    stopped on the way out."""
    port = free_port()
    logfile = open(prepared.instance / "gunicorn.log", "wb")  # noqa: SIM115
    env = dict(os.environ)
    env.update(
        {
            "SHOP_BIND": f"127.0.0.1:{port}",
            "BENCH_DATABASE": str(prepared.database),
            "BENCH_INSTANCE": str(prepared.instance),
            "PYTHONPATH": str(ROOT),
        }
    )
    process = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "bench.app:gunicorn_app()"],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped; see {prepared.instance / 'gunicorn.log'}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    probe.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 90 s")
            time.sleep(0.2)
        yield port
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        logfile.close()


def run_http(prepared: Prepared, label: str) -> dict:
    out: dict = {"figures": {}}
    figures = out["figures"]
    log(f"{label}: over HTTP (gunicorn) ...")
    with gunicorn(prepared) as port:
        client = Http(port)
        try:
            sign_in_and_open_shift(client)
            bench = Bench(client, prepared)
            figures.update(bench.floor(repeats(300)))
            global PROBE
            PROBE = bench.probe_floor
            measure_sales(bench, label, figures, profile=False)
            measure_the_rest(bench, label, figures, out, profile=False)
            figures[FLOOR] = bench.interleaved_floor()
            out["receipts"] = receipts_printed(prepared, bench.sales)
        finally:
            PROBE = None
            client.close()
    return out


def run_counter_page_safely(prepared: Prepared) -> dict:
    """The counter page's figures, or why they could not be measured (no Chromium)."""
    if not Path(os.environ.get("SHOP_CHROMIUM", "/usr/bin/chromium")).exists():
        return {"skipped": "Chromium is not installed at /usr/bin/chromium"}
    from bench.counter_page import run_counter_page

    log("the counter page in Chromium on a slow link ...")
    with gunicorn(prepared) as port:
        return run_counter_page(prepared, port, CASHIER_PHONE, PIN)


def run_bank_feed(prepared: Prepared) -> dict:
    """Transfer sales confirmed by the fake bank through gunicorn's poller thread."""
    from bench.bank import run_bank_feed as run

    log("transfers confirmed by the (fake) bank ...")
    return run(prepared, repeats(9, 5), client_for=Http, gunicorn=gunicorn, log=log)


from bench import journal_rates  # noqa: E402
from bench.labels import label_section  # noqa: E402


def bank_feed_section(result: dict) -> list[str]:
    out = ["", "## A transfer confirmed by the bank itself", ""]
    if not result:
        return out + ["Not measured."]
    seconds = sorted(result["seconds"])
    median = seconds[len(seconds) // 2] if len(seconds) % 2 else (
        sum(seconds[len(seconds) // 2 - 1 : len(seconds) // 2 + 1]) / 2 if seconds else None
    )  # fmt: skip
    ok = median is not None and median <= 15 and not result["missed"]
    asked = f"{result['list_requests']} list requests"
    out += [
        "gunicorn with the shop's settings (its bank poller thread at the shop's own cadence: "
        "every 15 s while a transfer is awaited) and the fake bank as SePay "
        "(`bench/bank.py`, `reliability/fakebank.py`): each run records a sale paid by "
        "transfer through the API, waits 1–15 s at random, puts the transaction on the fake "
        "bank's list and times until the API shows the sale complete.",
        "",
        "| figure | measured | target | holds? |",
        "|---|---:|---|---|",
        f"| a waiting sale confirmed after the bank posts it, median of "
        f"{len(seconds)} (missed: {result['missed']}) | "
        + (f"{median:.1f} s (each: {', '.join(f'{s:.1f}' for s in result['seconds'])})"
           if median is not None else "–")
        + f" | ≤ 15 s | {_yes(ok, asked)} |",
    ]  # fmt: skip
    return out


def receipts_printed(prepared: Prepared, numbers: list[int]) -> dict:
    """How the print thread did for the sales made over HTTP: printed or not, and how long
    after the sale's commit (the job's creation) the receipt had gone to the printer."""
    deadline = time.monotonic() + 30
    connection = sqlite3.connect(prepared.database, timeout=30)
    query = (
        "SELECT s.number, j.status, j.created_at, j.finished_at FROM print_job j "
        "JOIN sale s ON s.id = j.sale_id WHERE j.kind = 'receipt' AND s.number >= ?"
    )
    wanted = set(numbers)
    while True:
        rows = [
            row[1:]
            for row in connection.execute(query, (min(numbers),)).fetchall()
            if row[0] in wanted
        ]
        if all(r[0] in ("printed", "failed") for r in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    connection.close()
    waits = []
    for _status, created, finished in rows:
        if finished:
            waits.append(
                int(
                    (datetime.fromisoformat(finished) - datetime.fromisoformat(created))
                    .total_seconds() * 1e9
                )
            )  # fmt: skip
    return {
        "sales": len(numbers),
        "printed": sum(1 for r in rows if r[0] == "printed"),
        "figure": Figure("receipt printed after commit", "HTTP", waits) if waits else None,
    }


# ---------------------------------------------------------------- the report


def machine() -> dict:
    from importlib.metadata import version

    cpu = "?"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    commit = "?"
    with suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT, capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(  # noqa: S603
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT, capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip
        if dirty:
            commit += " (with uncommitted changes)"
    harfbuzz = "?"
    with suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(  # noqa: S603
            ["ldconfig", "-p"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,  # noqa: S607
        ).stdout
        harfbuzz = "yes" if "libharfbuzz-subset" in found else "no"
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "versions": ", ".join(
            f"{name} {version(name)}"
            for name in ("flask", "sqlalchemy", "weasyprint", "gunicorn", "jinja2", "werkzeug")
        ),
        "harfbuzz_subset": harfbuzz,
        "commit": commit,
    }


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def run_stocktake() -> dict:
    """Issue 21's stocktake over HTTP (``bench/stocktake.py``), or why it failed."""
    from bench.stocktake import run_stocktake as run

    log("a stocktake: 3,000 items from three phones at once ...")
    try:
        return run(client_for=Http, gunicorn=gunicorn, log=log, repeats=repeats(5, 2))
    except (AssertionError, RuntimeError, OSError) as error:
        log(f"the stocktake failed: {error!r}")
        return {"failed": repr(error)[:500]}


def run_bank_feed_alone() -> dict:
    small_db, _meta = build_shop(float(os.environ.get("BENCH_SCALE", "0.25")) / 10, None)
    path, instance = working_copy(small_db, "bank-feed")
    return run_bank_feed(prepare(path, instance))


def run_labels() -> dict:
    from bench.labels import run_label_bytes

    log("price tags for a TSPL label printer ...")
    return run_label_bytes(repeats(200, 40))


def run_peer(prepared: Prepared, shop: str) -> dict:
    """Our API sale side by side with Tryton's (``bench/peer.py``), or why it was not."""
    from bench.app import create_bench_app
    from bench.peer import PeerError, run_tryton

    log("side by side with Tryton 8.2 sale_point ...")
    app = create_bench_app(str(prepared.database), str(prepared.instance))
    client = InProcess(app)
    sign_in_and_open_shift(client)
    try:
        return {"shop": shop, **run_tryton(Bench(client, prepared, app), repeats(60), log=log)}
    except (PeerError, OSError, ValueError, KeyError) as error:
        log(f"the side by side with Tryton failed: {error!r}")
        return {"shop": shop, "failed": str(error)[:1000]}
    finally:
        from shop.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run_peer_alone() -> dict:
    """``BENCH_ONLY=peer``: on the small shop (a sale costs the same on both: see the ten
    times larger history)."""
    small_db, _meta = build_shop(float(os.environ.get("BENCH_SCALE", "0.25")) / 10, None)
    path, instance = working_copy(small_db, "peer")
    return run_peer(prepare(path, instance), "small")


def _peer_section(result: dict) -> list[str]:
    from bench.peer import peer_section

    return peer_section(result, _yes, result.get("shop", "main"))


def _stocktake_section(result: dict) -> list[str]:
    from bench.stocktake import stocktake_section

    return stocktake_section(result, _yes)


#: The sections ``BENCH_ONLY`` can pick (comma-separated): each runs on its own shop and
#: writes its own part of the report. Without it, everything runs (the figures table
#: needs the whole run).
SECTIONS = {
    "stocktake": (run_stocktake, _stocktake_section),
    "bank": (run_bank_feed_alone, lambda result: bank_feed_section(result)),
    "labels": (run_labels, lambda result: label_section(result, _yes)),
    # Only with BENCH_PEER=tryton.
    "peer": (run_peer_alone, _peer_section),
    "export": (run_export_alone, _export_section),
    "journal": (
        lambda: journal_rates.run_journal_rates(
            float(os.environ.get("BENCH_SCALE", "0.25")), LAST_MONTH_SALES
        ),
        lambda result: [
            "| rate | figure | target | holds? |",
            "|---|---|---|---|",
            *journal_rates.rows(result),
        ],
    ),
}


def header_lines(started_at: datetime, seconds: float, load: tuple, note: str = "") -> list[str]:
    m = machine()
    return [
        "# Benchmark results" + (f" ({note})" if note else ""),
        "",
        "Written by `make bench` (`bench/run.py`); every number below comes from that run.",
        "",
        f"- **Date**: {started_at:%Y-%m-%d %H:%M} UTC; the whole run took {seconds / 60:.1f} min",
        f"- **Machine**: {m['cpu']}, {m['memory']} RAM, {m['os']}; load average "
        f"{load[0][0]:.2f} before, {load[1][0]:.2f} after",
        f"- **Versions**: Python {m['python']}, SQLite {m['sqlite']}, {m['versions']}; "
        f"libharfbuzz-subset present: {m['harfbuzz_subset']}; commit {m['commit']}",
        f"- **Repeats**: {'quick (BENCH_QUICK)' if QUICK else 'full'}; times in "
        "milliseconds; p95/p99 by nearest rank",
        "",
    ]


def main_only(names: list[str]) -> int:
    """``BENCH_ONLY``: the named sections alone, their report beside results.md."""
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        print(f"BENCH_ONLY: unknown section(s) {', '.join(unknown)}; "
              f"choose from {', '.join(SECTIONS)}", file=sys.stderr)  # fmt: skip
        return 2
    if "peer" in names and PEER != "tryton":
        print("BENCH_ONLY=peer: name the peer, BENCH_PEER=tryton", file=sys.stderr)
        return 2
    began = time.monotonic()
    load_before = os.getloadavg()
    started_at = datetime.now(UTC)
    results = {name: SECTIONS[name][0]() for name in names}
    load = (load_before, os.getloadavg())
    lines = header_lines(started_at, time.monotonic() - began, load, "only " + ", ".join(names))
    lines[2] = (
        f"Written by `{'BENCH_PEER=tryton ' if 'peer' in names else ''}"
        f"BENCH_ONLY={','.join(names)} make bench` (`bench/run.py`): only "
        "these sections; every number below comes from that run."
    )
    for name in names:
        lines += SECTIONS[name][1](results[name])
    text = "\n".join(lines) + "\n"
    out = Path(os.environ.get("BENCH_OUT") or BENCH / f"results-{'-'.join(names)}.md")
    out.write_text(text)
    print(text)
    log(f"written to {out} in {time.monotonic() - began:.0f} s")
    failed = [n for n in names if isinstance(results[n], dict) and results[n].get("failed")]
    return 1 if failed else 0


def main() -> int:
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if PEER and PEER not in PEERS:
        print(f"BENCH_PEER: unknown peer {PEER!r}; choose from {', '.join(PEERS)}",
              file=sys.stderr)  # fmt: skip
        return 2
    only = [n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()]
    if only:
        return main_only(only)
    scale = float(os.environ.get("BENCH_SCALE", "0.25"))
    small_scale = scale / 10
    began = time.monotonic()
    load_before = os.getloadavg()
    started_at = datetime.now(UTC)

    main_db, main_meta = build_shop(scale, LAST_MONTH_SALES)
    small_db, small_meta = build_shop(small_scale, None)

    # The main shop in process, then again (a fresh copy) over HTTP.
    path, instance = working_copy(main_db, "main-inprocess")
    main_prep = prepare(path, instance)
    inproc = run_in_process(main_prep, "main")
    path, instance = working_copy(main_db, "main-http")
    http_prep = prepare(path, instance)
    over_http = run_http(http_prep, "main")
    # The ten-times comparison: the same sales on the main and the small shop, one after
    # the other, so that both see the same machine.
    path, instance = working_copy(main_db, "main-compare")
    big_prep = prepare(path, instance)
    path, instance = working_copy(small_db, "small-compare")
    small_prep = prepare(path, instance)
    small = run_comparison(big_prep, small_prep)
    # The counter page in Chromium on a slow mobile link, on a copy of its own.
    path, instance = working_copy(main_db, "main-counter-page")
    page_prep = prepare(path, instance)
    counter_page = run_counter_page_safely(page_prep)
    # A transfer confirmed by the bank itself (the poller at its real cadence), on the
    # small shop: what is measured is the feed's cycle, not the history's size.
    path, instance = working_copy(small_db, "bank-feed")
    bank_feed = run_bank_feed(prepare(path, instance))
    # Issue 21's stocktake, on a shop of its own (3,030 items), over HTTP.
    stocktake = run_stocktake()
    # A price tag's TSPL bytes, in process.
    label_bytes = run_labels()
    # The main shop's journal checked and imported again, by this run's code.
    rates = journal_rates.run_journal_rates(scale, LAST_MONTH_SALES)
    # BENCH_PEER=tryton: our API sale side by side with Tryton's, on a copy of the main shop.
    peer = {}
    if PEER == "tryton":
        path, instance = working_copy(main_db, "main-peer")
        peer = run_peer(prepare(path, instance), "main")

    report = Report(
        scale=scale,
        main_meta=main_meta,
        small_meta=small_meta,
        main_prep=main_prep,
        small_prep=small_prep,
        inproc=inproc,
        over_http=over_http,
        small=small,
        counter_page=counter_page,
        bank_feed=bank_feed,
        label_bytes=label_bytes,
        stocktake=stocktake,
        journal_rates=rates,
        peer=peer,
        started_at=started_at,
        seconds=time.monotonic() - began,
        load=(load_before, os.getloadavg()),
    )
    text = report.markdown()
    out = Path(os.environ.get("BENCH_OUT") or RESULTS)
    out.write_text(text)
    print(text)
    log(f"written to {out} in {time.monotonic() - began:.0f} s")
    return 0


@dataclass
class Report:
    scale: float
    main_meta: dict
    small_meta: dict
    main_prep: Prepared
    small_prep: Prepared  # the small shop of the comparison
    inproc: dict
    over_http: dict
    small: dict
    counter_page: dict
    started_at: datetime
    seconds: float
    load: tuple
    bank_feed: dict = field(default_factory=dict)
    label_bytes: dict = field(default_factory=dict)
    stocktake: dict = field(default_factory=dict)
    journal_rates: dict = field(default_factory=dict)
    peer: dict = field(default_factory=dict)  # only with BENCH_PEER=tryton

    def floor(self, run: dict) -> Figure:
        return run["figures"][FLOOR]

    def row(self, figure: Figure, floor: Figure, *, p99: bool = False, target: str = "",
            verdict: str = "") -> str:  # fmt: skip
        ratio = figure.median / floor.median if floor else None
        return (
            f"| {figure.name} | {figure.transport} | {figure.n} | {fmt(figure.median)} | "
            f"{fmt(figure.pct(95))} | {fmt(figure.pct(99)) if p99 else '–'} | "
            f"{fmt(ratio, 1)}× | {target} | {verdict} |"
        )

    def markdown(self) -> str:
        lines = header_lines(self.started_at, self.seconds, self.load)
        lines += self.shops()
        lines += self.table()
        lines += self.targets()
        lines += self.counter_page_section()
        lines += bank_feed_section(self.bank_feed)
        lines += _stocktake_section(self.stocktake)
        lines += label_section(self.label_bytes, _yes)
        if self.peer:
            lines += _peer_section(self.peer)
        return "\n".join(lines) + "\n"

    def counter_page_section(self) -> list[str]:
        page = self.counter_page
        out = ["", "## The counter page on a slow mobile link", ""]
        if page.get("skipped"):
            return out + [f"Not measured: {page['skipped']}"]
        out += [
            "Debian's Chromium at 360×740 through Playwright, the DevTools network emulation "
            "at 300 ms round trip, 750 kbps down, 250 kbps up (`bench/counter_page.py`), "
            f"{len(page['sales_ms'])} three-item cash sales.",
            "",
            "| figure | measured | target | holds? |",
            "|---|---:|---|---|",
        ]

        def row(name, value, target, ok):
            out.append(f"| {name} | {value} | {target} | {_yes(ok, '')} |")

        scan, sale, most = (page[k] for k in ("scan_median_ms", "sale_median_ms",
                                              "sale_requests_max"))  # fmt: skip
        row("a scan shows its line, median", f"{scan} ms", "< 100 ms",
            scan is not None and scan < 100)  # fmt: skip
        row("a three-item cash sale, first scan to change shown, median", f"{sale} ms",
            "≤ 1,000 ms", sale is not None and sale <= 1000)  # fmt: skip
        row("requests a sale makes after the page loaded (most)", most,
            "≤ 2", most is not None and most <= 2)  # fmt: skip
        row("the page's first load on the slow link", f"{page['first_load_bytes'] / 1024:.0f} KB "
            f"in {page['first_load_requests']} requests, {page['first_load_ms']} ms",
            "< 150 KB", page["first_load_bytes"] < 150 * 1024)  # fmt: skip
        row("requests to another host", len(page["foreign_requests"]), "0",
            not page["foreign_requests"])  # fmt: skip
        rail = page.get("rail_bytes")
        row(f"the rail copy ({page.get('rail_items')} items), on the wire",
            f"{rail / 1024:.0f} KB" if rail is not None else "–", "< 150 KB for 3,000 items",
            rail is not None and rail < 150 * 1024)  # fmt: skip
        row("the link cut: the sale completes on screen", page["offline_sale_on_screen"], "yes",
            page["offline_sale_on_screen"])  # fmt: skip
        arrival = page.get("offline_arrival_ms")
        row("… then in the database after the link is back",
            f"{arrival} ms, {page['offline_copies']} time(s)" if arrival is not None else "never",
            "≤ 5,000 ms, once", arrival is not None and arrival <= 5000
            and page["offline_copies"] == 1)  # fmt: skip
        out += [f"- {problem}" for problem in page["problems"]]
        return out

    def shops(self) -> list[str]:
        out = ["## The shops measured", ""]
        for label, meta, prep in (
            ("main", self.main_meta, self.main_prep),
            ("small (history ÷ 10)", self.small_meta, self.small_prep),
        ):
            c = meta["counts"]
            out.append(
                f"- **{label}**: scale {meta['scale']:g}"
                + (f" with {meta['last_month_sales']:,} sales in {MONTH_TO_CLOSE}"
                   if meta["last_month_sales"] else "")
                + f" — {c['members']} members, {c['items']:,} items and {c['lots']} lots in "
                f"{c['intakes']:,} intakes, {c['shifts']:,} shifts, {c['sales']:,} sales "
                f"({c['sale_lines']:,} lines, {c['voids']} voided), {c['refunds']} refunds, "
                f"{c['price_changes']} price changes, {c['disposals']:,} disposals, "
                f"{c['expenses']} expenses, {c['closed_months']} closed months; "
                f"{prep.counts['in_stock']:,} items on the rail when measured (a shop with "
                f"fewer than {ITEMS_NEEDED} gets a bag donated that morning). Journal "
                f"{meta['journal_bytes'] / 1e6:.1f} MB, generated in {meta['generate_s']:.1f} s, "
                f"imported in {meta['import_s']:.1f} s (built {meta['built_at']})."
            )  # fmt: skip
        out += [
            "",
            "Full size (`BENCH_SCALE=1`) is three years, 25 members, about 150,000 items and "
            "120,000 sales; the default scale keeps the three years and the members and "
            "scales the number of items and sales (see the notes for why and for the import "
            "rate behind it).",
            "",
        ]
        return out

    def table(self) -> list[str]:
        out = [
            "## Figures",
            "",
            "Median, p95 and p99 in ms over n runs; × floor is the median over the median of "
            "the floor measured the same way (in process or over HTTP) in this run.",
            "",
            "| what | how | n | median | p95 | p99 | × floor | target | holds? |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        verdicts = self.verdicts()
        for run in (self.inproc, self.over_http):
            floor = self.floor(run)
            ordered = {FLOOR: floor, **run["figures"]}
            for name, figure in ordered.items():
                p99 = name.startswith("lookup") or name.startswith("floor")
                target, verdict = verdicts.get((name, figure.transport), ("", ""))
                out.append(self.row(figure, floor, p99=p99, target=target, verdict=verdict))
        in_process_floor = self.floor(self.inproc)
        for name, figure in self.small["figures"].items():
            target, verdict = verdicts.get((name, "in-process"), ("", ""))
            out.append(self.row(figure, in_process_floor, target=target, verdict=verdict))
        export = self.inproc["export"]
        meta = self.main_meta
        out += [
            "",
            "| rate | figure | target | holds? |",
            "|---|---|---|---|",
            f"| journal import (main shop, when its cache was built: {_built(meta)}) | "
            f"{meta['counts']['sales'] / meta['import_s']:,.0f} sales/s; "
            f"{meta['journal_bytes'] / 1e6 / meta['import_s']:.2f} MB/s; "
            f"{meta['import_s']:.1f} s for the whole journal |  |  |",
            *journal_rates.rows(self.journal_rates),
            export_row(export),
        ]
        receipts = self.over_http.get("receipts", {})
        if receipts.get("figure"):
            r = receipts["figure"]
            out.append(
                f"| receipts printed by gunicorn's print thread (HTTP sales) | "
                f"{receipts['printed']} of {receipts['sales']}; commit → sent to the printer: "
                f"median {fmt(r.median)} ms, p95 {fmt(r.pct(95))} ms |  |  |"
            )
        weight = self.inproc["counter_weight"]
        out += [
            "",
            "Counter page (with three items in the cart), as a browser loads it: "
            f"{weight['total_bytes'] / 1024:.1f} KB in {weight['requests']} requests "
            f"(HTML {weight['html_bytes'] / 1024:.1f} KB; "
            + ", ".join(f"{url} {size / 1024:.1f} KB" for url, size in weight["files"].items())
            + "); requests to another host: "
            + (", ".join(weight["other_hosts"]) if weight["other_hosts"] else "none")
            + ".",
            f"Statement PDF of member {self.main_prep.statement_member} for {MONTH_TO_CLOSE} "
            f"(the most lines, {self.main_prep.counts['statement_lines']} sold): "
            f"{self.inproc['statement_pages']} pages; all members: "
            f"{self.inproc['statements_pages']} pages. {MONTH_TO_CLOSE} holds "
            f"{self.main_prep.counts['month_sales']:,} sales.",
            "",
        ]
        return out

    def verdicts(self) -> dict:
        v: dict = {}
        for run in (self.inproc, self.over_http):
            f = run["figures"]
            floor = self.floor(run)
            t = floor.transport
            sale = f["sale (API)"].median / floor.median
            v[("sale (API)", t)] = ("≤ 3× floor", _yes(sale <= 3, f"{sale:.1f}×"))
            per_request = f["sale"].median / (8 * floor.median)
            v[("sale", t)] = (
                "≤ 3× floor per request (8 requests)",
                _yes(per_request <= 3, f"{per_request:.1f}× per request"),
            )
            p99 = f["lookup (API)"].pct(99)
            v[("lookup (API)", t)] = ("p99 < 2 ms", _yes(p99 < 2, f"p99 {p99:.2f} ms"))
            if "lookup (service)" in f:
                p99 = f["lookup (service)"].pct(99)
                v[("lookup (service)", t)] = ("p99 < 2 ms", _yes(p99 < 2, f"p99 {p99:.2f} ms"))
            close = f["close month"].median
            v[("close month", t)] = ("< 1 s", _yes(close < 1000, f"{close:,.0f} ms"))
            one = f["statement PDF"].median
            v[("statement PDF", t)] = ("≤ 0.25 s", _yes(one <= 250, f"{one:,.0f} ms"))
            every = f["statements PDF, all"].median
            v[("statements PDF, all", t)] = ("≤ 4 s", _yes(every <= 4000, f"{every:,.0f} ms"))
            weight = run["counter_weight"]
            ok = weight["total_bytes"] < 150 * 1024 and not weight["other_hosts"]
            v[("counter page", t)] = (
                "< 150 KB, same host",
                _yes(ok, f"{weight['total_bytes'] / 1024:.0f} KB, {weight['requests']} requests"),
            )
        for name in ("sale", "sale (API)"):
            big = self.small["figures"][f"{name} — main shop"].median
            little = self.small["figures"][f"{name} — small shop"].median
            v[(f"{name} — main shop", "in-process")] = (
                "main ÷ small ≤ 1.2",
                _yes(big / little <= 1.2, f"{big / little:.2f}"),
            )
        return v

    def targets(self) -> list[str]:
        notes = BENCH / "NOTES.md"
        return [notes.read_text()] if notes.exists() else []


def _built(meta: dict) -> str:
    """When and from which commit a cached shop was imported."""
    return f"{meta['built_at']}, commit {meta.get('commit', '?')}"


def _yes(ok: bool, detail: str) -> str:
    return f"{'yes' if ok else '**no**'} ({detail})"


if __name__ == "__main__":
    sys.exit(main())
