"""The crash scenario: a busy counter, the whole server SIGKILLed mid-sale, and the books.

Several cashiers (one thread, one token and one shift each) ring up sales through the API
as fast as the server answers: a random cart of one-of-a-kind items from the cashier's own
rail and pieces of lots every cashier shares, paid in cash (exact or with change), by
transfer or both, now and then with a discount. In the middle of it the gunicorn master
and its workers are killed with SIGKILL, all at once, then started again on the same
database. Then:

* every sale whose POST was answered 201/200 is there whole: the API gives the very same
  sale (number, lines, prices, payments) and the database has the same lines;
* no sale is half-written: every sale has at least one line and its total is the sum of
  its lines' nets; its lines are the ones its request asked for;
* no item is sold twice; an item is sold iff a line sold it; for each lot, on hand =
  received − Σ pieces sold; sale numbers and client ids are unique;
* every request that got no answer, sent again with the same client id, gives at most one
  sale (201 if it had not been recorded, 200 with the same sale if it had), and again
  after that gives the same sale.

It is repeated for a few kill rounds; the figures are returned, with every problem seen.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from reliability.live import NoAnswer, Server, Shop, call, fresh_database, prepare_shop


@dataclass
class Attempt:
    client_id: str
    body: dict
    cashier: int
    token: str
    status: int | None = None  # None: no answer (the server was killed under it)
    answer: object = None
    retry_status: int | None = None
    retry_answer: object = None


@dataclass
class CrashFigures:
    database: str
    rounds: int = 0
    sent: int = 0  # sale requests sent (first tries)
    acknowledged: int = 0  # answered 201/200 with the sale, first try
    refused: int = 0  # answered 4xx (a lot ran short): nothing recorded
    no_answer: int = 0  # cut by the kill (or timed out): outcome unknown to the cashier
    retried: int = 0  # unanswered requests sent again after the restart
    retry_new: int = 0  # … answered 201: it had not been recorded
    retry_same: int = 0  # … answered 200: it had been recorded before the kill
    retry_refused: int = 0  # … answered 4xx
    found: int = 0  # acknowledged sales (first try or retry) found whole afterwards
    lost: int = 0  # acknowledged sales missing or changed afterwards
    double_sales: int = 0  # an item in two sales, a client id twice, a retry giving another
    half_written: int = 0  # a sale without lines, or whose total is not Σ its nets
    stock_mismatches: int = 0  # item status / lot quantity not matching the sale lines
    server_errors: int = 0  # 5xx answers
    sales_in_db: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


class Counter(threading.Thread):
    """One cashier ringing up sales until told to stop or out of things to sell."""

    def __init__(self, scenario: CrashScenario, number: int, token: str, rail: list[str], seed):
        super().__init__(name=f"cashier-{number}", daemon=True)
        self.scenario, self.number, self.token = scenario, number, token
        self.rail = rail  # her own one-of-a-kind items still believed in stock
        self.rng = random.Random(seed)
        self.stop = threading.Event()

    def cart(self) -> dict | None:
        shop, rng = self.scenario.shop, self.rng
        lines = []
        for _ in range(min(len(self.rail), rng.choice((0, 1, 1, 2, 2, 3)))):
            lines.append({"code": self.rail.pop(rng.randrange(len(self.rail)))})
        if rng.random() < 0.6 or not lines:
            for code in rng.sample(shop.lot_codes, rng.choice((1, 1, 2))):
                lines.append({"code": code, "quantity": rng.randint(1, 3)})
        if not lines:
            return None
        total = 0
        for line in lines:
            gross = shop.prices[line["code"]] * line.get("quantity", 1)
            if gross > 10_000 and rng.random() < 0.1:
                line.update(discount_dong=5_000, discount_reason="vết bẩn")
            total += gross - line.get("discount_dong", 0)
        body = {"client_id": self.scenario.next_client_id(self.number)}
        body["lines"] = lines
        if total > 20_000 and rng.random() < 0.1:
            body.update(discount_dong=2_000, discount_reason="khách quen")
            total -= 2_000
        how = rng.random()
        if how < 0.4:
            pass  # cash, exact
        elif how < 0.6:
            body["tendered_dong"] = -(-total // 50_000) * 50_000  # cash, with change
        elif how < 0.8:
            body["transfer_dong"] = total  # all by transfer (waits for the money)
        else:
            body["transfer_dong"] = total // 2  # part transfer, the rest cash
        return body

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                body = self.cart()
                if body is None:
                    return
                attempt = Attempt(body["client_id"], body, self.number, self.token)
                self.scenario.record_sent(attempt)
                try:
                    attempt.status, attempt.answer = call(
                        self.scenario.server.port,
                        "POST",
                        "/api/v1/sales",
                        body,
                        token=self.token,
                        timeout=15,
                    )
                except NoAnswer as error:
                    attempt.answer = str(error)
                    self.stop.set()  # the server is gone: wait for the restart
                if attempt.status is not None and 400 <= attempt.status < 500:
                    self.rail.extend(  # refused whole (a lot ran short): back on the rail
                        line["code"] for line in body["lines"] if line["code"] in self.owned
                    )
                self.scenario.record_outcome(attempt)
        except Exception as error:  # never let a thread die unseen
            self.scenario.figures.problem(f"cashier {self.number} crashed: {error!r}")

    @property
    def owned(self) -> set[str]:
        return self.scenario.rails[self.number]


class CrashScenario:
    def __init__(
        self,
        kind: str,
        workdir: Path,
        *,
        server_url: str | None = None,
        rounds: int = 3,
        cashiers: int = 6,
        items: int = 360,
        lots: int = 12,
        lot_quantity: int = 15,
        kill_after: int = 30,
        round_seconds: float = 12,
        seed: int = 2026,
    ):
        self.kind, self.workdir, self.server_url = kind, workdir, server_url
        self.rounds, self.cashiers, self.items, self.lots = rounds, cashiers, items, lots
        self.lot_quantity = lot_quantity
        self.kill_after, self.round_seconds = kill_after, round_seconds
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:8]
        self.figures = CrashFigures(database=kind)
        self.lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.acked_this_round = 0
        self.shop: Shop
        self.server: Server
        self.rails: dict[int, set[str]] = {}
        self.sequences: dict[int, int] = {}

    # -- bookkeeping shared by the cashier threads

    def next_client_id(self, cashier: int) -> str:
        """A client id never used before in this run (as a phone app makes them)."""
        with self.lock:
            self.sequences[cashier] = self.sequences.get(cashier, 0) + 1
            return f"{self.run}-{cashier}-{self.sequences[cashier]:05d}"

    def record_sent(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)
            self.figures.sent += 1

    def record_outcome(self, attempt: Attempt) -> None:
        with self.lock:
            status = attempt.status
            if status is None:
                self.figures.no_answer += 1
            elif status in (200, 201) and isinstance(attempt.answer, dict):
                self.figures.acknowledged += 1
                self.acked_this_round += 1
                if status == 200:
                    self.figures.problem(f"{attempt.client_id}: a first try answered 200")
            elif status >= 500:
                self.figures.server_errors += 1
                self.figures.problem(f"{attempt.client_id}: {status} {attempt.answer!r:.300}")
            else:
                self.figures.refused += 1
                self._check_refusal(attempt)

    def _check_refusal(self, attempt: Attempt) -> None:
        """A refusal is only expected for a lot that ran short."""
        answer = attempt.answer if isinstance(attempt.answer, dict) else {}
        if attempt.status != 422 or "quantity" not in answer.get("fields", {}):
            self.figures.problem(
                f"{attempt.client_id}: unexpected {attempt.status} {attempt.answer!r:.300}"
            )

    # -- the scenario

    def execute(self) -> CrashFigures:
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        with fresh_database(self.kind, self.workdir, self.server_url) as url:
            self.shop = prepare_shop(
                url,
                self.workdir,
                cashiers=self.cashiers,
                items=self.items,
                lots=self.lots,
                lot_quantity=self.lot_quantity,
            )
            codes = list(self.shop.unique_codes)
            self.rng.shuffle(codes)
            rails = {
                number: codes[index :: self.cashiers]
                for index, (number, _token) in enumerate(self.shop.cashiers)
            }
            self.rails = {number: set(rail) for number, rail in rails.items()}
            with Server(url, self.workdir, self.workdir / "gunicorn.log") as self.server:
                self.server.start()
                for number, token in self.shop.cashiers:
                    status, answer = call(
                        self.server.port,
                        "POST",
                        "/api/v1/shifts",
                        {"opening_float_dong": 500_000},
                        token=token,
                    )
                    if status != 201:
                        raise RuntimeError(f"shift of {number}: {status} {answer!r}")
                for _round in range(self.rounds):
                    self.kill_round(rails)
                    self.retry_unanswered()
                self.verify(url)
        self.figures.seconds = round(time.monotonic() - started, 1)
        return self.figures

    def kill_round(self, rails: dict[int, list[str]]) -> None:
        self.figures.rounds += 1
        with self.lock:
            self.acked_this_round = 0
        counters = [
            Counter(self, number, token, rails[number], self.rng.random())
            for number, token in self.shop.cashiers
        ]
        for counter in counters:
            counter.start()
        deadline = time.monotonic() + self.round_seconds
        target = self.kill_after + self.rng.randrange(10)
        while time.monotonic() < deadline and any(c.is_alive() for c in counters):
            with self.lock:
                if self.acked_this_round >= target:
                    break
            time.sleep(0.005)
        # Mid-flight: the cashiers still have requests on the wire. No new ones are sent
        # after the kill (they would only meet a closed port and prove nothing).
        for counter in counters:
            counter.stop.set()
        self.server.kill()
        for counter in counters:
            counter.join(timeout=30)
            if counter.is_alive():
                self.figures.problem(f"{counter.name} still waiting 30 s after the kill")
        self.server.start()

    def retry_unanswered(self) -> None:
        """Send every unanswered request again, twice, with the same client id."""
        with self.lock:
            pending = [a for a in self.attempts if a.status is None and a.retry_status is None]
        for attempt in pending:
            self.figures.retried += 1

            def post(attempt=attempt):
                return call(
                    self.server.port,
                    "POST",
                    "/api/v1/sales",
                    attempt.body,
                    token=attempt.token,
                    timeout=15,
                )

            try:
                status, answer = post()
            except NoAnswer as error:
                self.figures.problem(f"{attempt.client_id}: no answer to the retry: {error}")
                continue
            attempt.retry_status, attempt.retry_answer = status, answer
            if status >= 500:
                self.figures.server_errors += 1
                self.figures.problem(f"{attempt.client_id}: retry {status} {answer!r:.300}")
                continue
            if status not in (200, 201):
                self.figures.retry_refused += 1
                continue
            if status == 201:
                self.figures.retry_new += 1
            else:
                self.figures.retry_same += 1
            try:
                again_status, again = post()
            except NoAnswer as error:
                self.figures.problem(f"{attempt.client_id}: no answer the third time: {error}")
                continue
            if again_status != 200 or again != answer:
                self.figures.double_sales += 1
                self.figures.problem(
                    f"{attempt.client_id}: sent a third time: {again_status}, "
                    f"{again!r:.200} instead of the same sale"
                )

    # -- the books afterwards

    def verify(self, url: str) -> None:
        figures = self.figures
        acknowledged = [
            (a, a.answer if a.status in (200, 201) else a.retry_answer)
            for a in self.attempts
            if a.status in (200, 201) or a.retry_status in (200, 201)
        ]
        for attempt, answer in acknowledged:
            if not isinstance(answer, dict) or "number" not in answer:
                figures.lost += 1
                figures.problem(f"{attempt.client_id}: acknowledged without a sale: {answer!r}")
                continue
            status, now = call(
                self.server.port,
                "GET",
                f"/api/v1/sales/{answer['number']}",
                token=self.shop.coordinator_token,
            )
            if status == 200 and now == answer:
                figures.found += 1
            else:
                figures.lost += 1
                figures.problem(
                    f"{attempt.client_id}: acknowledged as sale {answer['number']}, "
                    f"now {status} {now!r:.300}"
                )
        self.verify_books(url)

    def verify_books(self, url: str) -> None:
        figures = self.figures
        books = read_books(url)
        figures.sales_in_db = len(books.sales)
        for kind, text in book_problems(books):
            setattr(figures, kind, getattr(figures, kind) + 1)
            figures.problem(text)
        bodies = {a.client_id: a.body for a in self.attempts}
        acknowledged = {
            a.client_id
            for a in self.attempts
            if a.status in (200, 201) or a.retry_status in (200, 201)
        }
        by_sale = books.lines_by_sale()
        for sale in books.sales:
            body = bodies.get(sale.client_id)
            if body is None:
                figures.problem(f"sale {sale.number} ({sale.client_id}) was never asked for")
                continue
            asked = [(line["code"], line.get("quantity", 1)) for line in body["lines"]]
            mine = [(line.code, line.quantity) for line in by_sale.get(sale.id, [])]
            if mine != asked:
                figures.half_written += 1
                figures.problem(f"sale {sale.number}: lines {mine} but {asked} were asked for")
            if sale.client_id not in acknowledged:
                figures.problem(f"sale {sale.number} ({sale.client_id}) recorded, never answered")


@dataclass
class Books:
    sales: list
    lines: list
    items: list

    def lines_by_sale(self) -> dict[int, list]:
        found: dict[int, list] = {}
        for line in self.lines:
            found.setdefault(line.sale_id, []).append(line)
        return found


def read_books(url: str) -> Books:
    """Sales, their lines and the items, straight from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return Books(
                connection.execute(
                    text("SELECT id, number, client_id, total_dong FROM sale ORDER BY number")
                ).all(),
                connection.execute(
                    text(
                        "SELECT l.sale_id, l.position, i.code, l.quantity, l.net_dong "
                        "FROM sale_line l JOIN item i ON i.id = l.item_id "
                        "ORDER BY l.sale_id, l.position"
                    )
                ).all(),
                connection.execute(
                    text(
                        "SELECT code, is_lot, status, times_sold, quantity_received, "
                        "quantity_on_hand FROM item"
                    )
                ).all(),
            )
    finally:
        engine.dispose()


