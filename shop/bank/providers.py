"""SePay and Casso behind one small interface: a page of transactions from a cursor, and the
transactions a webhook carries once its key or signature holds.

Each provider has a base URL: the provider's own unless the shop's settings give another
(a shop's proxy, or the fake bank the tests and the benchmark run). What either sends
becomes :class:`shop.domain.bank.BankTransaction`: the provider's own id as text, an int
amount of đồng, the time in UTC (both send Hanoi's wall-clock time), and ``raw``, the JSON
text of that one transaction as it came.

**SePay** (developer.sepay.vn): the transaction list ``GET /userapi/transactions/list``
with ``Authorization: Bearer <API token>``, asked with ``since_id`` (the newest id stored)
or, the first time, ``transaction_date_min``; its webhook carries one transaction and the
header ``Authorization: Apikey <key>``.

**Casso** (developer.casso.vn, v2): ``GET /v2/transactions`` with ``Authorization: Apikey
<key>``, read by ``fromDate``/``page``/``pageSize``/``sort=ASC``; its webhook is signed
``X-Casso-Signature: t=<ms>,v1=<hex>``, an HMAC-SHA512 with the checksum key over
``"<t>." + the body as JSON with its keys sorted``. A signature older or newer than
:data:`WEBHOOK_WINDOW` is refused, so a recorded webhook cannot be played again later.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import httpx

from shop.domain import bank as rules
from shop.domain.text import TooDeep, clean_tree

#: Both providers write times as Hanoi's wall clock.
PROVIDER_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: How far a signed webhook's time may be from ours.
WEBHOOK_WINDOW = timedelta(minutes=5)
#: Transactions asked for per request.
PAGE_SIZE = 100
TIMEOUT = httpx.Timeout(15.0, connect=8.0)


class FeedError(Exception):
    """The provider could not be asked, or its answer not read. ``reason``: ``network``,
    ``timeout``, ``auth`` (the key was refused), ``rate_limited`` (then ``retry_after``
    seconds, when it said), ``server`` (its fault, 5xx) or ``answer`` (an answer the shop
    cannot read)."""

    def __init__(self, reason: str, detail: str = "", *, retry_after: float | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


class WebhookRefused(Exception):
    """A webhook whose key or signature does not hold (``reason``: ``no_key``, ``key``,
    ``signature``, ``stale``): nothing of it is stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class WebhookInvalid(Exception):
    """A webhook whose key held but whose body cannot be read; ``field`` names what."""

    def __init__(self, field: str, detail: str = ""):
        super().__init__(f"{field}: {detail}" if detail else field)
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class Page:
    """What one request brought: transactions in the provider's order, the cursor to ask
    from next time, and whether more are waiting right now."""

    transactions: tuple[rules.BankTransaction, ...]
    cursor: str
    more: bool


# -- what both providers share -----------------------------------------------------------


def sign(key: str, message: str, algorithm: str = "sha512") -> str:
    """The hex HMAC of ``message`` with ``key`` (both UTF-8)."""
    return hmac.new(key.encode(), message.encode(), getattr(hashlib, algorithm)).hexdigest()


def _sorted(value):
    """Objects with their keys sorted, all the way down (lists keep their order)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value


def canonical_json(value) -> str:
    """JSON as Casso signs it: keys sorted at every depth, no spaces, letters as they are."""
    return json.dumps(_sorted(value), separators=(",", ":"), ensure_ascii=False)


def same_secret(given: str, expected: str) -> bool:
    """Whether two secrets are equal, in constant time."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.replace(".", "", 1).isdigit():
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?")


def provider_time(text, field: str) -> datetime:
    """A provider's "2024-10-03 15:06:37" (or a bare date), Hanoi time, as aware UTC."""
    match = _LOCAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise WebhookInvalid(field, "not a date and time")
    clock = match.group(2) or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    try:
        local = datetime.fromisoformat(f"{match.group(1)}T{clock}")
    except ValueError:
        raise WebhookInvalid(field, "not a date and time") from None
    return local.replace(tzinfo=PROVIDER_TZ).astimezone(UTC)


