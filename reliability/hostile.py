"""Hostile text in every free-text field of the API and the pages: never a 500, never shown
as markup.

Each hostile string (HTML, ``<script>``, an attribute breaking out of its quotes, very long
text, right-to-left and zero-width marks, combining accents, emoji, NUL and other control
characters, a lone surrogate …) goes into each free-text field of each form and JSON body
in turn, the other fields filled in so the text is actually stored where the shop would
store it; then into search boxes, codes in paths and two headers. Afterwards every page
that shows what was stored is read: the two hostile tags must never come back as markup.
Runs in-process on an app whose shop :func:`reliability.live.fill_shop` made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, urlencode

#: Hostile strings by name. SCRIPT and ATTRIBUTE carry markers that must never appear raw
#: in a page: if one does, the page shows stored text as markup (cross-site scripting).
SCRIPT = "<script>alert('rel-xss-1')</script>"
ATTRIBUTE = "\"'><img src=x onerror=alert('rel-xss-2')>"
MARKERS = ("<script>alert('rel-xss-1')", "<img src=x onerror=alert('rel-xss-2')>")
HOSTILE = {
    "html": "<b>Áo</b> <i>khoác</i> <a href='javascript:alert(1)'>x</a>",
    "script": SCRIPT,
    "attribute": ATTRIBUTE,
    "template": "{{ 7*7 }} {% for x in range(9) %}{% endfor %} ${7*7} #{7*7}",
    "sql": "Áo' OR '1'='1'; DROP TABLE sale; --",
    "format": "%s %n %(name)s {0} {name!r} %%",
    "long": "Áo khoác dạ " * 1000,
    "very long": "x" * 100_000,
    "rtl marks": "\u202eÁo khoác\u202c \u200fمرحبا\u200f \u2067עברית\u2069",
    "zero width": "Á\u200bo\u200c kho\u200dác\ufeff\u2060",
    "combining": "Nguye\u0302\u0303n Thi\u0323 Ho\u0302\u0300ng " + "a" + "\u0301\u0323" * 60,
    "emoji": "👗👩‍👩‍👧‍👦🏳️‍🌈🇻🇳 Áo 🧥",
    "nul": "Áo\x00khoác\x00",
    "control": "\x1b[31mđỏ\x1b[0m\x07\x08\x7f\x85\u2028\u2029",
    "newlines": "dòng 1\r\ndòng 2\ndòng 3\r",
    "whitespace": " \t\u00a0\u3000\u2003 ",
    "digits": "０９１２３４５６７８ ٠٩١٢٣٤٥٦٧٨ ০৯১২",
    "surrogate": "Áo \ud800 khoác \udfff",
    "path": "../../../etc/passwd",
}
#: A shorter set for the test suite: the ones most likely to break something.
QUICK = (
    "script",
    "attribute",
    "very long",
    "rtl marks",
    "combining",
    "emoji",
    "nul",
    "surrogate",
)
DOWN_THE_PAGE = 20  # requests a page check may spend per hostile string


@dataclass(frozen=True)
class Failure:
    """A hostile request answered 5xx (or raised): where, with what, and the error."""

    method: str
    path: str
    field: str  # the field, header or "query"/"path" that carried it
    string: str  # the hostile string's name
    status: int | None
    error: str  # the exception the app logged, as "Type: message"

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path[:70]} {self.field}={self.string}: "
            f"{self.status or 'raised'} ({self.error[:160]})"
        )


@dataclass
class HostileFigures:
    database: str
    strings: int = 0
    tried: int = 0  # requests carrying a hostile value
    api: int = 0
    pages: int = 0
    accepted: int = 0  # answered 2xx or 3xx: stored, found or shown
    refused: int = 0  # answered 4xx
    server_errors: int = 0
    pages_read: int = 0  # pages read back afterwards, that show what was stored
    unescaped: int = 0  # … showing a hostile tag as markup
    problems: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)  # every 5xx, as data

    def problem(self, text: str) -> None:
        if len(self.problems) < 300:
            self.problems.append(text)


class _Errors(logging.Handler):
    """Keeps the last error the app logged, to say what a 500 was."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.last = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        else:
            self.last = record.getMessage()[:200]


