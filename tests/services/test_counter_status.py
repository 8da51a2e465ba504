"""One place for a sale's state (``Sale.status``) and for whether it can be voided
(``void_refusal``), as the page, the API and the void itself read them."""

from datetime import timedelta

from sqlalchemy import func, select

from shop.models import PaymentMethod, Sale, SaleStatus
from shop.services import bank
from shop.services import counter as svc
from shop.services import members as member_service
from tests.services.test_counter import AT, HANOI, ctx, hong, sell  # noqa: F401


def _code(refusal):
    return None if refusal is None else str(refusal.message)


def test_a_sale_is_complete_waiting_for_its_transfer_or_voided(ctx):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 100_000, at=AT, tz=HANOI)
    cash = sell(ctx, svc.LineRequest("A"), tendered_dong=50_000)
    transfer = sell(ctx, svc.LineRequest("D"), transfer_dong=25_000)
    assert cash.status is SaleStatus.COMPLETE and not cash.awaiting_transfer
    assert transfer.status is SaleStatus.AWAITING_TRANSFER and transfer.awaiting_transfer
    svc.confirm_transfer(ctx, transfer, at=AT)
    assert transfer.status is SaleStatus.COMPLETE
    waiting = sell(ctx, svc.LineRequest("C"), transfer_dong=35_000)
    svc.void_sale(ctx, waiting, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)
    # Voided wins over waiting: a voided transfer sale is no longer waited for.
    assert waiting.status is SaleStatus.VOIDED and not waiting.awaiting_transfer
    assert waiting.status == "voided"  # as the API and the templates spell it
    # A refund is of a line: the sale stays complete.
    svc.refund_line(
        ctx, cash, 0, amount_dong=10_000, quantity=0, method=PaymentMethod.CASH,
        reason="giảm giá", restock=False, by=hong(ctx), at=AT,
        shift=svc.current_shift(ctx, hong(ctx)), tz=HANOI,
    )  # fmt: skip
    assert cash.status is SaleStatus.COMPLETE


def test_not_voided_leaves_out_the_voided_sales_only(ctx):  # noqa: F811
    svc.open_shift(ctx, hong(ctx), 100_000, at=AT, tz=HANOI)
    kept = sell(ctx, svc.LineRequest("A"), tendered_dong=50_000)
    gone = sell(ctx, svc.LineRequest("D"), tendered_dong=25_000)
    svc.void_sale(ctx, gone, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)
    numbers = ctx.scalars(Sale.not_voided(select(Sale.number))).all()
    assert numbers == [kept.number]
    total = ctx.scalar(Sale.not_voided(select(func.sum(Sale.total_dong))))
    assert total == 50_000


def test_void_refusal_says_why_or_nothing_and_the_void_agrees(ctx):  # noqa: F811
    ngoc = member_service.get_member(ctx, 2)
    shift = svc.open_shift(ctx, hong(ctx), 100_000, at=AT, tz=HANOI)
    sale = sell(ctx, svc.LineRequest("A"), tendered_dong=50_000)
    assert svc.void_refusal(ctx, sale) is None  # the page offers "void"
    assert svc.void_refusal(ctx, sale, by=hong(ctx), at=AT, tz=HANOI) is None
    # Not her drawer: refused for Ngọc, with the cashier's name.
    hers = svc.void_refusal(ctx, sale, by=ngoc, at=AT, tz=HANOI)
    assert hers is not None and hers.field == "number" and "Nguyễn Thị Hồng" in _code(hers)
    # A coordinator, on another day.
    late = svc.void_refusal(ctx, sale, by=hong(ctx), at=AT + timedelta(days=1), tz=HANOI)
    assert late is not None and "trong ngày bán" in _code(late)
    # Part of it refunded.
    refunded = sell(ctx, svc.LineRequest("D"), tendered_dong=25_000)
    svc.refund_line(
        ctx, refunded, 0, amount_dong=5_000, quantity=0, method=PaymentMethod.CASH,
        reason="giảm giá", restock=False, by=hong(ctx), at=AT, shift=shift, tz=HANOI,
    )  # fmt: skip
    assert svc.void_refusal(ctx, refunded) is not None
    # Voided already.
    svc.void_sale(ctx, sale, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)
    again = svc.void_refusal(ctx, sale)
    assert again is not None and again.field == "number"
    # Its shift closed: refund it instead.
    other = sell(ctx, svc.LineRequest("C"), tendered_dong=35_000)
    svc.close_shift(ctx, shift, svc.cash_count(ctx, shift).expected_dong, at=AT, by=hong(ctx))
    closed = svc.void_refusal(ctx, other)
    assert closed is not None and closed.field == "number"


def test_waiting_for_its_transfer_reads_the_same_in_python_and_sql_and_uses_its_index(ctx):  # noqa: F811
    from sqlalchemy import text

    svc.open_shift(ctx, hong(ctx), 100_000, at=AT, tz=HANOI)
    sell(ctx, svc.LineRequest("A"), tendered_dong=50_000)
    confirmed = sell(ctx, svc.LineRequest("D"), transfer_dong=25_000)
    svc.confirm_transfer(ctx, confirmed, at=AT)
    waiting = sell(ctx, svc.LineRequest("C"), transfer_dong=35_000)
    voided = sell(ctx, svc.LineRequest("B"), transfer_dong=35_000)
    svc.void_sale(ctx, voided, by=hong(ctx), at=AT, reason="nhầm", tz=HANOI)
    ctx.flush()
    sales = ctx.scalars(select(Sale)).all()
    in_sql = set(ctx.scalars(select(Sale.number).where(Sale.transfer_outstanding)))
    assert in_sql == {s.number for s in sales if s.transfer_outstanding}
    assert in_sql == {waiting.number, voided.number}  # voided or not
    awaiting = set(ctx.scalars(Sale.awaiting(select(Sale.number))))
    assert awaiting == {s.number for s in sales if s.status is SaleStatus.AWAITING_TRANSFER}
    assert awaiting == {waiting.number}
    assert bank.waiting_of_amount(ctx, 35_000) == [waiting.number]
    assert bank.waiting_of_amount(ctx, 35_000, exclude=waiting) == []
    # The partial index of the waiting sales serves the queries that look for them (the
    # bank's suggestions, each transaction not matched): its terms are
    # Sale.transfer_outstanding's (a drift between the two would lose it).
    if ctx.get_bind().dialect.name == "sqlite":
        explain, plan_of = "EXPLAIN QUERY PLAN ", lambda rows: " ".join(r[-1] for r in rows)
    else:
        ctx.execute(text("SET LOCAL enable_seqscan = off"))  # a table this small is read whole
        explain, plan_of = "EXPLAIN ", lambda rows: " ".join(r[0] for r in rows)
    for exclude in (None, waiting.id):
        of_amount = bank._WAITING_OF_AMOUNT.params(amount=35_000, **{"not": exclude})
        compiled = of_amount.compile(ctx.get_bind(), compile_kwargs={"literal_binds": True})
        plan = plan_of(ctx.execute(text(explain + str(compiled))).all())
        assert "ix_sale_transfer_waiting" in plan, plan
