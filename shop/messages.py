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

#: Why a print job did not come out (:class:`shop.printing.escpos_out.PrinterError` reasons,
#: and the queue's own).
PRINT_REASONS = {
    "refused": _l("The printer refused the job: check the port, or whether it is busy."),
    "timeout": _l("The printer did not answer: is it on, with paper, and its cover shut?"),
    "unreachable": _l("The printer cannot be found: is it plugged in and switched on?"),
    "broken": _l("The connection to the printer broke while printing."),
    "render": _l("This could not be printed with these printer settings."),
    "settings": _l("No printer is set up."),
}

PRINT_JOB_KINDS = {
    "receipt": _l("Receipt"),
    "refund": _l("Refund slip"),
    "void": _l("Void slip"),
    "z_report": _l("Shift report"),
    "labels": _l("Labels"),
    "test": _l("Test page"),
    "drawer": _l("Cash drawer"),
}
PRINT_JOB_STATUSES = {
    "queued": _l("waiting"),
    "sending": _l("printing"),
    "printed": _l("printed"),
    "failed": _l("not printed"),
}
