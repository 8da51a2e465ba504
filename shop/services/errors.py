"""What a service raises when it refuses: the field at fault and a message in her language."""

from __future__ import annotations


class ShopError(Exception):
    """A request the shop refuses. ``status`` is the HTTP status the API answers with.

    ``field`` names the field at fault (the page shows the message beside it); ``fields``
    may carry messages for several fields at once, as the API reports them.
    """

    status = 400

    def __init__(
        self,
        message,
        field: str | None = None,
        *,
        fields: dict[str, list] | None = None,
        status: int | None = None,
    ):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self._fields = fields
        if status is not None:
            self.status = status

    @property
    def fields(self) -> dict[str, list[str]]:
        if self._fields:
            return {name: [str(m) for m in msgs] for name, msgs in self._fields.items()}
        return {self.field: [str(self.message)]} if self.field else {}


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

    def __init__(self, message, field: str | None = "pin", *, locked_until=None):
        super().__init__(message, field, status=429 if locked_until is not None else None)
        self.locked_until = locked_until
