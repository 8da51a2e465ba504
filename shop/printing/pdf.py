"""HTML to PDF with WeasyPrint, the shop's way: the bundled fonts, only files from
``static/``, one font configuration and one parsed copy of each style sheet per process,
and one rendering at a time.

Everything a PDF shows (tag sheets, statements, the monthly report, payout sheets) goes
through :func:`html_to_pdf`, after the request's data is read and its transaction ended.
"""

from __future__ import annotations

import gc
import mimetypes
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from shop.files import STATIC


class ResourceRefused(ValueError):
    """A URL the tag sheet may not load: only files under ``static/`` are served."""


class StaticFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files under ``static/`` and refuses all else.

    ``fail_on_errors`` turns a refusal into an error that stops the rendering, rather than a
    logged warning and a PDF silently missing its fonts.
    """

    def __init__(self, root: Path = STATIC) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = self.local_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    def local_path(self, url: str) -> Path:
        """The file under ``static/`` that ``url`` names; raises :class:`ResourceRefused`."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"only files under {self.root} are served, not {url}")
        # resolve() follows "..", and symbolic links too, before the check.
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ResourceRefused(f"only files under {self.root} are served, not {url}")
        return path


@cache
def _font_configuration() -> FontConfiguration:
    """One font configuration per process: it keeps the @font-face files it has loaded."""
    return FontConfiguration()


#: The style sheet of everything printed on A4 (statements, the monthly report, payout
#: sheets), under ``static/``. Its pages pass it to :func:`html_to_pdf` rather than linking it.
PAPER = "css/paper.css"


@cache
def _stylesheet(name: str) -> CSS:
    """``static/name`` parsed once per process (its @font-face rules go into the one font
    configuration), then shared by every document that uses it."""
    return CSS(
        filename=str(STATIC / name), url_fetcher=StaticFetcher(), font_config=_font_configuration()
    )


# WeasyPrint lays text out with Pango, whose font map is not safe to share between threads.
_RENDER_LOCK = threading.Lock()


@contextmanager
def _rendering():
    """One rendering at a time, with Python's cycle collector paused while it runs.

    Laying out a long statement makes hundreds of thousands of short-lived objects, and the
    collector's full passes over the whole process were a third of the time of a month's
    statements; what a rendering leaves behind is freed by reference counting (the peak memory
    is the same either way), and the collector runs again as soon as the rendering ends.
    """
    with _RENDER_LOCK:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()


def _html(html: str) -> HTML:
    return HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=StaticFetcher())


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = ()) -> bytes:
    """The PDF of ``html``, whose relative URLs (fonts, style sheets) are under ``static/``,
    styled by ``stylesheets`` (names under ``static/``, e.g. :data:`PAPER`) as well as by
    what it links itself."""
    document = _html(html)
    with _rendering():
        pdf = document.write_pdf(
            font_config=_font_configuration(),
            stylesheets=[_stylesheet(name) for name in stylesheets],
        )
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf


def htmls_to_pdf(htmls, *, stylesheets: tuple[str, ...] = (), progress=None) -> bytes:
    """One PDF of several HTML documents, one after another (each starting a new page).

    Each is laid out on its own, so ``progress(done)`` can be told after each one (a month's
    statements: one member at a time); the pages are then bound into one file.
    """
    documents = []
    for done, html in enumerate(htmls, start=1):
        document = _html(html)
        with _rendering():
            sheets = [_stylesheet(name) for name in stylesheets]
            documents.append(document.render(font_config=_font_configuration(), stylesheets=sheets))
        if progress is not None:
            progress(done)
    if not documents:
        raise ValueError("nothing to print")
    pages = [page for document in documents for page in document.pages]
    with _rendering():
        pdf = documents[0].copy(pages).write_pdf()
    assert pdf is not None
    return pdf
