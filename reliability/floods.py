"""The counter selling while strangers flood the sign-in page and members upload big photos.

gunicorn as production runs it (two workers of four threads) on a fresh shop. A cashier
rings up sales through the API one after another, first on a quiet shop, then while:

* sign-in floods: threads that each fetch the sign-in page once (for its CSRF token, as a
  browser would) and then post wrong PINs as fast as the shop answers, from several
  loopback addresses (127.0.0.2, 127.0.0.3, …): the first address guesses one member's PIN
  again and again, the others try one PIN on every other member's phone in turn;
* photo uploads: threads that put big pictures on items through the API, one after
  another: a 155 kB PNG that decodes to 39.9 million pixels, a 12-megapixel phone photo
  (JPEG) and a 20-megapixel PNG.

Measured: each sale's time (median and 95th percentile, quiet and during the floods), the
500s of every kind of request, what the floods were answered, the workers' peak memory,
and whether the member whose PIN was being guessed can still sign in, with her right PIN,
from her own phone (another address) while the flood goes on.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import re
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from reliability.live import NoAnswer, Server, _group_alive, call, fresh_database, prepare_shop

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: The addresses the floods come from (Linux answers on all of 127.0.0.0/8).
FLOOD_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
#: The flooded member's own phone, somewhere else.
HER_ADDRESS = "127.0.0.50"


@dataclass
class FloodFigures:
    database: str
    sales_quiet: list[float] = field(default_factory=list)  # seconds, each acknowledged sale
    sales_flooded: list[float] = field(default_factory=list)
    sale_statuses: Counter = field(default_factory=Counter)
    sale_errors_quiet: int = 0  # 5xx or no answer
    sale_errors_flooded: int = 0
    sign_in_threads: int = 0
    upload_threads: int = 0
    addresses: int = 0
    sign_ins: Counter = field(default_factory=Counter)  # status → count
    uploads: Counter = field(default_factory=Counter)  # (kind, status) → count
    her_sign_in: int | None = None  # the flooded member, right PIN, another address: status
    memory_quiet_mb: int = 0  # the largest worker's peak resident memory after the quiet part
    memory_flooded_mb: int = 0  # … after the floods
    flood_seconds: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 40:
            self.problems.append(text)

    @property
    def server_errors(self) -> int:
        """Every 500 (and no answer) seen: sales, sign-ins and uploads. A 503 is not one:
        it is the shop asking an upload to try again while another photo is decoded."""
        sign_ins = sum(n for status, n in self.sign_ins.items() if _failed(status))
        uploads = sum(n for (_kind, status), n in self.uploads.items() if _failed(status))
        return self.sale_errors_quiet + self.sale_errors_flooded + sign_ins + uploads

    @staticmethod
    def ms(values: list[float], quantile: float) -> str:
        if not values:
            return "–"
        if quantile == 0.5:
            return f"{statistics.median(values) * 1000:.0f}"
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000:.0f}"

    def sign_in_summary(self) -> str:
        total = sum(self.sign_ins.values())
        parts = ", ".join(f"{n} × {status}" for status, n in sorted(self.sign_ins.items()))
        return f"{total} ({parts})"

    def upload_summary(self) -> str:
        kinds: dict[str, Counter] = {}
        for (kind, status), n in self.uploads.items():
            kinds.setdefault(kind, Counter())[status] += n
        return "; ".join(
            f"{kind}: " + ", ".join(f"{n} × {status}" for status, n in sorted(statuses.items()))
            for kind, statuses in kinds.items()
        )


def _failed(status: int) -> bool:
    """A server error or no answer at all (0); 503 "busy, try again" is an answer."""
    return status == 0 or (status >= 500 and status != 503)


# ---------------------------------------------------------------- pictures


def pictures() -> dict[str, tuple[str, bytes]]:
    """(file name, bytes) of each big picture the uploads send."""
    from PIL import Image

    def encoded(image, kind: str, **options) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, kind, **options)
        return buffer.getvalue()

    bomb = encoded(Image.new("RGB", (7300, 5466), (180, 40, 40)), "PNG", compress_level=9)
    size = (4000, 3000)
    phone = Image.merge(
        "RGB",
        (
            Image.radial_gradient("L").resize(size),
            Image.effect_noise(size, 40),
            Image.linear_gradient("L").resize(size),
        ),
    )
    photo = encoded(phone, "JPEG", quality=85)
    size = (5200, 3900)  # smooth, so that the file stays under the 16 MB an upload may be
    smooth = Image.merge(
        "RGB",
        (
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.linear_gradient("L").resize(size),
        ),
    )
    wide = encoded(smooth, "PNG")
    return {
        "39.9 MP PNG (155 kB)": ("bomb.png", bomb),
        "12 MP JPEG": ("photo.jpg", photo),
        "20 MP PNG": ("wide.png", wide),
    }


def multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------- a browser, roughly


class Browser:
    """Cookies and form posts over http.client, from one loopback address."""

    def __init__(self, port: int, source: str):
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, timeout: float = 30):
        headers = {}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout, source_address=(self.source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            raise NoAnswer(f"{type(error).__name__}: {error}") from None
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                cookie, _, content = pair.partition("=")
                self.cookies[cookie.strip()] = content.strip()
        return response.status, text

    def csrf_token(self, path: str = "/sign-in") -> str:
        status, text = self.request("GET", path)
        found = CSRF.search(text)
        if status != 200 or found is None:
            raise RuntimeError(f"no sign-in form at {path}: {status}")
        return found[1]


def worker_peak_mb(server: Server) -> int:
    """The largest peak resident memory (VmHWM) among gunicorn's workers, in MB."""
    if server.process is None:
        return 0
    peak = 0
    for pid in _group_alive(server.process.pid):
        if pid == server.process.pid:
            continue
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) // 1024)
    return peak


