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
