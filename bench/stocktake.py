"""A stocktake (issue 21's targets): 3,000 items scanned from three phones at once over
HTTP, every scan recorded once, and the close of the count one transaction well under a
second.

The shop: 3,030 items received three weeks before the bench's clock (mostly single items
given to the group, 60 lots counted by pieces, and 120 consigned by members 2, 3 and 4),
built through the stock service once and cached in ``bench/.cache/``. gunicorn with the
repository's settings serves it (as the bench's other HTTP sections do); member 1, a
coordinator with a bearer token, opens a count of the whole rail through the API. Thirty
items are hidden (six of them the members' consigned ones) and three lots are one piece
short; the other 3,000 are shared among three phones, 1,000 distinct items each.

Each phone is a thread with its own keep-alive connection, signed in as its member with
her PIN, and sends ``POST /api/v1/counts/{n}/scans`` with the CSRF header as the scanning
page does, in batches of the sizes a phone sends (mostly a few scans at a time, now and
then the dozens or the hundred-odd a phone with a weak link has kept). About one batch in
ten is sent a second time on a new connection, as by a phone that lost the answer; its
answer must be ``resent`` for every scan. The three phones start together.

Then the checks (the answers, the database and the API agree: 3,000 rows, 3,000 distinct
client ids, ``scan_count`` 3,000, each client id ``recorded`` exactly once), the rate, and
the close: the coordinator reads the differences and closes the count with the first choice
for each (a missing item lost, a short lot's pieces corrected), timed as one request. The
close is measured on the live server, then again on fresh copies of the count as it was
before closing (a server started on each), for a median. The floor is measured on the same
server the same way (``POST /bench-floor/<code>``: read one row, insert one, commit),
before the scans, between the scans and the close, and after each close.

    .venv/bin/python -m bench.stocktake             # this section alone
    BENCH_ONLY=stocktake make bench                 # the same through make
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.app import BENCH_NOW

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
#: Bump when :func:`build_shop` changes what it builds (the cached copy is then rebuilt).
VERSION = 1

PIN = "2468"
PHONES = 3
PER_PHONE = 1_000
HIDDEN_GROUP = 24  # the group's single items nobody finds
HIDDEN_CONSIGNED = 6  # members' consigned items nobody finds (two each)
SHORT_LOTS = 3  # lots counted one piece short
LOTS = 60
CONSIGNED_EACH = 40  # per consigning member (2, 3, 4)
ITEMS = PHONES * PER_PHONE + HIDDEN_GROUP + HIDDEN_CONSIGNED  # 3,030
#: The close's target, milliseconds.
TARGET_MS = 1_000
RESEND_SHARE = 0.10


def _members() -> list[tuple[str, str, str]]:
    return [
        ("Nguyễn Thị Hồng", "0912000001", "coordinator"),
        ("Trần Thị Ngọc", "0912000002", "member"),
        ("Lê Thị Lan", "0912000003", "member"),
        ("Phạm Thị Mai", "0912000004", "member"),
    ]


# ---------------------------------------------------------------- the shop


def _cache_key() -> str:
    """The built shop's key: what it is built of (bump :data:`VERSION` when the building
    changes) and the migrations it was built with."""
    from bench.run import migration_heads

    text = f"{VERSION}|{ITEMS}|{LOTS}|{CONSIGNED_EACH}|{migration_heads()}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def build_shop(log) -> Path:
    """The 3,030-item shop (cached): members 1–4 with :data:`PIN`, nothing sold."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"stocktake-{_cache_key()}.sqlite3"
    if path.exists():
        log(f"{path.name}: from the cache")
        return path
    for old in CACHE.glob("stocktake-*.sqlite3*"):
        old.unlink()
    building = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(building) + suffix).unlink(missing_ok=True)
    instance = CACHE / "instance-stocktake-build"
    instance.mkdir(exist_ok=True)
    from datetime import date

    from bench.app import config_for
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db
    from shop.models import IntakeKind, Role
    from shop.services import members as member_service
    from shop.services import stock

    log(f"building the stocktake shop: {ITEMS:,} items through the stock service ...")
    started = time.perf_counter()
    app = create_app(config_for(str(building), str(instance), testing=True))
    upgrade_database(app)
    received = BENCH_NOW - timedelta(days=21)
    rng = random.Random(2121)
    kinds = ["Áo", "Quần", "Váy", "Áo khoác", "Đầm", "Áo dài", "Phụ kiện"]
    with app.app_context(), app.test_request_context():
        session = db.session
        for name, phone, role in _members():
            details = member_service.MemberDetails(
                name=name, phone=phone, role=Role(role), joined_on=date(2025, 1, 1)
            )
            member_service.create_member(session, details, PIN, country_code="84")
        boss = member_service.get_member(session, 1)
        tz = app.config["SHOP_TZ"]
        given = stock.receive_intake(
            session, stock.IntakeDetails(IntakeKind.DONATION, received), by=boss, tz=tz
        )
        for n in range(LOTS):
            stock.add_lot(
                session, given,
                stock.LotDetails("Phụ kiện", 10_000 + 5_000 * (n % 4), 10 + n % 30,
                                 f"Tất, khăn loại {n}"),
            )  # fmt: skip
        for owner in (2, 3, 4):
            hers = stock.receive_intake(
                session,
                stock.IntakeDetails(IntakeKind.CONSIGNMENT, received, owner_number=owner),
                by=boss,
                tz=tz,
            )
            for n in range(CONSIGNED_EACH):
                stock.add_item(
                    session, hers,
                    stock.ItemDetails(kinds[n % len(kinds)], 60_000 + 10_000 * (n % 12),
                                      f"Hàng ký gửi {owner}-{n}", size="M"),
                )  # fmt: skip
        for n in range(ITEMS - LOTS - 3 * CONSIGNED_EACH):
            stock.add_item(
                session, given,
                stock.ItemDetails(kinds[n % len(kinds)], 20_000 + 5_000 * rng.randrange(30),
                                  f"Mô tả hàng số {n}", size=["S", "M", "L", "XL"][n % 4]),
            )  # fmt: skip
        session.commit()
        db.session.remove()
        db.engine.dispose()
    raw = sqlite3.connect(building)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    for suffix in ("-wal", "-shm"):
        Path(str(building) + suffix).unlink(missing_ok=True)
    building.replace(path)
    log(f"built in {time.perf_counter() - started:.1f} s")
    return path


