"""Translated messages for the domain's refusal codes, shared by forms, services and the API."""

from flask_babel import lazy_gettext as _l

MONEY = {
    "empty": _l("Enter an amount."),
    "invalid": _l("Write the amount as digits, for example 45000, 45.000 or 45k."),
    "negative": _l("The amount cannot be negative."),
    "fraction": _l("The amount must be whole đồng."),
    "too_large": _l("The amount is too large."),
}

PHONE = {
    "empty": _l("Enter a phone number."),
    "invalid": _l("This is not a phone number: use 8 to 15 digits, for example 0912 345 678."),
}

PIN = {
    "empty": _l("Enter a PIN."),
    "digits": _l("The PIN must be digits only."),
    "length": _l("The PIN must have 4 to 8 digits."),
    "weak": _l("This PIN is too easy to guess: avoid 1111 or 1234."),
}
