"""A sale takes its one-of-a-kind items in one UPDATE: the refusal is still the first line
that cannot be sold, in the lines' order, and a refused sale takes nothing."""

import pytest
from sqlalchemy import select

from shop.models import Item, ItemStatus, SaleLine
from shop.services import counter as svc
from shop.services.errors import InvalidInput
from tests.factories import HANOI
from tests.services.test_counter import AT, ctx, hong, sell  # noqa: F401


def _refusal(session, *lines):
    with pytest.raises(InvalidInput) as caught:
        sell(session, *lines, tendered_dong=1_000_000)
    session.rollback()
    return caught.value


def _status(session, code):
    return session.scalar(select(Item.status).where(Item.code == code))


def test_the_first_line_that_cannot_be_sold_is_the_one_refused(ctx):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sell(ctx, svc.LineRequest("A"), tendered_dong=50_000)
    ctx.commit()
    gone = _refusal(ctx, svc.LineRequest("D"), svc.LineRequest("A"))
    assert gone.field == "code" and "A" in str(gone.message)
    assert _status(ctx, "D") == ItemStatus.IN_STOCK  # nothing of the refused sale stays
    # A lot short before the sold item: the lot's refusal, as when each line went in turn.
    short = _refusal(ctx, svc.LineRequest("SOCKS", quantity=9), svc.LineRequest("A"))
    assert short.field == "quantity"
    first = _refusal(ctx, svc.LineRequest("A"), svc.LineRequest("SOCKS", quantity=9))
    assert first.field == "code"
    twice = _refusal(ctx, svc.LineRequest("D", quantity=2), svc.LineRequest("A"))
    assert twice.field == "quantity"  # one of a kind, before the sold A


def test_each_line_keeps_its_own_stock_round_and_values(ctx):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sale = sell(
        ctx, svc.LineRequest("B"), svc.LineRequest("SOCKS", quantity=2), svc.LineRequest("C"),
        tendered_dong=1_000_000,
    )  # fmt: skip
    rows = ctx.execute(
        select(SaleLine.position, Item.code, SaleLine.stock_round, SaleLine.quantity)
        .join(Item, Item.id == SaleLine.item_id)
        .where(SaleLine.sale_id == sale.id)
        .order_by(SaleLine.position)
    ).all()
    assert [tuple(row) for row in rows] == [(0, "B", 1, 1), (1, "SOCKS", None, 2), (2, "C", 1, 1)]
    assert [line.item.code for line in sale.lines] == ["B", "SOCKS", "C"]
    assert _status(ctx, "B") == _status(ctx, "C") == ItemStatus.SOLD
