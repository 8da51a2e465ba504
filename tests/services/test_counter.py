import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import IntakeKind, ItemStatus, PaymentMethod, Sale, SaleLine
from shop.services import counter as svc
from shop.services import members as member_service
from shop.services import stock
from shop.services.errors import InvalidInput
from tests import factories
from tests.factories import consigned, donated

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app, coordinator, member):
    with app.app_context(), app.test_request_context():
        session = db.session
        received = datetime(2026, 11, 1, 2, tzinfo=UTC)
        donated(
            session, received, A=("Áo", 50_000), D=("Quần", 25_000), SOCKS=("Phụ kiện", 10_000, 5)
        )
        consigned(session, received, 2, B=("Váy", 120_000), C=("Áo", 35_000))
        session.commit()
        yield session


def hong(session):
    return member_service.get_member(session, 1)


def sell(session, *lines, at=AT, **kw):
    return factories.sell(session, *lines, at=at, **kw)


def test_worked_example_sales_one_and_two(ctx):
    svc.open_shift(ctx, hong(ctx), 200_000, at=AT, tz=HANOI)
    one = sell(
        ctx,
        svc.LineRequest("A"),
        svc.LineRequest("B", discount_dong=10_000, discount_reason="vết bẩn"),
        tendered_dong=200_000,
    )
    assert (one.number, one.total_dong, one.change_dong) == (1, 160_000, 40_000)
    assert [
        (line.net_dong, line.owner_id is not None, line.consignor_bp) for line in one.lines
    ] == [(50_000, False, None), (110_000, True, 7000)]
    two = sell(
        ctx,
        svc.LineRequest("C"),
        svc.LineRequest("D"),
        discount_dong=6_000,
        discount_reason="khách quen",
        transfer_dong=54_000,
    )
    assert [line.sale_discount_dong for line in two.lines] == [3_500, 2_500]
    assert [line.net_dong for line in two.lines] == [31_500, 22_500]
    assert two.awaiting_transfer
    svc.confirm_transfer(ctx, two, at=AT)
    assert not two.awaiting_transfer and two.number == 2


