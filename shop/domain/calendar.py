"""Time in the shop: stored in UTC, read as local days and months in the shop's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    """The current moment as an aware UTC datetime (use as a column default callable)."""
    return datetime.now(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date in ``tz`` of an aware ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(tz).date()


def membership_covers(joined_on: date, left_on: date | None, day: date) -> bool:
    """Whether a member who joined on ``joined_on`` and left on ``left_on`` is a member on ``day``.

    ``left_on`` is her last day as a member; ``None`` means she has not left.
    """
    return joined_on <= day and (left_on is None or day <= left_on)


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The aware moment of local clock time ``at`` on ``day`` in ``tz``."""
    return datetime.combine(day, at, tzinfo=tz)


def wall_clock(moment: datetime, tz: ZoneInfo) -> datetime:
    """The local date and clock time in ``tz`` of an aware ``moment``, without a zone: what
    a form's date-and-time box shows (:func:`local_moment` turns it back)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(tz).replace(tzinfo=None)


def parse_moment(text: str) -> datetime:
    """An aware datetime from ISO 8601 text with its UTC offset: ``"2026-11-01T09:00:00+07:00"``
    or ``"…Z"`` (the journal's times, and a moment a device sends).

    Raises :class:`ValueError` for text that is not such a time, or that has no offset: a
    moment without an offset could be any of 26 hours.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment
