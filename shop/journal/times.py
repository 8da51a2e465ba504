"""Times and days as a journal writes them: ISO 8601 text that always carries its UTC offset."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The zone a journal counts days in when its ``shop.timezone`` is left out (the schema's).
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def parse_time(text: str) -> datetime:
    """An aware datetime from ``"2026-11-01T09:00:00+07:00"`` (or ``…Z``).

    Raises :class:`ValueError` for text that is not such a time, or that has no offset: a
    moment without an offset could be any of 26 hours.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment


def parse_day(text: str) -> date:
    """A calendar date from ``"2026-11-01"``; raises :class:`ValueError` otherwise."""
    return date.fromisoformat(text)


def time_text(moment: datetime, tz: ZoneInfo) -> str:
    """An aware ``moment`` as the shop's wall-clock time with its offset.

    ``2026-11-01 02:00 UTC`` in Asia/Ho_Chi_Minh → ``"2026-11-01T09:00:00+07:00"``.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(tz).isoformat()


def zone(name: str) -> ZoneInfo | None:
    """The time zone called ``name``, or ``None`` if there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return None
