from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from shop.domain.sale import owner_split
from shop.extensions import db
from shop.models import PaymentMethod
from shop.services import counter as svc
from shop.services import members as member_service
from shop.services import reports
from tests import factories
from tests.factories import consigned, donated

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi on 3 November
NIGHT_BEFORE = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 22:00 in Hanoi on 2 November


@pytest.fixture
def ctx(app, coordinator, member):
    """Hồng (1) and Ngọc (2); donated A, D, E, F, G and a lot of socks; Ngọc's B and C."""
    with app.app_context(), app.test_request_context():
        session = db.session
        received = datetime(2026, 11, 1, 2, tzinfo=UTC)
        donated(
            session, received, A=("Áo", 50_000), D=("Quần", 25_000),
            SOCKS=("Phụ kiện", 10_000, 5), E=("Áo", 40_000), F=("Quần", 30_000),
            G=("Váy", 60_000),
        )  # fmt: skip
        consigned(session, received, 2, B=("Váy", 120_000), C=("Áo", 35_000))
        session.commit()
        yield session


def hong(session):
    return member_service.get_member(session, 1)


def ngoc(session):
    return member_service.get_member(session, 2)


def sell(session, *lines, cashier=None, at=AT, **kw):
    return factories.sell(session, *lines, cashier=cashier or 1, at=at, **kw)


def refund(session, sale, position, amount, method, *, by, shift, at=AT):
    return svc.refund_line(
        session,
        sale,
        position,
        amount_dong=amount,
        quantity=1,
        method=method,
        reason="khách trả lại",
        restock=False,
        by=by,
        at=at,
        shift=shift,
        tz=HANOI,
    )[0]


def morning_shift(session):
    """Hồng's shift of 3 November, float 200.000 (the figures in the comments are đồng).

    1. A 50.000 + B (Ngọc's, 70%) 120.000 − 10.000 line discount = 160.000, cash.
    2. C (Ngọc's) 35.000 + D 25.000 − 6.000 whole-sale discount (3.500 / 2.500) = 54.000:
       30.000 by transfer, confirmed, 24.000 cash.
    3. 3 socks 30.000 − 2.000 line discount = 28.000 by transfer, still awaited.
    4. E 40.000 cash, voided.
    Refunds: 15.000 cash on A, 22.500 (all of D) by transfer.
    """
    shift = svc.open_shift(session, hong(session), 200_000, at=AT, tz=HANOI)
    one = sell(
        session,
        svc.LineRequest("A"),
        svc.LineRequest("B", discount_dong=10_000, discount_reason="vết bẩn"),
        tendered_dong=200_000,
    )
    two = sell(
        session,
        svc.LineRequest("C"),
        svc.LineRequest("D"),
        discount_dong=6_000,
        discount_reason="khách quen",
        transfer_dong=30_000,
        tendered_dong=50_000,
    )
    svc.confirm_transfer(session, two, at=AT + timedelta(minutes=5))
    three = sell(
        session,
        svc.LineRequest("SOCKS", quantity=3, discount_dong=2_000, discount_reason="mua nhiều"),
        transfer_dong=28_000,
    )
    four = sell(session, svc.LineRequest("E"))
    svc.void_sale(session, four, by=hong(session), at=AT, reason="nhầm món", tz=HANOI)
    refund(session, one, 0, 15_000, PaymentMethod.CASH, by=hong(session), shift=shift)
    refund(session, two, 1, 22_500, PaymentMethod.TRANSFER, by=hong(session), shift=shift)
    session.flush()
    return shift, (one, two, three, four)


def night_shift(session):
    """Hồng's shift from 22:00 on 2 November, float 50.000: G 60.000 at 23:30 and one sock
    10.000 at 00:10 on 3 November, both cash; closed at 00:30 with 120.000 counted."""
    shift = svc.open_shift(session, hong(session), 50_000, at=NIGHT_BEFORE, tz=HANOI)
    late = sell(session, svc.LineRequest("G"), at=datetime(2026, 11, 2, 16, 30, tzinfo=UTC))
    after_midnight = sell(
        session, svc.LineRequest("SOCKS"), at=datetime(2026, 11, 2, 17, 10, tzinfo=UTC)
    )
    svc.close_shift(
        session, shift, 120_000, at=datetime(2026, 11, 2, 17, 30, tzinfo=UTC), by=hong(session)
    )
    return shift, (late, after_midnight)


