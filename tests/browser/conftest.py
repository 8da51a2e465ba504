"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright.

Outside CI a missing Chromium or Playwright skips these tests with a message saying so;
with CI=true they must run.
"""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from reliability.chromium import ARGS as CHROMIUM_ARGS
from reliability.chromium import CHROMIUM
from shop.extensions import db
from tests.conftest import ARTIFACTS


def _missing() -> str | None:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


class Server:
    """The test app served over HTTP on 127.0.0.1: stopped and started again on the same
    port, as a shop's server is when its power goes."""

    def __init__(self, app):
        self.app, self.port, self.server, self.thread = app, 0, None, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, _whole(self.app), threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Nothing answers on the port any more: a connection is refused at once."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None


def _whole(app):
    """``app`` answering with its whole body at once, its file (a static file's) closed
    before a byte is sent: werkzeug's server can skip closing a response whose browser
    went away mid-answer (a test cutting the link), and the open file then fails the test
    as an unraisable ResourceWarning."""

    def answer(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return answer


@pytest.fixture
def shop_server(app):
    """The test app's :class:`Server`, started."""
    app.config["WTF_CSRF_ENABLED"] = True  # the real thing: the browser sends the tokens
    server = Server(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(shop_server):
    """The test app served over HTTP on a free port of 127.0.0.1."""
    return shop_server.url


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (360×740) that records every request leaving for another host."""
    page = new_phone(browser, live_server)
    yield page
    page.context.close()


def new_phone(browser, live_server):
    """A page in a fresh context (its own cookies and storage: one phone) sized 360×740,
    that records script errors, failed loads and requests leaving for another host; the
    caller closes ``page.context``."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    page = context.new_page()
    watch_requests(page, live_server)
    # Script errors and broken styles, icons or scripts; a page's own 4xx (a wrong PIN) is
    # an answer the test checks, not a fault.
    page.console_errors = []
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            page.console_errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    return page


def watch_requests(page, live_server) -> None:
    """Keep in ``page.foreign_requests`` every request leaving for another host."""
    page.foreign_requests = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(live_server) or request.url.startswith("data:")
            else page.foreign_requests.append(request.url)
        ),
    )


def page_width(page) -> int:
    """How wide the page is once loaded (its stylesheet applied): a phone page must not
    scroll sideways. Measured before the load ends, a page can read wider than it is."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def three_items(app, coordinator, member):
    from shop.models import IntakeKind
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context(), app.test_request_context():
        hong = svc.get_member(db.session, 1)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)),
            by=hong,
            tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        )
        for code, category, description, price in [
            ("10008", "Áo", "Áo sơ mi trắng", 50_000),
            ("10019", "Quần", "Quần jean xanh", 45_000),
            ("10024", "Váy", "Váy hoa nhí", 80_000),
        ]:
            stock.add_item(
                db.session, intake, stock.ItemDetails(category, price, description, code=code)
            )
        db.session.commit()


@pytest.fixture
def rail_items(app, three_items):
    """The three items of ``three_items``, two more and a lot of five pairs of socks."""
    from shop.models import IntakeKind
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context(), app.test_request_context():
        hong = svc.get_member(db.session, 1)
        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime.now(UTC)),
            by=hong,
            tz=ZoneInfo("Asia/Ho_Chi_Minh"),
        )
        for code, price in (("10030", 30_000), ("10045", 25_000)):
            stock.add_item(
                db.session, intake, stock.ItemDetails("Áo", price, "Áo phông", code=code)
            )
        stock.add_lot(
            db.session, intake, stock.LotDetails("Phụ kiện", 10_000, 5, "Tất", code="SOCKS")
        )
        db.session.commit()
