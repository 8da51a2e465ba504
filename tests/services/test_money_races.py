"""Money rules raced as real counters race them: one session per counter, released at a
barrier, many rounds, on SQLite and PostgreSQL.

Each rule reads something and writes on what it read (what a line has had back, whether a
sale is voided, what a member was paid, what a drawer took); on PostgreSQL two
transactions read the same thing at once unless the rule locks it. These tests fail when a
lock is missing: a refund above what was paid, a sale voided and refunded, a payout paid in
one month and brought into the next too, a shift closed without the sales that went into
it, a 500 instead of "already voided".
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    ClosedMonth,
    ClosedMonthMember,
    IntakeKind,
    PaymentMethod,
    Payout,
    Refund,
    Sale,
    SaleLine,
    Shift,
    Void,
)
from shop.services import counter as svc
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import stock
from shop.services.errors import InvalidInput

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ROUNDS = 6


def race(app, *attempts) -> list:
    """Run each ``attempt(session)`` in a thread of its own with its own session (its own
    connection), all released together; each is committed or rolled back. Returns each
    one's outcome: what it returned, or the InvalidInput it raised, or any other error."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list = [None] * len(attempts)

    def run(index, attempt):
        with app.app_context(), app.test_request_context():
            session = db.session
            try:
                barrier.wait(10)
                outcomes[index] = attempt(session)
                session.commit()
            except Exception as error:  # noqa: BLE001 - every failure is an outcome to check
                session.rollback()
                outcomes[index] = error

    threads = [
        threading.Thread(target=run, args=(index, attempt))
        for index, attempt in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def unexpected(outcomes) -> list:
    """Errors that are not a refusal (a 500 at the counter)."""
    return [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, InvalidInput)]


def who(session, number):
    return member_service.get_member(session, number)


@pytest.fixture
def shop(app, coordinator, member):
    """Hồng (1) and Ngọc (2), each with her shift open; ROUNDS dresses and ROUNDS lots of 5."""
    at = datetime(2026, 11, 1, 2, tzinfo=UTC)
    with app.app_context(), app.test_request_context():
        session = db.session
        hong = who(session, 1)
        intake = stock.receive_intake(
            session, stock.IntakeDetails(IntakeKind.DONATION, at), by=hong, tz=HANOI
        )
        for n in range(ROUNDS):
            stock.add_item(session, intake, stock.ItemDetails("Váy", 50_000, code=f"DRESS{n}"))
            stock.add_lot(session, intake, stock.LotDetails("Tất", 10_000, 5, code=f"LOT{n}"))
        svc.open_shift(session, hong, 500_000, at=at, tz=HANOI)
        svc.open_shift(session, who(session, 2), 500_000, at=at, tz=HANOI)
        session.commit()
    return app


AT = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)


def sell_now(app, *lines, cashier=1) -> int:
    with app.app_context(), app.test_request_context():
        sale, _ = svc.record_sale(
            db.session,
            svc.SaleRequest(tuple(lines)),
            cashier=who(db.session, cashier),
            at=AT,
            tz=HANOI,
        )
        db.session.commit()
        return sale.number


def refund(number, *, amount, quantity, by=1, method=PaymentMethod.CASH, position=0):
    def attempt(session):
        member = who(session, by)
        return svc.refund_line(
            session,
            svc.get_sale(session, number),
            position,
            amount_dong=amount,
            quantity=quantity,
            method=method,
            reason="khách trả",
            restock=True,
            by=member,
            at=AT + timedelta(minutes=5),
            shift=svc.current_shift(session, member),
            tz=HANOI,
        )[0]

    return attempt


def void(number, *, by=1):
    def attempt(session):
        return svc.void_sale(
            session,
            svc.get_sale(session, number),
            by=who(session, by),
            at=AT + timedelta(minutes=5),
            reason="bấm nhầm",
            tz=HANOI,
        )[0]

    return attempt


def test_refunds_of_one_line_at_once_never_give_back_more_than_was_paid(shop):
    for n in range(ROUNDS):
        dress = sell_now(shop, svc.LineRequest(f"DRESS{n}"))
        lot = sell_now(shop, svc.LineRequest(f"LOT{n}", quantity=5))
        outcomes = race(
            shop,
            *[refund(dress, amount=50_000, quantity=1, by=1 + k % 2) for k in range(3)],
            *[refund(lot, amount=20_000, quantity=2, by=1 + k % 2) for k in range(4)],
        )
        assert unexpected(outcomes) == []
        with shop.app_context():
            for number, paid, pieces in ((dress, 50_000, 1), (lot, 50_000, 5)):
                amount, quantity = db.session.execute(
                    select(func.sum(Refund.amount_dong), func.sum(Refund.quantity))
                    .join(SaleLine, Refund.sale_line_id == SaleLine.id)
                    .join(Sale, SaleLine.sale_id == Sale.id)
                    .where(Sale.number == number)
                ).one()
                assert amount <= paid and quantity <= pieces, (n, number, amount, quantity)
            # The dress back once; the lot of 5: two refunds of 2 pieces at most.
            assert [isinstance(o, Refund) for o in outcomes].count(True) == 1 + 2


