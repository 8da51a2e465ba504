"""Small helpers every area's views share."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, request, url_for

from shop.services.errors import ShopError


def show_error_on_form(form, error: ShopError) -> None:
    """Put a service's refusal beside its field, or at the top of the page if no field fits."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


def safe_next(default_endpoint: str = "main.index") -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.netloc
        and "\\" not in target
    ):
        return target
    return url_for(default_endpoint)
