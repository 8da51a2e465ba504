"""Error pages and JSON errors: a clear message in her language, never a bare 500."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, InternalServerError

from shop.auth.access import is_api_request
from shop.database import is_busy, reading_only, unwritable_reason
from shop.extensions import db
from shop.services.errors import ShopError

#: A full disk, or a database that cannot be written (page, API and /healthz alike).
UNWRITABLE = _l("The shop's disk is full (or the database cannot be written): nothing was saved.")

MESSAGES = {
    400: _l("The request could not be read."),
    401: _l("Please sign in first."),
    403: _l("You do not have permission for this. Ask a coordinator."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    413: _l("What you sent is too large."),
    415: _l("Send the body as JSON (Content-Type: application/json)."),
    422: _l("Some of what you entered needs fixing."),
    429: _l("Too many attempts. Wait a little and try again."),
    503: UNWRITABLE,
    500: _l("Something went wrong on our side. Nothing was saved; please try again."),
}
#: A failure after the request's change was committed: it is saved, only the answer failed.
SAVED = _l(
    "What you did was saved, but the answer could not be shown. Open the page again to see it."
)
#: SQLite's write lock stayed with another request past the busy timeout.
BUSY = _l("The shop is busy saving something else: nothing was saved. Try again in a moment.")
#: The database connection broke before anything was committed (a restarted server).
GONE = _l("The shop could not reach its database: nothing was saved. Please try again.")
#: The database went away while saving: the change may or may not be in the books.
UNSURE = _l(
    "The connection to the database broke while saving: it may or may not have been saved. "
    "Look before doing it again (a sale, refund, void, payout or expense sent again is "
    "never recorded twice)."
)


def _commit_state() -> str:
    """What became of this request's change: "saved" (a commit went through), "unsure" (a
    commit was under way when it failed) or "none" (nothing was committed)."""
    if g.get("shop_committed"):
        return "saved"
    if g.get("shop_committing"):
        return "unsure"
    return "none"


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    if has_request_context() and not session.in_nested_transaction():
        g.shop_committing = True


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    # A savepoint's release (begin_nested) fires this too, with the request's own
    # transaction still open around it: that is not the change being saved.
    if has_request_context() and not session.in_nested_transaction():
        g.shop_committed = True
        g.shop_committing = False


def rollback_quietly() -> None:
    """Roll the request's transaction back; a connection that is already gone (a killed
    database backend) must not turn the error answer into a bare server page."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the answer still has to be given
        current_app.logger.exception("the rollback after an error failed")


def json_error(status: int, message, fields: dict | None = None, code: str | None = None):
    """The API's error body: ``{"error", "message", "fields": {name: [messages]}}``."""
    body = {
        "error": code or _code(status),
        "message": str(message),
        "fields": {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()},
    }
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="shop"'
    return response


def _code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        422: "invalid_input",
        429: "too_many_requests",
        503: "busy",
    }.get(status, "server_error")


def _back_here() -> str:
    """The page the refused form came from, when it is one of the shop's own (a Referer
    naming another site is not followed: that would send her wherever it says); else the
    form's own address."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme in ("http", "https") and referrer.netloc == request.host:
        return urlunsplit(("", "", referrer.path or "/", referrer.query, ""))
    return request.path


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        db.session.rollback()
        message = _l("This form has expired. Please try again.")
        if is_api_request():
            return json_error(400, message, {"csrf_token": [message]}, code="csrf")
        flash(message, "error")
        return redirect(_back_here(), code=303)

    @app.errorhandler(ShopError)
    def _shop_error(error: ShopError):
        db.session.rollback()
        if is_api_request():
            return json_error(error.status, error.message, error.fields)
        return _page(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code and error.code >= 500:
            rollback_quietly()
        status = error.code or 500
        message = MESSAGES.get(status, error.description)
        if is_api_request():
            return json_error(status, message)
        return _page(status, message)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(OSError)
    def _storage(error: Exception):
        """A full or read-only disk is said plainly (503), not as a bare 500."""
        reason = unwritable_reason(error)
        if reason is None and is_busy(error) and _commit_state() == "none":
            # Another request held SQLite's write lock past the busy timeout: a retry,
            # not a fault (a phone's queue sends it again by itself).
            rollback_quietly()
            app.logger.warning("busy on %s %s: %s", request.method, request.path, error)
            if is_api_request():
                answer = json_error(503, BUSY, code="busy")
            else:
                page, status = _page(503, BUSY)[:2]
                answer = current_app.make_response((page, status))
            answer.headers["Retry-After"] = "2"
            return answer
        if reason is None:
            return _unexpected(error)
        try:
            db.session.rollback()
        except Exception:  # the connection itself may be gone with the disk
            app.logger.exception("rollback after %s failed", reason)
        app.logger.error("nothing saved on %s %s: %s (%s)", request.method, request.path,
                         reason, error)  # fmt: skip
        if is_api_request():
            return json_error(503, UNWRITABLE, code=reason)
        # The page only reads (who is signed in): on SQLite its transaction must not ask
        # for the write lock that a read-only database refuses.
        token = reading_only.set(True)
        try:
            return _page(503, UNWRITABLE)
        finally:
            reading_only.reset(token)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        rollback_quietly()
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        state = _commit_state()
        gone = _database_gone(error)
        if app.config.get("PROPAGATE_UNEXPECTED") and state == "none" and not gone:
            raise error
        if state == "saved":  # never "nothing was saved" for what was
            status, message, code = 500, SAVED, "saved"
        elif state == "unsure":
            status, message, code = 503, UNSURE, "unsure"
        elif gone:
            status, message, code = 503, GONE, "database_unavailable"
        else:
            return _http(InternalServerError())
        if is_api_request():
            return json_error(status, message, code=code)
        return _page(status, message)


def _database_gone(error: Exception) -> bool:
    """Whether ``error`` says the database went away: the connection known lost, or the
    server's own word that it ended it or could not be reached (SQLSTATE classes 57P, 08),
    which can come before the driver marks the connection broken (a backend killed)."""
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or sqlstate.startswith(("57P", "08"))


def _page(status: int, message):
    try:
        return render_template("error.html", status=status, message=message), status
    except Exception:  # the error page itself failed: answer in plain words, not a traceback
        current_app.logger.exception("the error page could not be rendered")
        return f"{status}: {message}", status, {"Content-Type": "text/plain; charset=utf-8"}
