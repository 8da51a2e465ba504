"""The counter page selling through a link that comes and goes, in a real browser that is
reloaded and killed at random points: no sale lost, none doubled.

Debian's Chromium (a persistent profile, as a tablet keeps its storage) rings up ``sales``
sales of one to three items on the counter page served by gunicorn. At random points the
link is cut (and later restored), the page is reloaded, or the browser is killed with
SIGKILL and started again on the same profile: before Pay, or right after Pay was tapped
while the sale is on its way. At the end the link is restored and the outbox left to
empty. Then the books are read:

* every sale the page showed as done (its change on screen) is in the database exactly
  once, with every item it sold;
* no item is in two sales, and no sale is in the database that the page did not ring up
  (a sale cut off by a kill after Pay may arrive: it was paid);
* the outbox on the device is empty.

The link is cut for the whole tablet: the browser goes offline (the DevTools emulation,
so the page sees ``navigator.onLine`` false) and the relay it reaches the shop through
drops every connection (reliability/link.py), its service worker's and the requests
already on their way included.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from reliability.chromium import ARGS, CHROMIUM, SALE_DONE, open_counter, sign_in
from reliability.link import Link
from reliability.live import Server, fresh_database, pin_of, prepare_shop


@dataclass
class OfflineFigures:
    sales_tried: int = 0
    done_on_screen: int = 0
    done_with_no_link: int = 0
    link_cuts: int = 0
    reloads: int = 0
    kills_before_pay: int = 0
    kills_after_pay: int = 0
    signed_in_again: int = 0  # after a kill the browser had lost its session
    no_page_offline: int = 0  # reopened with no link, the page did not come from the device
    in_database: int = 0
    lost: int = 0  # shown done, not (wholly) in the database
    doubled: int = 0  # an item in two sales, or a sale recorded twice
    strangers: int = 0  # a sale in the database the page never rang up
    left_in_outbox: int | None = None
    seconds_to_empty: float | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 30:
            self.problems.append(text)


class Tablet:
    """Chromium on a profile of its own: started, signed in, killed and started again."""

    def __init__(self, playwright, profile: Path, link: Link, phone: str, pin: str):
        self.playwright, self.profile, self.link = playwright, profile, link
        self.base = f"http://127.0.0.1:{link.port}"
        self.phone, self.pin = phone, pin
        self.context = None
        self.page = None
        self.sign_ins = 0
        self.offline = False

    def start(self) -> None:
        for lock in ("SingletonLock", "SingletonSocket", "SingletonCookie"):
            with contextlib.suppress(FileNotFoundError):
                (self.profile / lock).unlink()
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.profile),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        )
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        if self.offline:
            self.context.set_offline(True)

    def set_link(self, up: bool) -> None:
        """Cut the link (``up=False``) or bring it back, for the page and its worker alike."""
        if up == (not self.offline):
            return
        self.offline = not up
        if self.offline:
            self.link.cut()
        else:
            self.link.restore()
        self.context.set_offline(self.offline)

    def open_counter(self) -> None:
        """The counter page; signed in again first when the browser lost its session (a
        killed browser forgets its session cookie, as a restarted tablet may)."""
        self.page.goto(f"{self.base}/counter/", wait_until="load")
        if "/sign-in" in self.page.url:
            self.sign_ins += 1
            _sign_in_and_open_shift(self.page, self.base, self.phone, self.pin)
        self.page.wait_for_selector("#code", timeout=30_000)

    def kill(self) -> None:
        """SIGKILL every process of this profile's browser, as a power cut would."""
        subprocess.run(  # noqa: S603 - our own arguments
            ["/usr/bin/pkill", "-9", "-f", f"user-data-dir={self.profile}"], check=False
        )
        time.sleep(0.3)
        with contextlib.suppress(Exception):
            self.context.close()
        self.context = self.page = None