@dataclass
class Shop:
    """A working copy of the shop, as gunicorn and :func:`bench.run.gunicorn` want it."""

    database: Path
    instance: Path
    token: str  # member 1's bearer token (a coordinator)
    codes: dict  # "single", "lot", "consigned": codes; "pieces": lot code -> on hand


def working_copy(source: Path, name: str) -> Shop:
    """A copy of ``source`` with its own instance folder, the bench's floor table and a
    token for the coordinator; the codes of what it holds."""
    from sqlalchemy import select

    from bench.app import create_bench_app
    from shop.extensions import db
    from shop.models import Item, ItemStatus, Role
    from shop.services import members as member_service

    folder = CACHE / f"work-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "instance").mkdir(parents=True)
    database = folder / "shop.sqlite3"
    shutil.copyfile(source, database)
    app = create_bench_app(str(database), str(folder / "instance"))
    with app.app_context():
        boss = member_service.get_member(db.session, 1)
        _row, secret = member_service.create_token(db.session, boss, "bench", Role.COORDINATOR)
        db.session.commit()
        codes: dict = {"single": [], "lot": [], "consigned": [], "pieces": {}}
        rows = db.session.execute(
            select(Item.code, Item.is_lot, Item.owner_id, Item.quantity_on_hand)
            .where(Item.status == ItemStatus.IN_STOCK)
            .order_by(Item.id)
        )
        for code, is_lot, owner_id, on_hand in rows:
            if is_lot:
                codes["lot"].append(code)
                codes["pieces"][code] = on_hand
            else:
                codes["consigned" if owner_id else "single"].append(code)
        db.session.remove()
        db.engine.dispose()
    return Shop(database, folder / "instance", secret, codes)


def snapshot(shop: Shop, name: str) -> Path:
    """A consistent copy of the live database (SQLite's backup, while gunicorn runs)."""
    target = shop.database.parent / f"{name}.sqlite3"
    target.unlink(missing_ok=True)
    source = sqlite3.connect(shop.database, timeout=30)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    copy.close()
    source.close()
    return target


# ---------------------------------------------------------------- the plan


