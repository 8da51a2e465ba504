"""Money in whole Vietnamese đồng: one parser, one formatter, one split.

Amounts are Python ints everywhere. Nothing here uses float or Decimal: a fraction that
someone types ("1,5k") is checked with integer arithmetic and must come out whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: The largest amount the shop accepts anywhere (100 billion đồng, as in the journal schema).
MAX_DONG = 100_000_000_000

_SUFFIX_FACTOR = {
    "": 1,
    "k": 1_000,
    "ng": 1_000,
    "nghìn": 1_000,
    "ngàn": 1_000,
    "tr": 1_000_000,
    "triệu": 1_000_000,
}
_CURRENCY = re.compile(r"(₫|đồng|đ|vnd)$", re.IGNORECASE)
# Digits are 0-9 only: Python's \d (and int()) would also read Arabic-Indic, full-width or
# mathematical digits ("٤٥k", "𝟒𝟓k"), which no one types for an amount on the number pad.
_NUMBER = re.compile(
    r"""^(?P<int>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)  # 45000, 45.000
        (?:[.,](?P<frac>[0-9]+))?$                          # 1,5 or 1.5 (only with k/tr)
    """,
    re.VERBOSE,
)
_SUFFIXED = re.compile(
    r"^(?P<num>[0-9.,]+?)\s*(?P<suffix>k|ng|nghìn|ngàn|tr|triệu)(?P<rest>[0-9]*)$"
)
#: The longest text read as an amount: "100.000.000.000 đồng" has 20 letters. Anything longer
#: is too large before a digit is converted (int() refuses more than 4,300 digits anyway).
MAX_TEXT = 40


class MoneyError(ValueError):
    """Text that is not an amount of đồng. ``code`` says why, for a translated message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_dong(text: str | int) -> int:
    """Parse what a person types for an amount into whole đồng (an int ≥ 0).

    Accepts ``45000``, ``45.000``, ``45,000``, ``45.000 ₫``, ``45000đ``, ``45k``,
    ``1,5k``, ``1.2tr``, ``1tr2`` (1.200.000) and an int. Raises :class:`MoneyError` with
    code ``empty``, ``invalid``, ``negative``, ``fraction`` (not whole đồng) or
    ``too_large`` (above :data:`MAX_DONG`).
    """
    if isinstance(text, bool):
        raise MoneyError("invalid")
    value = text if isinstance(text, int) else _parse_text(str(text))
    if value < 0:
        raise MoneyError("negative")
    if value > MAX_DONG:
        raise MoneyError("too_large")
    return value


def _parse_text(text: str) -> int:
    cleaned = text.strip().lower().replace("\u00a0", " ")
    if not cleaned:
        raise MoneyError("empty")
    if len(cleaned) > MAX_TEXT:
        raise MoneyError("too_large")
    if cleaned.startswith("-"):
        # Say "negative" only when the rest is a real amount.
        _parse_text(cleaned[1:])
        raise MoneyError("negative")
    cleaned = _CURRENCY.sub("", cleaned).strip()
    cleaned = cleaned.replace(" ", "")
    if not cleaned:
        raise MoneyError("invalid")

    suffixed = _SUFFIXED.match(cleaned)
    if suffixed:
        factor = _SUFFIX_FACTOR[suffixed["suffix"]]
        whole, numerator, denominator = _number(suffixed["num"], allow_fraction=True)
        rest = suffixed["rest"]
        if rest:
            # "1tr2" = 1.2 million, "1tr25" = 1.25 million: the digits after the unit are a
            # decimal fraction of it, the way people write it by hand.
            if denominator != 1:
                raise MoneyError("invalid")
            numerator, denominator = int(rest), 10 ** len(rest)
        amount = whole * factor
        fraction = numerator * factor
        if fraction % denominator:
            raise MoneyError("fraction")
        return amount + fraction // denominator

    whole, numerator, _ = _number(cleaned, allow_fraction=False)
    return whole


def _number(text: str, *, allow_fraction: bool) -> tuple[int, int, int]:
    """Split ``text`` into (whole part, fraction numerator, fraction denominator)."""
    match = _NUMBER.match(text)
    if not match:
        raise MoneyError("invalid")
    digits = match["int"].replace(".", "").replace(",", "")
    frac = match["frac"]
    if len(digits) > 15:
        raise MoneyError("too_large")
    if frac is None:
        return int(digits), 0, 1
    if not allow_fraction:
        # "45.5" or "1,25" without a unit: thousands are written in groups of three.
        raise MoneyError("fraction" if len(frac) < 3 else "invalid")
    if len(frac) > 6:
        raise MoneyError("invalid")
    return int(digits), int(frac), 10 ** len(frac)