def run_offline_counter(workdir: Path, *, sales: int = 200, seed: int = 5) -> OfflineFigures:
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    figures = OfflineFigures()
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    with fresh_database("sqlite", workdir) as url:
        shop = prepare_shop(url, workdir, cashiers=1, plain_members=0, items=sales * 3 + 20,
                            lots=0)  # fmt: skip
        database = workdir / "shop.sqlite3"
        codes = iter(shop.unique_codes)
        rung_up: list[list[str]] = []  # the items of each sale done on screen
        with (
            Server(url, workdir, workdir / "gunicorn.log") as server,
            sync_playwright() as pw,
        ):
            server.start()
            link = Link(server.port)
            tablet = Tablet(pw, workdir / "profile", link, shop.phones[1], pin_of(1))
            base = tablet.base
            tablet.start()
            _sign_in_and_open_shift(tablet.page, base, shop.phones[1], pin_of(1))
            # As the README asks: the counter opened once with the link up, its service
            # worker installed (with the page and its files kept), before the shop opens.
            tablet.page.evaluate("async () => { await navigator.serviceWorker.ready; }")
            tablet.open_counter()
            tablet.page.wait_for_function("() => !!navigator.serviceWorker.controller")
            for _ in range(sales):
                figures.sales_tried += 1
                if not tablet.offline and rng.random() < 0.15:
                    tablet.set_link(up=False)
                    figures.link_cuts += 1
                elif tablet.offline and rng.random() < 0.3:
                    tablet.set_link(up=True)
                items = [next(codes) for _ in range(rng.randint(1, 3))]
                for code in items:
                    tablet.page.locator("#code").type(code, delay=0)
                    tablet.page.keyboard.press("Enter")
                    tablet.page.wait_for_selector(f'[data-code="{code}"]', timeout=15_000)
                roll = rng.random()
                if roll < 0.05:  # the browser dies with a full cart
                    figures.kills_before_pay += 1
                    tablet.kill()
                    tablet.start()
                    _reopen(tablet, figures)
                elif roll < 0.10:
                    figures.reloads += 1
                    _reopen(tablet, figures)
                # the cart came back from the device's storage, if it was lost, scan again
                for code in items:
                    if tablet.page.locator(f'[data-code="{code}"]').count() == 0:
                        tablet.page.locator("#code").type(code, delay=0)
                        tablet.page.keyboard.press("Enter")
                        tablet.page.wait_for_selector(f'[data-code="{code}"]', timeout=15_000)
                tablet.page.get_by_test_id("pay").click()
                if rng.random() < 0.05:  # the browser dies while the sale is on its way
                    figures.kills_after_pay += 1
                    tablet.kill()
                    tablet.start()
                    _reopen(tablet, figures)
                    if tablet.page.locator("[data-code]").count():
                        # The cart is still there: the sale had not been kept. Pay it now.
                        tablet.page.get_by_test_id("pay").click()
                        _wait_done(tablet.page)
                    rung_up.append(items)  # paid before the kill or just now
                    continue
                if _wait_done(tablet.page):
                    figures.done_on_screen += 1
                    if tablet.page.locator("[data-testid=queued]").count():
                        figures.done_with_no_link += 1
                    rung_up.append(items)
                else:
                    figures.problem(f"sale of {items} not shown done")
            tablet.set_link(up=True)
            emptied = time.monotonic()
            figures.left_in_outbox = _wait_outbox_empty(tablet.page, timeout=90)
            figures.seconds_to_empty = round(time.monotonic() - emptied, 1)
            figures.signed_in_again = tablet.sign_ins
            tablet.context.close()
            link.close()
        _check_books(database, rung_up, figures)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _sign_in_and_open_shift(page, base: str, phone: str, pin: str) -> None:
    sign_in(page, base, phone, pin)
    open_counter(page, base)


def _reopen(tablet: Tablet, figures: OfflineFigures) -> None:
    """Reload the counter page, from the service worker's copy when there is no link.

    When the page does not come from the device with no link, that is counted (and said in
    the problems), the link is restored and the page opened from the shop.
    """
    try:
        _open_again(tablet)
    except RuntimeError as error:
        figures.no_page_offline += 1
        figures.problem(str(error).splitlines()[0][:300])
        tablet.set_link(up=True)
        tablet.open_counter()


def _open_again(tablet: Tablet) -> None:
    try:
        tablet.open_counter()
    except Exception as error:  # noqa: BLE001 - with no link, from the worker's copy
        if not tablet.offline:
            raise
        try:
            tablet.page.wait_for_selector("#code", timeout=30_000)
        except Exception:  # noqa: BLE001 - said in the figures, with what the page showed
            shot = tablet.profile.parent / f"no-page-{time.monotonic():.0f}.png"
            with contextlib.suppress(Exception):
                tablet.page.screenshot(path=str(shot))
            kept = "?"
            with contextlib.suppress(Exception):
                tablet.set_link(up=True)
                tablet.page.goto(f"{tablet.base}/healthz")
                kept = tablet.page.evaluate(
                    "async () => { const out = {}; for (const k of await caches.keys()) {"
                    " out[k] = (await (await caches.open(k)).keys()).map(r => r.url)"
                    ".filter(u => !u.includes('/static/')); }"
                    " const regs = await navigator.serviceWorker.getRegistrations();"
                    " out.registrations = regs.map(r => [r.scope, !!r.active]); return out; }"
                )
            raise RuntimeError(
                f"the counter did not open with no link ({tablet.page.url}): {error}; "
                f"kept: {kept}; see {shot}"
            ) from None
    tablet.page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=link-state]');"
        " return s && s.dataset.state !== 'connecting'; }",
        timeout=30_000,
    )


def _wait_done(page) -> bool:
    try:
        page.wait_for_function(SALE_DONE, timeout=20_000)
    except Exception:  # noqa: BLE001 - counted by the caller
        return False
    return True


def _wait_outbox_empty(page, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => { const s = document.querySelector('[data-testid=link-state]');"
            " return s ? s.dataset.state : null; }"
        )
        if state == "online":
            return 0
        time.sleep(0.5)
    text = page.get_by_test_id("link-state").inner_text()
    digits = "".join(ch for ch in text if ch.isdigit())
    return int(digits or -1)


def _check_books(database: Path, rung_up: list[list[str]], figures: OfflineFigures) -> None:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        lines = connection.execute(
            "SELECT s.client_id, i.code FROM sale s JOIN sale_line l ON l.sale_id = s.id "
            "JOIN item i ON i.id = l.item_id LEFT JOIN void v ON v.sale_id = s.id "
            "WHERE v.id IS NULL"
        ).fetchall()
    figures.in_database = len({client for client, _code in lines})
    sales_of: dict[str, list[str]] = {}
    for client, code in lines:
        sales_of.setdefault(code, []).append(client)
    for code, clients in sales_of.items():
        if len(clients) > 1:
            figures.doubled += 1
            figures.problem(f"item {code} in {len(clients)} sales")
    rung = {code for items in rung_up for code in items}
    for items in rung_up:
        missing = [code for code in items if code not in sales_of]
        if missing:
            figures.lost += 1
            figures.problem(f"sale of {items}: {missing} not in the books")
    for code in sales_of:
        if code not in rung:
            figures.strangers += 1
            figures.problem(f"item {code} sold but never rung up")
