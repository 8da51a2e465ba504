from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.pricing import (
    DEFAULT_MARKDOWN,
    DEFAULT_POLICY,
    MarkdownStep,
    Policy,
    days_in_stock,
    effective_price,
    is_clearance,
    markdown_step,
    policy_for_month,
)


@pytest.mark.parametrize(
    ("days", "price"),
    [
        (0, 50_000),
        (29, 50_000),
        (30, 37_000),
        (59, 37_000),
        (60, 25_000),
        (90, 25_000),
        (400, 25_000),
    ],
)
def test_default_markdown_boundaries(days, price):
    # 50.000 less 25% is 37.500, rounded down to whole thousands: 37.000.
    assert effective_price(50_000, days, DEFAULT_MARKDOWN) == price


def test_days_in_stock_across_a_month_end():
    received = date(2026, 10, 31)
    assert days_in_stock(received, date(2026, 11, 29)) == 29
    assert days_in_stock(received, date(2026, 11, 30)) == 30
    assert days_in_stock(received, date(2026, 12, 29)) == 59
    assert days_in_stock(received, date(2026, 12, 30)) == 60
    assert days_in_stock(received, date(2026, 10, 1)) == 0


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        (35_000, 25, 26_000),
        (35_000, 50, 17_000),
        (999, 25, 0),
        (120_000, 100, 0),
        (10_000, 1, 9_000),
    ],
)
def test_rounding_down_to_thousands(price, percent, expected):
    assert effective_price(price, 5, [MarkdownStep(5, percent)]) == expected


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=0, max_value=1000))
def test_markdown_never_raises_a_price_and_lands_on_thousands(price, days):
    charged = effective_price(price, days, DEFAULT_MARKDOWN)
    assert 0 <= charged <= price
    if markdown_step(days, DEFAULT_MARKDOWN) is not None:
        assert charged % 1000 == 0


def test_unsorted_steps_pick_the_largest_applicable():
    steps = [MarkdownStep(60, 50), MarkdownStep(30, 25)]
    assert markdown_step(45, steps) == MarkdownStep(30, 25)
    assert markdown_step(75, steps) == MarkdownStep(60, 50)


def test_clearance_after_ninety_days():
    assert not is_clearance(89, DEFAULT_POLICY)
    assert is_clearance(90, DEFAULT_POLICY)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"consignor_bp": 10_001},
        {"reserve_bp": -1},
        {"clearance_after_days": 0},
        {"markdown": (MarkdownStep(30, 25), MarkdownStep(30, 50))},
    ],
)
def test_policy_refuses_nonsense(kwargs):
    with pytest.raises(ValueError):
        Policy(**kwargs)


def test_policy_in_force_for_a_month():
    cheaper = Policy(consignor_bp=6000)
    policies = [("2026-10", DEFAULT_POLICY), ("2027-01", cheaper)]
    assert policy_for_month(policies, "2026-09") is DEFAULT_POLICY
    assert policy_for_month(policies, "2026-12") is DEFAULT_POLICY
    assert policy_for_month(policies, "2027-01") is cheaper
    assert policy_for_month(policies, "2027-06") is cheaper
    assert policy_for_month([], "2026-12") is DEFAULT_POLICY
