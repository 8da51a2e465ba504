"""Past sales entered together (``enter_past_sales``, a journal's replay): each as
``enter_past_sale`` would have entered it, and the bulk path stops, writing nothing of it,
at the first sale it cannot take."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.models import Item, ItemStatus, Sale, SaleLine
from shop.services import counter as svc
from shop.services.errors import InvalidInput
from tests.factories import HANOI, member
from tests.services.test_counter import AT, ctx, hong  # noqa: F401


def past(session, number, *codes, minutes=0, cashier=1, **asked):
    request = svc.SaleRequest(
        lines=tuple(svc.LineRequest(code) for code in codes),
        client_id=f"journal-{number}",
        number=number,
        **asked,
    )
    return svc.PastSale(request, member(session, cashier), AT + timedelta(minutes=minutes))


def rows(session):
    return [
        tuple(row)
        for row in session.execute(
            select(Sale.number, Item.code, SaleLine.stock_round, SaleLine.net_dong, Item.status)
            .join(SaleLine.sale)
            .join(Item, Item.id == SaleLine.item_id)
            .order_by(Sale.number, SaleLine.position)
        )
    ]


def test_sales_in_a_row_are_entered_as_one_by_one(ctx):  # noqa: F811
    shift = svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    sales = [
        past(ctx, 7, "A", "B", tendered_dong=200_000),
        past(ctx, 8, "C", minutes=5, transfer_dong=35_000),
    ]
    ids = svc.enter_past_sales(ctx, sales, tz=HANOI)
    assert len(ids) == 2
    written = [ctx.get(Sale, sale_id) for sale_id in ids]
    assert [s.number for s in written] == [7, 8]
    assert [s.shift_id for s in written] == [shift.id, shift.id]
    assert written[1].confirmed_at == sales[1].at and written[1].confirmed_by_id == hong(ctx).id
    assert rows(ctx) == [
        (7, "A", 1, 50_000, ItemStatus.SOLD),
        (7, "B", 1, 120_000, ItemStatus.SOLD),
        (8, "C", 1, 35_000, ItemStatus.SOLD),
    ]
    bulk = rows(ctx), _versions(ctx)
    ctx.rollback()
    svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    for sale in sales:
        svc.enter_past_sale(
            ctx, sale.request, cashier=sale.cashier, entered_by=sale.cashier, at=sale.at,
            tz=HANOI, shiftless=True,
        )  # fmt: skip
    assert (rows(ctx), _versions(ctx)) == bulk


def _versions(session):
    return list(session.execute(select(Item.code, Item.rail_version).order_by(Item.code)))


def test_it_stops_at_the_first_sale_it_cannot_take_and_writes_nothing_of_it(ctx):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    again = [past(ctx, 1, "A"), past(ctx, 2, "A", "D", minutes=1), past(ctx, 3, "C", minutes=2)]
    assert len(svc.enter_past_sales(ctx, again, tz=HANOI)) == 1
    assert ctx.scalar(select(Item.status).where(Item.code == "D")) == ItemStatus.IN_STOCK
    # The caller enters the next alone: the service's own refusal, at its field.
    with pytest.raises(InvalidInput) as refused:
        svc.enter_past_sale(
            ctx, again[1].request, cashier=again[1].cashier, entered_by=again[1].cashier,
            at=again[1].at, tz=HANOI, shiftless=True,
        )  # fmt: skip
    assert refused.value.field == "code"
    ctx.rollback()  # as the request or the import would: nothing of the refused sale stays
    svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)

    # A lot's pieces go in while it has them; a line with pieces short is not for the bulk
    # path; nor a sale without its number; nor one recorded before.
    def socks(number, pieces, short=0):
        line = svc.LineRequest("SOCKS", quantity=pieces, short_pieces=short)
        paid = {"tendered_dong": 10_000 * pieces}
        request = svc.SaleRequest((line,), client_id=f"journal-{number}", number=number, **paid)
        return svc.PastSale(request, hong(ctx), AT)

    lots = [socks(4, 2), socks(5, 4), past(ctx, 6, "C", tendered_dong=35_000)]
    assert len(svc.enter_past_sales(ctx, lots, tz=HANOI)) == 1
    assert ctx.scalar(select(Item.quantity_on_hand).where(Item.code == "SOCKS")) == 3
    assert svc.enter_past_sales(ctx, [socks(5, 2, short=1)], tz=HANOI) == []
    unnumbered = svc.PastSale(
        svc.SaleRequest((svc.LineRequest("C"),), client_id="x" * 8), hong(ctx), AT
    )
    assert svc.enter_past_sales(ctx, [unnumbered], tz=HANOI) == []
    assert len(svc.enter_past_sales(ctx, [past(ctx, 1, "A")], tz=HANOI)) == 1
    assert svc.enter_past_sales(ctx, [past(ctx, 1, "C")], tz=HANOI) == []  # recorded before
    # A refusal of the sale rule (no reason for a discount) stops it too.
    no_reason = past(ctx, 6, "C", discount_dong=1000, tendered_dong=50_000)
    assert (
        svc.enter_past_sales(ctx, [past(ctx, 9, "D", tendered_dong=25_000), no_reason], tz=HANOI)
        != []
    )
    assert ctx.scalar(select(Item.status).where(Item.code == "C")) == ItemStatus.IN_STOCK


def test_an_item_taken_between_the_checks_and_the_write_refuses_the_sales(ctx):  # noqa: F811
    # Another counter sells A after the plan read it in stock: the conditional UPDATE
    # changes fewer rows than lines, and the sales are refused (the caller rolls back).
    svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    plan = svc._plan_past_sales(ctx, [past(ctx, 1, "A", tendered_dong=50_000)], HANOI)
    assert len(plan) == 1
    ctx.execute(update(Item).where(Item.code == "A").values(status=ItemStatus.SOLD, rail_version=0))
    with pytest.raises(InvalidInput) as refused:
        svc._write_past_sales(ctx, plan)
    assert refused.value.code == "sale.item_sold"
