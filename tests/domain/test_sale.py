import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.sale import (
    Line,
    SaleError,
    owner_split,
    payment,
    refund_owner_loss,
    totals,
)


def test_worked_example_sale_one():
    # docs/sharing.md, sale 1: A 50.000; B 120.000 with a 10.000 line discount.
    result = totals([Line(50_000), Line(120_000, discount_dong=10_000)])
    assert result.nets == (50_000, 110_000) and result.total_dong == 160_000
    assert owner_split(110_000, 7000) == 77_000


def test_worked_example_sale_two_splits_the_sale_discount():
    # Sale 2: C 35.000 and D 25.000 with 6.000 off the whole sale: C bears 3.500, D 2.500.
    result = totals([Line(35_000), Line(25_000)], 6_000)
    assert result.sale_discount_parts == (3_500, 2_500)
    assert result.nets == (31_500, 22_500) and result.total_dong == 54_000
    assert owner_split(31_500, 7000) == 22_050


def test_ties_go_to_the_earlier_line():
    assert totals([Line(10_000), Line(10_000), Line(10_000)], 1).sale_discount_parts == (1, 0, 0)


def test_lots_count_their_quantity():
    result = totals([Line(10_000, quantity=3, discount_dong=5_000), Line(20_000)], 5_000)
    assert result.gross_dong == 50_000
    # 5.000 over 25.000 and 20.000: quotas 2.777,78 and 2.222,22; the đồng left goes first.
    assert result.sale_discount_parts == (2_778, 2_222)
    assert result.nets == (22_222, 17_778)


@pytest.mark.parametrize(
    ("lines", "discount", "code"),
    [
        ([], 0, "empty"),
        ([Line(1000, quantity=0)], 0, "quantity"),
        ([Line(-1)], 0, "price"),
        ([Line(1000, discount_dong=1001)], 0, "line_discount"),
        ([Line(1000, discount_dong=-1)], 0, "line_discount"),
        ([Line(1000)], 1001, "sale_discount"),
        ([Line(1000)], -1, "sale_discount"),
    ],
)
def test_refusals(lines, discount, code):
    with pytest.raises(SaleError) as caught:
        totals(lines, discount)
    assert caught.value.code == code


def test_a_free_sale_is_possible():
    assert totals([Line(1000, discount_dong=1000)], 0).total_dong == 0


lines_strategy = st.lists(
    st.builds(
        lambda price, qty, share: Line(price, qty, price * qty * share // 100),
        st.integers(min_value=0, max_value=5_000_000),
        st.integers(min_value=1, max_value=50),
        st.integers(min_value=0, max_value=100),
    ),
    min_size=1,
    max_size=12,
)


@given(lines_strategy, st.data())
def test_nets_add_up_and_never_go_negative(lines, data):
    after = sum(line.after_line_discount_dong for line in lines)
    discount = data.draw(st.integers(min_value=0, max_value=after))
    result = totals(lines, discount)
    assert sum(result.sale_discount_parts) == discount
    assert result.total_dong == result.gross_dong - result.line_discounts_dong - discount
    assert all(net >= 0 for net in result.nets)


def test_cash_change_and_split_payment():
    cash = payment(160_000, tendered_dong=200_000)
    assert (cash.cash_dong, cash.change_dong) == (160_000, 40_000)
    transfer = payment(54_000, transfer_dong=54_000)
    assert (transfer.cash_dong, transfer.change_dong) == (0, 0)
    split = payment(100_000, transfer_dong=60_000, tendered_dong=50_000)
    assert (split.cash_dong, split.change_dong) == (40_000, 10_000)
    stated = payment(100_000, transfer_dong=60_000, cash_dong=40_000)
    assert (stated.cash_dong, stated.transfer_dong) == (40_000, 60_000)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"tendered_dong": 150_000}, "tendered"),
        ({"transfer_dong": -1}, "transfer"),
        ({"transfer_dong": 160_001}, "transfer"),
        ({"transfer_dong": 160_000, "tendered_dong": 5}, "tendered"),
        ({"cash_dong": 150_000}, "payments"),  # a record's parts must add up to the total
        ({"transfer_dong": 60_000, "cash_dong": 160_000}, "payments"),
        ({"transfer_dong": 160_000, "cash_dong": 10}, "payments"),
    ],
)
def test_payment_refusals(kwargs, code):
    with pytest.raises(SaleError) as caught:
        payment(160_000, **kwargs)
    assert caught.value.code == code


def test_refund_reverses_exactly_the_split_paid():
    # B's full refund in December: Ngọc loses her 77.000.
    assert refund_owner_loss(110_000, 0, 7000) == 77_000


@given(
    st.integers(min_value=1, max_value=10**8),
    st.integers(min_value=0, max_value=10_000),
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=6),
)
def test_partial_refunds_add_up_to_the_full_split(net, bp, steps):
    refunded, lost = 0, 0
    for step in steps:
        after = min(net, refunded + step)
        lost += refund_owner_loss(after, refunded, bp)
        refunded = after
    assert lost == owner_split(refunded, bp)