@dataclass
class Plan:
    """Who scans what: per phone, the batches (lists of scan dicts) and which are resent."""

    hidden: list[str]
    short_lots: list[str]
    batches: list[list[list[dict]]]
    resend: list[set[int]]

    @property
    def scans(self) -> int:
        return sum(len(b) for phone in self.batches for b in phone)


def batch_size(rng: random.Random) -> int:
    """How many scans a phone sends at once: mostly the few scanned since the last answer,
    sometimes dozens, now and then what a phone kept through a weak spell (up to 200)."""
    roll = rng.random()
    if roll < 0.70:
        return rng.randint(1, 10)
    if roll < 0.95:
        return rng.randint(20, 60)
    return rng.randint(100, 200)


def plan(shop: Shop) -> Plan:
    rng = random.Random(21)
    codes = shop.codes
    hidden = rng.sample(codes["single"], HIDDEN_GROUP) + rng.sample(
        codes["consigned"], HIDDEN_CONSIGNED
    )
    short_lots = rng.sample(codes["lot"], SHORT_LOTS)
    found = [c for c in codes["single"] + codes["consigned"] + codes["lot"] if c not in hidden]
    assert len(found) == PHONES * PER_PHONE, len(found)
    rng.shuffle(found)
    batches, resend = [], []
    for phone in range(PHONES):
        mine = found[phone * PER_PHONE : (phone + 1) * PER_PHONE]
        scans = []
        for index, code in enumerate(mine):
            scan = {"client_id": f"ph{phone + 1}-{index:04d}-{uuid.uuid4().hex[:8]}", "code": code}
            if code in codes["pieces"]:
                scan["pieces"] = codes["pieces"][code] - (1 if code in short_lots else 0)
            scans.append(scan)
        phone_batches = []
        while scans:
            size = batch_size(rng)
            phone_batches.append(scans[:size])
            scans = scans[size:]
        batches.append(phone_batches)
        resend.append({i for i in range(len(phone_batches)) if rng.random() < RESEND_SHARE})
    return Plan(hidden, short_lots, batches, resend)


# ---------------------------------------------------------------- over HTTP


def sign_in(client, phone: str) -> dict:
    """Sign a phone in with her PIN (the page's session) and return the API headers a
    page sends: the CSRF token for writes."""
    from bench.run import CSRF

    status, _l, page = client.get("/sign-in")
    found = CSRF.search(page)
    client.csrf = found.group(1).decode() if found else ""
    status, _l, _b = client.post("/sign-in", form={"phone": phone, "pin": PIN})
    assert status == 303, f"sign-in of {phone} answered {status}"
    client.csrf = ""
    status, _l, body = client.get("/api/v1/csrf-token")
    assert status == 200, (status, body[:200])
    return {"X-CSRFToken": json.loads(body)["csrf_token"]}


def reconnect(client) -> None:
    """A new connection, the same cookies: a phone that lost its link and came back."""
    import http.client

    client.connection.close()
    client.connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=120)


def floor_samples(client, codes: list[str], n: int) -> list[int]:
    samples = []
    for i in range(n):
        code = codes[i % len(codes)]
        started = time.perf_counter_ns()
        status, _l, _b = client.post(f"/bench-floor/{code}")
        samples.append(time.perf_counter_ns() - started)
        assert status == 200, status
    return samples


def scan_over_http(port: int, number: int, the_plan: Plan, client_for) -> dict:
    """The three phones at once; every answer kept."""
    phones = [m[1] for m in _members()[1 : 1 + PHONES]]
    clients, headers = [], []
    for phone in phones:
        client = client_for(port)
        headers.append(sign_in(client, phone))
        clients.append(client)
    barrier = threading.Barrier(PHONES + 1)
    answers: list[list] = [[] for _ in range(PHONES)]
    latencies: list[list[int]] = [[] for _ in range(PHONES)]
    errors: list = []

    def run(p: int) -> None:
        client = clients[p]
        try:
            barrier.wait(60)
            for index, batch in enumerate(the_plan.batches[p]):
                sends = 2 if index in the_plan.resend[p] else 1
                for attempt in range(sends):
                    if attempt:
                        reconnect(client)  # the answer was lost: again, on a new link
                    started = time.perf_counter_ns()
                    status, _l, body = client.post(
                        f"/api/v1/counts/{number}/scans",
                        json_body={"scans": batch},
                        headers=headers[p],
                    )
                    latencies[p].append(time.perf_counter_ns() - started)
                    if status != 200:
                        errors.append((p, index, status, body[:300]))
                        return
                    answers[p].append((index, attempt, json.loads(body)["scans"]))
        except Exception as error:  # noqa: BLE001 - reported with the figures
            errors.append((p, repr(error)))

    threads = [threading.Thread(target=run, args=(p,)) for p in range(PHONES)]
    for thread in threads:
        thread.start()
    barrier.wait(60)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for client in clients:
        client.close()
    return {"answers": answers, "latencies": latencies, "wall_s": wall, "errors": errors}