def afternoon_shift(session, one):
    """Ngọc's shift from 14:00 on 3 November, float 100.000: F 30.000 cash (50.000 handed
    over), a 10.000 cash refund on B of sale 1. Left open."""
    at = AT + timedelta(hours=4)
    shift = svc.open_shift(session, ngoc(session), 100_000, at=at, tz=HANOI)
    sell(
        session,
        svc.LineRequest("F"),
        cashier=ngoc(session),
        at=at + timedelta(hours=1),
        tendered_dong=50_000,
    )
    refund(
        session,
        one,
        1,
        10_000,
        PaymentMethod.CASH,
        by=ngoc(session),
        shift=shift,
        at=at + timedelta(hours=2),
    )
    return shift


def assert_adds_up(report: reports.ZReport) -> None:
    assert (
        report.gross_dong - report.line_discounts_dong - report.sale_discounts_dong
        == report.net_dong
    )
    assert report.cash_dong + report.transfer_dong + report.awaiting_transfer_dong == (
        report.net_dong
    )
    assert sum(row.net_dong for row in report.categories) == report.net_dong


def test_a_shift_report_with_every_kind_of_sale(ctx):
    shift, (one, two, three, _four) = morning_shift(ctx)
    report = reports.shift_report(ctx, shift, tz=HANOI)
    assert_adds_up(report)
    assert (report.kind, report.day, report.member.number) == ("shift", date(2026, 11, 3), 1)
    assert (report.opened_at, report.closed_at) == (AT, None)
    assert (report.sales_count, report.awaiting_transfer_count) == (2, 1)
    assert report.awaiting_transfer_dong == 28_000
    assert (report.voids_count, report.voids_total_dong) == (1, 40_000)
    assert report.gross_dong == 50_000 + 120_000 + 35_000 + 25_000 + 30_000
    assert (report.line_discounts_dong, report.sale_discounts_dong) == (12_000, 6_000)
    assert report.net_dong == 160_000 + 54_000 + 28_000 == 242_000
    assert (report.cash_dong, report.transfer_dong) == (160_000 + 24_000, 30_000)
    assert report.categories == (
        ("Áo", 2, 50_000 + 31_500),
        ("Quần", 1, 22_500),
        ("Phụ kiện", 3, 28_000),
        ("Váy", 1, 110_000),
    )
    assert report.categories[0].category == "Áo" and report.pieces == 7
    assert report.refunds_count == 2
    assert (report.refunds_cash_dong, report.refunds_transfer_dong) == (15_000, 22_500)
    assert report.net_after_refunds_dong == 242_000 - 37_500
    assert report.consignment_dong == owner_split(110_000, 7000) + owner_split(31_500, 7000)
    assert report.consignment_dong == 77_000 + 22_050
    drawer = report.drawer
    assert drawer.opening_float_dong == 200_000
    assert drawer.cash_sales_dong == report.cash_dong
    assert drawer.expected_dong == 200_000 + 184_000 - 15_000 == 369_000
    assert drawer.counted_dong is None and drawer.difference_dong is None
    assert report.cash_difference_dong is None and report.shifts == ()

    # The transfer arrives, the shift closes with 4.000 missing from the drawer.
    svc.confirm_transfer(ctx, three, at=AT + timedelta(hours=1))
    svc.close_shift(ctx, shift, 365_000, at=AT + timedelta(hours=3), by=hong(ctx))
    closed = reports.shift_report(ctx, shift, tz=HANOI)
    assert_adds_up(closed)
    assert (closed.sales_count, closed.awaiting_transfer_count) == (3, 0)
    assert (closed.awaiting_transfer_dong, closed.transfer_dong) == (0, 58_000)
    assert closed.net_dong == report.net_dong and closed.cash_dong == report.cash_dong
    assert closed.closed_at == AT + timedelta(hours=3)
    assert closed.drawer.expected_dong == shift.expected_cash_dong == 369_000
    assert (closed.drawer.counted_dong, closed.drawer.difference_dong) == (365_000, -4_000)
    assert closed.cash_difference_dong == -4_000


def test_the_drawer_agrees_with_the_cash_count_of_the_counter(ctx):
    shift, _sales = morning_shift(ctx)
    report = reports.shift_report(ctx, shift, tz=HANOI)
    count = svc.cash_count(ctx, shift)
    assert report.drawer.count == count
    assert report.cash_dong == count.cash_sales_dong
    assert report.refunds_cash_dong == count.cash_refunds_dong


