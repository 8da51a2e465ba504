"""Prices over time: the markdown by days in stock, clearance, and the sharing policy.

docs/sharing.md: days in stock = local date of the sale − local date of intake; the step with
the largest ``after_days`` not above that applies to the item's current price, rounded
down to whole thousands of đồng. Past ``clearance_after_days`` an item is flagged for
clearance (its price stays at the last step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, order=True)
class MarkdownStep:
    after_days: int
    percent_off: int

    def __post_init__(self):
        if self.after_days < 1:
            raise ValueError("after_days must be at least 1")
        if not 1 <= self.percent_off <= 100:
            raise ValueError("percent_off must be between 1 and 100")


DEFAULT_MARKDOWN = (MarkdownStep(30, 25), MarkdownStep(60, 50))


@dataclass(frozen=True)
class Policy:
    """The sharing settings in force for a month (docs/sharing.md), rates in basis points."""

    consignor_bp: int = 7000
    reserve_bp: int = 1000
    equal_bp: int = 5000
    markdown: tuple[MarkdownStep, ...] = field(default=DEFAULT_MARKDOWN)
    clearance_after_days: int = 90

    def __post_init__(self):
        for name in ("consignor_bp", "reserve_bp", "equal_bp"):
            if not 0 <= getattr(self, name) <= 10_000:
                raise ValueError(f"{name} must be between 0 and 10000")
        if self.clearance_after_days < 1:
            raise ValueError("clearance_after_days must be at least 1")
        days = [step.after_days for step in self.markdown]
        if len(set(days)) != len(days):
            raise ValueError("two markdown steps start on the same day")
        object.__setattr__(self, "markdown", tuple(sorted(self.markdown)))


DEFAULT_POLICY = Policy()


def days_in_stock(received_on: date, on: date) -> int:
    """Whole days between the local date of intake and the local date ``on`` (never negative)."""
    return max(0, (on - received_on).days)


def markdown_step(days: int, steps: Sequence[MarkdownStep]) -> MarkdownStep | None:
    """The step with the largest ``after_days`` not above ``days``, or ``None``."""
    applicable = [step for step in steps if step.after_days <= days]
    return max(applicable, default=None)


def marked_down(price_dong: int, step: MarkdownStep | None) -> int:
    """``price_dong`` less the step's percentage, rounded down to whole thousands of đồng."""
    if step is None:
        return price_dong
    reduced = price_dong * (100 - step.percent_off) // 100
    return reduced - reduced % 1000


def effective_price(price_dong: int, days: int, steps: Sequence[MarkdownStep]) -> int:
    """The price charged at the counter after ``days`` in stock."""
    return marked_down(price_dong, markdown_step(days, steps))


def is_clearance(days: int, policy: Policy) -> bool:
    return days >= policy.clearance_after_days


def month_key(day: date) -> str:
    """``YYYY-MM`` of a local date."""
    return f"{day.year:04d}-{day.month:02d}"


def policy_for_month(policies: Sequence[tuple[str, Policy]], month: str) -> Policy:
    """The policy in force in ``month`` (``YYYY-MM``): the latest one starting on or before it.

    ``policies`` pairs each policy with the month it starts from; without any that started
    by then, the defaults of docs/sharing.md hold.
    """
    started = [(start, policy) for start, policy in policies if start <= month]
    if not started:
        return DEFAULT_POLICY
    return max(started, key=lambda pair: pair[0])[1]


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