def check_scans(shop: Shop, number: int, the_plan: Plan, scanned: dict, api_count: dict) -> dict:
    """Every scan recorded once: in the answers, in the database, in the count."""
    problems = list(scanned["errors"])
    recorded: dict[str, int] = {}
    resends = resent_ok = 0
    for phone_answers in scanned["answers"]:
        for _index, attempt, scans in phone_answers:
            for scan in scans:
                if scan["outcome"] == "recorded":
                    recorded[scan["client_id"]] = recorded.get(scan["client_id"], 0) + 1
                elif scan["outcome"] == "refused":
                    problems.append(("refused", scan))
                if attempt:
                    resends += 1
                    resent_ok += scan["outcome"] == "resent"
    wanted = {s["client_id"] for phone in the_plan.batches for b in phone for s in b}
    if set(recorded) != wanted or any(v != 1 for v in recorded.values()):
        problems.append(("recorded", len(recorded), sum(recorded.values()), len(wanted)))
    connection = sqlite3.connect(f"file:{shop.database}?mode=ro", uri=True, timeout=30)
    count_id, scan_count = connection.execute(
        "SELECT id, scan_count FROM stock_count WHERE number = ?", (number,)
    ).fetchone()
    rows, distinct = connection.execute(
        "SELECT count(*), count(DISTINCT client_id) FROM count_scan WHERE count_id = ?",
        (count_id,),
    ).fetchone()
    ids = {r[0] for r in connection.execute(
        "SELECT client_id FROM count_scan WHERE count_id = ?", (count_id,)
    )}  # fmt: skip
    connection.close()
    if not rows == distinct == scan_count == len(wanted) or ids != wanted:
        problems.append(("rows", rows, distinct, scan_count))
    if api_count["scan_count"] != len(wanted):
        problems.append(("api scan_count", api_count["scan_count"]))
    return {
        "rows": rows,
        "distinct": distinct,
        "scan_count": scan_count,
        "api_scan_count": api_count["scan_count"],
        "api_counted": api_count["progress"]["counted"],
        "api_expected": api_count["progress"]["expected"],
        "resends": resends,
        "resent_answered_resent": resent_ok,
        "problems": problems,
    }


def close_once(client, api: dict, number: int) -> dict:
    """Read the differences, decide each (its first choice) and close: the close timed."""
    status, _l, body = client.get(f"/api/v1/counts/{number}/differences", headers=api)
    assert status == 200, (status, body[:300])
    items = json.loads(body)["items"]
    decisions = {d["code"]: {"kind": d["choices"][0], "note": ""} for d in items}
    started = time.perf_counter_ns()
    status, _l, body = client.post(
        f"/api/v1/counts/{number}/close", json_body={"decisions": decisions}, headers=api
    )
    elapsed = time.perf_counter_ns() - started
    assert status == 200, (status, body[:500])
    return {"ns": elapsed, "differences": items, "answer": json.loads(body)}


