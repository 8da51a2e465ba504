"""The codes people type and scan: an item's tag code and its check digit.

The bank's payment codes (:mod:`shop.domain.bank`) use the same check digit, so a code
typed by hand at the counter or in a banking app cannot silently name another item or sale.
"""

from __future__ import annotations

# Damm's check digit catches every single-digit typo and every swap of neighbours, so a code
# typed by hand at the counter cannot silently name another item.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> str:
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return str(interim)


def item_code(sequence: int) -> str:
    """The code printed on the tag of the ``sequence``-th item the shop makes a code for.

    Numbers start at 1000 so codes have at least five characters, the last a check digit:
    1 → ``"10008"``, 2 → ``"10019"``.
    """
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    number = str(999 + sequence)
    return number + damm_digit(number)


def has_valid_check_digit(code: str) -> bool:
    """Whether an all-digit code carries a right check digit (codes from elsewhere may not)."""
    return code.isascii() and code.isdigit() and len(code) >= 2 and damm_digit(code) == "0"