def test_a_day_report_spans_the_shifts_of_two_members(ctx):
    night, (late, _after_midnight) = night_shift(ctx)
    morning, (one, _two, three, _four) = morning_shift(ctx)
    svc.confirm_transfer(ctx, three, at=AT + timedelta(hours=1))
    svc.close_shift(ctx, morning, 365_000, at=AT + timedelta(hours=3), by=hong(ctx))
    afternoon = afternoon_shift(ctx, one)
    ctx.commit()

    report = reports.day_report(ctx, date(2026, 11, 3), tz=HANOI)
    assert_adds_up(report)
    assert (report.kind, report.day, report.shift, report.drawer) == (
        "day",
        date(2026, 11, 3),
        None,
        None,
    )
    # The sock sold at 00:10 counts; G, sold at 23:30 the evening before, does not.
    assert (report.sales_count, report.awaiting_transfer_count) == (5, 0)
    assert (report.voids_count, report.voids_total_dong) == (1, 40_000)
    assert report.gross_dong == 10_000 + 260_000 + 30_000
    assert (report.line_discounts_dong, report.sale_discounts_dong) == (12_000, 6_000)
    assert report.net_dong == 10_000 + 160_000 + 54_000 + 28_000 + 30_000 == 282_000
    assert (report.cash_dong, report.transfer_dong) == (10_000 + 184_000 + 30_000, 58_000)
    assert report.categories == (
        ("Áo", 2, 81_500),
        ("Quần", 2, 52_500),
        ("Phụ kiện", 4, 38_000),
        ("Váy", 1, 110_000),
    )
    assert report.refunds_count == 3
    assert (report.refunds_cash_dong, report.refunds_transfer_dong) == (25_000, 22_500)
    assert report.consignment_dong == 99_050
    # The night shift opened the day before: it is listed there, not here.
    assert [d.shift.id for d in report.shifts] == [morning.id, afternoon.id]
    assert [d.member.number for d in report.shifts] == [1, 2]
    first, second = report.shifts
    assert (first.expected_dong, first.counted_dong, first.difference_dong) == (
        369_000,
        365_000,
        -4_000,
    )
    assert (second.expected_dong, second.counted_dong, second.difference_dong) == (
        100_000 + 30_000 - 10_000,
        None,
        None,
    )
    assert report.cash_difference_dong == -4_000

    before = reports.day_report(ctx, date(2026, 11, 2), tz=HANOI)
    assert_adds_up(before)
    assert (before.sales_count, before.net_dong, before.cash_dong) == (1, 60_000, 60_000)
    assert before.categories == (("Váy", 1, 60_000),)
    assert before.refunds_count == 0 and before.consignment_dong == 0
    assert [d.shift.id for d in before.shifts] == [night.id]
    assert before.shifts[0].expected_dong == 50_000 + 70_000
    assert before.cash_difference_dong == 0
    assert late.at == datetime(2026, 11, 2, 16, 30, tzinfo=UTC)

    # A shift's report follows the shift across midnight.
    night_report = reports.shift_report(ctx, night, tz=HANOI)
    assert_adds_up(night_report)
    assert (night_report.day, night_report.net_dong) == (date(2026, 11, 2), 70_000)


def test_an_empty_day_is_all_zeros(ctx):
    report = reports.day_report(ctx, date(2026, 11, 4), tz=HANOI)
    assert_adds_up(report)
    assert report.categories == () and report.shifts == ()
    assert (report.sales_count, report.net_dong, report.refunds_count) == (0, 0, 0)
    assert report.cash_difference_dong is None


def test_day_bounds_are_local_midnights():
    start, end = reports.day_bounds(date(2026, 11, 3), HANOI)
    assert start == datetime(2026, 11, 2, 17, tzinfo=UTC)
    assert end == datetime(2026, 11, 3, 17, tzinfo=UTC)


def test_the_number_of_queries_does_not_grow_with_the_sales(ctx):
    morning, _sales = morning_shift(ctx)
    ctx.commit()
    statements = []

    def count(*_args):
        statements.append(1)

    def queries(build):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            build()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    def both():
        ctx.expire_all()
        reports.day_report(ctx, date(2026, 11, 3), tz=HANOI)
        reports.shift_report(ctx, morning, tz=HANOI)

    few = queries(both)
    for _ in range(2):
        sell(ctx, svc.LineRequest("SOCKS"))
    sell(ctx, svc.LineRequest("F"), svc.LineRequest("G"))
    ctx.commit()
    assert queries(both) == few
