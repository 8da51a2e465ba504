"""Past sales and shifts entered together (``enter_past_run``, a journal's replay): each as
``open_shift``, ``enter_past_sale`` and ``close_shift`` would have entered it, and the bulk
path stops, writing nothing of it, at the first event it cannot take."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.models import Item, ItemStatus, Sale, SaleLine, Shift
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
    run = svc._plan_run(ctx, [past(ctx, 1, "A", tendered_dong=50_000)], HANOI)
    assert len(run.taken) == 1
    ctx.execute(update(Item).where(Item.code == "A").values(status=ItemStatus.SOLD, rail_version=0))
    with pytest.raises(InvalidInput) as refused:
        svc._write_run(ctx, run)
    assert refused.value.code == "sale.item_sold"


def _shifts(session):
    return [
        tuple(row)
        for row in session.execute(
            select(
                Shift.member_id, Shift.opened_at, Shift.closed_at, Shift.opening_float_dong,
                Shift.counted_cash_dong, Shift.expected_cash_dong, Shift.closed_by_id,
            ).order_by(Shift.opened_at, Shift.member_id)
        )
    ]  # fmt: skip


def _one_by_one(session, events):
    """What open_shift, enter_past_sale and close_shift write for ``events`` in turn."""
    opened = {}
    for event in events:
        if isinstance(event, svc.ShiftOpens):
            opened[event] = svc.open_shift(
                session, event.member, event.float_dong, at=event.at, tz=HANOI
            )
        elif isinstance(event, svc.ShiftCloses):
            shift = opened.get(event.shift) or session.get(Shift, event.shift)
            svc.close_shift(session, shift, event.counted_dong, at=event.at, by=event.by)
        else:
            svc.enter_past_sale(
                session, event.request, cashier=event.cashier, entered_by=event.cashier,
                at=event.at, tz=HANOI, shiftless=True,
            )  # fmt: skip


def test_shifts_opening_and_closing_between_sales_are_entered_as_one_by_one(ctx):  # noqa: F811
    # Hồng's shift, open before the run, closes in it; she opens another and sells in it;
    # member 2 opens, sells and closes; Hồng's second shift is still open at the end.
    early = svc.open_shift(ctx, hong(ctx), 30_000, at=AT - timedelta(hours=2), tz=HANOI)
    ctx.flush()

    def events():
        second = svc.ShiftOpens(hong(ctx), 50_000, AT + timedelta(minutes=30))
        other = svc.ShiftOpens(member(ctx, 2), 0, AT + timedelta(minutes=1))
        return [
            past(ctx, 1, "A", tendered_dong=50_000),
            other,
            past(ctx, 2, "B", minutes=2, cashier=2, tendered_dong=200_000),
            svc.ShiftCloses(early.id, 80_000, AT + timedelta(minutes=10), hong(ctx)),
            svc.ShiftCloses(other, None, AT + timedelta(minutes=20), member(ctx, 2)),
            second,
            past(ctx, 3, "C", minutes=40, transfer_dong=35_000),
            past(ctx, 4, "D", minutes=41, tendered_dong=30_000),
        ]

    run = events()
    ids = svc.enter_past_run(ctx, run, tz=HANOI)
    assert len(ids) == len(run)
    sales = {ctx.get(Sale, ids[i]).number: ctx.get(Sale, ids[i]).shift_id for i in (0, 2, 6, 7)}
    assert sales == {1: early.id, 2: ids[1], 3: ids[5], 4: ids[5]}
    assert ids[3] == early.id and ids[4] == ids[1]
    together = _shifts(ctx), rows(ctx), _versions(ctx)
    # The drawers: float + cash taken; the shift still open is open.
    assert [(s[3], s[4], s[5]) for s in together[0]] == [
        (30_000, 80_000, 80_000),  # 30,000 + A's 50,000
        (0, None, 120_000),  # B
        (50_000, None, None),  # C by transfer, D for cash: counted at its close
    ]
    assert together[0][2][2] is None
    ctx.rollback()
    early = svc.open_shift(ctx, hong(ctx), 30_000, at=AT - timedelta(hours=2), tz=HANOI)
    ctx.flush()
    _one_by_one(ctx, events())
    assert (_shifts(ctx), rows(ctx), _versions(ctx)) == together


def test_a_run_stops_at_the_first_shift_event_it_cannot_take(ctx):  # noqa: F811
    first = svc.ShiftOpens(hong(ctx), 0, AT - timedelta(hours=1))
    sale = past(ctx, 1, "A", tendered_dong=50_000)
    # She has a shift open: a second is not for her; the sale before it goes in.
    assert (
        len(svc.enter_past_run(ctx, [first, sale, svc.ShiftOpens(hong(ctx), 0, AT)], tz=HANOI)) == 2
    )
    assert ctx.scalar(select(func.count(Shift.id))) == 1
    shift_id = ctx.scalar(select(Shift.id))
    # A float below nothing, a count below nothing, a shift that is not open.
    assert svc.enter_past_run(ctx, [svc.ShiftOpens(member(ctx, 2), -1, AT)], tz=HANOI) == []
    closes = svc.ShiftCloses(shift_id, -5, AT + timedelta(minutes=5), hong(ctx))
    assert svc.enter_past_run(ctx, [closes], tz=HANOI) == []
    assert svc.enter_past_run(ctx, [svc.ShiftCloses(999, 0, AT, hong(ctx))], tz=HANOI) == []
    # A transfer still waiting keeps the drawer open (as close_shift refuses it).
    ctx.execute(update(Sale).values(transfer_dong=50_000, cash_dong=0, confirmed_at=None))
    closes = svc.ShiftCloses(shift_id, 0, AT + timedelta(minutes=5), hong(ctx))
    assert svc.enter_past_run(ctx, [closes], tz=HANOI) == []
    with pytest.raises(InvalidInput) as refused:
        svc.close_shift(ctx, ctx.get(Shift, shift_id), 0, at=closes.at, by=hong(ctx))
    assert refused.value.code == "shift.transfer_waiting"


def test_a_shift_closed_between_the_checks_and_the_write_refuses_the_run(ctx):  # noqa: F811
    shift = svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    run = svc._plan_run(ctx, [svc.ShiftCloses(shift.id, 0, AT, hong(ctx))], HANOI)
    assert len(run.taken) == 1
    svc.close_shift(ctx, shift, 0, at=AT, by=member(ctx, 1))  # another counter, meanwhile
    with pytest.raises(InvalidInput) as refused:
        svc._write_run(ctx, run)
    assert refused.value.code == "shift.already_closed"


def test_pieces_another_sale_took_meanwhile_refuse_the_take(ctx):  # noqa: F811
    # The lot has 5 pieces: two takes of 3 in one statement, the second finds 2 left.
    socks = ctx.scalar(select(Item).where(Item.code == "SOCKS"))
    before = socks.quantity_on_hand
    with pytest.raises(InvalidInput) as refused:
        svc._take_pieces(ctx, [(socks, before - 2, 1), (socks, 3, 2)])
    assert refused.value.code == "cart.only_left"
    assert refused.value.values == {"left": 2, "code": "SOCKS"}
    # One that fits is taken, stamped with its rail number.
    ctx.rollback()
    socks = ctx.scalar(select(Item).where(Item.code == "SOCKS"))
    svc._take_pieces(ctx, [(socks, 1, 777)])
    assert (socks.quantity_on_hand, socks.rail_version) == (before - 1, 777)