def test_a_void_racing_a_refund_of_the_same_sale_lets_only_one_through(shop):
    for n in range(ROUNDS):
        number = sell_now(shop, svc.LineRequest(f"LOT{n}", quantity=3))
        outcomes = race(shop, void(number, by=1), refund(number, amount=10_000, quantity=1, by=2))
        assert unexpected(outcomes) == []
        assert [isinstance(o, InvalidInput) for o in outcomes].count(True) == 1, outcomes
        with shop.app_context():
            sale = svc.get_sale(db.session, number)
            refunds = db.session.scalar(
                select(func.count(Refund.id))
                .join(SaleLine, Refund.sale_line_id == SaleLine.id)
                .where(SaleLine.sale_id == sale.id)
            )
            assert (sale.void is not None) != (refunds == 1), n
            # The lot had 5; 3 sold; the void puts 3 back, a refund 1: never both.
            on_hand = stock.get_item(db.session, f"LOT{n}").quantity_on_hand
            assert on_hand == (5 if sale.void is not None else 3), (n, on_hand)


def test_one_sale_voided_from_several_counters_at_once_is_voided_once(shop):
    for n in range(ROUNDS):
        number = sell_now(shop, svc.LineRequest(f"DRESS{n}"))
        outcomes = race(shop, *[void(number, by=1) for _ in range(5)])  # five devices
        assert unexpected(outcomes) == [], outcomes
        assert [isinstance(o, Void) for o in outcomes].count(True) == 1
        assert all("already voided" in str(o.message) or "đã được hủy" in str(o.message)
                   for o in outcomes if isinstance(o, InvalidInput)), outcomes  # fmt: skip


def test_a_shift_closed_while_sales_and_refunds_go_into_it_keeps_every_one(shop):
    for n in range(ROUNDS):
        with shop.app_context(), shop.test_request_context():
            ngoc = who(db.session, 2)
            shift = svc.current_shift(db.session, ngoc) or svc.open_shift(
                db.session, ngoc, 100_000, at=AT, tz=HANOI
            )
            db.session.commit()
            shift_id = shift.id
        earlier = sell_now(shop, svc.LineRequest(f"LOT{n}", quantity=2), cashier=2)

        def sale(code):
            def attempt(session):
                return svc.record_sale(
                    session,
                    svc.SaleRequest((svc.LineRequest(code),)),
                    cashier=who(session, 2),
                    at=datetime.now(UTC),
                    tz=HANOI,
                )[0]

            return attempt

        def close(session, shift_id=shift_id):
            shift = session.get(Shift, shift_id)
            return svc.close_shift(
                session, shift, 100_000, at=datetime.now(UTC) - timedelta(seconds=1),
                by=who(session, 2),
            )  # fmt: skip

        outcomes = race(
            shop,
            sale(f"DRESS{n}"),
            sale(f"LOT{n}"),
            refund(earlier, amount=10_000, quantity=1, by=2),
            close,
        )
        assert unexpected(outcomes) == [], outcomes
        with shop.app_context():
            shift = db.session.get(Shift, shift_id)
            assert shift.closed_at is not None
            count = svc.cash_count(db.session, shift)
            # What the close kept is what the drawer took, every sale and refund included.
            assert shift.expected_cash_dong == count.expected_dong, (n, outcomes)
            late = db.session.scalar(
                select(func.count(Sale.id)).where(
                    Sale.shift_id == shift_id, Sale.at > shift.closed_at
                )
            )
            assert late == 0, n


def test_two_counters_selling_the_same_items_in_opposite_orders_sell_each_once(shop):
    """Each counter takes its cart's items in the order it was scanned: the two carts hold
    two dresses and a lot in opposite orders. One sale takes them all and the other is
    refused as sold (never a 500 such as a deadlock between the two)."""
    with shop.app_context(), shop.test_request_context():
        intake = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, AT - timedelta(days=1)),
            by=who(db.session, 1), tz=HANOI,
        )  # fmt: skip
        for n in range(ROUNDS):
            for side in "AB":
                details = stock.ItemDetails("Áo", 30_000, code=f"PAIR{n}{side}")
                stock.add_item(db.session, intake, details)
        db.session.commit()

    def sale(codes, cashier):
        def attempt(session):
            lines = tuple(
                svc.LineRequest(code, quantity=4 if code.startswith("LOT") else 1) for code in codes
            )
            return svc.record_sale(
                session, svc.SaleRequest(lines), cashier=who(session, cashier), at=AT, tz=HANOI
            )[0]

        return attempt

    for n in range(ROUNDS):
        cart = [f"PAIR{n}A", f"LOT{n}", f"PAIR{n}B"]
        outcomes = race(shop, sale(cart, 1), sale(cart[::-1], 2))
        assert unexpected(outcomes) == [], outcomes
        assert [isinstance(o, Sale) for o in outcomes].count(True) == 1, outcomes
        with shop.app_context():
            for side in "AB":
                assert stock.get_item(db.session, f"PAIR{n}{side}").times_sold == 1, (n, side)
            assert stock.get_item(db.session, f"LOT{n}").quantity_on_hand == 1, n


