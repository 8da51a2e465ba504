"""The journal check works a month out with what the counts' closes paid members for their
lost items, as the month service and the domain's own history do."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from shop.domain.sharing import share_history
from shop.journal.check import _Checker
from tests.domain.test_sharing import EXAMPLE, NGOC

from .conftest import full_example


def _dues(compensations) -> dict[str, dict[int, int]]:
    checker = _Checker(full_example(), "84")
    checker.compensations = list(compensations)
    assert checker.run() == []
    return checker.due


@pytest.mark.parametrize("member", [NGOC, None])
def test_a_compensation_is_an_expense_and_part_of_her_due(member):
    """20.000 paid to Ngọc on 20 January 2027 for a lost item (or, with no readable member,
    an expense alone): January as the domain works it out from the same history."""
    dues = _dues([(date(2027, 1, 20), member, 20_000)])
    compensations = {("2027-01", member): 20_000} if member is not None else {}
    expenses = {**EXAMPLE.expenses, "2027-01": 20_000} if member is None else EXAMPLE.expenses
    expected = share_history(replace(EXAMPLE, compensations=compensations, expenses=expenses))
    for month in EXAMPLE.months:
        assert dues[month] == {m.member: m.due_dong for m in expected[month].members}, month
    # November and December as docs/sharing.md has them; January's result shrinks by 20.000.
    assert dues["2027-01"] != _dues([])["2027-01"]
    if member is not None:
        january = expected["2027-01"].members[NGOC - 1]
        assert january.compensation_dong == 20_000
        assert dues["2027-01"][NGOC] == -77_000 + 20_000 + january.equal_share_dong


def test_without_counts_the_dues_are_sharing_mds():
    dues = _dues([])
    assert dues["2026-11"] == {1: 27_857, 2: 98_429, 3: 62_764}
    assert dues["2027-01"] == {1: 19_238, 2: -70_587, 3: 9_176, 4: 19_237}
