"""A stock count's scanning page opens again with no link: its service worker
(/stock/counts/sw.js) keeps the page a phone opened and its files. A member whose link is
gone and whose phone restarted reopens the page from the browser's history, scans on, and
the scans are sent once each when the link is back (with a fresh CSRF token: the kept
page's is from a session the restart ended). Another member signed in on the same phone
never gets the first one's kept page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from reliability.chromium import sign_in
from tests.browser import test_stocktake
from tests.browser.conftest import new_phone, page_width
from tests.browser.test_stocktake import lines, scan, scans_in_books, shot

pytestmark = pytest.mark.browser

open_count = test_stocktake.open_count  # the fixture: a count of the whole rail, open

KEPT_PAGES = """async () => {
  if (!(await caches.has("stock-count-pages"))) { return []; }
  const kept = await caches.open("stock-count-pages");
  return (await kept.keys()).map((request) => request.url);
}"""


def kept_pages(page):
    return page.evaluate(KEPT_PAGES)


def expect_kept(page, urls):
    """The pages kept on the phone come to be ``urls`` (shop.js and the worker write and
    drop them a moment after a page loads)."""
    for _ in range(50):
        if kept_pages(page) == urls:
            return
        page.wait_for_timeout(100)
    assert kept_pages(page) == urls


def wait_until_kept(page, url):
    """The worker runs and has kept ``url``: the first page asks it to, after registering."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10_000)
    for _ in range(100):
        if url in kept_pages(page):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{url} is not kept: {kept_pages(page)}")


def set_offline(page, offline: bool) -> None:
    """The phone's link, cut or back: Playwright sends CDP's Network.emulateNetworkConditions
    to the page and to its service worker too (whose fetches the page's own DevTools
    session does not reach), so a page the worker answers is from its copy."""
    page.context.set_offline(offline)


def restart(page):
    """The phone restarts: the browser's session cookie is gone, the sign-in's remember
    cookie stays (she is signed in again by it, in a new session, with a new CSRF secret)."""
    context = page.context
    kept = [c for c in context.cookies() if c["name"] != "session"]
    assert any(c["name"] == "remember_token" for c in kept), [c["name"] for c in kept]
    context.clear_cookies()
    context.add_cookies(kept)


