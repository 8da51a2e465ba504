"""The month service: closing in order, the guard on closed months, payouts, expenses."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.domain.money import format_dong
from shop.domain.pricing import Policy
from shop.domain.sharing import month_check_holds
from shop.extensions import db
from shop.messages import in_words, not_found_at_count
from shop.models import (
    ClosedMonth,
    DisposalKind,
    Expense,
    ExpenseCategory,
    IntakeKind,
    PaymentMethod,
    Payout,
    Role,
)
from shop.services import counter, stock
from shop.services import expenses as expense_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services.errors import InvalidInput
from shop.services.policy import record_policy

from .. import factories
from ..conftest import DEMO_PIN
from ..factories import consigned, donated
from ..journal.conftest import wipe

HANOI = __import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")


def local(month, day, hour=9, minute=0, year=2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HANOI)


def stock_up(session) -> None:
    """Items A, D (donated) and B, C (Ngọc's, 70%), in since 1 November."""
    donated(session, local(11, 1), A=("Áo", 50_000), D=("Quần", 25_000))
    consigned(session, local(11, 1), 2, B=("Váy", 120_000), C=("Áo", 35_000))


@pytest.fixture
def ctx(app, coordinator, member):
    """Hồng (1, coordinator) and Ngọc (2), with :func:`stock_up`'s items."""
    with app.app_context(), app.test_request_context():
        stock_up(db.session)
        db.session.commit()
        yield db.session


def who(session, number):
    return member_service.get_member(session, number)


def sell(session, cashier, at, *codes, shift=None, **kw):
    return factories.sell(
        session, *codes, at=at, cashier=cashier, shift=shift, require_shift=False, **kw
    )


def november(session):
    """Hồng's shift of 3 November (200 minutes) selling A and B (Ngọc's) for 170.000, and
    bags for 14.950 on the 20th: pool 50.000 + 36.000, Ngọc's split 84.000."""
    hong = who(session, 1)
    shift = counter.open_shift(session, hong, 200_000, at=local(11, 3, 8), tz=HANOI)
    sale = sell(session, hong, local(11, 3, 10), "A", "B", shift=shift)
    counter.close_shift(session, shift, 370_000, at=local(11, 3, 11, 20), by=hong)
    expense_service.add_expense(
        session,
        expense_service.ExpenseDetails(date(2026, 11, 20), ExpenseCategory.SUPPLIES, 14_950),
        by=hong,
    )
    return sale


def close(session, month, at):
    return month_service.close_month(session, month, by=who(session, 1), at=at, tz=HANOI)


def refusal(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


def english(error: InvalidInput) -> str:
    with force_locale("en"):
        return str(error.message)


# ---------------------------------------------------------------- closing in order


def test_months_close_in_order_from_the_first_with_anything_in_it(ctx):
    nothing = refusal(lambda: close(ctx, "2026-11", local(12, 1)))
    assert (nothing.field, english(nothing)) == (
        "month",
        "Nothing was recorded in November 2026 or before it: there is nothing to close.",
    )
    november(ctx)

    too_early = refusal(lambda: close(ctx, "2026-11", local(11, 30, 23, 59)))
    assert english(too_early) == (
        "November 2026 has not ended yet: it can be closed from 01/12/2026 on."
    )
    before = refusal(lambda: close(ctx, "2026-10", local(12, 1)))
    assert "Nothing was recorded in October 2026" in english(before)
    skipping = refusal(lambda: close(ctx, "2026-12", local(1, 2, year=2027)))
    assert english(skipping) == "Close November 2026 first: months are closed in order."

    closed = close(ctx, "2026-11", local(12, 1, 0, 0))
    assert (closed.month, closed.closed_by.number) == ("2026-11", 1)
    again = refusal(lambda: close(ctx, "2026-11", local(12, 2)))
    assert english(again) == "November 2026 is already closed."
    # An empty December is in the chain all the same: January waits for it.
    empty_gap = refusal(lambda: close(ctx, "2027-01", local(2, 1, year=2027)))
    assert english(empty_gap) == "Close December 2026 first: months are closed in order."
    close(ctx, "2026-12", local(1, 1, year=2027))
    close(ctx, "2027-01", local(2, 1, year=2027))
    assert [c.month for c in month_service.closed_months(ctx)] == ["2026-11", "2026-12", "2027-01"]
    assert month_service.is_closed(ctx, "2026-10")  # before the first close: closed too
    assert not month_service.is_closed(ctx, "2027-02")


def test_a_month_with_a_shift_still_open_or_a_transfer_waiting_does_not_close(ctx):
    november(ctx)
    ngoc = who(ctx, 2)
    late = counter.open_shift(ctx, ngoc, 0, at=local(11, 30, 20), tz=HANOI)
    waiting = sell(ctx, ngoc, local(11, 30, 21), "D", shift=late, transfer_dong=25_000)

    shift_open = refusal(lambda: close(ctx, "2026-11", local(12, 1, 8)))
    assert english(shift_open) == (
        "The shift of Nguyễn Thị Ngọc, open since 30/11/2026 20:00, is still open: she closes "
        "it at the counter, or a coordinator closes it for her below."
    )
    preview = month_service.preview_close(ctx, "2026-11", at=local(12, 1, 8), tz=HANOI)
    assert preview.refusal is not None and preview.refusal.field == "month"
    assert preview.figures.pool_sales_dong == 50_000 + 36_000 + 25_000
    assert ctx.scalar(select(func.count(ClosedMonth.id))) == 0  # a preview writes nothing

    # The shift cannot close while its transfer waits; voiding it lets both go.
    counter.void_sale(ctx, waiting, by=ngoc, at=local(11, 30, 22), reason="nhầm", tz=HANOI)
    counter.close_shift(ctx, late, 0, at=local(12, 1, 7), by=ngoc)
    assert month_service.preview_close(ctx, "2026-11", at=local(12, 1, 8), tz=HANOI).refusal is None
    close(ctx, "2026-11", local(12, 1, 8))


def test_a_waiting_transfer_keeps_its_month_open(ctx):
    november(ctx)
    hong = who(ctx, 1)
    shift = counter.open_shift(ctx, hong, 0, at=local(11, 30, 20), tz=HANOI)
    sale = sell(ctx, hong, local(11, 30, 21), "D", shift=shift, transfer_dong=25_000)
    # The shift closes in December (so it is not what stops the close), its transfer waiting.
    shift.closed_at = local(12, 1, 1)
    ctx.flush()

    waiting = refusal(lambda: close(ctx, "2026-11", local(12, 2)))
    assert "still waiting for its transfer" in english(waiting)
    counter.confirm_transfer(ctx, sale, at=local(12, 1, 2))
    close(ctx, "2026-11", local(12, 2))


def test_closing_freezes_the_figures_and_the_settings(ctx):
    november(ctx)
    record_policy(ctx, "2026-11", Policy(reserve_bp=2000))
    live = month_service.month_figures(ctx, "2026-11", HANOI)

    closed = close(ctx, "2026-11", local(12, 1))

    assert month_service.month_figures(ctx, "2026-11", HANOI) == live
    assert (closed.reserve_bp, closed.equal_bp, closed.consignor_bp) == (2000, 5000, 7000)
    assert closed.markdown == [
        {"after_days": 30, "percent_off": 25},
        {"after_days": 60, "percent_off": 50},
    ]
    # result = 86.000 − 14.950; reserve 20 %.
    assert (closed.result_dong, closed.reserve_dong) == (71_050, 14_210)
    assert (closed.net_sales_dong, closed.refunds_dong) == (170_000, 0)
    assert [(m.member_number, m.eligible, m.work_minutes) for m in closed.members] == [
        (1, True, 200),
        (2, True, 0),
    ]
    # The settings of a closed month stay; new ones start from an open month.
    refused = refusal(lambda: record_policy(ctx, "2026-11", Policy(reserve_bp=0)))
    assert refused.field == "from_month"
    month_service.set_sharing_settings(ctx, "2026-12", Policy(reserve_bp=0, equal_bp=10_000))
    assert month_service.sharing_settings(ctx, "2026-11").reserve_bp == 2000
    assert month_service.sharing_settings(ctx, "2026-12").equal_bp == 10_000
    assert month_service.month_figures(ctx, "2026-11", HANOI) == live


# ---------------------------------------------------------------- a closed month is closed


@pytest.fixture
def closed_november(ctx):
    """November with its sale and bags, closed on 1 December; Hồng's December shift open."""
    november(ctx)
    hong = who(ctx, 1)
    december = counter.open_shift(ctx, hong, 100_000, at=local(12, 1, 0, 0), tz=HANOI)
    # A sale of 30 November entered late from the notebook, into the open shift.
    late = sell(ctx, hong, local(11, 30, 18), "D", shift=december)
    close(ctx, "2026-11", local(12, 1, 0, 1))
    ctx.info["late"] = late
    ctx.info["december"] = december
    return ctx


CLOSED = "November 2026 is closed: enter corrections in the current month."


def test_no_sale_is_dated_in_a_closed_month(closed_november):
    ctx = closed_november
    hong = who(ctx, 1)
    for shift, require in ((ctx.info["december"], True), (None, False)):  # counter, notebook
        refused = refusal(
            lambda shift=shift, require=require: counter.record_sale(
                ctx,
                counter.SaleRequest(lines=(counter.LineRequest("C"),)),
                cashier=hong,
                at=local(11, 30, 17),
                tz=HANOI,
                shift=shift,
                require_shift=require,
                transfer_confirmed=True,
            )
        )
        assert (refused.field, english(refused)) == ("at", CLOSED)
    assert sell(ctx, hong, local(12, 1, 9), "C", shift=ctx.info["december"]).number == 3


def test_no_void_or_refund_in_a_closed_month_but_refunds_go_into_the_current_one(
    closed_november,
):
    ctx = closed_november
    hong, late = who(ctx, 1), ctx.info["late"]
    voided = refusal(
        lambda: counter.void_sale(ctx, late, by=hong, at=local(12, 1, 9), reason="x", tz=HANOI)
    )
    assert (voided.field, english(voided)) == ("number", CLOSED)

    first = counter.get_sale(ctx, 1)

    def refund(at):
        return counter.refund_line(
            ctx, first, 1, amount_dong=60_000, quantity=1, method=PaymentMethod.CASH,
            reason="trả lại", restock=True, by=hong, at=at, shift=ctx.info["december"], tz=HANOI,
        )  # fmt: skip

    refused = refusal(lambda: refund(local(11, 30, 20)))
    assert (refused.field, english(refused)) == ("at", CLOSED)
    refund(local(12, 1, 10))  # B, half of its 120.000: booked in December
    december = month_service.month_figures(ctx, "2026-12", HANOI)
    ngoc = next(m for m in december.members if m.member == 2)
    assert ngoc.consignment_dong == -42_000  # floor(60.000 × 70 %)
    assert december.pool_sales_dong == -18_000
    assert month_check_holds(december, *month_service.net_sales_and_refunds(ctx, "2026-12", HANOI))


def test_no_shift_opens_in_a_closed_month(closed_november):
    ctx = closed_november
    refused = refusal(
        lambda: counter.open_shift(ctx, who(ctx, 2), 0, at=local(11, 30, 8), tz=HANOI)
    )
    assert (refused.field, english(refused)) == ("shift", CLOSED)


def test_no_stock_change_is_dated_in_a_closed_month(closed_november):
    ctx = closed_november
    hong = who(ctx, 1)
    item = stock.get_item(ctx, "C")
    price = refusal(
        lambda: stock.change_price(
            ctx, item, 30_000, by=hong, at=local(11, 30), reason="x", tz=HANOI
        )
    )
    assert (price.field, english(price)) == ("at", CLOSED)
    stock.change_price(ctx, item, 30_000, by=hong, at=local(12, 2), reason="giảm", tz=HANOI)
    out = refusal(
        lambda: stock.dispose(
            ctx, item, DisposalKind.RETURNED_TO_OWNER, by=hong, at=local(11, 30), tz=HANOI
        )
    )
    assert (out.field, english(out)) == ("at", CLOSED)
    intake = refusal(
        lambda: stock.receive_intake(
            ctx, stock.IntakeDetails(IntakeKind.DONATION, local(11, 30)), by=hong, tz=HANOI
        )
    )
    assert (intake.field, english(intake)) == ("received_on", CLOSED)


def test_no_expense_of_a_closed_month_is_added_changed_or_removed(closed_november):
    ctx = closed_november
    hong = who(ctx, 1)
    bags = ctx.scalar(select(Expense))
    details = expense_service.ExpenseDetails(date(2026, 11, 30), "other", 5_000)

    for call in (
        lambda: expense_service.add_expense(ctx, details, by=hong),
        lambda: expense_service.edit_expense(ctx, bags, details, by=hong, at=local(12, 2)),
        lambda: expense_service.remove_expense(ctx, bags, by=hong, at=local(12, 2)),
    ):
        refused = refusal(call)
        assert (refused.field, english(refused)) == ("spent_on", CLOSED)
    december, _ = expense_service.add_expense(
        ctx, expense_service.ExpenseDetails(date(2026, 12, 2), "transport", 20_000), by=hong
    )
    moved = refusal(
        lambda: expense_service.edit_expense(ctx, december, details, by=hong, at=local(12, 2))
    )
    assert moved.field == "spent_on"


# ---------------------------------------------------------------- payouts


def test_payouts_against_a_closed_month_never_above_what_is_due(closed_november):
    ctx = closed_november
    hong, ngoc = who(ctx, 1), who(ctx, 2)
    figures = {m.member: m for m in month_service.month_figures(ctx, "2026-11", HANOI).members}
    # Pool 50.000 + 36.000 + 25.000 (D, the notebook sale) − 14.950 = 96.050; reserve
    # 9.605; 86.445 over Hồng (200 min) and Ngọc: equal 21.611 / 21.611, work 43.223 to
    # Hồng; Ngọc's split of B 84.000.
    assert (figures[1].due_dong, figures[2].due_dong) == (64_834, 105_611)

    def pay(member, amount, paid_on=date(2026, 12, 2), month="2026-11"):
        return month_service.record_payout(
            ctx, member, month, amount, paid_on, PaymentMethod.CASH, hong, "tiền mặt"
        )

    above = refusal(lambda: pay(ngoc, 105_612))
    assert above.field == "amount_dong"
    assert english(above) == (
        f"At most {format_dong(105_611)} can still be paid to Nguyễn Thị Ngọc for November 2026."
    )
    assert refusal(lambda: pay(ngoc, 0)).field == "amount_dong"
    assert refusal(lambda: pay(ngoc, True)).field == "amount_dong"
    early = refusal(lambda: pay(ngoc, 1_000, paid_on=date(2026, 11, 30)))
    assert early.field == "paid_on"
    pay(ngoc, 100_000)
    pay(ngoc, 5_611)
    nothing = refusal(lambda: pay(ngoc, 1))
    assert english(nothing) == "Nothing is due to Nguyễn Thị Ngọc for November 2026."
    not_closed = refusal(lambda: pay(hong, 1_000, month="2026-12", paid_on=date(2027, 1, 2)))
    assert not_closed.field == "month"
    assert "not closed yet" in english(not_closed)

    after = {m.member: m for m in month_service.month_figures(ctx, "2026-11", HANOI).members}
    assert (after[2].paid_dong, after[2].carried_forward_dong) == (105_611, 0)
    assert (after[1].paid_dong, after[1].carried_forward_dong) == (0, 64_834)
    december = {m.member: m for m in month_service.month_figures(ctx, "2026-12", HANOI).members}
    assert (december[1].brought_forward_dong, december[2].brought_forward_dong) == (64_834, 0)
    assert ctx.scalar(select(func.count(Payout.id))) == 2


def test_no_payout_against_a_month_once_the_next_is_closed_nor_when_due_is_not_positive(
    closed_november,
):
    ctx = closed_november
    hong, ngoc = who(ctx, 1), who(ctx, 2)
    counter.close_shift(ctx, ctx.info["december"], 100_000, at=local(12, 1, 1), by=hong)
    # December: B comes back in full; Ngọc owes her 84.000 back.
    counter.refund_line(
        ctx, counter.get_sale(ctx, 1), 1, amount_dong=120_000, quantity=1,
        method=PaymentMethod.TRANSFER, reason="trả lại", restock=True, by=hong,
        at=local(12, 5), shift=None, tz=HANOI,
    )  # fmt: skip
    close(ctx, "2026-12", local(1, 1, year=2027))

    late = refusal(
        lambda: month_service.record_payout(
            ctx, ngoc, "2026-11", 1_000, date(2027, 1, 2), PaymentMethod.CASH, hong
        )
    )
    assert (late.field, "can no longer be recorded" in english(late)) == ("month", True)
    december = {m.member: m for m in month_service.month_figures(ctx, "2026-12", HANOI).members}
    assert december[2].due_dong == 105_611 - 84_000  # her November balance, less the split
    owing = refusal(
        lambda: month_service.record_payout(
            ctx, ngoc, "2026-12", 21_612, date(2027, 1, 2), PaymentMethod.CASH, hong
        )
    )
    assert owing.field == "amount_dong"
    unknown = refusal(
        lambda: month_service.record_payout(
            ctx, ngoc, "2026-13", 1, date(2027, 1, 2), PaymentMethod.CASH, hong
        )
    )
    assert unknown.field == "month"


def test_a_member_whose_due_is_not_positive_is_paid_nothing(ctx):
    hong, ngoc = who(ctx, 1), who(ctx, 2)
    november(ctx)
    shift = counter.open_shift(ctx, hong, 0, at=local(12, 3), tz=HANOI)
    counter.refund_line(
        ctx, counter.get_sale(ctx, 1), 1, amount_dong=120_000, quantity=1,
        method=PaymentMethod.CASH, reason="trả lại", restock=True, by=hong,
        at=local(12, 3, 10), shift=shift, tz=HANOI,
    )  # fmt: skip
    counter.close_shift(ctx, shift, 0, at=local(12, 3, 11), by=hong)
    close(ctx, "2026-11", local(12, 4))
    # November: 71.050 to share, 7.105 kept; equal 31.972 over two, work 31.973 to Hồng.
    due = {m.member: m.due_dong for m in month_service.month_figures(ctx, "2026-11", HANOI).members}
    assert due == {1: 15_986 + 31_973, 2: 84_000 + 15_986}
    month_service.record_payout(
        ctx, ngoc, "2026-11", 99_986, date(2026, 12, 4), PaymentMethod.TRANSFER, hong
    )
    close(ctx, "2026-12", local(1, 1, year=2027))

    december = {m.member: m for m in month_service.month_figures(ctx, "2026-12", HANOI).members}
    assert (december[2].brought_forward_dong, december[2].due_dong) == (0, -84_000)
    owing = refusal(
        lambda: month_service.record_payout(
            ctx, ngoc, "2026-12", 1, date(2027, 1, 2), PaymentMethod.CASH, hong
        )
    )
    assert (owing.field, english(owing)) == (
        "amount_dong",
        "Nothing is due to Nguyễn Thị Ngọc for December 2026.",
    )


# ---------------------------------------------------------------- figures of open months


def test_an_open_month_carries_the_loss_through_open_months_before_it(ctx):
    hong = who(ctx, 1)
    expense_service.add_expense(
        ctx, expense_service.ExpenseDetails(date(2026, 11, 1), "rent", 3_000_000), by=hong
    )
    expense_service.add_expense(
        ctx, expense_service.ExpenseDetails(date(2026, 12, 1), "rent", 3_000_000), by=hong
    )
    january = month_service.month_figures(ctx, "2027-01", HANOI)
    assert january.brought_loss_dong == 6_000_000
    assert month_service.month_figures(ctx, "2026-10", HANOI).brought_loss_dong == 0

    close(ctx, "2026-11", local(12, 1))
    assert month_service.month_figures(ctx, "2027-01", HANOI).brought_loss_dong == 6_000_000
    assert month_service.month_data(ctx, "2026-12", HANOI)["closed"] is False


def test_months_are_written_yyyy_mm(ctx):
    for wrong in ("2026-13", "2026-1", "11/2026", "", None, "1999-12"):
        refused = refusal(lambda wrong=wrong: month_service.month_figures(ctx, wrong, HANOI))
        assert refused.field == "month"


# ---------------------------------------------------------------- expenses


def test_an_expense_is_corrected_and_removed_with_its_history_kept(ctx):
    hong, ngoc = who(ctx, 1), who(ctx, 2)
    bags, _ = expense_service.add_expense(
        ctx,
        expense_service.ExpenseDetails(date(2026, 11, 20), "supplies", 14_950, " túi  nilon "),
        by=hong,
    )
    assert (bags.note, bags.revision) == ("túi nilon", 1)
    expense_service.edit_expense(
        ctx,
        bags,
        expense_service.ExpenseDetails(date(2026, 11, 21), "supplies", 15_950, "túi nilon"),
        by=ngoc,
        at=local(11, 22),
    )
    expense_service.edit_expense(
        ctx,
        bags,
        expense_service.ExpenseDetails(date(2026, 11, 21), "other", 15_950, "túi nilon"),
        by=hong,
        at=local(11, 23),
    )
    same = refusal(
        lambda: expense_service.edit_expense(
            ctx,
            bags,
            expense_service.ExpenseDetails(date(2026, 11, 21), "other", 15_950, "túi nilon"),
            by=hong,
            at=local(11, 24),
        )
    )
    assert same.field == "expense"
    history = expense_service.revisions_of(ctx, bags)
    assert [
        (r.revision, r.spent_on, r.category.value, r.amount_dong, r.replaced_by.number)
        for r in history
    ] == [
        (1, date(2026, 11, 20), "supplies", 14_950, 2),
        (2, date(2026, 11, 21), "supplies", 15_950, 1),
    ]
    assert bags.revision == 3
    assert month_service.month_figures(ctx, "2026-11", HANOI).expenses_dong == 15_950

    expense_service.remove_expense(ctx, bags, by=ngoc, at=local(11, 25))
    assert (bags.removed_by.number, bags.removed) == (2, True)
    assert month_service.month_figures(ctx, "2026-11", HANOI).expenses_dong == 0
    assert expense_service.expenses_of(ctx, "2026-11") == []
    assert expense_service.expenses_of(ctx, "2026-11", removed=True) == [bags]
    assert refusal(lambda: expense_service.remove_expense(ctx, bags, by=hong, at=local(11, 26)))
    assert (
        refusal(
            lambda: expense_service.edit_expense(
                ctx,
                bags,
                expense_service.ExpenseDetails(date(2026, 11, 21), "other", 1, ""),
                by=hong,
                at=local(11, 26),
            )
        ).field
        == "expense"
    )


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ((date(2026, 11, 1), "rent", 0), "amount_dong"),
        ((date(2026, 11, 1), "rent", -5), "amount_dong"),
        ((date(2026, 11, 1), "rent", 10**12), "amount_dong"),
        ((date(2026, 11, 1), "bribes", 5), "category"),
        ((date(2026, 11, 1), "rent", 5, "x" * 301), "note"),
        (("2026-11-01", "rent", 5), "spent_on"),
    ],
)
def test_an_expense_that_makes_no_sense_is_refused_at_its_field(ctx, details, field):
    refused = refusal(
        lambda: expense_service.add_expense(
            ctx, expense_service.ExpenseDetails(*details), by=who(ctx, 1)
        )
    )
    assert refused.field == field