def test_markdown_is_applied_at_the_counter(ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    later = datetime(2026, 12, 1, 3, tzinfo=UTC)  # 30 days after 1 November
    sale = sell(ctx, svc.LineRequest("A"), at=later)
    assert sale.lines[0].unit_price_dong == 37_000 and sale.lines[0].tag_price_dong == 50_000


def test_refusals(ctx):
    with pytest.raises(InvalidInput) as caught:
        sell(ctx, svc.LineRequest("A"))
    assert caught.value.field == "shift"
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    ctx.commit()
    for lines, kwargs, field in [
        ((), {}, "code"),
        ((svc.LineRequest("NOPE"),), {}, "code"),
        ((svc.LineRequest("A"), svc.LineRequest("A")), {}, "code"),
        ((svc.LineRequest("A", discount_dong=1000),), {}, "discount_reason"),
        (
            (svc.LineRequest("A"),),
            {"discount_dong": 60_000, "discount_reason": "x"},
            "sale_discount_dong",
        ),
        ((svc.LineRequest("A"),), {"tendered_dong": 1000}, "tendered_dong"),
        ((svc.LineRequest("SOCKS", quantity=6),), {}, "quantity"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            sell(ctx, *lines, **kwargs)
        assert caught.value.field == field, lines
        ctx.rollback()
    assert ctx.scalar(select(func.count(Sale.id))) == 0


def test_an_item_is_sold_once_and_a_refused_sale_leaves_nothing(ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sell(ctx, svc.LineRequest("A"))
    ctx.commit()
    with pytest.raises(InvalidInput) as caught:
        sell(ctx, svc.LineRequest("D"), svc.LineRequest("A"))
    assert "A" in str(caught.value.message)
    ctx.rollback()
    assert stock.get_item(ctx, "D").status == ItemStatus.IN_STOCK
    assert ctx.scalar(select(func.count(Sale.id))) == 1


def test_a_sales_items_take_the_next_rail_numbers_in_line_order_and_none_twice(ctx):
    """The rail numbers of a sale's lines are taken at once: one each, in the lines' order,
    right after the last one handed out; a refused sale gives back what it took."""
    from shop.models import Item
    from shop.models.sequence import Sequence

    def rail() -> int:
        return ctx.scalar(select(Sequence.value).where(Sequence.name == "rail"))

    def version(code: str) -> int:
        return ctx.scalar(select(Item.rail_version).where(Item.code == code))

    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    ctx.commit()
    start = rail()
    sell(ctx, svc.LineRequest("B"), svc.LineRequest("SOCKS", quantity=2), svc.LineRequest("A"))
    ctx.commit()
    assert [version("B"), version("SOCKS"), version("A")] == [start + 1, start + 2, start + 3]
    assert rail() == start + 3
    with pytest.raises(InvalidInput):
        sell(ctx, svc.LineRequest("D"), svc.LineRequest("A"))  # A is sold: nothing stays
    ctx.rollback()
    # A change made one by one afterwards takes the next number, not one the refused sale
    # had taken ahead.
    sell(ctx, svc.LineRequest("SOCKS"))
    ctx.commit()
    assert version("SOCKS") == start + 4 == rail()
    sell(ctx, svc.LineRequest("D"))
    ctx.commit()
    assert version("D") == start + 5 == rail()


def test_the_same_client_id_records_one_sale(ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    first, new = svc.record_sale(
        ctx,
        svc.SaleRequest((svc.LineRequest("A"),), client_id="abc"),
        cashier=hong(ctx),
        at=AT,
        tz=HANOI,
    )
    again, new_again = svc.record_sale(
        ctx,
        svc.SaleRequest((svc.LineRequest("A"),), client_id="abc"),
        cashier=hong(ctx),
        at=AT,
        tz=HANOI,
    )
    assert new and not new_again and again.id == first.id


def test_lots_sell_by_quantity(ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sell(ctx, svc.LineRequest("SOCKS", quantity=3))
    assert stock.get_item(ctx, "SOCKS").quantity_on_hand == 2
    sell(ctx, svc.LineRequest("SOCKS", quantity=2))
    with pytest.raises(InvalidInput):
        sell(ctx, svc.LineRequest("SOCKS"))


def test_shift_cash_count(ctx):
    shift = svc.open_shift(ctx, hong(ctx), 200_000, at=AT, tz=HANOI)
    sell(ctx, svc.LineRequest("A"), tendered_dong=100_000)  # 50.000 in, 50.000 change
    split = sell(ctx, svc.LineRequest("B"), transfer_dong=100_000, tendered_dong=20_000)
    svc.confirm_transfer(ctx, split, at=AT)
    voided = sell(ctx, svc.LineRequest("D"))
    svc.void_sale(ctx, voided, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)
    refund, _ = svc.refund_line(
        ctx,
        split,
        0,
        amount_dong=15_000,
        quantity=1,
        method=PaymentMethod.CASH,
        reason="lỗi khóa",
        restock=False,
        by=hong(ctx),
        at=AT,
        shift=shift,
        tz=HANOI,
    )
    assert refund.amount_dong == 15_000
    count = svc.cash_count(ctx, shift)
    assert count.expected_dong == 200_000 + 50_000 + 20_000 - 15_000
    result = svc.close_shift(ctx, shift, 250_000, at=AT + timedelta(hours=3), by=hong(ctx))
    assert shift.expected_cash_dong == 255_000 and shift.counted_cash_dong == 250_000
    assert result.expected_dong == 255_000
    with pytest.raises(InvalidInput):
        svc.void_sale(ctx, split, by=hong(ctx), at=AT, reason="late", tz=HANOI)


def test_a_waiting_transfer_keeps_the_shift_open(ctx):
    shift = svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sell(ctx, svc.LineRequest("A"), transfer_dong=50_000)
    with pytest.raises(InvalidInput) as caught:
        svc.close_shift(ctx, shift, 0, at=AT, by=hong(ctx))
    assert caught.value.field == "shift"


def test_void_puts_items_back_and_they_sell_again(ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sale = sell(ctx, svc.LineRequest("A"), svc.LineRequest("SOCKS", quantity=2))
    with pytest.raises(InvalidInput):
        svc.void_sale(ctx, sale, by=hong(ctx), at=AT, reason=" ", tz=HANOI)
    svc.void_sale(ctx, sale, by=hong(ctx), at=AT, reason="khách đổi ý", tz=HANOI)
    assert stock.get_item(ctx, "A").status == ItemStatus.IN_STOCK
    assert stock.get_item(ctx, "SOCKS").quantity_on_hand == 5
    again = sell(ctx, svc.LineRequest("A"))
    assert again.lines[0].stock_round == 2


def test_refunds_never_exceed_the_line_and_restock(ctx):
    shift = svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    sale = sell(ctx, svc.LineRequest("B", discount_dong=10_000, discount_reason="x"))
    args = {
        "quantity": 1,
        "method": PaymentMethod.CASH,
        "reason": "trả hàng",
        "by": hong(ctx),
        "at": AT,
        "tz": HANOI,
        "shift": shift,
    }
    with pytest.raises(InvalidInput) as caught:
        svc.refund_line(ctx, sale, 0, amount_dong=110_001, restock=True, **args)
    assert caught.value.field == "amount_dong"
    svc.refund_line(ctx, sale, 0, amount_dong=110_000, restock=True, **args)
    assert stock.get_item(ctx, "B").status == ItemStatus.IN_STOCK
    with pytest.raises(InvalidInput):
        svc.refund_line(ctx, sale, 0, amount_dong=1, restock=False, **args)
    with pytest.raises(InvalidInput):
        svc.refund_line(ctx, sale, 5, amount_dong=1, restock=False, **args)


def test_cart_to_sale(ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    svc.add_to_cart(ctx, hong(ctx), " A ")
    svc.add_to_cart(ctx, hong(ctx), "SOCKS", 2)
    with pytest.raises(InvalidInput):
        svc.add_to_cart(ctx, hong(ctx), "A")
    with pytest.raises(InvalidInput):
        svc.add_to_cart(ctx, hong(ctx), "SOCKS", 4)
    svc.set_cart_discount(ctx, hong(ctx), 5_000, "khách quen")
    view = svc.cart(ctx, hong(ctx), on=AT, tz=HANOI)
    assert view.total_dong == 65_000 and view.problem is None
    sale, _ = svc.checkout(
        ctx, hong(ctx), transfer_dong=0, tendered_dong=100_000, client_id="c1", at=AT, tz=HANOI
    )
    assert sale.total_dong == 65_000 and sale.change_dong == 35_000
    assert svc.cart(ctx, hong(ctx), on=AT, tz=HANOI).rows == []


def test_two_counters_selling_the_same_item_at_once(app, ctx):
    """Two cashiers scan the same dress at the same moment: exactly one sale gets it."""
    ngoc = member_service.get_member(ctx, 2)
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    svc.open_shift(ctx, ngoc, 0, at=AT, tz=HANOI)
    ctx.commit()
    barrier, outcomes = threading.Barrier(6), []

    def attempt(number):
        with app.app_context(), app.test_request_context():
            barrier.wait(5)  # before any query: each query opens a write transaction
            cashier = member_service.get_member(db.session, 1 + number % 2)
            try:
                svc.record_sale(
                    db.session,
                    svc.SaleRequest((svc.LineRequest("B"),)),
                    cashier=cashier,
                    at=AT,
                    tz=HANOI,
                )
                db.session.commit()
                outcomes.append("sold")
            except InvalidInput:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["sold"]
    with app.app_context():
        assert db.session.scalar(select(func.count(SaleLine.id))) == 1


def test_lot_sold_by_many_counters_never_goes_below_zero(app, ctx):
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    ctx.commit()
    barrier, sold = threading.Barrier(8), []

    def attempt():
        with app.app_context(), app.test_request_context():
            barrier.wait(5)
            try:
                svc.record_sale(
                    db.session,
                    svc.SaleRequest((svc.LineRequest("SOCKS"),)),
                    cashier=member_service.get_member(db.session, 1),
                    at=AT,
                    tz=HANOI,
                )
                db.session.commit()
                sold.append(1)
            except InvalidInput:
                db.session.rollback()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sold) == 5
    with app.app_context():
        assert stock.get_item(db.session, "SOCKS").quantity_on_hand == 0
        numbers = list(db.session.scalars(select(Sale.number).order_by(Sale.number)))
        assert numbers == [1, 2, 3, 4, 5]


def test_a_price_of_billions_fits(ctx):
    """Amounts up to 100 billion đồng are accepted everywhere, so columns must hold them."""
    intake = stock.receive_intake(
        ctx,
        stock.IntakeDetails(IntakeKind.DONATION, datetime(2026, 11, 1, 2, tzinfo=UTC)),
        by=hong(ctx),
        tz=HANOI,
    )
    stock.add_item(ctx, intake, stock.ItemDetails("Áo", 90_000_000_000, code="GOLD"))
    svc.open_shift(ctx, hong(ctx), 5_000_000_000, at=AT, tz=HANOI)
    sale = sell(ctx, svc.LineRequest("GOLD"), tendered_dong=95_000_000_000)
    ctx.commit()
    assert sale.total_dong == 90_000_000_000 and sale.change_dong == 5_000_000_000


def test_the_same_sale_sent_from_many_counters_at_once_is_recorded_once(app, ctx):
    """A retry racing its first try (one client id): one sale, the others get it back."""
    ngoc = member_service.get_member(ctx, 2)
    svc.open_shift(ctx, hong(ctx), 0, at=AT, tz=HANOI)
    svc.open_shift(ctx, ngoc, 0, at=AT, tz=HANOI)
    ctx.commit()
    barrier, outcomes, errors = threading.Barrier(6), [], []

    def attempt(number):
        with app.app_context(), app.test_request_context():
            barrier.wait(5)
            try:
                sale, new = svc.record_sale(
                    db.session,
                    svc.SaleRequest((svc.LineRequest("B"),), client_id="the-same-sale"),
                    cashier=member_service.get_member(db.session, 1 + number % 2),
                    at=AT,
                    tz=HANOI,
                )
                db.session.commit()
                outcomes.append((sale.number, new))
            except Exception as error:  # noqa: BLE001 - any failure is what the test reports
                db.session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [(1, False)] * 5 + [(1, True)]


def test_a_sale_is_voided_by_its_cashier_or_a_coordinator_on_its_day(ctx):
    """The cash goes back out of the drawer that took it: Ngọc cannot void Hồng's sale (her
    own drawer would pay it back); a coordinator can, on the day it was sold."""
    ngoc = member_service.get_member(ctx, 2)
    svc.open_shift(ctx, hong(ctx), 100_000, at=AT, tz=HANOI)
    svc.open_shift(ctx, ngoc, 100_000, at=AT, tz=HANOI)
    hongs = sell(ctx, svc.LineRequest("A"), tendered_dong=50_000)
    with pytest.raises(InvalidInput) as caught:
        svc.void_sale(ctx, hongs, by=ngoc, at=AT, reason="nhầm", tz=HANOI)
    assert "Nguyễn Thị Hồng" in str(caught.value.message) and caught.value.field == "number"
    ngocs = svc.record_sale(
        ctx, svc.SaleRequest((svc.LineRequest("D"),), tendered_dong=25_000),
        cashier=ngoc, at=AT, tz=HANOI,
    )[0]  # fmt: skip
    next_day = AT + timedelta(days=1)
    with pytest.raises(InvalidInput) as late:
        svc.void_sale(ctx, ngocs, by=hong(ctx), at=next_day, reason="nhầm", tz=HANOI)
    assert "trong ngày bán" in str(late.value.message)
    svc.void_sale(ctx, ngocs, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)
    # Booked against the drawer that took the cash: Ngọc's, not Hồng's.
    ngoc_shift = svc.current_shift(ctx, ngoc)
    assert svc.cash_count(ctx, ngoc_shift).expected_dong == 100_000
    assert svc.cash_count(ctx, svc.current_shift(ctx, hong(ctx))).expected_dong == 150_000
    svc.void_sale(ctx, hongs, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)


def test_a_note_on_the_count_is_kept_once_by_her_or_a_coordinator(ctx):
    ngoc = member_service.get_member(ctx, 2)
    shift = svc.open_shift(ctx, ngoc, 100_000, at=AT, tz=HANOI)
    with pytest.raises(InvalidInput) as caught:  # nothing counted yet
        svc.note_count(ctx, shift, "thiếu", by=ngoc)
    assert caught.value.field == "note"
    svc.close_shift(ctx, shift, 90_000, at=AT + timedelta(hours=1), by=ngoc)
    with pytest.raises(InvalidInput):
        svc.note_count(ctx, shift, "   ", by=ngoc)  # says nothing
    svc.note_count(ctx, shift, "  Trả  thừa tiền   cho khách ", by=ngoc)
    assert shift.count_note == "Trả thừa tiền cho khách"
    with pytest.raises(InvalidInput):  # once written it stays as it was
        svc.note_count(ctx, shift, "khác", by=hong(ctx))
    assert (shift.counted_cash_dong, shift.expected_cash_dong) == (90_000, 100_000)


def test_no_note_for_a_count_that_matches_nor_from_another_member(ctx):
    ngoc = member_service.get_member(ctx, 2)
    mine = svc.open_shift(ctx, hong(ctx), 50_000, at=AT, tz=HANOI)
    svc.close_shift(ctx, mine, 50_000, at=AT + timedelta(hours=1), by=hong(ctx))
    with pytest.raises(InvalidInput):
        svc.note_count(ctx, mine, "đủ", by=hong(ctx))  # nothing to explain
    hers = svc.open_shift(ctx, ngoc, 0, at=AT, tz=HANOI)
    svc.close_shift(ctx, hers, 5_000, at=AT + timedelta(hours=1), by=ngoc)
    other = svc.open_shift(ctx, hong(ctx), 0, at=AT + timedelta(hours=2), tz=HANOI)
    svc.close_shift(ctx, other, 1_000, at=AT + timedelta(hours=3), by=hong(ctx))
    svc.note_count(ctx, hers, "tiền lẻ của chị", by=hong(ctx))  # a coordinator may
    assert hers.count_note == "tiền lẻ của chị"
    with pytest.raises(InvalidInput) as caught:
        svc.note_count(ctx, other, "x", by=ngoc)  # not hers
    assert other.count_note == "" and "Chỉ" in str(caught.value.message)
