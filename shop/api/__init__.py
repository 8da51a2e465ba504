"""The JSON API under /api/v1: everything a page does, for scripts and later apps."""

from __future__ import annotations

import functools
import re

from flask import Blueprint, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from shop import clock
from shop.api.spec import STRING_PARAMS, operation
from shop.auth.access import current_role
from shop.database import reading_only
from shop.errors import json_error, rollback_quietly
from shop.extensions import csrf, db
from shop.models import Role
from shop.services import members as member_service

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)


def route(
    path: str, method: str, summary: str, *, public: bool = False, own_auth: bool = False, **spec
):
    """Route ``PREFIX + path`` to the view and describe it in the OpenAPI document.

    ``public``: no sign-in needed; ``own_auth`` too, and the view checks the request's
    ``Authorization`` itself (a bank's webhook sends its own key there, not a token).

    ``{name}`` in the path is an integer path parameter, except the names in
    :data:`STRING_PARAMS` (codes and refs), which are strings.

    The view runs in one transaction, committed by :func:`one_commit`: views never commit.
    """

    def register(view):
        operation(PREFIX + path, method, summary, **spec)(view)
        view = one_commit(view)
        rule = re.sub(
            r"\{(\w+)\}",
            lambda m: f"<{m[1]}>" if m[1] in STRING_PARAMS else f"<int:{m[1]}>",
            path,
        )
        if public or own_auth:
            view.is_public = True
        if own_auth:
            view.own_auth = True
        bp.add_url_rule(rule, view.__name__, view, methods=[method])
        return view

    return register


def one_commit(view):
    """Run ``view`` in the request's one transaction: its answer is made (the JSON
    written), then what it did is committed, once; an error, or an answer of 400 or more,
    rolls it all back. A request that only reads (a GET, or a :func:`reads_first` view
    that never began writing) commits nothing.

    As a page's :func:`shop.views.save`: what must follow the commit (the print queue woken
    for a receipt queued with the sale, the bank poller for a sale awaiting its transfer)
    is done by the session's ``after_commit`` listeners, so it follows this commit too. A
    view that must keep something of a refused request (the wrong PINs counted) commits
    that itself before it raises.
    """

    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            answer = current_app.make_response(view(*args, **kwargs))
            if answer.status_code >= 400:
                db.session.rollback()
            elif not reading_only.get():
                db.session.commit()
        except Exception:
            rollback_quietly()
            raise
        return answer

    return run


@bp.before_request
def authenticate():
    """A bearer token, or the page's signed-in session (with the CSRF header for writes)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "own_auth", False):
        return None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        found = None
        if scheme.lower() == "bearer" and secret.strip():
            found = member_service.member_for_token(
                db.session, secret.strip(), now=clock.now(), today=clock.today()
            )
        if found is None:
            return json_error(
                401,
                _l("The API token is unknown or has been revoked."),
                {"Authorization": [_l("Send a valid bearer token.")]},
            )
        g.api_member, g.api_role = found
        return None
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return json_error(401, _l("Sign in or send an API token."))
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
        "WTF_CSRF_ENABLED", True
    ):
        csrf.protect()
    return None


def require_coordinator():
    if current_role() != Role.COORDINATOR:
        from werkzeug.exceptions import Forbidden

        raise Forbidden()


from shop.api import (  # noqa: E402,F401
    bank,
    bank_reviews,
    counter,
    counts,
    journal,
    members,
    meta,
    month,
    stock,
)
