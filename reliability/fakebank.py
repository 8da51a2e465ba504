"""A fake bank-notification service, for the tests and the benchmark: SePay's and Casso's
transaction lists served from memory over HTTP, and their webhooks made and sent the way
each documents them.

    with FakeBank(sepay_token="tok", casso_key="key") as fake:
        fake.post(54_000, "NM13 NEW ME")                  # the customer's transfer lands
        fake.throttle(2, retry_after="3")                 # the next 2 list requests: 429
        fake.offline = True                               # every request: connection dropped
        headers, body = fake.sepay_webhook(tx, key="k")   # a webhook to send (or to alter)
        fake.send(url, headers, body)                     # ... to a live shop

``GET /userapi/transactions/list`` (SePay: ``Authorization: Bearer <token>``, ``since_id``,
``transaction_date_min``, ``limit``; ids ascending) and ``GET /v2/transactions`` (Casso:
``Authorization: Apikey <key>``, ``fromDate``, ``page``, ``pageSize``, ``sort``; by the
bank's time) answer from the same list of transactions. Every request is kept in
:attr:`FakeBank.requests`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ACCOUNT = "113366668888"


@dataclass
class Transaction:
    """One transaction on the fake bank's list. ``amount`` is positive for money in."""

    id: int
    amount: int
    content: str
    at: datetime
    account: str = ACCOUNT
    reference: str = ""

    @property
    def local(self) -> str:
        return self.at.astimezone(HANOI).strftime("%Y-%m-%d %H:%M:%S")

    def sepay_listed(self) -> dict:
        return {
            "id": str(self.id),
            "bank_brand_name": "VietinBank",
            "account_number": self.account,
            "transaction_date": self.local,
            "amount_out": f"{max(0, -self.amount)}.00",
            "amount_in": f"{max(0, self.amount)}.00",
            "accumulated": "0.00",
            "transaction_content": self.content,
            "reference_number": self.reference,
            "code": None,
            "sub_account": None,
            "bank_account_id": "19",
        }

    def sepay_webhook(self) -> dict:
        return {
            "id": self.id,
            "gateway": "VietinBank",
            "transactionDate": self.local,
            "accountNumber": self.account,
            "code": None,
            "content": self.content,
            "transferType": "in" if self.amount > 0 else "out",
            "transferAmount": abs(self.amount),
            "accumulated": 0,
            "subAccount": None,
            "referenceCode": self.reference,
            "description": f"BankAPINotify {self.content}",
        }

    def casso_listed(self) -> dict:
        return {
            "id": self.id,
            "tid": self.reference,
            "description": self.content,
            "amount": self.amount,
            "cusum_balance": 0,
            "when": self.local,
            "bankSubAccId": self.account,
            "paymentChannel": "",
            "virtualAccount": "",
            "virtualAccountName": "",
            "corresponsiveName": "NGUYEN VAN A",
            "corresponsiveAccount": "",
            "corresponsiveBankId": "",
            "corresponsiveBankName": "",
            "accountId": 1,
            "bankCodeName": "vietinbank",
        }

    def casso_webhook(self) -> dict:
        return {
            "id": self.id,
            "reference": self.reference,
            "description": self.content,
            "amount": self.amount,
            "runningBalance": 0,
            "transactionDateTime": self.local,
            "accountNumber": self.account,
            "bankName": "VietinBank",
            "bankAbbreviation": "ICB",
            "virtualAccountNumber": "",
            "virtualAccountName": "",
            "counterAccountName": "NGUYEN VAN A",
            "counterAccountNumber": "",
            "counterAccountBankId": "",
            "counterAccountBankName": "",
        }


def _sorted(value):
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value


