"""The current moment and the shop's local date, in one place so tests can move time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from shop.domain import calendar


def now() -> datetime:
    """This moment, aware, in UTC."""
    return calendar.utc_now()


def shop_tz() -> ZoneInfo:
    """The shop's time zone (``SHOP_TIMEZONE``, Asia/Ho_Chi_Minh by default): what a view
    passes its services as ``tz``."""
    return current_app.config["SHOP_TZ"]


def today() -> date:
    """Today's date in the shop's time zone."""
    return calendar.local_date(now(), shop_tz())
