"""The service workers that keep pages and their files on a phone for when there is no
link: one script (templates/service_worker.js) rendered with what each one keeps. The
counter's is /counter/sw.js, a stock count's scanning page's /stock/counts/sw.js."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from flask import Response, current_app, render_template, url_for


def version(files: Iterable[str], templates: Iterable[str]) -> str:
    """A digest of the kept files and the templates of the kept pages: a new version of
    any of them gives the worker new copies."""
    digest = hashlib.sha256()
    static = Path(current_app.static_folder)
    for name in files:
        path = static / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    for name in templates:
        digest.update((Path(current_app.template_folder) / name).read_bytes())
    return digest.hexdigest()[:12]


def worker_response(
    *,
    name: str,
    scope: str,
    pages: str,
    files: Iterable[str],
    templates: Iterable[str],
    install_pages: Iterable[str] = (),
    per_member: bool = False,
) -> Response:
    """The worker script for ``scope``: it keeps ``files`` (under static/) and the pages
    whose path matches the regular expression ``pages`` (a JavaScript one: keep it to
    what Python's :func:`re.escape` writes and ``\\d``). ``per_member``: a kept page
    answers only for the member it was made for (the page sends ``X-Shop-Member``)."""
    files = tuple(files)
    body = render_template(
        "service_worker.js",
        name=name,
        version=version(files, templates),
        pages=pages,
        install_pages=list(install_pages),
        files=[url_for("static", filename=f) for f in files],
        per_member=per_member,
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = scope
    response.headers["Cache-Control"] = "no-cache"
    return response


def exactly(path: str) -> str:
    """The pattern of one page's path."""
    return "^" + re.escape(path) + "$"