@pytest.fixture
def november_closed(app, coordinator, member):
    """November sold and closed; Ngọc is owed her split of dress B (84.000), unpaid."""
    from tests.services.test_month import close, november, stock_up

    with app.app_context(), app.test_request_context():
        stock_up(db.session)
        november(db.session)
        close(db.session, "2026-11", datetime(2026, 12, 1, 0, 1, tzinfo=HANOI))
        db.session.commit()
    return app


def test_a_payout_racing_the_next_months_close_is_paid_once(november_closed):
    app = november_closed
    month = "2026-11"
    for n in range(ROUNDS):
        following = month_service.next_month(month)
        start, end = month_service.month_moments(following, HANOI)
        paid_on = start.date() + timedelta(days=2)

        def pay(session, month=month, paid_on=paid_on):
            return month_service.record_payout(
                session, who(session, 2), month, 1_000, paid_on, PaymentMethod.CASH,
                who(session, 1), "",
            )[0]  # fmt: skip

        def close(session, following=following, end=end):
            return month_service.close_month(
                session, following, by=who(session, 1), at=end + timedelta(hours=1), tz=HANOI
            )

        outcomes = race(app, pay, pay, close)
        assert unexpected(outcomes) == [], outcomes
        assert isinstance(outcomes[2], ClosedMonth), outcomes
        with app.app_context():
            rows = {
                row.closed_month.month: row
                for row in db.session.scalars(
                    select(ClosedMonthMember)
                    .join(ClosedMonth)
                    .where(ClosedMonth.month.in_([month, following]))
                    .where(ClosedMonthMember.member_number == 2)
                )
            }
            paid = db.session.scalar(
                select(func.coalesce(func.sum(Payout.amount_dong), 0))
                .join(ClosedMonth, ClosedMonth.id == Payout.closed_month_id)
                .where(ClosedMonth.month == month, Payout.member_id == rows[month].member_id)
            )
            # What the next month brought in is what was left after every payout recorded.
            assert rows[following].brought_forward_dong == rows[month].due_dong - paid, (
                n,
                outcomes,
            )
        month = following


def run_of(*events):
    """A journal's run of ``events(session)`` (``enter_past_run``): what it took."""

    def attempt(session):
        return svc.enter_past_run(session, [event(session) for event in events], tz=HANOI)

    return attempt


def past_void(number, *, by=1):
    return lambda session: svc.PastVoid(number, who(session, by), AT + timedelta(minutes=5), "x")


def past_refund(number, code, *, amount, quantity, by=1):
    return lambda session: svc.PastRefund(
        number, code, amount, quantity, PaymentMethod.CASH, "khách trả", True,
        who(session, by), AT + timedelta(minutes=5),
    )  # fmt: skip


def test_a_runs_void_racing_a_counters_refund_of_the_same_sale_lets_only_one_through(shop):
    for n in range(ROUNDS):
        number = sell_now(shop, svc.LineRequest(f"LOT{n}", quantity=3))
        outcomes = race(shop, run_of(past_void(number)), refund(number, amount=10_000, quantity=1))
        assert unexpected(outcomes) == [], outcomes
        voided, refunded = outcomes[0] != [], isinstance(outcomes[1], Refund)
        assert voided != refunded, (n, outcomes)
        with shop.app_context():
            on_hand = stock.get_item(db.session, f"LOT{n}").quantity_on_hand
            assert on_hand == (5 if voided else 3), (n, on_hand)


def test_refunds_of_one_line_from_runs_and_counters_never_give_back_more_than_was_paid(shop):
    for n in range(ROUNDS):
        lot = sell_now(shop, svc.LineRequest(f"LOT{n}", quantity=5))
        outcomes = race(
            shop,
            *[run_of(past_refund(lot, f"LOT{n}", amount=20_000, quantity=2, by=1 + k % 2))
              for k in range(2)],
            *[refund(lot, amount=20_000, quantity=2, by=1 + k % 2) for k in range(2)],
        )  # fmt: skip
        assert unexpected(outcomes) == [], outcomes
        through = [o != [] for o in outcomes[:2]] + [isinstance(o, Refund) for o in outcomes[2:]]
        assert through.count(True) == 2, (n, outcomes)  # 5 pieces: two refunds of 2
        with shop.app_context():
            amount, quantity = db.session.execute(
                select(func.sum(Refund.amount_dong), func.sum(Refund.quantity))
                .join(SaleLine, Refund.sale_line_id == SaleLine.id)
                .join(Sale, SaleLine.sale_id == Sale.id)
                .where(Sale.number == lot)
            ).one()
            assert (amount, quantity) == (40_000, 4), n