def dong(value, field: str) -> int:
    """A whole amount of đồng from a number or a decimal text ("2277000.00")."""
    if isinstance(value, bool):
        raise WebhookInvalid(field, "not an amount")
    if isinstance(value, int):
        return value
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise WebhookInvalid(field, "not an amount") from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise WebhookInvalid(field, "not a whole amount of đồng")
    return int(amount)


def _text(value) -> str:
    return "" if value is None else str(value)


def _object(body: bytes | str) -> dict:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WebhookInvalid("body", "not JSON") from None
    if not isinstance(value, dict):
        raise WebhookInvalid("body", "not a JSON object")
    return value


def _cleaned(value, field: str = "body"):
    """Every text in ``value`` as the shop keeps text (no NUL, no lone surrogates, NFC);
    done after a signature is checked, over what was signed."""
    try:
        return clean_tree(value)
    except TooDeep:
        raise WebhookInvalid(field, "nested too deep") from None


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value or ""


class Provider:
    """A bank-notification service. ``keys`` are the shop's keys in force
    (:func:`shop.services.bank.keys`); ``transport`` an httpx transport (tests)."""

    name = ""
    default_base_url = ""

    def __init__(self, keys, base_url: str = "", *, transport: httpx.BaseTransport | None = None):
        self.keys = keys
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.transport = transport

    def can_poll(self) -> bool:
        raise NotImplementedError

    def can_receive(self) -> bool:
        raise NotImplementedError

    def fetch(self, cursor: str, *, since: datetime, now: datetime) -> Page:
        raise NotImplementedError

    def webhook(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> list:
        raise NotImplementedError

    def _get(self, path: str, params: dict, authorization: str, *, now: datetime) -> dict:
        try:
            with httpx.Client(transport=self.transport, timeout=TIMEOUT) as client:
                response = client.get(
                    self.base_url + path,
                    params=params,
                    headers={"Authorization": authorization, "Accept": "application/json"},
                )
        except httpx.TimeoutException as error:
            raise FeedError("timeout", type(error).__name__) from None
        except httpx.HTTPError as error:
            raise FeedError("network", f"{type(error).__name__}: {error}"[:200]) from None
        if response.status_code == 429:
            wait = retry_after(response.headers.get("Retry-After"), now)
            if wait is None:  # SePay's older header
                wait = retry_after(response.headers.get("x-sepay-userapi-retry-after"), now)
            raise FeedError("rate_limited", "429", retry_after=wait)
        if response.status_code in (401, 403):
            raise FeedError("auth", str(response.status_code))
        if response.status_code >= 500:
            raise FeedError("server", str(response.status_code))
        if response.status_code != 200:
            raise FeedError("answer", str(response.status_code))
        try:
            data = response.json()
        except ValueError:
            raise FeedError("answer", "not JSON") from None
        if not isinstance(data, dict):
            raise FeedError("answer", "not a JSON object")
        try:
            return _cleaned(data)
        except WebhookInvalid:
            raise FeedError("answer", "nested too deep") from None


def _transaction(read, record, field: str):
    """``read(record)`` with a list answer's unreadable record named as the answer's fault."""
    try:
        return read(record)
    except WebhookInvalid as error:
        raise FeedError("answer", f"{field}: {error}") from None


# -- SePay -----------------------------------------------------------------------------


class SePay(Provider):
    name = "sepay"
    default_base_url = "https://my.sepay.vn"

    def can_poll(self) -> bool:
        return bool(self.keys.sepay_api_token)

    def can_receive(self) -> bool:
        return bool(self.keys.sepay_webhook_key)

    def fetch(self, cursor: str, *, since: datetime, now: datetime) -> Page:
        params: dict = {"limit": PAGE_SIZE}
        if cursor:
            params["since_id"] = cursor
        else:
            local = since.astimezone(PROVIDER_TZ)
            params["transaction_date_min"] = local.strftime("%Y-%m-%d %H:%M:%S")
        data = self._get(
            "/userapi/transactions/list",
            params,
            f"Bearer {self.keys.sepay_api_token}",
            now=now,
        )
        records = data.get("transactions")
        if not isinstance(records, list):
            raise FeedError("answer", "no transactions list")
        found = [
            (_listed_id(record), _transaction(self._listed, record, "transactions"))
            for record in records
        ]
        found.sort(key=lambda pair: pair[0])
        newest = max((number for number, _ in found), default=None)
        if cursor and newest is not None and newest < int(cursor):
            newest = int(cursor)
        return Page(
            tuple(tx for _, tx in found if tx is not None),
            str(newest) if newest is not None else cursor,
            more=len(records) >= PAGE_SIZE,
        )

    def _listed(self, record) -> rules.BankTransaction | None:
        if not isinstance(record, dict):
            raise WebhookInvalid("transaction", "not an object")
        amount_in = dong(record.get("amount_in") or 0, "amount_in")
        amount_out = dong(record.get("amount_out") or 0, "amount_out")
        if amount_in <= 0 and amount_out <= 0:
            return None
        direction = rules.Direction.IN if amount_in > 0 else rules.Direction.OUT
        return rules.BankTransaction(
            provider=self.name,
            provider_id=_text(record.get("id")),
            direction=direction,
            amount_dong=amount_in if amount_in > 0 else amount_out,
            content=_text(record.get("transaction_content")),
            at=provider_time(record.get("transaction_date"), "transaction_date"),
            account=_text(record.get("account_number")),
            reference=_text(record.get("reference_number")),
            raw=json.dumps(record, ensure_ascii=False),
        )

    def webhook(self, headers, body, *, now):
        key = self.keys.sepay_webhook_key
        if not key:
            raise WebhookRefused("no_key")
        scheme, _, secret = _header(headers, "Authorization").strip().partition(" ")
        if scheme.lower() != "apikey" or not same_secret(secret.strip(), key):
            raise WebhookRefused("key")
        record = _cleaned(_object(body))
        return [t for t in [self.from_webhook(record)] if t is not None]

    def from_webhook(self, record: dict) -> rules.BankTransaction | None:
        """One transaction of SePay's webhook body (its fields: id, gateway,
        transactionDate, accountNumber, code, content, transferType, transferAmount,
        accumulated, subAccount, referenceCode, description)."""
        number = record.get("id")
        if isinstance(number, bool) or not isinstance(number, int | str) or not str(number):
            raise WebhookInvalid("id", "missing")
        kind = record.get("transferType")
        if kind not in ("in", "out"):
            raise WebhookInvalid("transferType", "neither in nor out")
        amount = dong(record.get("transferAmount"), "transferAmount")
        if amount < 0:
            raise WebhookInvalid("transferAmount", "below zero")
        if amount == 0:
            return None
        return rules.BankTransaction(
            provider=self.name,
            provider_id=str(number),
            direction=rules.Direction(kind),
            amount_dong=amount,
            content=_text(record.get("content")),
            at=provider_time(record.get("transactionDate"), "transactionDate"),
            account=_text(record.get("accountNumber")),
            reference=_text(record.get("referenceCode")),
            raw=json.dumps(record, ensure_ascii=False),
        )


def _listed_id(record) -> int:
    try:
        return int(str(record.get("id")))
    except (AttributeError, ValueError):
        raise FeedError("answer", "a transaction without a number id") from None


# -- Casso -----------------------------------------------------------------------------


class Casso(Provider):
    name = "casso"
    default_base_url = "https://oauth.casso.vn"

    def can_poll(self) -> bool:
        return bool(self.keys.casso_api_key)

    def can_receive(self) -> bool:
        return bool(self.keys.casso_checksum_key)

    def fetch(self, cursor: str, *, since: datetime, now: datetime) -> Page:
        """Casso's list has no "since this id" and is sorted by the bank's time, so a
        transaction booked late lands among older ones: each poll reads the list again
        from the day before the newest transaction seen (what comes twice is stored once),
        page after page while pages come back full. The cursor is that day and the page
        reached (a poll cut short carries on from there)."""
        state = _casso_cursor(cursor, since)
        data = self._get(
            "/v2/transactions",
            {
                "fromDate": state["from"],
                "page": state["page"],
                "pageSize": PAGE_SIZE,
                "sort": "ASC",
            },
            f"Apikey {self.keys.casso_api_key}",
            now=now,
        )
        if data.get("error") not in (0, None):
            raise FeedError("answer", _text(data.get("message"))[:100] or "error")
        body = data.get("data")
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise FeedError("answer", "no records list")
        found = [_transaction(self._record, record, "records") for record in records]
        found = [tx for tx in found if tx is not None]
        full = len(records) >= PAGE_SIZE
        start = date.fromisoformat(state["from"])
        newest = max((tx.at for tx in found), default=None)
        if newest is not None:
            day = newest.astimezone(PROVIDER_TZ).date() - timedelta(days=1)
            start = max(start, day) if not full else start
        following = (
            {"from": state["from"], "page": state["page"] + 1}
            if full
            else {"from": start.isoformat(), "page": 1}
        )
        return Page(tuple(found), json.dumps(following, sort_keys=True), more=full)

    def _record(self, record, *, listed: bool = True) -> rules.BankTransaction | None:
        """One transaction of Casso's list (id, tid, description, amount, when,
        bankSubAccId, …) or webhook (id, reference, description, amount,
        transactionDateTime, accountNumber, …). A negative amount is money out."""
        if not isinstance(record, dict):
            raise WebhookInvalid("data", "not an object")
        number = record.get("id")
        if isinstance(number, bool) or not isinstance(number, int | str) or not str(number):
            raise WebhookInvalid("id", "missing")
        amount = dong(record.get("amount"), "amount")
        if amount == 0:
            return None
        when = "when" if listed else "transactionDateTime"
        return rules.BankTransaction(
            provider=self.name,
            provider_id=str(number),
            direction=rules.Direction.IN if amount > 0 else rules.Direction.OUT,
            amount_dong=abs(amount),
            content=_text(record.get("description")),
            at=provider_time(record.get(when), when),
            account=_text(record.get("bankSubAccId" if listed else "accountNumber")),
            reference=_text(record.get("tid" if listed else "reference")),
            raw=json.dumps(record, ensure_ascii=False),
        )

    def webhook(self, headers, body, *, now):
        key = self.keys.casso_checksum_key
        if not key:
            raise WebhookRefused("no_key")
        match = re.fullmatch(
            r"\s*t=(\d{1,16}),\s*v1=([0-9a-fA-F]{1,256})\s*",
            _header(headers, "X-Casso-Signature"),
        )
        if not match:
            raise WebhookRefused("signature")
        payload = _object(body)
        stamp = int(match.group(1))
        signed_at = datetime.fromtimestamp(stamp / 1000, tz=UTC) if stamp < 10**14 else None
        if signed_at is None or abs(now - signed_at) > WEBHOOK_WINDOW:
            raise WebhookRefused("stale")
        expected = sign(key, f"{stamp}." + canonical_json(payload))
        if not hmac.compare_digest(expected, match.group(2).lower()):
            raise WebhookRefused("signature")
        data = _cleaned(payload).get("data")
        records = data if isinstance(data, list) else [data]
        found = []
        for record in records:
            if isinstance(record, dict) and record.get("id") in (0, "0"):
                continue  # Casso's "call it once to try" (giao dich thu nghiem), no money
            transaction = self._record(record, listed=False)
            if transaction is not None:
                found.append(transaction)
        return found


def _casso_cursor(cursor: str, since: datetime) -> dict:
    try:
        state = json.loads(cursor) if cursor else None
        if (
            isinstance(state, dict)
            and isinstance(state.get("page"), int)
            and state["page"] >= 1
            and date.fromisoformat(state.get("from", ""))
        ):
            return {"from": state["from"], "page": state["page"]}
    except (ValueError, TypeError):
        pass
    start = since.astimezone(PROVIDER_TZ).date()
    return {"from": start.isoformat(), "page": 1}


PROVIDERS: dict[str, type[Provider]] = {"sepay": SePay, "casso": Casso}


def provider_for(
    name: str, keys, base_url: str = "", *, transport: httpx.BaseTransport | None = None
) -> Provider | None:
    """The provider called ``name`` with the shop's keys, or ``None`` for no feed."""
    kind = PROVIDERS.get(name or "")
    return kind(keys, base_url, transport=transport) if kind else None