def casso_signature(checksum_key: str, body: dict, at: datetime) -> str:
    """``X-Casso-Signature`` for ``body`` signed at ``at``, as Casso makes it (written here
    on its own, not with the shop's code, so that the tests compare two makings)."""
    stamp = int(at.timestamp() * 1000)
    message = f"{stamp}." + json.dumps(_sorted(body), separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(checksum_key.encode(), message.encode(), hashlib.sha512).hexdigest()
    return f"t={stamp},v1={digest}"


@dataclass
class Request:
    path: str
    params: dict
    authorization: str
    status: int
    at: float = field(default_factory=time.monotonic)


class FakeBank:
    """The fake service on 127.0.0.1 and a free port, in a thread of its own."""

    def __init__(self, *, sepay_token: str = "", casso_key: str = "", max_page: int = 100):
        self.sepay_token = sepay_token
        self.casso_key = casso_key
        self.max_page = max_page
        self.transactions: list[Transaction] = []
        self.requests: list[Request] = []
        self.offline = False
        self._throttled: list[str] = []
        self._lock = threading.Lock()
        self._next_id = 1000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the bank's side -------------------------------------------------------------

    def post(
        self,
        amount: int,
        content: str,
        *,
        at: datetime | None = None,
        account: str = ACCOUNT,
        reference: str = "",
    ) -> Transaction:
        """A transaction lands on the shop's account (``amount`` < 0: money out)."""
        with self._lock:
            self._next_id += 1
            number = self._next_id
            transaction = Transaction(
                id=number,
                amount=amount,
                content=content,
                at=at or datetime.now(UTC).replace(microsecond=0),
                account=account,
                reference=reference or f"FT{number:012d}",
            )
            self.transactions.append(transaction)
        return transaction

    def throttle(self, count: int, retry_after: str = "1") -> None:
        """The next ``count`` list requests are answered 429 with ``Retry-After``."""
        with self._lock:
            self._throttled.extend([retry_after] * count)

    def list_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path != "/"]

    # -- webhooks --------------------------------------------------------------------

    @staticmethod
    def sepay_webhook(transaction: Transaction, *, key: str) -> tuple[dict, bytes]:
        body = json.dumps(transaction.sepay_webhook(), ensure_ascii=False).encode()
        return {"Authorization": f"Apikey {key}", "Content-Type": "application/json"}, body

    @staticmethod
    def casso_webhook(
        transactions: Transaction | list[Transaction],
        *,
        checksum_key: str,
        at: datetime | None = None,
        body: dict | None = None,
    ) -> tuple[dict, bytes]:
        """Casso's v2 webhook (``data`` one transaction), or ``body`` as given, signed."""
        if body is None:
            body = {"error": 0, "data": transactions.casso_webhook()}
        signature = casso_signature(checksum_key, body, at or datetime.now(UTC))
        headers = {"X-Casso-Signature": signature, "Content-Type": "application/json"}
        return headers, json.dumps(body, ensure_ascii=False).encode()

    @staticmethod
    def send(url: str, headers: dict, body: bytes, timeout: float = 10) -> tuple[int, dict]:
        """Post a webhook to a live shop: its status and JSON answer."""
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        return response.status_code, response.json() if response.content else {}

    # -- the server ------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake bank first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeBank:
        bank = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                bank._answer(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-bank", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBank:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        authorization = handler.headers.get("Authorization", "")
        if self.offline:
            self.requests.append(Request(parts.path, params, authorization, 0))
            handler.close_connection = True
            handler.connection.shutdown(2)  # the line drops: no answer at all
            return
        with self._lock:
            throttled = self._throttled.pop(0) if self._throttled else None
        if throttled is not None:
            status, body, headers = 429, {"error": "Too Many Requests"}, {"Retry-After": throttled}
        elif parts.path == "/userapi/transactions/list":
            status, body, headers = self._sepay(params, authorization)
        elif parts.path == "/v2/transactions":
            status, body, headers = self._casso(params, authorization)
        else:
            status, body, headers = 404, {"error": "not found"}, {}
        self.requests.append(Request(parts.path, params, authorization, status))
        data = json.dumps(body, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _sepay(self, params: dict, authorization: str):
        if not self.sepay_token or authorization != f"Bearer {self.sepay_token}":
            return 401, {"status": 401, "error": "Unauthorized", "messages": {"success": False}}, {}
        since = int(params.get("since_id") or 0)
        start = params.get("transaction_date_min")
        limit = min(int(params.get("limit") or 5000), self.max_page)
        with self._lock:
            found = [
                t for t in self.transactions if t.id > since and (not start or t.local >= start)
            ]
        found.sort(key=lambda t: t.id)
        page = [t.sepay_listed() for t in found[:limit]]
        return 200, {"status": 200, "error": None, "messages": {"success": True},
                     "transactions": page}, {}  # fmt: skip

    def _casso(self, params: dict, authorization: str):
        if not self.casso_key or authorization != f"Apikey {self.casso_key}":
            return 401, {"error": 401, "message": "Unauthorized", "data": None}, {}
        start = params.get("fromDate") or (
            (datetime.now(HANOI) - timedelta(days=7)).strftime("%Y-%m-%d")
        )
        page = max(1, int(params.get("page") or 1))
        size = max(1, min(int(params.get("pageSize") or 10), self.max_page))
        with self._lock:
            found = [t for t in self.transactions if t.local[:10] >= start[:10]]
        found.sort(key=lambda t: (t.at, t.id), reverse=params.get("sort") == "DESC")
        pages = max(1, math.ceil(len(found) / size))
        records = [t.casso_listed() for t in found[(page - 1) * size : page * size]]
        return 200, {
            "error": 0,
            "message": "success",
            "data": {
                "page": page, "pageSize": size,
                "nextPage": page + 1 if page < pages else None,
                "prevPage": page - 1 if page > 1 else None,
                "totalPages": pages, "totalRecords": len(found), "records": records,
            },
        }, {}  # fmt: skip
