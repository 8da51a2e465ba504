"""A month's statements as one PDF, made in the background with its progress shown.

Twenty-five statements take WeasyPrint some seconds: the page that asks for them starts a
thread and shows how many are done, then the file. Progress and the finished PDF are files
in the instance folder (``renders/``), so whichever web process answers the next look at
the page finds them. Old files are cleared when a new render starts.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path

from flask import Flask, render_template

log = logging.getLogger(__name__)

#: Finished or failed renders older than this are removed.
KEEP_SECONDS = 24 * 3600
_ID = re.compile(r"^[a-f0-9]{32}$")


def _folder(app: Flask) -> Path:
    folder = Path(app.instance_path) / "renders"
    folder.mkdir(exist_ok=True)
    return folder


def _write_state(app: Flask, render_id: str, **state) -> None:
    path = _folder(app) / f"{render_id}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, path)  # a reader never sees half a file


def state(app: Flask, render_id: str) -> dict | None:
    """``{"state": "running"|"done"|"failed", "done": n, "total": n, "month": …,
    "member": who asked}`` or ``None`` for an unknown id."""
    if not _ID.match(render_id):
        return None
    path = _folder(app) / f"{render_id}.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def pdf_path(app: Flask, render_id: str) -> Path | None:
    if not _ID.match(render_id):
        return None
    path = _folder(app) / f"{render_id}.pdf"
    return path if path.is_file() else None


def _clear_old(app: Flask) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in _folder(app).iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def statements_html(statements, *, month: str) -> list[str]:
    """Each statement as its own HTML page (in a request context: translations, filters)."""
    from shop import clock
    from shop.extensions import db
    from shop.i18n import month_label
    from shop.services import month as month_service
    from shop.services.members import shop_profile

    context = {
        "label": month_label(month),
        "settings": month_service.sharing_settings(db.session, month),
        "shop": shop_profile(db.session),
        "now": clock.now(),
    }
    return [
        render_template("month/statements_pdf.html", statements=[one], **context)
        for one in statements
    ]


def start_statements(app: Flask, month: str, *, member_number: int, run=True) -> str:
    """Start making every statement of ``month`` in one PDF; return the render's id."""
    _clear_old(app)
    render_id = secrets.token_hex(16)
    _write_state(app, render_id, state="running", done=0, total=0, month=month,
                 member=member_number)  # fmt: skip

    def work() -> None:
        from shop.extensions import db
        from shop.printing.pdf import PAPER, htmls_to_pdf
        from shop.services import statements as statement_service

        try:
            with app.test_request_context():
                statements = statement_service.statements(db.session, month, app.config["SHOP_TZ"])
                pages = statements_html(statements, month=month)
                db.session.remove()
                total = len(pages)
                _write_state(app, render_id, state="running", done=0, total=total,
                             month=month, member=member_number)  # fmt: skip

                def progress(done: int) -> None:
                    _write_state(app, render_id, state="running", done=done, total=total,
                                 month=month, member=member_number)  # fmt: skip

                processes = app.config.get("PDF_PROCESSES")
                pdf = (
                    htmls_to_pdf(
                        pages, stylesheets=(PAPER,), progress=progress, processes=processes
                    )
                    if pages
                    else b""
                )
            (_folder(app) / f"{render_id}.pdf").write_bytes(pdf)
            _write_state(app, render_id, state="done", done=total, total=total, month=month,
                         member=member_number)  # fmt: skip
        except Exception:  # shown as failed on the page; the details go to the log
            log.exception("rendering the statements of %s failed", month)
            _write_state(app, render_id, state="failed", done=0, total=0, month=month,
                         member=member_number)  # fmt: skip

    if run:
        threading.Thread(target=work, name=f"statements-{month}", daemon=True).start()
    else:  # tests: in the caller's thread, finished on return
        work()
    return render_id
