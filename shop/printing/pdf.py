"""HTML to PDF with WeasyPrint, the shop's way: the bundled fonts, only files from
``static/``, one font configuration and one parsed copy of each style sheet per process,
and one rendering at a time.

Everything a PDF shows (tag sheets, statements, the monthly report, payout sheets) goes
through :func:`html_to_pdf`, after the request's data is read and its transaction ended.
Several documents at once (a month's statements, one a member) go through
:func:`htmls_to_pdf`, which shares them out to worker processes when it can.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import multiprocessing
import os
import re
import threading
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, ProcessPoolExecutor, wait
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from shop import collector
from shop.files import STATIC

log = logging.getLogger(__name__)


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
    with _RENDER_LOCK, collector.paused():
        yield


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


def htmls_to_pdf(
    htmls, *, stylesheets: tuple[str, ...] = (), progress=None, processes: int | None = None
) -> bytes:
    """One PDF of several HTML documents, one after another (each starting a new page, its
    page numbers counting its own pages).

    With more than one document and more than one process allowed (``processes``; ``None``:
    :func:`default_processes`), the documents are shared out in order to the worker processes
    of :func:`_pool`, each making one PDF of its share, and the shares' PDFs are bound into
    one. If the workers cannot be had, the documents are made here, one after another, as
    they are with ``processes=1``. ``progress(done)`` is told how many documents are made.
    """
    htmls = list(htmls)
    if not htmls:
        raise ValueError("nothing to print")
    processes = default_processes() if processes is None else processes
    if len(htmls) > 1 and processes > 1:
        try:
            return _in_workers(htmls, stylesheets, progress, processes)
        except Exception as error:  # the pool, never the request: made here instead
            log.warning("the PDF workers failed: the documents are made in process", exc_info=True)
            if isinstance(error, BrokenExecutor | OSError):
                _drop_pool()  # the next call starts new workers
    return _in_process(htmls, stylesheets, progress)


def _in_process(htmls: list[str], stylesheets: tuple[str, ...], progress=None) -> bytes:
    """The documents laid out here one at a time (so ``progress`` is told after each), then
    their pages bound into one file by WeasyPrint."""
    documents = []
    for done, html in enumerate(htmls, start=1):
        document = _html(html)
        with _rendering():
            sheets = [_stylesheet(name) for name in stylesheets]
            documents.append(document.render(font_config=_font_configuration(), stylesheets=sheets))
        if progress is not None:
            progress(done)
    pages = [page for document in documents for page in document.pages]
    with _rendering():
        pdf = documents[0].copy(pages).write_pdf()
    assert pdf is not None
    return pdf


# ---------------------------------------------------------------- worker processes

#: At most this many worker processes, whatever the number of cores: each keeps about 85 MB
#: for the web process's life, and a shop's server is often a small machine.
MAX_PROCESSES = 2


def default_processes() -> int:
    """The processor cores this process may use, at most :data:`MAX_PROCESSES`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def _shares(htmls: list[str], count: int) -> list[list[str]]:
    """``htmls`` cut, in order, into at most ``count`` runs of about the same length of
    HTML (the rendering's time follows it)."""
    count = min(count, len(htmls))
    total = sum(len(html) for html in htmls)
    shares: list[list[str]] = [[] for _ in range(count)]
    seen = 0
    for html in htmls:
        # the share of the document's middle, so that a long one goes where most of it falls
        index = min(count - 1, (seen + len(html) // 2) * count // max(total, 1))
        shares[index].append(html)
        seen += len(html)
    return [share for share in shares if share]


def _warm(stylesheets: tuple[str, ...]) -> None:
    """In a new worker: the font configuration and the style sheets, before any work; and a
    watch that ends the worker when the process that started it is gone, however it ended
    (a web process killed for its time leaves no workers behind)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), name="pdf-parent", daemon=True).start()
    for name in stylesheets:
        _stylesheet(name)


def _end_with(parent) -> None:
    parent.join()  # returns when the parent has ended
    os._exit(0)


_POOL_LOCK = threading.Lock()
_pool_state: dict = {}  # "pool", "size", "pid": one pool per process, started when first needed


def _pool(size: int, stylesheets: tuple[str, ...]) -> ProcessPoolExecutor:
    """The process's pool of ``size`` workers, started on first use and kept for the
    process's life (the workers' start, WeasyPrint's import and its fonts, took 1.5 s on a
    busy two-core machine: a third of all members' statements).

    The workers start from a fresh interpreter (the 'forkserver' method, else 'spawn'), not
    as copies of this process: they hold none of the app's database connections or threads,
    and are only ever given HTML and style sheet names, and give back PDF bytes. A process
    forked from this one (gunicorn's workers, after the app is loaded) starts its own.
    """
    with _POOL_LOCK:
        pool = _pool_state.get("pool")
        if pool is not None and _pool_state["pid"] == os.getpid() and _pool_state["size"] == size:
            return pool
        if pool is not None and _pool_state["pid"] == os.getpid():
            pool.shutdown(wait=False, cancel_futures=True)
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload([__name__])  # WeasyPrint imported once, then forked
        pool = ProcessPoolExecutor(
            max_workers=size, mp_context=context, initializer=_warm, initargs=(stylesheets,)
        )
        _pool_state.update(pool=pool, size=size, pid=os.getpid())
        return pool


def _drop_pool() -> None:
    """Forget a pool that failed; the next call starts a new one."""
    with _POOL_LOCK:
        pool = _pool_state.pop("pool", None)
        if pool is not None and _pool_state.get("pid") == os.getpid():
            pool.shutdown(wait=False, cancel_futures=True)


def _in_workers(htmls: list[str], stylesheets: tuple[str, ...], progress, processes: int) -> bytes:
    shares = _shares(htmls, processes)
    pool = _pool(processes, stylesheets)
    futures = {pool.submit(_in_process, share, stylesheets): share for share in shares}
    pending, done = set(futures), 0
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            future.result()  # a worker's failure, here
            done += len(futures[future])
        if progress is not None:
            progress(done)
    return bind([future.result() for future in futures])


def bind(pdfs: list[bytes]) -> bytes:
    """PDFs one after another in one file (pypdf): each keeps its own pages and its own
    subsets of the fonts (renamed where two would share a name); the first one's title,
    language and metadata are the file's."""
    from pypdf import PdfReader, PdfWriter

    if len(pdfs) == 1:
        return pdfs[0]
    writer = PdfWriter(clone_from=io.BytesIO(pdfs[0]))
    for part, pdf in enumerate(pdfs[1:], start=1):
        reader = PdfReader(io.BytesIO(pdf))
        seen: set[int] = set()
        for page in reader.pages:
            _retag_fonts(page.get("/Resources"), part, seen)
        writer.append(reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_SUBSET = re.compile(r"^/([A-Z]{6})\+")


def _retag_fonts(resources, part: int, seen: set[int]) -> None:
    """Give the font subsets under ``resources`` (and its forms') tags of their own in
    ``part``: WeasyPrint tags a subset after its font, whatever glyphs it holds, so every
    part would name its own subset of Paper Sans alike, and the PDF standard wants a tag
    for each subset (a printer or viewer that goes by the name would use the wrong one)."""
    if resources is None or id(resources := resources.get_object()) in seen:
        return
    seen.add(id(resources))
    fonts = resources.get("/Font")
    for font in (fonts.get_object() if fonts is not None else {}).values():
        font = font.get_object()
        if id(font) not in seen:
            seen.add(id(font))
            reference = font.indirect_reference
            _retag_font(font, f"{part}:{reference.idnum if reference else len(seen)}")
    forms = resources.get("/XObject")
    for form in (forms.get_object() if forms is not None else {}).values():
        _retag_fonts(form.get_object().get("/Resources"), part, seen)


def _retag_font(font, key: str) -> None:
    """The font's names (its own, its descendants' and their descriptors') with new tags."""
    from pypdf.generic import NameObject

    for each in [font, *(one.get_object() for one in font.get("/DescendantFonts", []))]:
        descriptor = each.get("/FontDescriptor")
        holders = [(each, "/BaseFont")]
        if descriptor is not None:
            holders.append((descriptor.get_object(), "/FontName"))
        for holder, name_key in holders:
            name = str(holder.get(name_key, ""))
            if tag := _SUBSET.match(name):
                new = _tag(f"{tag.group(1)}:{key}")
                holder[NameObject(name_key)] = NameObject(f"/{new}+{name[len(tag.group(0)) :]}")


def _tag(text: str) -> str:
    """Six capital letters made from ``text``, as WeasyPrint makes its tags."""
    digest = hashlib.md5(text.encode(), usedforsecurity=False).digest()
    return "".join(chr(65 + byte % 26) for byte in digest[:6])