def check_close(database: Path, number: int, the_plan: Plan, closed: dict) -> list:
    """The close whole: a decision per difference, the hidden items lost with their
    owners paid, the short lots corrected, all at the close's one moment."""
    problems = []
    items = closed["differences"]
    kinds = sorted(d["difference"] for d in items)
    wanted = sorted(["missing"] * len(the_plan.hidden) + ["lot_pieces"] * SHORT_LOTS)
    if kinds != wanted:
        problems.append(("differences", dict(Counter(kinds))))
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    count_id, status, closed_at = connection.execute(
        "SELECT id, status, closed_at FROM stock_count WHERE number = ?", (number,)
    ).fetchone()
    decisions = connection.execute(
        "SELECT count(*), count(DISTINCT at), max(at), sum(compensation_dong), "
        "count(expense_id), count(disposal_id) FROM count_decision WHERE count_id = ?",
        (count_id,),
    ).fetchone()
    placeholders = ",".join("?" * len(the_plan.hidden))
    lost = connection.execute(
        f"SELECT count(*) FROM item WHERE status = 'lost' AND code IN ({placeholders})",  # noqa: S608
        the_plan.hidden,
    ).fetchone()[0]
    paid = connection.execute(
        "SELECT count(*), coalesce(sum(amount_dong), 0) FROM expense "
        "WHERE category = 'compensation'"
    ).fetchone()
    connection.close()
    owed = sum(d["compensation_dong"] for d in items)
    if status != "closed" or decisions[0] != len(items) or decisions[1] != 1:
        problems.append(("decisions", status, decisions))
    if decisions[2] != closed_at:
        problems.append(("decided at", decisions[2], closed_at))
    if lost != len(the_plan.hidden) or decisions[5] != len(the_plan.hidden):
        problems.append(("lost", lost, decisions[5]))
    if paid[0] != HIDDEN_CONSIGNED or paid[1] != owed or decisions[3] != owed or owed <= 0:
        problems.append(("compensation", paid, decisions[3], owed))
    return problems


def run_stocktake(*, client_for, gunicorn, log, repeats: int = 5) -> dict:
    """The whole section; its figures and what the checks found."""
    source = build_shop(log)
    shop = working_copy(source, "stocktake")
    the_plan = plan(shop)
    floor_codes = shop.codes["single"][:200]
    api = {"Authorization": f"Bearer {shop.token}"}
    out: dict = {"items": ITEMS, "plan": the_plan, "floor": [], "close_ns": []}
    with gunicorn(shop) as port:
        boss = client_for(port)
        try:
            floor_samples(boss, floor_codes, 20)  # warm-up
            out["floor"] += floor_samples(boss, floor_codes, 100)
            status, _l, body = boss.post("/api/v1/counts", json_body={"note": "bench"},
                                         headers=api)  # fmt: skip
            assert status == 201, (status, body[:300])
            number = json.loads(body)["number"]
            log(f"count {number} open; {PHONES} phones scan {the_plan.scans:,} items ...")
            scanned = scan_over_http(port, number, the_plan, client_for)
            status, _l, body = boss.get(f"/api/v1/counts/{number}", headers=api)
            assert status == 200, status
            out["scans"] = scanned
            out["check"] = check_scans(shop, number, the_plan, scanned, json.loads(body))
            log(
                f"{the_plan.scans:,} scans in {scanned['wall_s']:.1f} s; problems: "
                f"{str(out['check']['problems'] or 'none')[:500]}"
            )
            before_close = snapshot(shop, "before-close")
            out["floor"] += floor_samples(boss, floor_codes, 100)
            closed = close_once(boss, api, number)
            out["close_ns"].append(closed["ns"])
            out["floor"] += floor_samples(boss, floor_codes, 50)
        finally:
            boss.close()
    out["differences"] = closed["differences"]
    out["close_problems"] = check_close(shop.database, number, the_plan, closed)
    problems = str(out["close_problems"] or "none")[:500]
    log(f"closed in {closed['ns'] / 1e6:.0f} ms; problems: {problems}")
    # Again on fresh copies of the count as it was before closing, each on a server of its
    # own (the first request of a worker after a warm-up, as on the live server above).
    for again in range(repeats - 1):
        folder = shop.database.parent / f"again-{again}"
        (folder / "instance").mkdir(parents=True, exist_ok=True)
        copy = Shop(folder / "shop.sqlite3", folder / "instance", shop.token, shop.codes)
        shutil.copyfile(before_close, copy.database)
        with gunicorn(copy) as port:
            boss = client_for(port)
            try:
                floor_samples(boss, floor_codes, 20)
                out["floor"] += floor_samples(boss, floor_codes, 30)
                closed = close_once(boss, api, number)
                out["close_ns"].append(closed["ns"])
                out["floor"] += floor_samples(boss, floor_codes, 30)
            finally:
                boss.close()
        problems = check_close(copy.database, number, the_plan, closed)
        out["close_problems"] += problems
        log(f"close again ({again + 2}/{repeats}): {closed['ns'] / 1e6:.0f} ms; "
            f"problems: {str(problems or 'none')[:500]}")  # fmt: skip
    return out


