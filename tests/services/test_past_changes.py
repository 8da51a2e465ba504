"""Price changes, voids and refunds entered in a run (``enter_past_run``, a journal's
replay): each as ``change_price``, ``void_sale`` and ``refund_line`` would have entered it in
turn, down to the rail numbers, the drawers and the log; the run stops, writing nothing of
it, at the first one the service would refuse, which the service then refuses by itself."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from shop.models import Item, ItemStatus, PaymentMethod, Sale, Shift
from shop.services import counter as svc
from shop.services import stock
from shop.services.errors import InvalidInput
from tests.factories import HANOI, member
from tests.services.test_counter import AT, ctx, hong  # noqa: F401
from tests.services.test_past_sales import past

TABLES = {
    "item": """SELECT code, status, price_dong, quantity_on_hand, times_sold, rail_version
        FROM item ORDER BY code""",
    "refund": """SELECT l.position, r.at, r.by_id, sh.opened_at, r.quantity, r.amount_dong,
        r.method, r.reason, r.restock FROM refund r JOIN sale_line l ON l.id = r.sale_line_id
        LEFT JOIN shift sh ON sh.id = r.shift_id ORDER BY r.id""",
    "void": "SELECT s.number, v.at, v.by_id, v.reason FROM void v JOIN sale s ON s.id = v.sale_id",
    "price_change": """SELECT item_id, at, old_price_dong, price_dong, by_id, reason
        FROM price_change ORDER BY id""",
    "audit": """SELECT action, subject, CAST(detail AS TEXT) AS d FROM audit_event
        ORDER BY action, subject, d""",
    "shift": """SELECT member_id, closed_at, counted_cash_dong, expected_cash_dong FROM shift
        ORDER BY opened_at""",
    "sequence": "SELECT name, value FROM sequence ORDER BY name",
}


def tables(session):
    session.flush()
    return {name: [tuple(r) for r in session.execute(text(sql))] for name, sql in TABLES.items()}


def one_by_one(session, events):
    """What the services write for ``events`` in turn, as a journal's import calls them."""
    for event in events:
        if isinstance(event, svc.ShiftCloses):
            svc.close_shift(
                session, session.get(Shift, event.shift), event.counted_dong, at=event.at,
                by=event.by,
            )  # fmt: skip
        elif isinstance(event, svc.PastSale):
            svc.enter_past_sale(
                session, event.request, cashier=event.cashier, entered_by=event.cashier,
                at=event.at, tz=HANOI, shiftless=True,
            )  # fmt: skip
        else:
            alone(session, event)


def alone(session, event):
    """A price change, void or refund by its own service, as the import writes it alone."""
    if isinstance(event, svc.PastPriceChange):
        return stock.change_price(
            session, stock.get_item(session, event.code), event.price_dong, by=event.by,
            at=event.at, reason=event.reason, reason_required=False, tz=HANOI,
        )  # fmt: skip
    sale = svc.get_sale(session, event.number)
    if isinstance(event, svc.PastVoid):
        return svc.void_sale(
            session, sale, by=event.by, at=event.at, reason=event.reason, tz=HANOI
        )[0]
    shift = svc.shift_at(session, event.by, event.at)
    drawerless = svc.drawerless_cash(event.method, shift)
    lines = [line for line in sale.lines if line.item.code == event.code]
    line = svc.refunded_line(
        lines, event.amount_dong, event.quantity, lambda ln: svc.refunded_so_far(session, ln)
    )
    refund, _new = svc.refund_line(
        session, sale, line.position, amount_dong=event.amount_dong, quantity=event.quantity,
        method=PaymentMethod.TRANSFER if drawerless else event.method, reason=event.reason,
        restock=event.restock, by=event.by, at=event.at, shift=shift, tz=HANOI,
    )  # fmt: skip
    if drawerless:
        refund.method = PaymentMethod.CASH
    return refund


def minutes(n):
    return AT + timedelta(minutes=n)


def refund(number, code, amount, quantity, *, by, at, method=PaymentMethod.CASH, restock=True):
    return svc.PastRefund(number, code, amount, quantity, method, "khách trả", restock, by, at)