def format_rate(basis_points: int) -> str:
    """A rate kept in basis points, as people write it: ``7000`` → ``"70%"``, ``1250`` →
    ``"12.5%"``."""
    if isinstance(basis_points, bool) or not isinstance(basis_points, int):
        raise TypeError(f"a rate is an int of basis points, not {type(basis_points).__name__}")
    return f"{basis_points / 100:g}%"


def format_dong(amount: int, *, symbol: bool = True) -> str:
    """Format whole đồng the Vietnamese way: ``45000`` → ``"45.000 ₫"``.

    Negative amounts keep their sign (``-1500`` → ``"-1.500 ₫"``); the space before the
    symbol does not break, so the amount never wraps away from its ₫.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int of đồng, not {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{grouped}\u00a0₫" if symbol else f"{sign}{grouped}"


#: Blanks as wide as a digit (FIGURE SPACE) and as a full stop (PUNCTUATION SPACE).
FIGURE_SPACE = "\u2007"
PUNCTUATION_SPACE = "\u2008"


def pad_figures(text: str, *, digits: int, stops: int) -> str:
    """``text``, a number as printed, padded on the left with a figure space for each digit
    it has fewer than ``digits`` and a punctuation space for each full stop it has fewer
    than ``stops``: in a font whose digits all have one width, its figure space too and its
    punctuation space that of the full stop (as the bundled DejaVu's have), numbers padded
    alike are as wide as one another and end at the same place when printed one under the
    other. A longer number is not cut, only not padded."""
    missing_digits = max(0, digits - sum(c.isdigit() for c in text))
    missing_stops = max(0, stops - text.count("."))
    return FIGURE_SPACE * missing_digits + PUNCTUATION_SPACE * missing_stops + text


def format_dong_padded(amount: int, *, digits: int = 7) -> str:
    """:func:`format_dong` padded (:func:`pad_figures`) to the width of an amount of
    ``digits`` digits: ``45000`` → ``"45.000 ₫"`` after two figure spaces and a
    punctuation space, as wide as ``"9.999.999 ₫"``."""
    return pad_figures(format_dong(amount), digits=digits, stops=(digits - 1) // 3)


def format_rate_padded(basis_points: int) -> str:
    """:func:`format_rate` padded (:func:`pad_figures`) to the width of ``"99.99%"``:
    ``7000`` → ``"70%"`` after two figure spaces and a punctuation space."""
    return pad_figures(format_rate(basis_points), digits=4, stops=1)


def split_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` đồng over ``weights`` by the largest-remainder rule of docs/sharing.md.

    Each part is floor(total × wᵢ / Σw); the units left over go one each to the largest
    fractional parts, ties to the earlier position. The parts always add up to ``total``.
    Weights are non-negative ints with a positive sum; ``total`` may be negative, in which
    case the split mirrors the split of ``-total``.
    """
    if not weights:
        raise ValueError("nothing to split over")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("weights must add up to more than zero")
    if total < 0:
        return [-part for part in split_largest_remainder(-total, weights)]
    parts = []
    remainders = []
    for index, weight in enumerate(weights):
        part, remainder = divmod(total * weight, weight_sum)
        parts.append(part)
        remainders.append((-remainder, index))
    left = total - sum(parts)
    for _, index in sorted(remainders)[:left]:
        parts[index] += 1
    return parts


def short_dong(amount: int, units: tuple[str, str, str] = ("k", "tr", "tỷ")) -> str:
    """An amount of đồng in a few characters: 950 → "950", 85.000 → "85 k",
    1.250.000 → "1,3 tr", 2.000.000.000 → "2 tỷ" (``units``: thousand, million, billion
    in the reader's words). Rounded half away from zero; for charts, never for sums."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("amount must be an int of đồng")
    sign = "−" if amount < 0 else ""
    value = abs(amount)
    thousand, million, billion = units
    for size, unit in ((10**9, billion), (10**6, million), (10**3, thousand)):
        if value >= size:
            tenths = (value * 10 + size // 2) // size
            whole, tenth = divmod(tenths, 10)
            number = f"{whole}" if tenth == 0 or whole >= 100 else f"{whole},{tenth}"
            return f"{sign}{number} {unit}"
    return f"{sign}{value}"


#: The smallest note or coin that is handed over in cash: nothing smaller circulates.
SMALLEST_CASH_DONG = 1000


def cash_to_hand_over(amount: int) -> int:
    """What of ``amount`` đồng can be paid in cash: rounded down to a whole 1.000 ₫, and 0
    for nothing owed. The rest (at most 999 ₫) stays owed and is carried forward, as the
    money rule allows; a transfer pays the exact amount.

    ``cash_to_hand_over(19_238) == 19_000``; ``cash_to_hand_over(-70_587) == 0``.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int of đồng")
    return max(0, amount) // SMALLEST_CASH_DONG * SMALLEST_CASH_DONG
