"""Language, time zone and the filters that show money and dates the shop's way."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import LazyString, format_datetime, get_locale

from shop.config import LANGUAGES
from shop.domain import sharing
from shop.domain.money import (
    cash_to_hand_over,
    format_dong,
    format_dong_padded,
    format_rate,
    format_rate_padded,
)

DATE_PATTERN = "dd/MM/yyyy"
DATETIME_PATTERN = "dd/MM/yyyy HH:mm"


def select_locale() -> str:
    """The language she chose on this device, else (for scripts) Accept-Language, else ``vi``.

    Pages ignore the browser's language on purpose: a shared counter tablet set up in English
    must still speak Vietnamese to the women who use it.
    """
    if not has_request_context():  # the command line speaks the shop's language
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if request.path.startswith("/api/") and request.accept_languages:
        best = request.accept_languages.best_match(list(LANGUAGES))
        if best:
            return best
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")


def select_timezone() -> str:
    return current_app.config["SHOP_TIMEZONE"]


def format_day(value: date | datetime | None) -> str:
    """A calendar day as dd/mm/yyyy; a moment is first turned into the shop's local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, DATE_PATTERN)
    return value.strftime("%d/%m/%Y")


def format_moment(value: datetime | None) -> str:
    """A moment in the shop's local time as dd/mm/yyyy HH:mm."""
    return "" if value is None else format_datetime(value, DATETIME_PATTERN)


def format_clock(value: datetime) -> str:
    """A moment's time of day in the shop's local time, HH:mm."""
    return format_datetime(value, "HH:mm")


def month_label(month: str) -> LazyString:
    """The month in words in the language of whoever reads it ("November 2026",
    "tháng 11 năm 2026"), worked out when the message is shown."""
    first, _last = sharing.month_bounds(month)
    return LazyString(lambda: format_skeleton("yMMMM", first, locale=get_locale() or "vi"))


def template_helpers(app: Flask) -> None:
    from shop.messages import in_words

    app.add_template_filter(format_dong, "dong")
    app.add_template_filter(format_dong_padded, "dong_padded")
    app.add_template_filter(format_rate, "rate")
    app.add_template_filter(format_rate_padded, "rate_padded")
    app.add_template_filter(cash_to_hand_over, "cash")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_phone, "phone")
    app.add_template_filter(in_words, "said")

    @app.context_processor
    def _language():
        return {"languages": LANGUAGES, "current_language": str(get_locale() or "vi")}


def format_phone(value: str | None) -> str:
    """A stored phone number grouped for reading: ``0912000001`` → ``0912 000 001``."""
    if not value:
        return ""
    if value.startswith("+") or len(value) != 10:
        return value
    return f"{value[:4]} {value[4:7]} {value[7:]}"
