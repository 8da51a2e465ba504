"""Debian's Chromium as the browser tests, the benchmark and the reliability run drive it,
and the steps all three take in it: sign in, open the shift, wait for a sale to be done.

Playwright's own browser download is blocked here; Debian's Chromium is at
``/usr/bin/chromium`` (``SHOP_CHROMIUM`` for another), run headless without its sandbox.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("SHOP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

#: True once the counter page has done a sale on screen: the cart emptied and its result
#: (the server's sale number, or "kept on this device" with no link) shown with the change.
SALE_DONE = (
    "() => { const r = document.getElementById('result');"
    " return r && !r.hidden && !document.querySelector('[data-code]') &&"
    " !!r.querySelector('[data-testid=sale-number], [data-testid=queued]'); }"
)


def sign_in(page, base: str, phone: str, pin: str) -> None:
    """Sign in on the sign-in page, as a member does, and land on the home page."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mã PIN").fill(pin)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def open_counter(page, base: str, *, opening_float: str = "500k") -> None:
    """The counter page, opening her shift first with ``opening_float`` if it is not."""
    page.goto(f"{base}/counter/")
    if page.locator("#code").count() == 0:
        page.get_by_label("Tiền đầu ca").fill(opening_float)
        page.get_by_role("button", name="Mở ca").click()
        page.wait_for_url(f"{base}/counter/")
    page.wait_for_selector("#code")