# ---------------------------------------------------------------- the report


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def stocktake_section(result: dict, yes) -> list[str]:
    out = ["", "## A stocktake: 3,000 items from three phones at once", ""]
    if not result:
        return out + ["Not measured."]
    if result.get("failed"):
        return out + [f"Not measured: {result['failed']}"]
    the_plan: Plan = result["plan"]
    scanned, check = result["scans"], result["check"]
    floor_ms = _median([s / 1e6 for s in result["floor"]])
    close_ms = [s / 1e6 for s in result["close_ns"]]
    close = _median(close_ms)
    batches = sum(len(b) for b in the_plan.batches)
    resent = sum(len(r) for r in the_plan.resend)
    latencies = [s / 1e6 for phone in scanned["latencies"] for s in phone]
    rate = the_plan.scans / scanned["wall_s"]
    once = not check["problems"] and check["resent_answered_resent"] == check["resends"]
    missing = sum(1 for d in result["differences"] if d["difference"] == "missing")
    lots = sum(1 for d in result["differences"] if d["difference"] == "lot_pieces")
    paid = sum(d["compensation_dong"] for d in result["differences"])
    owners = sum(1 for d in result["differences"] if d["owner"] is not None)
    out += [
        f"gunicorn with the shop's settings on a shop of {result['items']:,} items "
        f"({LOTS} lots, {3 * CONSIGNED_EACH} consigned by three members), a count of the whole "
        f"rail opened through the API (`bench/stocktake.py`). Three phones (threads, each "
        f"signed in as her member with her PIN, one keep-alive connection each) send "
        f"{the_plan.scans:,} distinct items, 1,000 each, at once as `POST /api/v1/counts/"
        f"{{n}}/scans` in {batches} batches of 1 to 200 (median "
        f"{_median([len(b) for p in the_plan.batches for b in p]):.0f}); {resent} of them sent "
        f"twice on a new connection, as by a phone that lost the answer. "
        f"{len(the_plan.hidden)} items stay hidden ({HIDDEN_CONSIGNED} of them members' "
        f"consigned ones) and {SHORT_LOTS} lots are counted a piece short. The floor "
        f"(`POST /bench-floor/<code>`: read one row, insert one, commit) is measured on the "
        f"same server, {len(result['floor'])} times around the scans and the closes: median "
        f"{floor_ms:.2f} ms.",
        "",
        "| figure | measured | × floor | target | holds? |",
        "|---|---:|---:|---|---|",
        f"| {the_plan.scans:,} scans from 3 phones at once, wall time | "
        f"{scanned['wall_s']:.1f} s: **{rate:,.0f} scans/s** ({batches + resent} requests) | "
        f"– | every scan recorded once | "
        + yes(once, f"{check['rows']:,} rows, {check['distinct']:,} distinct client ids, "
              f"scan_count {check['scan_count']:,} (API {check['api_scan_count']:,}); "
              f"{check['resends']} resent scans all answered `resent`")
        + " |",
        f"| one batch of scans, per request (n={len(latencies)}) | median "
        f"{_median(latencies):.0f} ms, p95 {_p95(latencies):.0f} ms | "
        f"{_median(latencies) / floor_ms:.1f}× | | |",
        f"| closing the count: {len(result['differences'])} differences decided "
        f"({missing} lost, {owners} of them paid to their owner {paid:,} ₫ in all; {lots} lots "
        f"corrected), one request, one transaction (median of {len(close_ms)}: "
        + ", ".join(f"{ms:.0f}" for ms in close_ms)
        + f" ms) | {close:.0f} ms | {close / floor_ms:.0f}× | < {TARGET_MS:,} ms | "
        + yes(close < TARGET_MS and not result["close_problems"],
              f"{close:.0f} ms; whole: {not result['close_problems']}")
        + " |",
        f"| progress seen by the API after the scans | {check['api_counted']:,} counted of "
        f"{check['api_expected']:,} expected | | | |",
    ]  # fmt: skip
    for problem in check["problems"] + result["close_problems"]:
        out.append(f"- problem: {str(problem)[:300]}")
    return out


if __name__ == "__main__":  # this section alone
    import os
    import sys

    os.environ.setdefault("BENCH_ONLY", "stocktake")
    from bench import run as bench_run

    sys.exit(bench_run.main())