def test_a_count_page_reopened_with_no_link_scans_on_and_sends_once_when_it_is_back(
    app, browser, live_server, open_count
):
    page = new_phone(browser, live_server)
    refusals = []
    page.on(
        "response",
        lambda response: (
            refusals.append(response.status)
            if response.url.endswith("/api/v1/counts/1/scans") and response.status >= 400
            else None
        ),
    )
    try:
        sign_in(page, live_server, "0912000002", "1357")
        page.goto(f"{live_server}/stock/counts/1")
        expect(page.get_by_test_id("link-state")).to_have_attribute("data-state", "online")
        scan(page, "10008")
        expect(lines(page, "sent")).to_have_count(1)
        wait_until_kept(page, f"{live_server}/stock/counts/1")
        # The result page, the list and the API are never kept, nor a coordinator's page.
        page.goto(f"{live_server}/stock/counts/")
        page.goto(f"{live_server}/stock/counts/1")
        expect(page.get_by_test_id("link-state")).to_have_attribute("data-state", "online")
        expect_kept(page, [f"{live_server}/stock/counts/1"])

        # The link goes, the phone restarts, she opens the page again from the history.
        set_offline(page, True)
        restart(page)
        page.reload()
        # The worker answered: only it marks a kept copy so.
        expect(page.locator('meta[name="kept-copy"]')).to_have_count(1)
        state = page.get_by_test_id("link-state")
        expect(state).to_have_attribute("data-state", "offline")
        expect(state).to_contain_text("đang dùng bản trang lưu trên máy này")
        expect(page.get_by_test_id("who")).to_contain_text("Nguyễn Thị Ngọc")
        expect(lines(page, "sent")).to_have_count(1)  # what this phone counted before
        scan(page, "10019", "10024")
        expect(lines(page, "waiting")).to_have_count(2)
        expect(state).to_contain_text("2 lần quét chờ gửi")
        expect(page.locator('[data-testid="scan-line"][data-kept="yes"]')).to_have_count(3)
        assert sorted(row.code for row in scans_in_books(app)) == ["10008"]
        assert page_width(page) <= 360
        shot(page, "stocktake-reopened-offline")

        # The link is back: the kept page's token is stale, a fresh one is fetched, and
        # each scan arrives once.
        set_offline(page, False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(lines(page, "sent")).to_have_count(3, timeout=20_000)
        expect(state).to_have_attribute("data-state", "online")
        books = scans_in_books(app)
        assert sorted(row.code for row in books) == ["10008", "10019", "10024"]
        assert len({row.client_id for row in books}) == 3
        # The stale token is refused (as often as sends raced it: 1 to 3 under load), never
        # anything else; then the fresh one carries each scan once (above).
        assert refusals and set(refusals) == {400}
        assert [e for e in page.console_errors if "/api/v1/counts/1/scans" not in e] == []
        assert page.foreign_requests == []
        # With the link, the page is the server's again (and kept afresh).
        page.reload()
        expect(page.locator('meta[name="kept-copy"]')).to_have_count(0)
        expect(lines(page, "sent")).to_have_count(3)
        assert len(scans_in_books(app)) == 3
    finally:
        page.context.close()


def test_another_member_signed_in_on_the_same_phone_never_gets_the_kept_page(
    app, browser, live_server, open_count
):
    page = new_phone(browser, live_server)
    url = f"{live_server}/stock/counts/1"
    try:
        sign_in(page, live_server, "0912000002", "1357")
        page.goto(url)
        expect(page.get_by_test_id("link-state")).to_have_attribute("data-state", "online")
        wait_until_kept(page, url)
        # Ngọc's kept page, as it is on the phone (to put it back below).
        ngoc_copy = page.evaluate(
            """async (url) => {
              const kept = await (await caches.open("stock-count-pages")).match(url);
              return { body: await kept.text(), headers: [...kept.headers.entries()] };
            }""",
            url,
        )
        assert "Nguyễn Thị Ngọc" in ngoc_copy["body"]

        # She signs out; Hồng signs in on the same phone. Ngọc's copy is gone.
        page.goto(f"{live_server}/")
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url(f"{live_server}/sign-in")
        expect_kept(page, [])
        sign_in(page, live_server, "0912000001", "2468")
        expect(page.get_by_test_id("who")).to_contain_text("Nguyễn Thị Hồng")

        # No link: the count page is not there for her.
        set_offline(page, True)
        with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED|ERR_FAILED"):
            page.goto(url)
        set_offline(page, False)

        # Even were Ngọc's copy still on the phone (say the sign-out's page never
        # loaded), the worker does not give it to Hồng.
        page.goto(f"{live_server}/")
        page.evaluate(
            """async ([url, copy]) => {
              const kept = await caches.open("stock-count-pages");
              await kept.put(url, new Response(copy.body, { headers: copy.headers }));
            }""",
            [url, ngoc_copy],
        )
        assert kept_pages(page) == [url]
        set_offline(page, True)
        with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED|ERR_FAILED"):
            page.goto(url)
        set_offline(page, False)

        # Online she gets her own page, which is kept for her in place of Ngọc's.
        page.goto(url)
        expect(page.get_by_test_id("who")).to_contain_text("Nguyễn Thị Hồng")
        expect(page.get_by_test_id("link-state")).to_have_attribute("data-state", "online")
        wait_until_kept(page, url)
        body = page.evaluate(
            "async (url) => (await (await caches.open('stock-count-pages')).match(url)).text()",
            url,
        )
        assert "Nguyễn Thị Hồng" in body and "Nguyễn Thị Ngọc" not in body
        assert page.console_errors == []
    finally:
        page.context.close()
