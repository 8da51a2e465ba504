"""Phone numbers as members type them, reduced to one stored form."""

from __future__ import annotations

import re


class PhoneError(ValueError):
    """Text that is not a phone number. ``code`` says why, for a translated message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalize_phone(text: str, *, country_code: str = "84") -> str:
    """Reduce a typed phone number to digits in national form.

    ``"0912 345 678"``, ``"0912.345.678"`` and ``"+84 912 345 678"`` all become
    ``"0912345678"``. The shop's country calling code (``84`` by default) is replaced by a
    leading 0; other international numbers keep their ``+``. Raises :class:`PhoneError`
    with code ``empty`` or ``invalid``.
    """
    cleaned = re.sub(r"[\s.\-()]", "", text or "")
    if not cleaned:
        raise PhoneError("empty")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if cleaned.startswith("+" + country_code):
        cleaned = "0" + cleaned[1 + len(country_code) :]
    international = cleaned.startswith("+")
    digits = cleaned[1:] if international else cleaned
    if not digits.isdigit() or not digits.isascii() or not 8 <= len(digits) <= 15:
        raise PhoneError("invalid")
    return ("+" + digits) if international else digits
