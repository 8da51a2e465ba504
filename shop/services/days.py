"""Days that must have come: money and membership are recorded for today or earlier."""

from __future__ import annotations

from datetime import date

from shop.services.errors import InvalidInput

#: The one refusal of a day after today, beside its field.
FUTURE_DAY = "day.future"


def refuse_future(day: date | None, today: date | None, field: str) -> None:
    """Refuse ``day`` after ``today`` (the shop's local date) at ``field``. ``today`` is
    ``None`` for history entered as it was (a journal), which is not checked here."""
    if day is not None and today is not None and day > today:
        raise InvalidInput(FUTURE_DAY, field)
