"""Small helpers every area's views share."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, request, send_from_directory, url_for
from werkzeug.routing import IntegerConverter

from shop import clock
from shop.domain.pricing import month_key
from shop.extensions import db
from shop.services import stock as stock_service
from shop.services.errors import Forbidden, InvalidInput, ShopError
from shop.services.policy import policy_in_force


def show_error_on_form(form, error: ShopError) -> None:
    """Put a service's refusal beside its field (each of them, when it names several), or at
    the top of the page if no field fits."""
    fields = error.fields or {error.field: [str(error.message)]}
    for name, messages in fields.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *(m for m in messages if m not in field.errors)]
        else:
            for message in messages:
                flash(message, "error")


@dataclass(frozen=True)
class Outcome:
    """What became of a change asked for by a page: ``done`` once committed (``value`` is
    what the service returned); otherwise ``status`` is the page's answer, 200 when nothing
    was sent yet, 422 when the form or the service refused it."""

    done: bool
    status: int = 200
    value: Any = None


def save(change: Callable[[], Any], *, form=None) -> Outcome:
    """Make ``change`` (service calls) in the request's transaction and commit it. When a
    service refuses it (:class:`InvalidInput`), nothing of it is kept: the transaction is
    rolled back and the refusal shown beside the form's field, or at the top of the page."""
    try:
        value = change()
    except InvalidInput as error:
        db.session.rollback()
        if form is None:
            flash(str(error.message), "error")
        else:
            show_error_on_form(form, error)
        return Outcome(False, 422)
    except Forbidden as error:
        if form is None or not error.field:
            raise  # the error page: nothing of hers to keep
        db.session.rollback()
        show_error_on_form(form, error)  # a choice she may not make, beside its field
        return Outcome(False, 403)
    db.session.commit()
    return Outcome(True, 200, value)


def save_form(form, change: Callable[[], Any]) -> Outcome:
    """:func:`save` for a page's form: ``change`` is made only when the form was sent and
    is valid."""
    if not form.is_submitted():
        return Outcome(False, 200)
    if not form.validate():
        return Outcome(False, 422)
    return save(change, form=form)


def flash_form_errors(form) -> None:
    """Show a form's errors at the top of the next page (for small forms on a busy page)."""
    for messages in form.errors.values():
        for message in messages:
            flash(str(message), "error")


def client_address() -> str | None:
    """The address of the device asking (to count wrong PINs from it).

    Behind a reverse proxy every request comes from the proxy: set ``SHOP_PROXIES`` to the
    number of proxies in front, and their ``X-Forwarded-For`` is trusted instead (see
    :func:`shop.create_app`). A request that carries that header while ``SHOP_PROXIES`` is 0
    is logged once, as it probably came through a proxy the shop was not told about.
    """
    if (
        not current_app.config.get("SHOP_PROXIES")
        and "X-Forwarded-For" in request.headers
        and not current_app.extensions.get("shop_proxy_warned")
    ):
        current_app.extensions["shop_proxy_warned"] = True
        current_app.logger.warning(
            "a request came with X-Forwarded-For but SHOP_PROXIES is 0: wrong PINs are "
            "counted for %s, the proxy's address; set SHOP_PROXIES=1 behind one proxy",
            request.remote_addr,
        )
    return request.remote_addr


def safe_next(default_endpoint: str = "main.index", **values) -> str:
    """Where to go after signing in (or after a form): the ``next`` asked for if it is a
    path on this site, never another host; else ``default_endpoint`` with ``values``."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.netloc
        and "\\" not in target
    ):
        return target
    return url_for(default_endpoint, **values)


#: The largest number a database integer column holds on every engine we support.
MAX_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    """``<int:…>`` in URLs, refusing numbers no row can have (a 404, not a database error)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(text: str | None) -> int | None:
    """A positive id or number from a query string, or ``None`` for anything else."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def today_policy():
    """Today in the shop's time zone and the sharing policy in force (its markdown steps),
    for the prices a page or the API shows."""
    today = clock.today()
    return today, policy_in_force(db.session, month_key(today))


def photo_folder() -> str:
    """Where the items' photos are kept: ``photos/`` in the instance folder."""
    return os.path.join(current_app.instance_path, "photos")


def photo_response(code: str):
    """The photo of the item with ``code`` as a JPEG (404 when it has none)."""
    item = stock_service.get_item(db.session, code)
    if not item.photo:
        abort(404)
    return send_from_directory(photo_folder(), item.photo, mimetype="image/jpeg", max_age=3600)