def test_a_bales_cost_is_an_expense_of_its_month(ctx):
    hong = who(ctx, 1)
    stock.receive_intake(
        ctx,
        stock.IntakeDetails(IntakeKind.PURCHASE, local(11, 5), supplier="Chợ", cost_dong=500_000),
        by=hong,
        tz=HANOI,
    )
    assert month_service.month_figures(ctx, "2026-11", HANOI).expenses_dong == 500_000
    bale = ctx.scalar(select(Expense))
    assert (bale.category, bale.intake.supplier) == (ExpenseCategory.STOCK_PURCHASE, "Chợ")


# ---------------------------------------------------------------- the command line


def test_month_close_on_the_command_line(app, runner, coordinator, member, clock):
    from datetime import UTC

    with app.app_context(), app.test_request_context():
        stock_up(db.session)
        november(db.session)
        db.session.commit()
    clock.set(datetime(2026, 11, 30, 12, tzinfo=UTC))
    early = runner.invoke(args=["month", "close", "2026-11"])
    assert early.exit_code == 1
    assert early.output.startswith("Error: month: ")

    clock.set(datetime(2026, 12, 1, 3, tzinfo=UTC))
    not_coordinator = runner.invoke(args=["month", "close", "2026-11", "--by", "2"])
    assert not_coordinator.exit_code == 1 and "not a coordinator" in not_coordinator.output
    result = runner.invoke(args=["month", "close", "2026-11"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2026-11 closed by member 1: result 71,050 đồng")
    with app.app_context():
        closed = db.session.scalar(select(ClosedMonth))
        assert (closed.month, closed.closed_by.number) == ("2026-11", 1)
    again = runner.invoke(args=["month", "close", "2026-11"])
    assert again.exit_code == 1
    wrong = runner.invoke(args=["month", "show", "november", "--json"])
    assert wrong.exit_code == 1 and "month" in wrong.output


def test_the_coordinator_who_closes_can_be_named(app, runner, make_member, clock):
    from datetime import UTC

    make_member(name="Nguyễn Thị Hồng", phone="0912000001", role=Role.COORDINATOR)
    make_member(name="Trần Thị Lan", phone="0912000004", role=Role.COORDINATOR, pin=DEMO_PIN)
    with app.app_context(), app.test_request_context():
        hong = who(db.session, 1)
        expense_service.add_expense(
            db.session, expense_service.ExpenseDetails(date(2026, 11, 1), "rent", 1), by=hong
        )
        db.session.commit()
    clock.set(datetime(2026, 12, 1, 3, tzinfo=UTC))

    result = runner.invoke(args=["month", "close", "2026-11", "--by", "2"])

    assert result.exit_code == 0, result.output
    assert "closed by member 2" in result.output


# ---------------------------------------------------------------- a second opinion


def test_empty_months_carry_everything_on(ctx):
    hong = who(ctx, 1)
    for day in (date(2026, 11, 1), date(2027, 4, 1)):
        expense_service.add_expense(
            ctx, expense_service.ExpenseDetails(day, "rent", 1_000_000), by=hong
        )
    assert month_service.month_figures(ctx, "2027-03", HANOI).brought_loss_dong == 1_000_000
    assert month_service.month_figures(ctx, "2027-05", HANOI).brought_loss_dong == 2_000_000
    assert month_service.month_figures(ctx, "2100-12", HANOI).brought_loss_dong == 2_000_000


MONTHS = ("2026-11", "2026-12", "2027-01")
items_st = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=300).map(lambda k: k * 1000),  # price
        st.sampled_from([None, 2, 3]),  # owner
        st.integers(min_value=0, max_value=10_000),  # her rate
        st.booleans(),  # a lot of 10, sold 3 at a time (and refunded a piece at a time)
    ),
    min_size=1,
    max_size=5,
)
events_st = st.lists(
    st.tuples(
        st.sampled_from(["sale", "void", "refund", "expense", "lost"]),
        st.integers(min_value=0, max_value=2),  # month
        st.integers(min_value=0, max_value=50),  # which
        st.integers(min_value=1, max_value=100),  # how much (percent, or thousands)
    ),
    max_size=14,
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(goods=items_st, events=events_st, minutes=st.lists(st.integers(0, 600), min_size=3))
def test_the_months_agree_with_the_domains_own_history(app, make_member, goods, events, minutes):
    """Random months made through the counter: the aggregate queries give what
    :func:`shop.domain.sharing.share_history` works out from the same history in Python."""
    from datetime import timedelta

    from shop.domain import sharing

    with app.app_context(), app.test_request_context():
        session = db.session
        wipe(session)
        details = [("Hồng", "0912000001", Role.COORDINATOR), ("Ngọc", "0912000002", Role.MEMBER),
                   ("Út", "0912000003", Role.MEMBER)]  # fmt: skip
        for number, (name, phone, role) in enumerate(details, start=1):
            member_service.create_member(
                session,
                member_service.MemberDetails(name, phone, role, date(2026, 10, 1)),
                None,
                country_code="84",
                number=number,
            )
        hong = who(session, 1)
        codes = []
        for index, (price, owner, rate, is_lot) in enumerate(goods):
            kind = IntakeKind.CONSIGNMENT if owner else IntakeKind.DONATION
            intake = stock.receive_intake(
                session,
                stock.IntakeDetails(kind, local(11, 1), owner_number=owner),
                by=hong,
                tz=HANOI,
            )
            code, rate = f"X{index}", rate if owner else None
            if is_lot:
                stock.add_lot(session, intake, stock.LotDetails("Tất", price, 10, code=code,
                                                                consignor_bp=rate))  # fmt: skip
            else:
                stock.add_item(session, intake, stock.ItemDetails("Áo", price, code=code,
                                                                  consignor_bp=rate))  # fmt: skip
            codes.append(code)

        lines, refunds, expenses, work, compensations = [], [], {}, {}, {}
        sales = []  # (sale, line index in `lines`, voided)
        for month_index, name in enumerate(MONTHS):
            year, month = int(name[:4]), int(name[5:])
            opened = datetime(year, month, 5, 9, tzinfo=HANOI)
            cashier = who(session, 1 + month_index % 3)
            shift = counter.open_shift(session, cashier, 0, at=opened, tz=HANOI)
            moment = opened
            last = None  # the moment of the shift's latest sale or refund
            for kind, when, which, much in events:
                if when != month_index:
                    continue
                moment += timedelta(minutes=1)
                if kind == "sale":
                    item = stock.get_item(session, codes[which % len(codes)])
                    pieces = 3 if item.is_lot else 1
                    if not item.in_stock or (item.quantity_on_hand or 1) < pieces:
                        continue
                    request = counter.SaleRequest(lines=(counter.LineRequest(item.code, pieces),))
                    sale, _new = counter.record_sale(
                        session, request, cashier=cashier, at=moment, tz=HANOI, shift=shift
                    )
                    line = sale.lines[0]
                    owner = line.owner.number if line.owner else None
                    lines.append(
                        sharing.SoldLine(name, line.net_dong, owner, line.consignor_bp or 0)
                    )
                    sales.append([sale, len(lines) - 1, False])
                    last = moment
                elif kind == "void" and sales:
                    entry = sales[which % len(sales)]
                    sale = entry[0]
                    if (
                        entry[2]
                        or sale.shift_id != shift.id
                        or counter.refunded_so_far(session, sale.lines[0])[0]
                    ):
                        continue
                    counter.void_sale(session, sale, by=cashier, at=moment, reason="x", tz=HANOI)
                    entry[2] = True
                elif kind == "refund" and sales:
                    sale, index, voided = sales[which % len(sales)]
                    if voided:
                        continue
                    done, pieces = counter.refunded_so_far(session, sale.lines[0])
                    left = sale.lines[0].net_dong - done
                    amount = max(1, left * much // 100)
                    if left <= 0 or amount > left or pieces >= sale.lines[0].quantity:
                        continue
                    counter.refund_line(
                        session, sale, 0, amount_dong=amount, quantity=1,
                        method=PaymentMethod.TRANSFER, reason="x", restock=False, by=cashier,
                        at=moment, shift=shift, tz=HANOI,
                    )  # fmt: skip
                    refunds.append(sharing.RefundEvent(name, index, amount))
                    last = moment
                elif kind == "expense":
                    expense_service.add_expense(
                        session,
                        expense_service.ExpenseDetails(
                            date(year, month, 1 + which % 28), "other", much * 1000
                        ),
                        by=hong,
                    )
                    expenses[name] = expenses.get(name, 0) + much * 1000
                elif kind == "lost":  # a member's item not found at a stock count
                    item = stock.get_item(session, codes[which % len(codes)])
                    if not item.in_stock or item.is_lot or item.owner_id is None:
                        continue
                    owner = item.owner.number
                    (paid,) = [d for d in lose(session, item.code, moment) if d.code == item.code]
                    key = (name, owner)
                    compensations[key] = compensations.get(key, 0) + paid.compensation_dong
            worked = minutes[month_index]
            closing = opened + timedelta(minutes=worked, seconds=59)
            counter.close_shift(session, shift, 0, at=closing, by=cashier)
            # A shift closes at its last sale or refund when that came later than the close.
            if last is not None and last > closing:
                worked = (last - opened) // timedelta(minutes=1)
            work[(name, cashier.number)] = worked
        voided_lines = {index for _sale, index, voided in sales if voided}
        kept = [line for index, line in enumerate(lines) if index not in voided_lines]
        renumber = {old: new for new, old in enumerate(
            i for i in range(len(lines)) if i not in voided_lines
        )}  # fmt: skip
        history = sharing.History(
            months=MONTHS,
            members=tuple(sharing.Member(n, date(2026, 10, 1)) for n in (1, 2, 3)),
            lines=tuple(kept),
            refunds=tuple(
                sharing.RefundEvent(r.month, renumber[r.line_index], r.amount_dong) for r in refunds
            ),
            expenses=expenses,
            work_minutes=work,
            compensations={key: amount for key, amount in compensations.items() if amount},
        )
        expected = sharing.share_history(history)
        for name in MONTHS:
            got = month_service.month_figures(session, name, HANOI)
            assert got.as_dict() == expected[name].as_dict(), name
            net, back = month_service.net_sales_and_refunds(session, name, HANOI)
            assert month_check_holds(got, net, back), name
            assert sharing.payout_check_holds(got, net, back), name
        session.rollback()


# ---------------------------------------------------------------- a consigned item lost


def lose(session, code, at):
    """A stock count opened, scanned and closed at ``at``: every item on the rail is
    scanned but ``code``, which is the one difference, decided lost (paid to its owner)."""
    from shop.domain.count import DecisionKind
    from shop.services import counts

    hong = who(session, 1)
    count = counts.open_count(session, by=hong, at=at)
    for n, item in enumerate(_on_rail(session)):
        if item.code != code:
            counts.record_scan(
                session, count, code=item.code, client_id=f"c{count.number}-{n}", by=hong,
                scanned_at=at, received_at=at,
                pieces=item.quantity_on_hand if item.is_lot else None,
            )  # fmt: skip
    lines = counts.result(session, count, at=at, tz=HANOI)
    assert [line.code for line in lines] == [code]
    decided = {code: counts.Decided(DecisionKind.LOST)}
    written = counts.close_count(
        session,
        count,
        decided,
        by=hong,
        at=at,
        tz=HANOI,
        lost_reason=not_found_at_count(count.number),
    )
    # The close changes items with UPDATEs of its own: read them again from here on.
    session.expire_all()
    return written


def _on_rail(session):
    from shop.models import Item, ItemStatus

    return session.scalars(
        select(Item).where(Item.status == ItemStatus.IN_STOCK).order_by(Item.id)
    ).all()


def test_a_lost_consigned_item_is_paid_to_her_and_borne_by_the_pool(ctx):
    """November as above (A and B sold, bags 14.950), and Ngọc's C (35.000) not found at
    the count of 20 November: the group pays her 70 % of it, 24.500."""
    from shop.domain.sharing import payout_check_holds
    from shop.services import statements

    november(ctx)
    before = month_service.month_figures(ctx, "2026-11", HANOI)
    decisions = lose(ctx, "C", local(11, 20, 12))
    assert [(d.code, d.compensation_dong) for d in decisions if d.code == "C"] == [("C", 24_500)]

    live = month_service.month_figures(ctx, "2026-11", HANOI)
    # The pool bears it: the expenses grow by it and the result shrinks by it.
    assert live.expenses_dong == before.expenses_dong + 24_500 == 14_950 + 24_500
    assert live.result_dong == before.result_dong - 24_500 == 86_000 - 39_450
    assert live.compensation_total_dong == 24_500
    hong, ngoc = live.members
    assert (hong.compensation_dong, ngoc.compensation_dong) == (0, 24_500)
    assert ngoc.consignment_dong == 84_000  # B's split, as before
    assert ngoc.earned_dong == 84_000 + 24_500 + ngoc.equal_share_dong + ngoc.work_share_dong
    assert ngoc.due_dong == ngoc.earned_dong
    # Her share of the smaller result is smaller, her own money whole.
    assert ngoc.equal_share_dong < before.members[1].equal_share_dong
    net, refunds = month_service.net_sales_and_refunds(ctx, "2026-11", HANOI)
    assert (net, refunds) == (170_000, 0)
    assert month_check_holds(live, net, refunds) and payout_check_holds(live, net, refunds)
    # The month's data carries it beside her consignment.
    data = month_service.month_data(ctx, "2026-11", HANOI)
    assert data["members"][1]["compensation_dong"] == 24_500
    assert data["members"][0]["compensation_dong"] == 0

    closed = close(ctx, "2026-11", local(12, 1))
    assert [(m.member_number, m.compensation_dong) for m in closed.members] == [(1, 0), (2, 24_500)]
    assert month_service.month_figures(ctx, "2026-11", HANOI) == live
    # Her statement lists the lost item with its reason; the details add up.
    her = statements.statement(ctx, who(ctx, 2), "2026-11", HANOI)
    assert [(c.code, c.amount_dong, c.paid_on) for c in her.compensations] == [
        ("C", 24_500, date(2026, 11, 20))
    ]
    with force_locale("vi"):
        assert str(in_words(her.compensations[0].reason)) == "Mất khi kiểm kê đợt 1"
    assert her.compensation_dong == her.mine.compensation_dong == 24_500
    # December brings her whole due forward: nothing paid yet.
    assert month_service.month_figures(ctx, "2026-12", HANOI).members[1].brought_forward_dong == (
        ngoc.due_dong
    )


def test_a_compensation_lists_a_member_who_has_left(ctx):
    """Ngọc left on 31 October, her consigned C still on the rail: lost in November, she is
    in November's figures for it alone (no equal share), and the month closes with it."""
    ngoc = who(ctx, 2)
    ngoc.left_on = date(2026, 10, 31)
    ctx.flush()
    lose(ctx, "C", local(11, 20, 12))
    figures = month_service.month_figures(ctx, "2026-11", HANOI)
    assert [(m.member, m.compensation_dong, m.equal_share_dong) for m in figures.members] == [
        (1, 0, 0),
        (2, 24_500, 0),
    ]
    assert figures.members[1].earned_dong == 24_500
    closed = close(ctx, "2026-11", local(12, 1))
    assert [m.compensation_dong for m in closed.members] == [0, 24_500]


def test_the_close_preview_warns_of_an_open_stock_count(ctx):
    from shop.services import counts

    november(ctx)
    assert month_service.preview_close(ctx, "2026-11", at=local(12, 1), tz=HANOI).open_count is None
    count = counts.open_count(ctx, by=who(ctx, 1), at=local(11, 30, 20))
    preview = month_service.preview_close(ctx, "2026-11", at=local(12, 1), tz=HANOI)
    assert preview.open_count is count and preview.refusal is None  # a warning, not a refusal
    close(ctx, "2026-11", local(12, 1))


def test_a_compensation_is_not_corrected_removed_or_entered_by_hand(ctx):
    lose(ctx, "C", local(11, 20, 12))
    paid = ctx.scalar(select(Expense).where(Expense.category == ExpenseCategory.COMPENSATION))
    hong = who(ctx, 1)
    for attempt in (
        lambda: expense_service.edit_expense(
            ctx, paid, expense_service.ExpenseDetails(date(2026, 11, 20), "other", 1_000),
            by=hong, at=local(11, 21),
        ),
        lambda: expense_service.remove_expense(ctx, paid, by=hong, at=local(11, 21)),
    ):  # fmt: skip
        refused = refusal(attempt)
        assert refused.field == "expense"
        assert english(refused) == (
            "This is what a stock count's close paid for a lost item: it cannot be corrected "
            "or removed by hand."
        )
    refused = refusal(
        lambda: expense_service.add_expense(
            ctx, expense_service.ExpenseDetails(date(2026, 11, 20), "compensation", 1_000),
            by=hong,
        )
    )  # fmt: skip
    assert refused.field == "category"
    ctx.refresh(paid)
    assert (paid.amount_dong, paid.removed, paid.revision) == (24_500, False, 1)
