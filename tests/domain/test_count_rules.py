"""The stocktake's rules the journal leans on: the list's order, the pieces a difference
loses, and which rule a close's compensations were paid by."""

from datetime import UTC, datetime

import pytest

from shop.domain.count import (
    Counted,
    Difference,
    Expected,
    Found,
    LostItemPays,
    compensation,
    differences,
    listed_order,
    rule_to_name,
    rules_that_pay,
)

AT = datetime(2026, 11, 10, 3, tzinfo=UTC)


def test_differences_come_missing_lots_found_unknown_and_by_code_within_each():
    expected = [Expected("10019", False, 1), Expected("9", False, 1), Expected("L-2", True, 5)]
    counted = [
        Counted("L-2", True, True, 4, AT, AT),
        Counted("²", False, False, 1, AT, AT),  # a digit to str.isdigit, no number to int()
        Counted("ZZ", False, False, 1, AT, AT),
        Counted("10024", True, False, 1, AT, AT, left_at=datetime(2026, 11, 9, tzinfo=UTC)),
    ]

    found = differences(expected, counted)

    assert [(f.difference, f.code) for f in found] == [
        (Difference.MISSING, "9"),
        (Difference.MISSING, "10019"),
        (Difference.LOT_PIECES, "L-2"),
        (Difference.FOUND_OFF_BOOKS, "10024"),
        (Difference.UNKNOWN_CODE, "ZZ"),
        (Difference.UNKNOWN_CODE, "²"),
    ]
    assert found == sorted(found, key=lambda f: listed_order(f.difference, f.code))


@pytest.mark.parametrize(
    ("found", "short"),
    [
        (Found(Difference.MISSING, "1", 1, 0), 1),
        (Found(Difference.LOT_PIECES, "L", 9, 7), 2),
        (Found(Difference.LOT_PIECES, "L", 5, 8), 0),  # more than the books: none lost
        (Found(Difference.FOUND_OFF_BOOKS, "1", 0, 1), 0),
        (Found(Difference.UNKNOWN_CODE, "Z", None, 1), 0),
    ],
)
def test_the_pieces_a_difference_loses(found, short):
    assert found.short_pieces == short


def test_the_rules_a_closes_compensations_were_paid_by():
    # (value, her rate, paid): a dress of 120.000 at 70 %, a button of 5.000 at 70 %.
    split = [(120_000, 7000, 84_000), (5_000, 7000, 3_500)]
    full = [(120_000, 7000, 120_000)]
    assert rules_that_pay(split) == (LostItemPays.OWNER_SPLIT,)
    assert rules_that_pay(full) == (LostItemPays.FULL_PRICE,)
    assert rules_that_pay([(120_000, 7000, 0)]) == (LostItemPays.NOTHING,)
    assert rules_that_pay([]) == tuple(LostItemPays)  # nothing of a member's was lost
    # Her rate of 100 %: her split is the whole price, either rule paid it.
    assert rules_that_pay([(50_000, 10_000, 50_000)]) == (
        LostItemPays.OWNER_SPLIT,
        LostItemPays.FULL_PRICE,
    )
    assert rules_that_pay([(120_000, 7000, 1)]) == ()  # no rule pays that
    for value, bp, paid in split:
        assert compensation(value, 1, bp, LostItemPays.OWNER_SPLIT) == paid


def test_a_journal_names_a_counts_rule_only_where_it_was_not_the_shops():
    split = [(120_000, 7000, 84_000)]
    assert rule_to_name(split, LostItemPays.OWNER_SPLIT) is None
    assert rule_to_name(split, LostItemPays.FULL_PRICE) == LostItemPays.OWNER_SPLIT
    assert rule_to_name([], LostItemPays.NOTHING) is None  # nothing of hers was lost
    both = [(50_000, 10_000, 50_000)]
    assert rule_to_name(both, LostItemPays.FULL_PRICE) is None
    assert rule_to_name(both, LostItemPays.NOTHING) == LostItemPays.OWNER_SPLIT
