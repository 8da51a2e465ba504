"""Several counters selling the same things at the same moment, through gunicorn.

As ``tests/services/test_counter.py`` does in one process (threads released together by a
barrier), but over HTTP to two gunicorn workers, so the requests really race in different
processes:

* the same one-of-a-kind item rung up by every cashier at once: exactly one sale;
* pieces of a small lot rung up by every cashier at once: never more than it holds;
* the same sale (the same client id) sent by every cashier at once, as a device that
  retries on every network it has would: one sale, every answer that same sale.

Then the books are checked as after the crash (every sale whole, nothing sold twice, lots
add up) and every 5xx is counted.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from reliability.live import NoAnswer, Server, call, fresh_database, prepare_shop


@dataclass
class ConcurrencyFigures:
    database: str
    requests: int = 0
    sold: int = 0  # answered 201
    same_sale: int = 0  # answered 200 (the same client id again)
    refused: int = 0  # answered 4xx ("already sold", "only n left")
    server_errors: int = 0
    no_answer: int = 0
    double_sales: int = 0  # an item in two sales, one client id two sales
    books_wrong: int = 0  # afterwards: a sale not whole, an item sold twice, a lot not adding up
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


def _race(
    label: str, port: int, requests: list[tuple[str, dict]], figures: ConcurrencyFigures
) -> list:
    """Send ``requests`` ((token, body) each) at the same instant; return the answers."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)
    lock = threading.Lock()

    def send(index: int, token: str, body: dict) -> None:
        try:
            barrier.wait(10)
            answers[index] = call(port, "POST", "/api/v1/sales", body, token=token, timeout=30)
        except NoAnswer as error:
            answers[index] = (None, str(error))
        except Exception as error:  # a broken barrier, say: seen, never lost
            answers[index] = (None, repr(error))
        with lock:
            figures.requests += 1

    threads = [
        threading.Thread(target=send, args=(index, token, body), daemon=True)
        for index, (token, body) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for status, answer in answers:
        if status is None:
            figures.no_answer += 1
            figures.problem(f"{label}: no answer: {answer}")
        elif status >= 500:
            figures.server_errors += 1
            message = answer.get("message") if isinstance(answer, dict) else answer
            figures.problem(f"{label}: {status} {message!r:.200}")
        elif status == 201:
            figures.sold += 1
        elif status == 200:
            figures.same_sale += 1
        else:
            figures.refused += 1
    return answers


def run_concurrency(
    kind: str,
    workdir: Path,
    *,
    server_url: str | None = None,
    cashiers: int = 6,
    rounds: int = 10,
) -> ConcurrencyFigures:
    started = time.monotonic()
    figures = ConcurrencyFigures(database=kind)
    run = uuid.uuid4().hex[:8]
    workdir.mkdir(parents=True, exist_ok=True)
    with fresh_database(kind, workdir, server_url) as url:
        shop = prepare_shop(
            url,
            workdir,
            cashiers=cashiers,
            plain_members=0,
            items=rounds * 2,
            lots=rounds,
            lot_quantity=3,
        )
        with Server(url, workdir, workdir / "gunicorn.log") as server:
            server.start()
            for _number, token in shop.cashiers:
                call(server.port, "POST", "/api/v1/shifts", {"opening_float_dong": 0}, token=token)
            tokens = [token for _number, token in shop.cashiers]
            for index in range(rounds):
                # One dress, every counter at once.
                code = shop.unique_codes[index]
                answers = _race(
                    "the same item from every counter at once",
                    server.port,
                    [
                        (token, {"client_id": f"{run}-item-{index}-{n}", "lines": [{"code": code}]})
                        for n, token in enumerate(tokens)
                    ],
                    figures,
                )
                won = [a for a in answers if a[0] == 201]
                if len(won) != 1:
                    figures.double_sales += max(0, len(won) - 1)
                    figures.problem(f"item {code}: {len(won)} sales at once")
                # A lot of 3, two pieces per counter.
                lot = shop.lot_codes[index]
                _race(
                    "the same lot from every counter at once",
                    server.port,
                    [
                        (
                            token,
                            {
                                "client_id": f"{run}-lot-{index}-{n}",
                                "lines": [{"code": lot, "quantity": 2}],
                            },
                        )
                        for n, token in enumerate(tokens)
                    ],
                    figures,
                )
                # One sale sent by every counter at once (the same client id).
                body = {
                    "client_id": f"{run}-same-{index}",
                    "lines": [{"code": shop.unique_codes[rounds + index]}],
                }
                answers = _race(
                    "the same sale (one client id) from every counter at once",
                    server.port,
                    [(token, body) for token in tokens],
                    figures,
                )
                numbers = {a[1]["number"] for a in answers if a[0] in (200, 201)}
                if len(numbers) > 1:
                    figures.double_sales += len(numbers) - 1
                    figures.problem(f"{body['client_id']}: sales {sorted(numbers)}")
        from reliability.crash import book_problems

        for _kind, problem in book_problems(url):
            figures.books_wrong += 1
            figures.problem(problem)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures
