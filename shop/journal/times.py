"""Times and days as a journal writes them: ISO 8601 text that always carries its UTC offset."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shop.domain.calendar import parse_moment

#: The zone a journal counts days in when its ``shop.timezone`` is left out (the schema's).
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


#: An aware datetime from ``"2026-11-01T09:00:00+07:00"`` (or ``…Z``); ValueError without
#: an offset (the shop's one reader of moments, in the domain).
parse_time = parse_moment


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