def book_problems(books: Books | str) -> list[tuple[str, str]]:
    """What is wrong with the books, as (figure, description): ``double_sales`` (a number or
    client id twice, an item in two sales), ``half_written`` (a sale without lines, or
    whose total is not the sum of its lines' nets), ``stock_mismatches`` (an item's status or
    a lot's quantity on hand not what its sale lines say). No voids or refunds expected."""
    if isinstance(books, str):
        books = read_books(books)
    problems = []
    if len({s.number for s in books.sales}) != len(books.sales):
        problems.append(("double_sales", "two sales share a number"))
    if len({s.client_id for s in books.sales}) != len(books.sales):
        problems.append(("double_sales", "two sales share a client id"))
    by_sale = books.lines_by_sale()
    for sale in books.sales:
        mine = by_sale.get(sale.id, [])
        if not mine or sum(line.net_dong for line in mine) != sale.total_dong:
            problems.append(
                ("half_written", f"sale {sale.number}: {len(mine)} lines, total {sale.total_dong}")
            )
    sold: dict[str, int] = {}
    for line in books.lines:
        sold[line.code] = sold.get(line.code, 0) + line.quantity
    for item in books.items:
        pieces = sold.get(item.code, 0)
        if item.is_lot:
            if item.quantity_on_hand != item.quantity_received - pieces:
                problems.append(
                    (
                        "stock_mismatches",
                        f"lot {item.code}: {item.quantity_on_hand} on hand, received "
                        f"{item.quantity_received}, sold {pieces}",
                    )
                )
            continue
        if pieces > 1:
            problems.append(("double_sales", f"item {item.code} sold {pieces} times"))
        if (item.status == "sold") != (pieces == 1) or item.times_sold != pieces:
            problems.append(
                (
                    "stock_mismatches",
                    f"item {item.code}: {item.status}, times_sold {item.times_sold}, "
                    f"in {pieces} sale lines",
                )
            )
    return problems


def run_crash(kind: str, workdir: Path, **options) -> CrashFigures:
    """Run the crash scenario on a fresh ``kind`` database ("sqlite" or "postgresql")."""
    return CrashScenario(kind, workdir, **options).execute()
