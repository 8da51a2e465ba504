"""HTML to PDF: the shared paper style sheet, and the cycle collector given back after each
rendering, whether it ends well or not."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from weasyprint.urls import FatalURLFetchingError

from shop.printing import pdf as pdf_module
from shop.printing.pdf import PAPER, html_to_pdf, htmls_to_pdf

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdffonts") and shutil.which("pdftotext")), reason="needs poppler-utils"
)

PAGE = '<!doctype html><html lang="vi"><head><meta charset="utf-8"></head><body>{}</body></html>'


def _fonts(pdf: bytes) -> str:
    return subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_paper_style_sheet_is_applied_without_being_linked():
    """A page that does not link paper.css gets its font (the bundled DejaVu) when printed
    with it, and not without it; every Vietnamese letter is there."""
    html = PAGE.format("<h1>Sao kê tháng 12 năm 2025</h1><p>Nguyễn Thu Nhung · Quần short</p>")
    with_paper = html_to_pdf(html, stylesheets=(PAPER,))
    assert "Paper-Sans" in _fonts(with_paper)  # the bundled DejaVu, by paper.css's name
    assert "Sao kê tháng 12 năm 2025" in _text(with_paper)
    assert "Nguyễn Thu Nhung · Quần short" in _text(with_paper)
    plain = html_to_pdf(html)
    assert "Paper-Sans" not in _fonts(plain)


def test_the_shared_sheet_serves_page_after_page():
    """The one parsed copy of paper.css is used again and again: the @page rules (A4, the
    page numbers) hold for every document, one or several at once."""
    html = PAGE.format('<p style="break-after: page">một</p><p>hai</p>')
    for _ in range(2):
        text = _text(html_to_pdf(html, stylesheets=(PAPER,)))
        assert "1/2" in text and "2/2" in text
    bound = htmls_to_pdf([html, PAGE.format("<p>ba</p>")], stylesheets=(PAPER,))
    assert "1/2" in _text(bound) and "1/1" in _text(bound)


def test_the_cycle_collector_runs_again_after_a_rendering():
    assert gc.isenabled()
    html_to_pdf(PAGE.format("<p>xin chào</p>"), stylesheets=(PAPER,))
    assert gc.isenabled()
    htmls_to_pdf([PAGE.format("<p>xin chào</p>")], stylesheets=(PAPER,))
    assert gc.isenabled()
    refused = PAGE.format('<img src="file:///etc/passwd">')
    with pytest.raises(FatalURLFetchingError):
        html_to_pdf(refused)
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    try:
        html_to_pdf(PAGE.format("<p>xin chào</p>"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def _member(number: int, pages: int) -> str:
    """A member's statement stand-in of ``pages`` pages, each saying whose and which."""
    return PAGE.format(
        "".join(
            f'<p style="break-after: page">Thành viên {number}: Nguyễn Thị <b>Út</b>, '
            f"trang {page}</p>"
            for page in range(1, pages + 1)
        )
    )


def _pages(pdf: bytes) -> list[str]:
    return _text(pdf).split("\f")[:-1]  # pdftotext ends each page with a form feed


def test_the_workers_pdfs_are_bound_in_member_order():
    """Shared out to two worker processes, each member's pages come in the members' order,
    every page there once; the fonts stay embedded subsets and the Vietnamese letters read."""
    counts = [3, 1, 2, 4, 1, 2]
    told = []
    pdf = htmls_to_pdf(
        [_member(n, count) for n, count in enumerate(counts, start=1)],
        stylesheets=(PAPER,),
        processes=2,
        progress=told.append,
    )
    assert pdf_module._pool_state.get("pid") == os.getpid()  # made by the pool, not here
    pages = _pages(pdf)
    assert len(pages) == sum(counts)
    expected = [
        f"Thành viên {n}: Nguyễn Thị Út, trang {page}"
        for n, count in enumerate(counts, start=1)
        for page in range(1, count + 1)
    ]
    assert [page.splitlines()[0] for page in pages] == expected
    assert [page.split()[-1] for page in pages[:4]] == ["1/3", "2/3", "3/3", "1/1"]
    assert told[-1] == len(counts) and told == sorted(told)
    fonts = [line.split() for line in _fonts(pdf).splitlines()[2:]]
    assert fonts and all(line[-5:-2] == ["yes", "yes", "yes"] for line in fonts)  # emb sub uni
    names = sorted(line[0] for line in fonts)  # a tag of its own for each share's subset
    assert len(set(names)) == 4, names
    assert sorted(name[7:] for name in names) == ["Paper-Sans"] * 2 + ["Paper-Sans-Bold"] * 2
    alone = sum(len(_member_pdf(n, count)) for n, count in enumerate(counts, start=1))
    assert len(pdf) < alone  # no bigger than the members' PDFs made one by one


def _member_pdf(number: int, pages: int) -> bytes:
    return htmls_to_pdf([_member(number, pages)], stylesheets=(PAPER,))


def test_without_workers_the_pdf_is_made_in_process(monkeypatch, caplog):
    """One process allowed, one document, or a pool that cannot start: the same pages,
    made here, and the request never fails because of the pool."""
    htmls = [_member(1, 2), _member(2, 1), _member(3, 1)]
    expected = [page.splitlines()[0] for page in _pages(htmls_to_pdf(htmls, processes=1))]
    assert len(expected) == 4 and expected[2].startswith("Thành viên 2")

    def no_pool(*args):
        raise OSError("no processes here")

    monkeypatch.setattr(pdf_module, "_pool", no_pool)
    assert [page.splitlines()[0] for page in _pages(htmls_to_pdf(htmls[:1], processes=4))] == (
        expected[:2]
    )
    assert not caplog.records  # a single document never asks for the pool
    told = []
    pdf = htmls_to_pdf(htmls, processes=4, progress=told.append)
    assert [page.splitlines()[0] for page in _pages(pdf)] == expected
    assert told == [1, 2, 3]
    assert "made in process" in caplog.text


ORPHAN = """
import os
from shop.printing import pdf
page = "<!doctype html><html><body><p>a</p></body></html>"
pdf.htmls_to_pdf([page, page], processes=2)
print(*pdf._pool_state["pool"]._processes, flush=True)
os.kill(os.getpid(), 9)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_workers_end_with_the_process_that_started_them(tmp_path):
    """A web process killed outright (gunicorn's timeout) leaves no PDF workers behind."""
    out = tmp_path / "workers"
    with out.open("w") as handle:
        subprocess.run(
            [sys.executable, "-c", ORPHAN],
            stdout=handle,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[2],
            timeout=60,
        )
    workers = [int(pid) for pid in out.read_text().split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)