def test_price_changes_voids_and_refunds_in_a_run_are_entered_as_one_by_one(ctx):  # noqa: F811
    shift = svc.open_shift(ctx, hong(ctx), 100_000, at=AT - timedelta(hours=1), tz=HANOI)
    ctx.flush()

    def events():
        h, ngoc = hong(ctx), member(ctx, 2)
        return [
            svc.PastPriceChange("D", 20_000, h, minutes(0), "  cũ  "),
            past(ctx, 1, "A", "SOCKS", minutes=1, tendered_dong=100_000),
            past(ctx, 2, "D", minutes=2, tendered_dong=20_000),  # at its new price
            refund(1, "SOCKS", 10_000, 1, by=h, at=minutes(3)),  # a piece back, from her drawer
            svc.PastVoid(2, h, minutes(4), "bấm nhầm"),  # D back on the rail
            past(ctx, 3, "D", minutes=5, tendered_dong=20_000),  # sold again: a run of its own
            refund(1, "A", 20_000, 0, by=h, at=minutes(6), method=PaymentMethod.TRANSFER),
            svc.PastPriceChange("C", 30_000, h, minutes(7)),
            # Ngọc has no shift: her cash refund is kept in no drawer (a journal's).
            refund(1, "A", 5_000, 0, by=ngoc, at=minutes(8)),
            svc.ShiftCloses(shift.id, 170_000, minutes(9), h),
        ]

    run = events()
    ids = svc.enter_past_run(ctx, run, tz=HANOI)
    assert len(ids) == len(run)
    assert ids[2] == ids[4]  # the void answers with its sale
    together = tables(ctx)
    assert [r[2:4] for r in together["price_change"]] == [(25_000, 20_000), (35_000, 30_000)]
    assert together["price_change"][0][5] == "cũ"
    assert [(r[3] is None, r[6]) for r in together["refund"]] == [
        (False, PaymentMethod.CASH),
        (False, PaymentMethod.TRANSFER),
        (True, PaymentMethod.CASH),
    ]
    # 100,000 + sales 1 (A 50,000 + socks 10,000), 2 voided, 3 (20,000) - 10,000 back.
    assert together["shift"][0][1] is not None
    assert together["shift"][0][2:] == (170_000, 170_000)
    ctx.rollback()
    shift = svc.open_shift(ctx, hong(ctx), 100_000, at=AT - timedelta(hours=1), tz=HANOI)
    ctx.flush()
    one_by_one(ctx, events())
    assert tables(ctx) == together


@pytest.mark.parametrize(
    ("refused", "code"),
    [
        (lambda s: svc.PastVoid(1, member(s, 2), minutes(5), "nhầm"), "void.not_hers"),
        (lambda s: svc.PastVoid(1, hong(s), minutes(5), "  "), "void.reason_missing"),
        (lambda s: refund(1, "A", 45_000, 1, by=hong(s), at=minutes(5)), "refund.too_much"),
        (lambda s: refund(1, "B", 1_000, 0, by=hong(s), at=minutes(5)), None),  # not in it
        (lambda s: svc.PastPriceChange("C", 35_000, hong(s), minutes(5)), "price.unchanged"),
        (lambda s: svc.PastPriceChange("A", 45_000, hong(s), minutes(5)), "item.not_in_stock"),
        (lambda s: svc.PastPriceChange("C", 0, hong(s), minutes(5)), "price.not_positive"),
    ],
)
def test_a_run_stops_at_the_first_change_the_service_refuses(ctx, refused, code):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    ctx.flush()
    taken = [
        past(ctx, 1, "A", tendered_dong=50_000),
        refund(1, "A", 10_000, 0, by=hong(ctx), at=minutes(1), method=PaymentMethod.TRANSFER),
    ]
    after = past(ctx, 2, "D", minutes=6, tendered_dong=25_000)
    assert len(svc.enter_past_run(ctx, [*taken, refused(ctx), after], tz=HANOI)) == 2
    assert ctx.scalar(select(Sale.id).where(Sale.number == 2)) is None
    if code is None:
        return  # a refund of a code the sale does not have: the journal's check says so
    with pytest.raises(InvalidInput) as refusal:
        alone(ctx, refused(ctx))
    assert refusal.value.code == code


def test_a_refunded_sale_is_not_voided_nor_a_voided_one_refunded(ctx):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 0, at=AT - timedelta(hours=1), tz=HANOI)
    ctx.flush()
    h = hong(ctx)
    sales = [past(ctx, 1, "A", tendered_dong=50_000), past(ctx, 2, "D", tendered_dong=25_000)]
    assert len(svc.enter_past_run(ctx, sales, tz=HANOI)) == 2
    ctx.commit()
    # In the database already: a refund of sale 1 then its void; a void of 2 then its refund.
    refunded = refund(1, "A", 10_000, 0, by=h, at=minutes(1), method=PaymentMethod.TRANSFER)
    too_late = svc.PastVoid(1, h, minutes(2), "x")
    assert len(svc.enter_past_run(ctx, [refunded, too_late], tz=HANOI)) == 1
    with pytest.raises(InvalidInput) as refusal:
        alone(ctx, too_late)
    assert refusal.value.code == "void.refunded"
    voided = svc.PastVoid(2, h, minutes(3), "nhầm")
    again = refund(2, "D", 1_000, 0, by=h, at=minutes(4), method=PaymentMethod.TRANSFER)
    assert len(svc.enter_past_run(ctx, [voided, again], tz=HANOI)) == 1
    with pytest.raises(InvalidInput) as refusal:
        alone(ctx, again)
    assert refusal.value.code == "bank.sale_voided"
    assert ctx.scalar(select(Item.status).where(Item.code == "D")) == ItemStatus.IN_STOCK
