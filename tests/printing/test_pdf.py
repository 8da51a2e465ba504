"""HTML to PDF: the shared paper style sheet, and the cycle collector given back after each
rendering, whether it ends well or not."""

from __future__ import annotations

import gc
import shutil
import subprocess

import pytest
from weasyprint.urls import FatalURLFetchingError

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
