"""The stocktake's pages with no script: the list and opening a count, the scanning page's
frame, and the coordinator's result page that closes it. The rail is ``stocked``: A and C
(the group's Áo), B (Ngọc's consigned dress, 120.000 ₫) and the lot SOCKS of 5."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from tests.conftest import sign_in


@pytest.fixture
def hong(app, stocked, clock):
    """The coordinator, signed in."""
    client = app.test_client()
    assert sign_in(client, "0912000001").status_code == 303
    return client


@pytest.fixture
def ngoc(app, stocked, clock):
    client = app.test_client()
    assert sign_in(client, "0912000002", "1357").status_code == 303
    return client


def _scan(client, *scans):
    body = {"scans": [{"client_id": f"t-{code}", "code": code, **extra} for code, extra in scans]}
    answer = client.post("/api/v1/counts/1/scans", json=body)
    assert answer.status_code == 200, answer.json
    return answer.json


def _category_id(app, name):
    from shop.models import Category

    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.name == name))


def test_a_coordinator_opens_a_count_and_every_member_sees_it_on_home(app, hong, ngoc):
    page = hong.get("/stock/counts/")
    assert page.status_code == 200
    assert 'data-testid="open-count-form"' in page.text
    assert "Kiểm kê" in hong.get("/").text  # the tile
    assert 'data-testid="open-count-form"' not in ngoc.get("/stock/counts/").text
    assert ngoc.post("/stock/counts/", data={"note": "x"}).status_code == 403

    refused = hong.post("/stock/counts/", data={"categories": ["999"], "note": "x"})
    assert refused.status_code == 422 and "Hãy chọn loại hàng trong danh sách." in refused.text
    not_a_number = hong.post("/stock/counts/", data={"categories": ["Áo"]})
    assert not_a_number.status_code == 422
    too_long = hong.post("/stock/counts/", data={"note": "ghi chú " * 50})
    assert too_long.status_code == 422 and "ghi chú ghi chú" in too_long.text  # kept as typed

    ao = _category_id(app, "Áo")
    opened = hong.post("/stock/counts/", data={"categories": [str(ao)], "note": "Giá áo"})
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/stock/counts/1")
    home = ngoc.get("/").text
    assert 'data-testid="home-open-count"' in home and "/stock/counts/1" in home
    listed = ngoc.get("/stock/counts/").text
    assert 'data-testid="open-count"' in listed and "Giá áo" in listed
    again = hong.post("/stock/counts/", data={"note": "hai"})
    assert again.status_code == 422 and "đợt kiểm kê mở" in again.text


def test_the_scanning_page_gives_its_script_what_it_needs(app, hong, ngoc):
    assert hong.post("/stock/counts/", data={}).status_code == 303
    page = ngoc.get("/stock/counts/1")
    assert page.status_code == 200
    assert "<noscript>" in page.text and 'id="code"' in page.text
    assert "js/count/app.js" in page.text and "js/counter/early.js" in page.text
    config = json.loads(re.search(r'id="count-config">(.*?)</script>', page.text).group(1))
    assert config["count"] == 1 and config["open"] is True and config["member"] == 2
    assert config["urls"]["scans"] == "/api/v1/counts/1/scans"
    assert config["urls"]["withdraw"] == "/api/v1/counts/1/scans/CLIENT/withdraw"
    text = json.loads(re.search(r'id="count-text">(.*?)</script>', page.text).group(1))
    assert text["take_back"] == "Rút lại"
    # Progress is on the page from the start: 4 expected (A, B, C and the lot).
    assert 'data-testid="progress-expected">4<' in page.text
    assert 'data-testid="result-link"' not in page.text  # the result is the coordinator's
    assert 'data-testid="result-link"' in hong.get("/stock/counts/1").text
    assert ngoc.get("/stock/counts/1/result").status_code == 403
    assert ngoc.get("/stock/counts/9").status_code == 404


def test_the_count_pages_service_worker_keeps_the_scanning_pages_and_their_files_only(
    app, hong, ngoc
):
    assert hong.post("/stock/counts/", data={}).status_code == 303
    page = ngoc.get("/stock/counts/1")
    # Whose page it is, for the worker (a kept page answers for her only).
    assert page.headers["X-Shop-Member"] == "2"
    assert hong.get("/stock/counts/1").headers["X-Shop-Member"] == "1"
    assert '<meta name="shop-member" content="2">' in page.text
    config = json.loads(re.search(r'id="count-config">(.*?)</script>', page.text).group(1))
    assert config["urls"]["worker"] == "/stock/counts/sw.js"
    assert config["urls"]["scope"] == "/stock/counts/"
    stranger = app.test_client()  # the browser's update check may come signed out
    assert '<meta name="shop-member" content="">' in stranger.get("/sign-in").text
    worker = stranger.get("/stock/counts/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/stock/counts/"
    assert worker.headers["Cache-Control"] == "no-cache"
    kept = json.loads(re.search(r"const FILES = (\[.*?\])\.map", worker.text).group(1))
    for url in re.findall(r'(?:src|href)="(/static/[^"]+?)(?:#[^"]*)?"', page.text):
        assert url in kept, url  # every file the page loads
    for module in ("net", "scanbox", "dom", "store"):  # and what its script imports
        assert f"/static/js/counter/{module}.js" in kept
    assert all(url.startswith("/static/") for url in kept)
    pages = json.loads(re.search(r"const PAGES = new RegExp\((.*?)\);", worker.text).group(1))
    assert re.fullmatch(pages, "/stock/counts/12")
    for other in ("/stock/counts/", "/stock/counts/1/result", "/api/v1/counts/1", "/counter/"):
        assert not re.search(pages, other), other
    assert "const PER_MEMBER = true;" in worker.text
    # The counter's worker is the same script, keeping its own page for whoever signs in.
    counter = stranger.get("/counter/sw.js").text
    assert 'const NAME = "counter";' in counter and "const PER_MEMBER = false;" in counter


def test_the_result_lists_what_is_missing_with_its_owner_and_closes_with_no_script(app, hong, ngoc):
    from shop.models import Expense, Item, ItemStatus

    assert hong.post("/stock/counts/", data={}).status_code == 303
    _scan(ngoc, ("A", {}), ("C", {}), ("SOCKS", {"pieces": 4}), ("OLD-9", {}))
    page = hong.get("/stock/counts/1/result")
    assert page.status_code == 200
    text = page.text
    assert "Không thấy trên giá (1)" in text and "Tem không rõ mã (1)" in text
    assert "Lô thừa hoặc thiếu cái (1)" in text
    missing = text[text.index('data-code="B"') :]
    missing = missing[: missing.index("</li>")]
    assert "Nguyễn Thị Ngọc" in missing and "120.000" in missing and "5 ngày trong kho" in missing
    assert re.search(r'name="kind-0" value="lost" data-costs checked', missing)
    # The first choice is preselected, and the totals say what that costs.
    assert 'data-testid="loss-value"' in text and "130.000" in text  # 120.000 + a sock

    rows = re.findall(r'name="code-(\d+)" value="([^"]+)"', text)
    form = {"rows": str(len(rows))}
    for index, code in rows:
        form[f"code-{index}"] = code
        form[f"kind-{index}"] = {"B": "lost", "SOCKS": "quantity", "OLD-9": "noted"}[code]
        form[f"note-{index}"] = "Mất ở kệ sau" if code == "B" else ""
    closed = hong.post("/stock/counts/1/result", data=form)
    assert closed.status_code == 303
    after = hong.get("/stock/counts/1/result").text
    assert "Đợt kiểm kê 1 đã đóng." in after
    decided = after[after.index('data-code="B"') :]
    assert "Đã ghi là mất" in decided[:2000] and "Mất ở kệ sau" in decided[:2000]
    assert "/stock/B" in decided[:2000]
    with app.app_context():
        assert db.session.scalar(select(Item.status).where(Item.code == "B")) == ItemStatus.LOST
        assert db.session.scalar(select(Item.quantity_on_hand).where(Item.code == "SOCKS")) == 4
        [paid] = db.session.scalars(select(Expense)).all()
        assert paid.category.value == "compensation" and paid.member_id is not None
    # Closed: the scanning page says so and takes no more.
    closed_page = ngoc.get("/stock/counts/1").text
    assert 'data-testid="count-closed"' in closed_page and 'id="code"' not in closed_page
    again = hong.post("/stock/counts/1/result", data=form, follow_redirects=True)
    assert "Đợt kiểm kê này đã đóng rồi." in again.text  # closed already: nothing done


def test_a_refused_close_shows_the_fresh_list_keeping_her_choices(app, hong, ngoc):
    assert hong.post("/stock/counts/", data={}).status_code == 303
    _scan(ngoc, ("A", {}), ("SOCKS", {"pieces": 5}))
    text = hong.get("/stock/counts/1/result").text
    rows = dict(
        (code, index) for index, code in re.findall(r'name="code-(\d+)" value="([^"]+)"', text)
    )
    assert set(rows) == {"B", "C"}
    form = {"rows": str(len(rows))}
    for code, index in rows.items():
        form[f"code-{index}"] = code
        form[f"kind-{index}"] = "keep" if code == "C" else "lost"
        form[f"note-{index}"] = f"ghi chú {code}"
    # Meanwhile another phone finds the dress.
    _scan(ngoc, ("B", {}))
    refused = hong.post("/stock/counts/1/result", data=form)
    assert refused.status_code == 422
    page = refused.text
    assert 'data-testid="close-problem"' in page and "(B)" in page
    assert 'data-code="B"' not in page
    line = page[page.index('data-code="C"') :]
    line = line[: line.index("</li>")]
    assert re.search(r'value="keep" checked', line) and 'value="ghi chú C"' in line
    assert client_count_open(hong)


def client_count_open(client) -> bool:
    return client.get("/api/v1/counts/1").json["status"] == "open"
