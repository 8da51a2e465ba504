"""PINs: short numbers a member remembers, checked here before they are hashed."""

from __future__ import annotations

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 8


class PinError(ValueError):
    """A PIN that cannot be used. ``code`` says why, for a translated message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_new_pin(pin: str) -> str:
    """Return ``pin`` if it can be a member's PIN: 4 to 8 ASCII digits, not all the same.

    Raises :class:`PinError` with code ``empty``, ``digits``, ``length`` or ``weak``.
    """
    if not pin:
        raise PinError("empty")
    if not (pin.isascii() and pin.isdigit()):
        raise PinError("digits")
    if not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise PinError("length")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise PinError("weak")
    return pin