# ---------------------------------------------------------------- the scenario


def run_floods(
    kind: str,
    workdir: Path,
    *,
    server_url: str | None = None,
    quiet_sales: int = 40,
    flood_seconds: float = 30,
    sign_in_threads: int = 6,
    upload_threads: int = 4,
) -> FloodFigures:
    started = time.monotonic()
    figures = FloodFigures(
        database=kind, sign_in_threads=sign_in_threads, upload_threads=upload_threads
    )
    run = uuid.uuid4().hex[:8]
    workdir.mkdir(parents=True, exist_ok=True)
    images = pictures()
    with fresh_database(kind, workdir, server_url) as url:
        shop = prepare_shop(
            url, workdir, cashiers=1, plain_members=4, items=40, lots=1, lot_quantity=100_000
        )
        with Server(url, workdir, workdir / "gunicorn.log") as server:
            server.start()
            cashier = shop.cashiers[0][1]
            call(server.port, "POST", "/api/v1/shifts", {"opening_float_dong": 0}, token=cashier)
            lot = shop.lot_codes[0]
            counter = {"n": 0}

            def sell(into: list[float]) -> int:
                """One sale of a piece of the lot; its time kept if acknowledged; 1 if 5xx."""
                counter["n"] += 1
                body = {"client_id": f"{run}-{counter['n']}", "lines": [{"code": lot}]}
                began = time.perf_counter()
                try:
                    status, answer = call(
                        server.port, "POST", "/api/v1/sales", body, token=cashier, timeout=60
                    )
                except NoAnswer as error:
                    figures.problem(f"sale: no answer: {error}")
                    return 1
                figures.sale_statuses[status] += 1
                if status == 201:
                    into.append(time.perf_counter() - began)
                    return 0
                message = answer.get("message") if isinstance(answer, dict) else answer
                figures.problem(f"sale answered {status}: {message!r:.160}")
                return 1 if status >= 500 else 0  # a sale is never to be told "busy"

            for _ in range(quiet_sales):
                figures.sale_errors_quiet += sell(figures.sales_quiet)
            figures.memory_quiet_mb = worker_peak_mb(server)

            stop = threading.Event()
            lock = threading.Lock()
            her = max(shop.pins)  # a plain member with a PIN: her phone is the one guessed
            # The others try one PIN on every other member's phone (hers is the first
            # address's business: from several addresses at once her phone would be locked,
            # as it should be, and she could not show that she still gets in).
            phones = [shop.phones[n] for n in sorted(shop.phones) if n != her]

            def flood_sign_ins(index: int) -> None:
                address = FLOOD_ADDRESSES[index % len(FLOOD_ADDRESSES)]
                browser = Browser(server.port, address)
                try:
                    token = browser.csrf_token()
                except (NoAnswer, RuntimeError) as error:
                    figures.problem(f"sign-in flood from {address}: {error}")
                    return
                tries = 0
                while not stop.is_set():
                    tries += 1
                    if address == FLOOD_ADDRESSES[0]:  # guessing her PIN
                        phone, pin = (
                            shop.phones[her],
                            f"{(int(shop.pins[her]) + tries) % 10000:04d}",
                        )
                    else:  # one PIN on every phone
                        phone, pin = phones[(tries + index) % len(phones)], "2580"
                    if pin == shop.pins.get(her) and phone == shop.phones[her]:
                        continue
                    try:
                        status, text = browser.request(
                            "POST", "/sign-in", {"csrf_token": token, "phone": phone, "pin": pin}
                        )
                    except NoAnswer as error:
                        status, text = 0, str(error)
                    with lock:
                        figures.sign_ins[status] += 1
                    if _failed(status):
                        figures.problem(f"sign-in from {address}: {status} {text[:120]!r}")

            def upload(index: int) -> None:
                names = list(images)
                tries = 0
                while not stop.is_set():
                    label = names[(index + tries) % len(names)]
                    filename, data = images[label]
                    code = shop.unique_codes[(index * 7 + tries) % len(shop.unique_codes)]
                    tries += 1
                    body, content_type = multipart("photo", filename, data)
                    try:
                        status, answer = call(
                            server.port,
                            "PUT",
                            f"/api/v1/items/{code}/photo",
                            token=shop.coordinator_token,
                            headers={"Content-Type": content_type},
                            raw=body,
                            timeout=60,
                        )
                    except NoAnswer as error:
                        status, answer = 0, str(error)
                    with lock:
                        figures.uploads[(label, status)] += 1
                    if _failed(status):
                        figures.problem(f"upload {label}: {status} {str(answer)[:120]!r}")

            threads = [
                threading.Thread(target=flood_sign_ins, args=(i,), daemon=True)
                for i in range(sign_in_threads)
            ] + [
                threading.Thread(target=upload, args=(i,), daemon=True)
                for i in range(upload_threads)
            ]
            figures.addresses = len(
                {FLOOD_ADDRESSES[i % len(FLOOD_ADDRESSES)] for i in range(sign_in_threads)}
            )
            flood_began = time.monotonic()
            for thread in threads:
                thread.start()
            asked_her = False
            while time.monotonic() - flood_began < flood_seconds:
                figures.sale_errors_flooded += sell(figures.sales_flooded)
                if not asked_her and time.monotonic() - flood_began > flood_seconds / 2:
                    asked_her = True
                    figures.her_sign_in = _her_sign_in(server.port, shop, her)
            stop.set()
            for thread in threads:
                thread.join(90)
            figures.flood_seconds = round(time.monotonic() - flood_began, 1)
            figures.memory_flooded_mb = worker_peak_mb(server)
            if figures.her_sign_in != 303:
                figures.problem(
                    f"member {her} could not sign in from her own phone during the flood: "
                    f"{figures.her_sign_in}"
                )
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _her_sign_in(port: int, shop, number: int) -> int | None:
    """The member whose PIN is being guessed signs in from her own phone, right PIN."""
    browser = Browser(port, HER_ADDRESS)
    try:
        token = browser.csrf_token()
        status, _text = browser.request(
            "POST",
            "/sign-in",
            {"csrf_token": token, "phone": shop.phones[number], "pin": shop.pins[number]},
        )
    except (NoAnswer, RuntimeError):
        return None
    return status
