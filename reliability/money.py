"""Money rules raced over HTTP, one token per counter, and database backends killed
mid-request, through gunicorn as production runs it.

Races (each released at a barrier, many rounds; every device has a token of its own, as
real counters have, so nothing queues them one after another):

* refunds of one line from several counters at once: never more back than was paid, nor
  more pieces than were sold;
* a void racing a refund of the same sale: one of them goes through, never both;
* one sale voided from several counters at once: voided once, the others told so (4xx);
* a shift closed while its cashier's other devices ring up sales and give cash back: what
  the close kept is what the drawer took, and nothing in it is dated after its close;
* payouts against a month racing the next month's close: what was paid is not also
  brought into the next month.

Kills (PostgreSQL): while counters sell and refund, another connection terminates the
shop's busy database backends at random. Every answer is then checked against the books:
a 2xx or "saved" must be there, a refusal or "nothing was saved" must not, an "it is not
known" (or no answer) is sent again with the same key until it is definite. An answer that
says the opposite of the books is a lie; the table counts them.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reliability.live import NoAnswer, Server, app_config, call, fill_shop, fresh_database


@dataclass
class MoneyFigures:
    database: str
    requests: int = 0
    rounds: int = 0
    server_errors: int = 0  # 5xx other than an honest 503
    no_answer: int = 0
    money_wrong: int = 0  # a rule broken in the books afterwards
    #: kills (PostgreSQL only)
    backends_killed: int = 0
    kill_requests: int = 0
    kill_definite: int = 0  # answered 2xx or 4xx (or "saved") at once
    kill_retried: int = 0  # 503 or no answer: sent again with the same key
    lies: int = 0  # an answer the books contradict
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


@dataclass
class Prepared:
    coordinator_tokens: list[str]
    #: member number → her tokens (one per device)
    devices: dict[int, list[str]]
    dresses: list[str]
    lots: list[str]
    months: list[str]  # the months to race payouts and closes over, oldest first


def _prepare(url: str, workdir: Path, rounds: int) -> Prepared:
    """A shop with devices for four cashiers and, for the payout races, a consignor's
    sales in each of the ``rounds + 1`` months before this one, the first of them closed."""
    from shop import create_app
    from shop.cli import upgrade_database
    from shop.extensions import db
    from shop.models import IntakeKind, Member, Role
    from shop.services import counter, stock
    from shop.services import members as member_service
    from shop.services import month as month_service

    app = create_app(app_config(url, workdir))
    upgrade_database(app)
    try:
        shop = fill_shop(app, cashiers=4, plain_members=0, items=rounds * 3, lots=rounds * 3,
                         lot_quantity=5)  # fmt: skip
        tz = app.config["SHOP_TZ"]
        today = datetime.now(tz).date()
        months = []
        first = date(today.year, today.month, 1)
        for _ in range(rounds + 1):
            first = (first - timedelta(days=1)).replace(day=1)
            months.insert(0, f"{first:%Y-%m}")
        with app.app_context(), app.test_request_context():
            session = db.session
            for member in session.query(Member):
                member.joined_on = date(first.year - 1, 1, 1)  # a member in every month raced
            boss = member_service.get_member(session, 1)
            tokens = [shop.coordinator_token]
            for n in range(3):
                tokens.append(
                    member_service.create_token(session, boss, f"office {n}", Role.COORDINATOR)[1]
                )
            devices: dict[int, list[str]] = {}
            for number, token in shop.cashiers:
                owner = member_service.get_member(session, number)
                devices[number] = [token] + [
                    member_service.create_token(session, owner, f"device {n}", Role.MEMBER)[1]
                    for n in range(3)
                ]
            seller = member_service.get_member(session, 2)
            start = datetime(first.year, first.month, 2, 9, tzinfo=tz)
            intake = stock.receive_intake(
                session,
                stock.IntakeDetails(IntakeKind.CONSIGNMENT, start, owner_number=2),
                by=boss,
                tz=tz,
            )
            for month in months:
                year, number = int(month[:4]), int(month[5:])
                opened = datetime(year, number, 10, 9, tzinfo=tz)
                item = stock.add_item(session, intake, stock.ItemDetails("Váy", 200_000))
                shift = counter.open_shift(session, seller, 0, at=opened, tz=tz)
                counter.record_sale(
                    session, counter.SaleRequest((counter.LineRequest(item.code),)),
                    cashier=seller, at=opened + timedelta(hours=1), tz=tz, shift=shift,
                )  # fmt: skip
                counter.close_shift(session, shift, 200_000, at=opened + timedelta(hours=2),
                                    by=seller)  # fmt: skip
            month_service.close_month(session, months[0], by=boss, at=datetime.now(UTC), tz=tz)
            session.commit()
        return Prepared(tokens, devices, shop.unique_codes, shop.lot_codes, months)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class _Racer:
    def __init__(self, port: int, figures: MoneyFigures):
        self.port, self.figures = port, figures
        self.seen: dict[str, list] = {}  # key → (status, error) of each try

    def send(self, method: str, path: str, body=None, *, token: str, key: str | None = None):
        headers = {"Idempotency-Key": key} if key else None
        try:
            status, answer = call(self.port, method, path, body, token=token, headers=headers,
                                  timeout=60)  # fmt: skip
        except NoAnswer as error:
            self.figures.no_answer += 1
            self.figures.problem(f"{method} {path}: no answer: {error}")
            return None, None
        if status >= 500:
            self.figures.server_errors += 1
            self.figures.problem(f"{method} {path}: {status} {answer!r:.200}")
        return status, answer

    def race(self, *requests) -> list:
        """Send ``requests`` ((method, path, body, token), …) at the same instant."""
        barrier = threading.Barrier(len(requests))
        answers: list = [None] * len(requests)

        def run(index, method, path, body, token):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(20)
            answers[index] = self.send(method, path, body, token=token,
                                       key=f"race-{uuid.uuid4().hex}")  # fmt: skip

        threads = [threading.Thread(target=run, args=(i, *r), daemon=True)
                   for i, r in enumerate(requests)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        self.figures.requests += len(requests)
        return answers

    def sell(self, token: str, code: str, quantity: int = 1) -> tuple[int, int]:
        """Ring up ``quantity`` of ``code``; (sale number, total)."""
        body = {"client_id": f"sale-{uuid.uuid4().hex}",
                "lines": [{"code": code, "quantity": quantity}]}  # fmt: skip
        status, answer = self.send("POST", "/api/v1/sales", body, token=token)
        if status != 201:
            raise RuntimeError(f"could not sell {code}: {status} {answer!r:.200}")
        return answer["number"], answer["total_dong"]


def _refund(number: int, token: str, amount: int, quantity: int):
    body = {"line": 0, "amount_dong": amount, "quantity": quantity, "method": "cash",
            "reason": "khách trả"}  # fmt: skip
    return ("POST", f"/api/v1/sales/{number}/refunds", body, token)


def _void(number: int, token: str):
    return ("POST", f"/api/v1/sales/{number}/void", {"reason": "bấm nhầm"}, token)


def run_money(
    kind: str, workdir: Path, *, server_url: str | None = None, rounds: int = 6,
    kill_seconds: float = 12.0,
) -> MoneyFigures:  # fmt: skip
    started = time.monotonic()
    figures = MoneyFigures(database=kind)
    workdir.mkdir(parents=True, exist_ok=True)
    with fresh_database(kind, workdir, server_url) as url:
        shop = _prepare(url, workdir, rounds)
        from sqlalchemy import create_engine

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with Server(url, workdir, workdir / "gunicorn.log") as server:
                server.start()
                racer = _Racer(server.port, figures)
                for tokens in shop.devices.values():
                    racer.send("POST", "/api/v1/shifts", {"opening_float_dong": 1_000_000},
                               token=tokens[0])  # fmt: skip
                _races(racer, shop, engine, figures, rounds)
                if kind == "postgresql":
                    _kills(racer, shop, engine, url, workdir, figures, kill_seconds)
        finally:
            engine.dispose()
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _races(racer: _Racer, shop: Prepared, engine, figures: MoneyFigures, rounds: int) -> None:
    from sqlalchemy import text

    two, three, four, five = (shop.devices[n] for n in (2, 3, 4, 5))
    for n in range(rounds):
        figures.rounds += 1
        # Refunds of one line from several counters at once.
        dress, dress_paid = racer.sell(two[0], shop.dresses[3 * n])
        lot, _lot_paid = racer.sell(two[0], shop.lots[3 * n], 5)
        racer.race(
            *[_refund(dress, t, dress_paid, 1) for t in (three[0], four[0])],
            *[_refund(dress, t, 1_000, 0) for t in (three[1], four[1])],
            *[_refund(lot, t, 2 * 5_000, 2) for t in (two[1], three[2], four[2])],
        )
        with engine.connect() as connection:
            for number in (dress, lot):
                paid, pieces, back, returned = connection.execute(text(
                    "SELECT MAX(l.net_dong), MAX(l.quantity), COALESCE(SUM(r.amount_dong), 0), "
                    "COALESCE(SUM(r.quantity), 0) FROM sale s JOIN sale_line l ON l.sale_id = s.id "
                    "LEFT JOIN refund r ON r.sale_line_id = l.id WHERE s.number = :n"
                ), {"n": number}).one()  # fmt: skip
                if back > paid or returned > pieces:
                    figures.money_wrong += 1
                    figures.problem(f"sale {number}: {back} back of {paid}, {returned} of {pieces}")
        # A void racing a refund of the same sale.
        sale, _paid = racer.sell(two[0], shop.lots[3 * n + 1], 3)
        racer.race(_void(sale, two[1]), _refund(sale, three[0], 5_000, 1))
        # One sale voided from several counters at once.
        voided, _paid = racer.sell(two[0], shop.dresses[3 * n + 1])
        answers = racer.race(*[_void(voided, t) for t in (two[1], two[2], two[3])])
        if sum(1 for status, _ in answers if status == 200) != 1:
            figures.money_wrong += 1
            figures.problem(f"sale {voided} voided {answers!r:.300}")
        with engine.connect() as connection:
            for number in (sale, voided):
                voids, refunds = connection.execute(text(
                    "SELECT (SELECT COUNT(*) FROM void v WHERE v.sale_id = s.id), "
                    "(SELECT COUNT(*) FROM refund r JOIN sale_line l ON r.sale_line_id = l.id "
                    "WHERE l.sale_id = s.id) FROM sale s WHERE s.number = :n"
                ), {"n": number}).one()  # fmt: skip
                if voids > 1 or (voids and refunds):
                    figures.money_wrong += 1
                    figures.problem(f"sale {number}: {voids} voids and {refunds} refunds")
        # A shift closed while the cashier's other devices sell and give cash back.
        earlier, _paid = racer.sell(five[0], shop.lots[3 * n + 2], 2)
        racer.race(
            ("POST", "/api/v1/sales", {"client_id": f"s-{uuid.uuid4().hex}",
                                       "lines": [{"code": shop.dresses[3 * n + 2]}]}, five[1]),
            ("POST", "/api/v1/sales", {"client_id": f"s-{uuid.uuid4().hex}",
                                       "lines": [{"code": shop.lots[3 * n + 2]}]}, five[2]),
            _refund(earlier, five[3], 5_000, 1),
            ("POST", "/api/v1/shifts/current/close", {"counted_cash_dong": 0}, five[0]),
        )  # fmt: skip
        with engine.connect() as connection:
            for shift_id, expected, closed_at, opening in connection.execute(text(
                "SELECT id, expected_cash_dong, closed_at, opening_float_dong FROM shift "
                "WHERE closed_at IS NOT NULL AND expected_cash_dong IS NOT NULL "
                "AND member_id = (SELECT id FROM member WHERE number = 5)"
            )):  # fmt: skip
                took = connection.execute(text(
                    "SELECT COALESCE(SUM(s.cash_dong), 0) FROM sale s LEFT JOIN void v "
                    "ON v.sale_id = s.id WHERE s.shift_id = :i AND v.id IS NULL"
                ), {"i": shift_id}).scalar()  # fmt: skip
                gave = connection.execute(text(
                    "SELECT COALESCE(SUM(amount_dong), 0) FROM refund WHERE shift_id = :i "
                    "AND method = 'cash'"
                ), {"i": shift_id}).scalar()  # fmt: skip
                late = connection.execute(text(
                    "SELECT COUNT(*) FROM sale WHERE shift_id = :i AND at > :c"
                ), {"i": shift_id, "c": closed_at}).scalar()  # fmt: skip
                if expected != opening + took - gave or late:
                    figures.money_wrong += 1
                    figures.problem(
                        f"shift {shift_id}: kept {expected}, drawer {opening + took - gave}, "
                        f"{late} sales after its close"
                    )
        racer.send("POST", "/api/v1/shifts", {"opening_float_dong": 0}, token=five[0])
    # Payouts against a month racing the next month's close, month after month.
    for month, following in zip(shop.months, shop.months[1:], strict=False):
        year, number = int(following[:4]), int(following[5:])
        paid_on = f"{year:04d}-{number:02d}-05"
        payout = {"member": 2, "month": month, "amount_dong": 1_000, "paid_on": paid_on,
                  "method": "cash"}  # fmt: skip
        racer.race(
            ("POST", "/api/v1/payouts", payout, shop.coordinator_tokens[0]),
            ("POST", "/api/v1/payouts", payout, shop.coordinator_tokens[1]),
            ("POST", f"/api/v1/months/{following}/close", {}, shop.coordinator_tokens[2]),
        )
        with engine.connect() as connection:
            rows = dict(connection.execute(text(
                "SELECT c.month, m.due_dong FROM closed_month c "
                "JOIN closed_month_member m ON m.closed_month_id = c.id "
                "WHERE m.member_number = 2 AND c.month IN (:a, :b)"
            ), {"a": month, "b": following}).all())  # fmt: skip
            brought = connection.execute(text(
                "SELECT m.brought_forward_dong FROM closed_month c JOIN closed_month_member m "
                "ON m.closed_month_id = c.id WHERE m.member_number = 2 AND c.month = :b"
            ), {"b": following}).scalar()  # fmt: skip
            paid = connection.execute(text(
                "SELECT COALESCE(SUM(p.amount_dong), 0) FROM payout p JOIN closed_month c "
                "ON c.id = p.closed_month_id WHERE c.month = :a AND p.member_id = "
                "(SELECT id FROM member WHERE number = 2)"
            ), {"a": month}).scalar()  # fmt: skip
        if following not in rows:
            figures.problem(f"{following} did not close")
            figures.money_wrong += 1
        elif brought != rows[month] - paid:
            figures.money_wrong += 1
            figures.problem(
                f"{following} brought {brought} in; {month} was due {rows[month]}, paid {paid}"
            )


def _kills(racer, shop: Prepared, engine, url: str, workdir: Path, figures: MoneyFigures,
           seconds: float):  # fmt: skip
    """Counters sell and refund while another connection kills the shop's busy backends."""
    from sqlalchemy import create_engine, text

    name = engine.url.database
    admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    stop = threading.Event()
    rng = random.Random(11)

    def killer():
        with admin.connect() as connection:
            while not stop.is_set():
                time.sleep(rng.uniform(0.02, 0.15))
                killed = connection.execute(text(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid() AND state <> 'idle'"
                ), {"d": name}).scalar()  # fmt: skip
                figures.backends_killed += killed or 0

    # Each counter sends sales (a client id each) of fresh lots and refunds with a key.
    from shop import create_app
    from shop.extensions import db
    from shop.models import IntakeKind
    from shop.services import members as member_service
    from shop.services import stock

    app = create_app(app_config(url, workdir))
    with app.app_context(), app.test_request_context():
        boss = member_service.get_member(db.session, 1)
        intake = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)), by=boss,
            tz=app.config["SHOP_TZ"],
        )  # fmt: skip
        codes = [stock.add_lot(db.session, intake, stock.LotDetails("Tất", 5_000, 10_000)).code
                 for _ in range(4)]  # fmt: skip
        db.session.commit()
        db.engine.dispose()

    outcomes: list[tuple[str, str, str]] = []  # (kind, key, what the answer said)
    lock = threading.Lock()

    def counter(number: int, tokens: list[str], code: str):
        deadline = time.monotonic() + seconds
        sold: list[int] = []
        while time.monotonic() < deadline:
            key = f"kill-{uuid.uuid4().hex}"
            if sold and rng.random() < 0.3:
                kind, path = "refund", f"/api/v1/sales/{rng.choice(sold)}/refunds"
                body = {"line": 0, "amount_dong": 1_000, "quantity": 0, "method": "cash",
                        "reason": "thử"}  # fmt: skip
            else:
                kind, path = "sale", "/api/v1/sales"
                body = {"client_id": key, "lines": [{"code": code}]}
            said = _until_definite(racer, path, body, tokens[0], key, figures)
            with lock:
                outcomes.append((kind, key, said[0]))
            if kind == "sale" and said[0] == "saved" and said[1]:
                sold.append(said[1])

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    workers = [threading.Thread(target=counter, args=(n, t, codes[i]), daemon=True)
               for i, (n, t) in enumerate(shop.devices.items())]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 120)
    stop.set()
    thread.join(5)
    admin.dispose()
    with engine.connect() as connection:
        sales = {row[0] for row in connection.execute(text(
            "SELECT client_id FROM sale WHERE client_id LIKE 'kill-%'"))}  # fmt: skip
        refunds = {row[0] for row in connection.execute(text(
            "SELECT client_id FROM refund WHERE client_id LIKE 'kill-%'"))}  # fmt: skip
    for kind, key, said in outcomes:
        figures.kill_requests += 1
        there = key in (sales if kind == "sale" else refunds)
        if said == "unknown":
            continue  # never became definite: not counted either way
        if (said == "saved") != there:
            figures.lies += 1
            figures.problem(
                f"{kind} {key}: answered {said}, in the books: {there} ({racer.seen.get(key)})"
            )


def _until_definite(racer, path, body, token, key, figures, tries: int = 20):
    """Send until the answer says saved or refused; ("saved" | "refused" | "unknown", n)."""
    seen = []
    for attempt in range(tries):
        try:
            status, answer = call(racer.port, "POST", path, body, token=token,
                                  headers={"Idempotency-Key": key}, timeout=60)  # fmt: skip
        except NoAnswer:
            status, answer = None, None
        if attempt:
            figures.kill_retried += 1
        error = answer.get("error") if isinstance(answer, dict) else None
        seen.append((status, error))
        racer.seen[key] = seen
        if status in (200, 201) or error == "saved":
            if not attempt:
                figures.kill_definite += 1
            return "saved", answer.get("number") if isinstance(answer, dict) else None
        if status is not None and 400 <= status < 500:
            if not attempt:
                figures.kill_definite += 1
            return "refused", None
        if status is not None and status >= 500 and status != 503 and error != "unsure":
            figures.server_errors += 1
            figures.problem(f"POST {path}: {status} {answer!r:.200}")
            if error == "server_error":  # "nothing was saved": taken at its word
                return "refused", None
        time.sleep(0.05)
    return "unknown", None