class HostileRun:
    def __init__(self, app, shop, figures: HostileFigures):
        self.app, self.shop, self.figures = app, shop, figures
        self.api = app.test_client()
        self.auth = {"Authorization": f"Bearer {shop.coordinator_token}"}
        self.page = app.test_client()
        self.anonymous = app.test_client()
        self.serial = 0
        self.today = _today(app)
        self.errors = _Errors()
        # Each 500 is counted and named; its traceback on stderr would only bury the figures.
        self.logging = (list(app.logger.handlers), app.logger.propagate)
        app.logger.handlers[:] = [self.errors]
        app.logger.propagate = False
        self.free_items = list(shop.unique_codes)
        self.lot = shop.lot_codes[0]

    # -- sending

    def _fail(self, method: str, path: str, what: str, status: int | None, error: str) -> None:
        field_name, _, string = what.rpartition("=")
        failure = Failure(method.upper(), path, field_name, string, status, error or "?")
        self.figures.server_errors += 1
        self.figures.failures.append(failure)
        self.figures.problem(str(failure))

    def _send(self, kind: str, client, method: str, path: str, what: str, **kwargs):
        figures = self.figures
        self.errors.last = ""
        figures.tried += 1
        setattr(figures, kind, getattr(figures, kind) + 1)
        try:
            response = getattr(client, method)(path, **kwargs)
        except Exception as error:  # the app raised instead of answering
            self._fail(method, path, what, None, f"{type(error).__name__}: {error}")
            return None
        status = response.status_code
        if status >= 500:
            self._fail(method, path, what, status, self.errors.last)
        elif status >= 400:
            figures.refused += 1
        else:
            figures.accepted += 1
        return response

    def api_call(self, method, path, what, body=None, headers=None, **kwargs):
        return self._send(
            "api", self.api, method, path, what, json=body, headers={**self.auth, **(headers or {})}
        )

    def page_call(self, method, path, what, data=None, client=None):
        """A page request; a form goes as a browser sends it, URL-encoded UTF-8 (a lone
        surrogate as its raw bytes, which no valid UTF-8 has)."""
        kwargs = {}
        if data is not None:
            kwargs["data"] = urlencode(data, errors="surrogatepass")
            kwargs["content_type"] = "application/x-www-form-urlencoded"
        return self._send("pages", client or self.page, method, path, what, **kwargs)

    # -- what the targets need

    def unique(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:06d}"

    def phone(self) -> str:
        self.serial += 1
        return f"0913{self.serial:06d}"

    def item(self) -> str:
        return self.free_items.pop() if self.free_items else self.shop.unique_codes[0]

    def sale(self) -> int | None:
        """A new one-piece sale (not counted as a hostile request)."""
        response = self.api.post(
            "/api/v1/sales",
            json={"client_id": self.unique("hostile-"), "lines": [{"code": self.lot}]},
            headers=self.auth,
        )
        return response.get_json()["number"] if response.status_code == 201 else None

    def setup(self) -> None:
        self.api.post("/api/v1/shifts", json={"opening_float_dong": 0}, headers=self.auth)
        self.page.post(
            "/sign-in", data={"phone": self.shop.phones[1], "pin": self.shop.pins[1]}
        )  # the page session of coordinator 1, whose shift that is

    # -- the targets

    def api_targets(self):
        """(method, path, field, base body) for each free-text field of the API's bodies."""
        today = self.today.isoformat()
        member = max(self.shop.phones)  # a plain member, changed at will
        yield from (("patch", f"/api/v1/members/{member}", name, {}) for name in ("name", "phone"))
        yield from (
            (
                "post",
                "/api/v1/members",
                name,
                {"name": "Hoa", "phone": self.phone(), "joined_on": today},
            )  # no PIN: refused after the text was checked (hashing a PIN takes long)
            for name in ("name", "phone")
        )
        yield "post", "/api/v1/tokens", "name", {"role": "member"}
        yield "post", "/api/v1/categories", "name", {}
        yield (
            "put",
            "/api/v1/price-suggestions",
            "category",
            {"condition": "good", "price_dong": 50_000},
        )
        for name in ("name", "phone", "organisation"):
            yield "post", "/api/v1/donors", name, {"name": "Chị Mai"}
        for name in ("donor_name", "donor_phone", "donor_organisation", "note"):
            yield (
                "post",
                "/api/v1/intakes",
                name,
                {"kind": "donation", "received_on": today, "donor_name": "Chị Lan"},
            )
        yield (
            "post",
            "/api/v1/intakes",
            "supplier",
            {"kind": "purchase", "received_on": today, "cost": 100_000},
        )
        for name in ("category", "description", "size"):
            yield (
                "post",
                "/api/v1/intakes/N1/items",
                name,
                {"category": "Áo", "price_dong": 50_000, "condition": "good"},
            )
        yield "post", f"/api/v1/items/{self.item()}/price", "reason", {"price_dong": 45_000}
        yield "post", f"/api/v1/items/{self.item()}/disposals", "note", {"kind": "written_off"}
        yield (
            "post",
            "/api/v1/sales",
            "discount_reason",
            {
                "client_id": self.unique("hostile-"),
                "lines": [{"code": self.lot}],
                "discount_dong": 1_000,
            },
        )
        yield (
            "post",
            "/api/v1/sales",
            "lines[0].discount_reason",
            {
                "client_id": self.unique("hostile-"),
                "lines": [{"code": self.lot, "discount_dong": 1_000}],
            },
        )
        yield "post", f"/api/v1/sales/{self.sale()}/void", "reason", {}
        yield (
            "post",
            f"/api/v1/sales/{self.sale()}/refunds",
            "reason",
            {"amount_dong": 1_000, "method": "cash", "restock": False},
        )
        yield (
            "post",
            "/api/v1/expenses",
            "note",
            {"spent_on": today, "category": "supplies", "amount_dong": 10_000},
        )
        yield "patch", "/api/v1/expenses/1", "note", {}
        last_month = (self.today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        yield (
            "post",
            "/api/v1/payouts",
            "note",
            {"member": 2, "month": last_month, "amount_dong": 1, "paid_on": today},
        )

    def page_targets(self):
        """(path, field, base form) for each free-text field of the pages' forms."""
        today = self.today.isoformat()
        member = max(self.shop.phones)
        edit = {"name": "Hoa", "phone": self.shop.phones[member], "role": "member"}
        edit["joined_on"] = (self.today - timedelta(days=40)).isoformat()
        for name in ("name", "phone"):
            yield f"/members/{member}/edit", name, edit
        yield "/members/tokens", "name", {"role": "member"}
        settings = {
            "name": "NEW ME",
            "address": "",
            "bank_bin": "970415",
            "bank_account": "113366668888",
            "bank_account_name": "NHOM NEW ME",
            "receipt_footer": "",
        }
        for name in settings:
            yield "/settings/shop", name, settings
        for name in ("donor_name", "donor_phone", "donor_organisation", "note"):
            yield "/intake/new", name, {"kind": "donation", "received_on": today}
        yield (
            "/intake/new",
            "supplier",
            {"kind": "purchase", "received_on": today, "cost": "100000"},
        )
        for name in ("category", "description", "size"):
            yield (
                "/intake/N1",
                name,
                {"category": "Áo", "price_dong": "50000", "condition": "good"},
            )
        yield (
            f"/stock/{self.item()}",
            "price-reason",
            {"action": "price", "price-price_dong": "40000"},
        )
        yield (
            f"/stock/{self.item()}",
            "out-note",
            {"action": "dispose", "out-kind": "written_off"},
        )
        yield "/stock/prices", "category", {"condition": "good", "price_dong": "50000"}
        yield "/counter/add", "code", {}
        yield "/counter/discount", "discount_reason", {"sale_discount_dong": "0"}
        yield f"/counter/sales/{self.sale()}/void", "reason", {}
        yield (
            f"/counter/sales/{self.sale()}/refund",
            "reason",
            {"amount_dong": "1000", "method": "cash"},
        )
        for name in ("time", "codes", "discount_reason"):
            yield (
                "/counter/notebook",
                name,
                {
                    "day": today,
                    "time": "09:00",
                    "cashier": "1",
                    "codes": self.lot,
                    "method": "cash",
                    "sale_discount_dong": "1000",
                },
            )
        yield (
            "/expenses/",
            "note",
            {"spent_on": today, "category": "supplies", "amount_dong": "10000"},
        )
        printer = {"connection": "network", "host": "192.168.1.50", "port": "9100"}
        printer.update(paper_mm="80", mode="raster", drawer_pin="2")
        for name in ("host", "usb_vendor_id", "usb_product_id", "serial_device", "path"):
            yield "/printer/", name, printer
        yield "/printer/", "cups_queue", {**printer, "connection": "cups"}
        yield "/language", "lang", {}

    def run(self, strings: dict[str, str]) -> None:
        self.setup()
        figures = self.figures
        figures.strings = len(strings)
        for name, value in strings.items():
            for method, path, field_name, base in self.api_targets():
                body = _with(dict(base), field_name, value)
                self.api_call(method, path, f"{field_name}={name}", body)
            self.api_call(
                "post",
                "/api/v1/sales",
                f"Idempotency-Key={name}",
                {"lines": [{"code": self.lot}]},
                headers={"Idempotency-Key": _as_header(value)},
            )
            self.api_call(
                "get",
                "/api/v1/members",
                f"Accept-Language={name}",
                headers={"Accept-Language": _as_header(value)},
            )
            for path, param in (("/api/v1/items/", "{code}"), ("/api/v1/intakes/", "{ref}")):
                self.api_call("get", path + _q(value[:300]), f"{param}={name}")
            for path, param in (
                ("/api/v1/items", "q"),
                ("/api/v1/items", "size"),
                ("/api/v1/donors", "q"),
            ):
                self.api_call("get", f"{path}?{param}={_q(value)}", f"?{param}={name}")
            for path, field_name, base in self.page_targets():
                self.page_call("post", path, f"{field_name}={name}", {**base, field_name: value})
            self.page_call(
                "post",
                "/sign-in",
                f"phone={name}",
                {"phone": value, "pin": "0000"},
                client=self.anonymous,
            )
            for path, param in (
                ("/stock/", "q"),
                ("/stock/", "size"),
                ("/intake/donors", "q"),
                ("/counter/find", "q"),
            ):
                self.page_call("get", f"{path}?{param}={_q(value)}", f"?{param}={name}")
            self.page_call("get", "/stock/" + _q(value[:300]), f"{{code}}={name}")
            self.page.post("/counter/empty")
        self.read_back()

    def read_back(self) -> None:
        """Every page that shows stored text: no 500, no hostile tag as markup."""
        figures = self.figures
        from sqlalchemy import select

        from shop.extensions import db
        from shop.models import Item, Sale

        with self.app.app_context():
            codes = list(db.session.scalars(select(Item.code).order_by(Item.id.desc()).limit(40)))
            sales = list(db.session.scalars(select(Sale.number).order_by(Sale.number.desc())))
        month = self.today.strftime("%Y-%m")
        paths = [
            "/",
            "/members/",
            f"/members/{max(self.shop.phones)}/edit",
            "/members/tokens",
            "/settings/shop",
            "/intake/",
            "/intake/N1",
            "/intake/donors",
            "/stock/",
            "/stock/?q=ao",
            "/stock/?page=2",
            "/stock/?page=3",
            "/stock/prices",
            "/stock/summary",
            "/stock/clearance",
            "/counter/",
            "/counter/sales/",
            "/counter/z/day",
            "/expenses/",
            f"/months/{month}",
            f"/months/{month}/statements/1",
            f"/months/{month}/statements/2",
            "/printer/",
            "/audit",
            *(f"/stock/{code}" for code in codes[:DOWN_THE_PAGE]),
            *(f"/counter/sales/{number}" for number in sales[:DOWN_THE_PAGE]),
            *(f"/counter/sales/{number}/receipt" for number in sales[:5]),
        ]
        for ref in self._intake_refs()[:DOWN_THE_PAGE]:
            paths.append(f"/intake/{ref}")
        for path in paths:
            response = self.page.get(path)
            figures.pages_read += 1
            if response.status_code >= 500:
                self._fail("get", path, "read back=", response.status_code, self.errors.last)
                continue
            text = response.get_data(as_text=True)
            for marker in MARKERS:
                if marker in text:
                    figures.unescaped += 1
                    figures.problem(f"GET {path} shows {marker!r} as markup")
        for path in ("/intake/N1/tags.pdf", f"/months/{month}/statements/1.pdf"):
            response = self.page.get(path)
            figures.pages_read += 1
            if response.status_code >= 500:
                self._fail("get", path, "read back=", response.status_code, self.errors.last)

    def _intake_refs(self) -> list[str]:
        from sqlalchemy import select

        from shop.extensions import db
        from shop.models import Intake

        with self.app.app_context():
            return list(db.session.scalars(select(Intake.ref).order_by(Intake.id.desc())))

    def close(self) -> None:
        self.app.logger.handlers[:], self.app.logger.propagate = self.logging


def _q(value: str) -> str:
    """Percent-encoded as a browser would send it (a lone surrogate as its raw bytes)."""
    return quote(value, safe="", errors="surrogatepass")


def _with(body: dict, field_name: str, value: str) -> dict:
    if field_name.startswith("lines[0]."):
        body["lines"] = [{**body["lines"][0], field_name.split(".", 1)[1]: value}]
    else:
        body[field_name] = value
    return body


def _as_header(value: str) -> str:
    """A header as a server reads it: UTF-8 bytes seen as Latin-1, without line breaks."""
    raw = value.encode("utf-8", "surrogatepass").decode("latin-1")
    return raw.replace("\r", "").replace("\n", "").replace("\x00", "")[:4000]


def _today(app):
    from shop import clock

    with app.app_context():
        return clock.today()


def run_hostile(app, shop, *, database: str, names=None) -> HostileFigures:
    """Fuzz ``app`` (its shop made by :func:`fill_shop`) with the hostile strings ``names``
    (all of them by default). A 500 answers as in production (not raised)."""
    app.config["PROPAGATE_UNEXPECTED"] = False
    app.config["WTF_CSRF_ENABLED"] = False  # the forms are posted without their page
    figures = HostileFigures(database=database)
    strings = {name: HOSTILE[name] for name in (names or HOSTILE)}
    run = HostileRun(app, shop, figures)
    try:
        run.run(strings)
    finally:
        run.close()
    return figures
