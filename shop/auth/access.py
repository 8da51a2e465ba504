"""Who is asking: the signed-in member of a page, or the member behind an API token.

Every route needs a signed-in member unless its view is marked :func:`public`. This is
checked before any view runs, so a route added later is closed until someone opens it.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from shop import clock
from shop.extensions import db, login
from shop.models import Member, Role
from shop.services import members as member_service


def public(view):
    """Mark a view as open to people who have not signed in."""
    view.is_public = True
    return view


def coordinator_required(view):
    """Allow a view only to coordinators (a member gets 403)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_role() != Role.COORDINATOR:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def current_member() -> Member | None:
    """The member this request acts as, whether she signed in or sent a token."""
    member = g.get("api_member")
    if member is not None:
        return member
    return current_user if current_user.is_authenticated else None


def current_role() -> Role | None:
    role = g.get("api_role")
    if role is not None:
        return role
    member = current_member()
    return member.role if member is not None else None


def current_viewer():
    """Who this request acts as, with the role she acts with, for the rules of
    :mod:`shop.services.visibility` (who sees whose money)."""
    from shop.services.visibility import viewer

    member = current_member()
    return viewer(member, current_role()) if member is not None else None


def lock_policy() -> member_service.LockPolicy:
    """How many wrong PINs lock a phone or an address, and for how long, as the shop's
    settings say (for the sign-in page and the API's alike)."""
    return member_service.LockPolicy(
        max_failures=current_app.config["PIN_MAX_FAILURES"],
        lock_minutes=current_app.config["PIN_LOCK_MINUTES"],
        address_max_failures=current_app.config["PIN_ADDRESS_MAX_FAILURES"],
        max_lock_minutes=current_app.config["PIN_LOCK_MAX_MINUTES"],
    )


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class _TokenRequestSession(SecureCookieSession):
    """The session of an API request that carries its own credentials: always empty, and
    never saved."""


class SessionInterface(SecureCookieSessionInterface):
    """The signed cookie session of the pages, left unopened for an API request with an
    ``Authorization`` header: a bearer token (or a bank's webhook key) says who is asking,
    never the cookie, so the cookie is neither checked nor written (and its language is
    not read: the answer speaks what ``Accept-Language`` asks). A browser's page calling the
    API sends no such header and has its session as before."""

    def open_session(self, app, request):
        if request.path.startswith("/api/") and "Authorization" in request.headers:
            return _TokenRequestSession()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if isinstance(session, _TokenRequestSession):
            return
        super().save_session(app, session, response)


def init_access(app: Flask) -> None:
    app.session_interface = SessionInterface()
    login.init_app(app)
    login.session_protection = "basic"
    login.login_view = "auth.sign_in"
    login.login_message = _l("Please sign in first.")
    login.login_message_category = "info"

    @login.user_loader
    def _load_member(session_id: str):
        member_id, _, version = session_id.partition(":")
        if not member_id.isdigit() or not version.isdigit():
            return None
        member = db.session.get(Member, int(member_id))
        if member is None or member.session_version != int(version):
            return None
        if member.has_left_by(clock.today()):
            return None
        return member

    @login.unauthorized_handler
    def _unauthorized():
        if is_api_request():
            from shop.errors import json_error

            return json_error(401, _l("Sign in or send an API token."))
        from shop.services.members import has_members

        if not has_members(db.session):
            return redirect(url_for("main.setup"))
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))

    @app.before_request
    def _require_sign_in():
        if request.endpoint is None:
            return None  # 404 and 405 answer as they are
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False) or request.endpoint == "static":
            return None
        if is_api_request():
            return None  # the API blueprint's own before_request (shop.api.authenticate) checks it
        if not current_user.is_authenticated:
            return login.unauthorized()
        return None
