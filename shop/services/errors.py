"""What a service refuses with: a code for the refusal, the field at fault and the values
the message names. The words are chosen where the refusal is shown (``shop.messages.REFUSALS``:
the page, the API, the CLI and the journal's English problems), never in a service."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

T = TypeVar("T")

#: A refusal's code: ``area.what`` in lower case ("month.closed", "payout.too_much").
CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclass(frozen=True)
class Shown(Generic[T]):
    """A value a message names, kept as it is until the words are chosen: its kind (the
    class below it) says how the reader sees it (``shop.messages.shown``)."""

    value: T


class Dong(Shown[int]):
    """An amount in đồng, shown as money ("45.000 ₫")."""


class MonthName(Shown[str]):
    """A month ("YYYY-MM"), shown in words ("tháng 11 năm 2026")."""


class Moment(Shown[datetime]):
    """A moment, shown in the shop's time as dd/mm/yyyy HH:mm."""


class ClockTime(Shown[datetime]):
    """A moment named by its time of day in the shop's time ("14:05")."""


class Day(Shown[date]):
    """A calendar day, shown as dd/mm/yyyy."""


class ShopError(Exception):
    """A request the shop refuses. ``status`` is the HTTP status the API answers with.

    ``code`` is the refusal's code (see :data:`CODE`), never words, with the values its
    message names as keyword arguments (``InvalidInput("month.closed", "month",
    month=MonthName(m))``); its words are in ``shop.messages.REFUSALS``. ``field`` names the
    field at fault (the page shows the message beside it); ``fields`` may carry refusals for
    several fields at once, as the API reports them: each a code, a ``(code, values)`` pair,
    or the words an edge's form chose.
    """

    status = 400

    def __init__(
        self,
        code: str,
        field: str | None = None,
        /,
        *,
        fields: dict[str, list] | None = None,
        status: int | None = None,
        **values,
    ):
        assert is_code(code), f"a refusal is a code, not words: {code!r}"
        super().__init__(code)
        self.code = code
        self.values = values
        self.field = field
        self._fields = fields
        if status is not None:
            self.status = status

    @property
    def message(self):
        """The refusal in words, in the language of whoever reads it (worked out when shown)."""
        from shop.messages import in_words

        return in_words((self.code, self.values))

    def __str__(self) -> str:
        return str(self.message)

    @property
    def fields(self) -> dict[str, list[str]]:
        if self._fields:
            from shop.messages import in_words

            return {name: [str(in_words(m)) for m in msgs] for name, msgs in self._fields.items()}
        return {self.field: [str(self.message)]} if self.field else {}


def is_code(what: object) -> bool:
    return type(what) is str and CODE.fullmatch(what) is not None


class InvalidInput(ShopError):
    """Input that breaks a rule; the message belongs beside ``field``."""

    status = 422


class NotFound(ShopError):
    status = 404


class Forbidden(ShopError):
    status = 403


class SignInRefused(ShopError):
    """Wrong phone or PIN, a locked phone or address (429), or a member who has left."""

    status = 401

    def __init__(self, code: str, field: str | None = "pin", /, *, locked_until=None, **values):
        super().__init__(code, field, status=429 if locked_until is not None else None, **values)
        self.locked_until = locked_until
