"""The names the shop gives donors, intakes and items from its counters, and back.

A counter (a sequence) hands out 1, 2, 3…; a donor is then ``D1``, an intake ``N1`` and an
item the code :func:`shop.domain.codes.item_code` makes (``10008``). Reading a name back
into its number is what lets a counter carry on after names came from elsewhere (a journal):
the next name it makes must not be one already used.
"""

from __future__ import annotations

from shop.domain.codes import item_code

#: The highest value a counter can hold (the column is a 32-bit integer on PostgreSQL).
MAX_SEQUENCE = 2**31 - 1

DONOR_PREFIX = "D"
INTAKE_PREFIX = "N"


def donor_ref(number: int) -> str:
    """The ``number``-th donor's reference: ``D1``, ``D2``…"""
    return f"{DONOR_PREFIX}{number}"


def intake_ref(number: int) -> str:
    """The ``number``-th intake's reference: ``N1``, ``N2``…"""
    return f"{INTAKE_PREFIX}{number}"


def _whole(digits: str) -> int | None:
    """``digits`` as a counter's value, if it is one: ASCII digits, no leading zero, in range."""
    if not digits or not (digits.isascii() and digits.isdigit()) or digits[0] == "0":
        return None
    if len(digits) > len(str(MAX_SEQUENCE)):
        return None
    number = int(digits)
    return number if number <= MAX_SEQUENCE else None


def ref_number(ref: str, prefix: str) -> int | None:
    """The counter's value that made ``ref`` with ``prefix`` ("N7" → 7), or ``None`` when no
    counter value makes exactly this ref ("n7", "N07", "PN-7" are someone else's names)."""
    if not isinstance(ref, str) or not ref.startswith(prefix):
        return None
    return _whole(ref[len(prefix) :])


def item_code_number(code: str) -> int | None:
    """The counter's value that :func:`item_code` turns into ``code`` ("10019" → 2), or
    ``None`` when the code is not one the shop makes (a letter code, a wrong check digit)."""
    if not isinstance(code, str) or len(code) < 5:
        return None
    number = _whole(code[:-1])
    if number is None or number < 1000:
        return None
    sequence = number - 999
    return sequence if item_code(sequence) == code else None
