"""The current moment and the shop's local date, in one place so tests can move time."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from shop.domain import calendar


def now() -> datetime:
    """This moment, aware, in UTC."""
    return calendar.utc_now()


def today() -> date:
    """Today's date in the shop's time zone."""
    return calendar.local_date(now(), current_app.config["SHOP_TZ"])
