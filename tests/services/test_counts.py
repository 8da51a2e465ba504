"""Stocktake through the service: open, scan from phones, progress, differences, close."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.domain.count import DecisionKind, Difference, LostItemPays
from shop.extensions import db
from shop.messages import in_words, not_found_at_count
from shop.models import (
    AuditEvent,
    CountDecision,
    CountScan,
    Disposal,
    DisposalKind,
    Expense,
    ExpenseCategory,
    IntakeKind,
    ItemStatus,
    ShopProfile,
)
from shop.services import counter, stock
from shop.services import counts as svc
from shop.services import members as member_service
from shop.services.errors import Forbidden, InvalidInput

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
INTAKE_AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
OPEN_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi


@pytest.fixture
def ctx(app, coordinator, member):
    with app.app_context(), app.test_request_context():
        yield db.session


def hong(session):
    return member_service.get_member(session, 1)


def close(session, count, decisions, at=OPEN_AT):
    """Close ``count`` with ``decisions`` as Hồng (at the count's opening unless said), with
    the words the pages give a lost item."""
    return svc.close_count(
        session, count, decisions, by=hong(session), at=at, tz=HANOI,
        lost_reason=not_found_at_count(count.number),
    )  # fmt: skip


def ngoc(session):
    return member_service.get_member(session, 2)


@pytest.fixture
def rail(ctx):
    """Three donated things (two Áo, one Quần), Ngọc's dress and a lot of 10 socks."""
    given = stock.receive_intake(
        ctx, stock.IntakeDetails(IntakeKind.DONATION, INTAKE_AT), by=hong(ctx), tz=HANOI
    )
    items = {
        "ao1": stock.add_item(ctx, given, stock.ItemDetails("Áo", 50_000)),
        "ao2": stock.add_item(ctx, given, stock.ItemDetails("Áo", 30_000)),
        "quan": stock.add_item(ctx, given, stock.ItemDetails("Quần", 40_000)),
        "socks": stock.add_lot(ctx, given, stock.LotDetails("Tất", 10_000, 10)),
    }
    hers = stock.receive_intake(
        ctx,
        stock.IntakeDetails(IntakeKind.CONSIGNMENT, INTAKE_AT, owner_number=2),
        by=hong(ctx),
        tz=HANOI,
    )
    items["dress"] = stock.add_item(ctx, hers, stock.ItemDetails("Váy", 120_000))
    ctx.flush()
    return items


def scan(session, count, code, n, *, by=None, at=None, pieces=None):
    return svc.record_scan(
        session, count, code=code, client_id=f"phone-{n}", by=by or ngoc(session),
        scanned_at=at or OPEN_AT + timedelta(minutes=n),
        received_at=at or OPEN_AT + timedelta(minutes=n), pieces=pieces,
    )  # fmt: skip


def test_only_a_coordinator_opens_a_count_and_only_one_at_a_time(ctx, rail):
    with pytest.raises(Forbidden):
        svc.open_count(ctx, by=ngoc(ctx), at=OPEN_AT)
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT, note="  cuối   tháng ")
    assert count.number == 1 and count.is_open and count.note == "cuối tháng"
    with pytest.raises(InvalidInput) as refused:
        svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    assert refused.value.field == "count"
    assert svc.current_count(ctx) is count


def test_a_scan_sent_twice_is_one_scan_and_a_lot_needs_its_pieces(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    first = scan(ctx, count, rail["ao1"].code, 1)
    again = scan(ctx, count, rail["ao1"].code, 1)
    assert first.created and not again.created and again.scan.id == first.scan.id
    assert ctx.scalar(select(func.count()).select_from(CountScan)) == 1
    with pytest.raises(InvalidInput) as refused:
        scan(ctx, count, rail["socks"].code, 2)
    assert refused.value.field == "pieces"
    with pytest.raises(InvalidInput) as refused:
        scan(ctx, count, rail["ao2"].code, 3, pieces=2)
    assert refused.value.field == "pieces"
    with pytest.raises(InvalidInput) as refused:  # the id reused for another code
        scan(ctx, count, rail["ao2"].code, 1)
    assert refused.value.field == "client_id"
    assert scan(ctx, count, rail["socks"].code, 4, pieces="7").scan.pieces == 7
    unknown = scan(ctx, count, "99999", 5)
    assert unknown.item is None and unknown.scan.code == "99999"
    ctx.refresh(count)
    assert count.scan_count == 3


def test_progress_counts_found_against_expected_by_category(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    scan(ctx, count, rail["ao1"].code, 1)
    scan(ctx, count, rail["ao1"].code, 2, by=hong(ctx))  # two phones, one item
    scan(ctx, count, rail["quan"].code, 3)
    scan(ctx, count, "12", 4)
    seen = svc.progress(ctx, count, member=ngoc(ctx))
    assert (seen.expected, seen.counted, seen.scans, seen.unknown, seen.mine) == (5, 2, 4, 1, 3)
    by_name = {c.name: (c.expected, c.counted) for c in seen.categories}
    assert by_name == {"Áo": (2, 1), "Quần": (1, 1), "Tất": (1, 0), "Váy": (1, 0)}


def test_a_count_of_some_categories_expects_only_them(ctx, rail):
    ao = rail["ao1"].category_id
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT, category_ids=[ao])
    scan(ctx, count, rail["ao1"].code, 1)
    scan(ctx, count, rail["quan"].code, 2)  # found outside the count: no difference
    lines = svc.result(ctx, count, at=OPEN_AT + timedelta(hours=1), tz=HANOI)
    assert [(line.found.difference, line.code) for line in lines] == [
        (Difference.MISSING, rail["ao2"].code)
    ]
    with pytest.raises(InvalidInput):
        svc.open_count(ctx, by=hong(ctx), at=OPEN_AT, category_ids=[ao, 9999])


def test_the_result_names_each_difference_with_its_value_and_owner(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    scan(ctx, count, rail["ao1"].code, 1)
    scan(ctx, count, rail["socks"].code, 2, pieces=6)
    scan(ctx, count, rail["socks"].code, 3, pieces=2, by=hong(ctx))  # 8 of 10
    scan(ctx, count, "77", 4)
    lines = {line.code: line for line in svc.result(ctx, count, at=OPEN_AT, tz=HANOI)}
    dress = lines[rail["dress"].code]
    assert dress.found.difference == Difference.MISSING
    assert dress.owner.number == 2 and dress.days_in_stock == 19
    assert dress.value_dong == 120_000 and dress.compensation_dong == 84_000  # her 70%
    assert lines[rail["ao2"].code].compensation_dong == 0  # the group's own
    socks = lines[rail["socks"].code]
    assert (socks.found.expected_pieces, socks.found.counted_pieces) == (10, 8)
    assert socks.value_dong == 20_000
    assert lines["77"].found.difference == Difference.UNKNOWN_CODE
    assert rail["ao1"].code not in lines


def test_an_item_sold_during_the_count_is_no_longer_expected(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    counter.open_shift(ctx, hong(ctx), 0, at=OPEN_AT, tz=HANOI)
    scan(ctx, count, rail["socks"].code, 1, pieces=10)  # counted at 09:01 …
    counter.record_sale(  # … then 3 socks and the Quần sold at 10:00
        ctx,
        counter.SaleRequest(
            (counter.LineRequest(rail["socks"].code, 3), counter.LineRequest(rail["quan"].code))
        ),
        cashier=hong(ctx), at=OPEN_AT + timedelta(hours=1), tz=HANOI,
    )  # fmt: skip
    lines = svc.result(ctx, count, at=OPEN_AT + timedelta(hours=2), tz=HANOI)
    codes = {line.code for line in lines}
    assert rail["quan"].code not in codes and rail["socks"].code not in codes


def test_a_found_item_the_books_say_was_sold_is_listed(ctx, rail):
    counter.open_shift(ctx, hong(ctx), 0, at=OPEN_AT - timedelta(days=1), tz=HANOI)
    counter.record_sale(
        ctx, counter.SaleRequest((counter.LineRequest(rail["quan"].code),)),
        cashier=hong(ctx), at=OPEN_AT - timedelta(hours=5), tz=HANOI,
    )  # fmt: skip
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    scan(ctx, count, rail["quan"].code, 1)
    lines = svc.result(ctx, count, at=OPEN_AT, tz=HANOI)
    off = [line for line in lines if line.found.difference == Difference.FOUND_OFF_BOOKS]
    assert [line.code for line in off] == [rail["quan"].code]
    assert off[0].found.choices == (DecisionKind.BACK_ON_RAIL, DecisionKind.KEEP)


def everything(lines, **chosen):
    return {
        line.code: svc.Decided(chosen.get(line.code, line.found.choices[0]), "") for line in lines
    }


def test_closing_records_the_loss_and_pays_the_owner_her_split(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    for n, key in enumerate(("ao1", "quan"), start=1):
        scan(ctx, count, rail[key].code, n)
    scan(ctx, count, rail["socks"].code, 3, pieces=8)
    close_at = OPEN_AT + timedelta(hours=3)
    lines = svc.result(ctx, count, at=close_at, tz=HANOI)
    decided = everything(lines, **{rail["ao2"].code: DecisionKind.KEEP})
    decided[rail["dress"].code] = svc.Decided(DecisionKind.LOST, "không thấy trên giá")
    written = close(ctx, count, decided, at=close_at)
    assert {d.code: d.kind for d in written} == {
        rail["dress"].code: DecisionKind.LOST,
        rail["ao2"].code: DecisionKind.KEEP,
        rail["socks"].code: DecisionKind.QUANTITY,
    }
    for key in ("dress", "ao2", "socks"):
        ctx.refresh(rail[key])
    assert rail["dress"].status == ItemStatus.LOST and rail["ao2"].status == ItemStatus.IN_STOCK
    assert rail["socks"].quantity_on_hand == 8
    disposal = ctx.scalar(select(Disposal))
    assert disposal.kind == DisposalKind.LOST
    assert disposal.note == "Không tìm thấy khi kiểm kê đợt 1. không thấy trên giá"
    expense = ctx.scalar(select(Expense))
    assert expense.category == ExpenseCategory.COMPENSATION and expense.member.number == 2
    assert expense.amount_dong == 84_000
    assert str(expense.spent_on) == "2026-11-20"
    assert not count.is_open and count.closed_by.number == 1
    actions = ctx.scalars(select(AuditEvent.action)).all()
    assert actions.count("count_decision") == 3 and "count_closed" in actions
    with pytest.raises(svc.CountClosed):  # a phone sending late
        scan(ctx, count, rail["ao2"].code, 9)
    mine = svc.compensations(ctx, date(2026, 11, 1), date(2026, 11, 30), member_ids=[ngoc(ctx).id])
    assert [(c.amount_dong, c.code, c.count_number) for c in mine] == [
        (84_000, rail["dress"].code, 1)
    ]
    assert str(in_words(mine[0].reason)) == "Mất khi kiểm kê đợt 1"


def test_the_shop_rule_can_pay_the_full_price_or_nothing(ctx, rail):
    ctx.get(ShopProfile, 1) or ctx.add(ShopProfile(id=1, name="Shop"))
    ctx.flush()
    ctx.get(ShopProfile, 1).lost_item_pays = "nothing"
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    lines = {line.code: line for line in svc.result(ctx, count, at=OPEN_AT, tz=HANOI)}
    assert lines[rail["dress"].code].compensation_dong == 0
    ctx.get(ShopProfile, 1).lost_item_pays = "full_price"
    lines = {line.code: line for line in svc.result(ctx, count, at=OPEN_AT, tz=HANOI)}
    assert lines[rail["dress"].code].compensation_dong == 120_000


def test_closing_is_refused_when_the_list_changed_or_a_difference_is_undecided(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    lines = svc.result(ctx, count, at=OPEN_AT, tz=HANOI)
    decided = everything(lines)
    scan(ctx, count, rail["ao1"].code, 1)  # found after the list was read
    with pytest.raises(InvalidInput) as refused, ctx.begin_nested():
        close(ctx, count, decided)
    assert refused.value.field == "decisions" and rail["ao1"].code in str(refused.value.message)
    ctx.refresh(count)
    assert count.is_open and ctx.scalar(select(func.count()).select_from(CountDecision)) == 0
    del decided[rail["ao2"].code]  # read again, one left undecided
    decided.pop(rail["ao1"].code)
    with pytest.raises(InvalidInput) as refused, ctx.begin_nested():
        close(ctx, count, decided)
    assert rail["ao2"].code in str(refused.value.message)


def test_a_lost_item_found_again_goes_back_as_the_groups(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    lines = svc.result(ctx, count, at=OPEN_AT, tz=HANOI)
    close(ctx, count, everything(lines))
    ctx.refresh(rail["dress"])
    assert rail["dress"].status == ItemStatus.LOST
    later = OPEN_AT + timedelta(days=2)
    second = svc.open_count(ctx, by=hong(ctx), at=later)
    scan(ctx, second, rail["dress"].code, 1, at=later + timedelta(minutes=1))
    lines = svc.result(ctx, second, at=later + timedelta(hours=1), tz=HANOI)
    dress = next(line for line in lines if line.code == rail["dress"].code)
    assert dress.found.difference == Difference.FOUND_OFF_BOOKS
    close(ctx, second, everything(lines), at=later + timedelta(hours=1))
    ctx.refresh(rail["dress"])
    assert rail["dress"].status == ItemStatus.IN_STOCK and rail["dress"].owner_id is None
    assert ctx.scalar(select(func.count()).select_from(CountDecision)) > 0


def test_lost_cannot_be_chosen_by_hand_nor_compensation_entered_as_an_expense(ctx, rail):
    with pytest.raises(InvalidInput):
        stock.dispose(ctx, rail["ao1"], DisposalKind.LOST, by=hong(ctx), at=OPEN_AT, tz=HANOI)


def test_scans_and_decisions_are_kept_as_recorded(ctx, rail):
    from sqlalchemy import delete, text
    from sqlalchemy.exc import DatabaseError

    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    taken = scan(ctx, count, rail["ao1"].code, 1).scan
    svc.withdraw_scan(ctx, count, "phone-1", by=ngoc(ctx), at=OPEN_AT + timedelta(minutes=5))
    assert taken.withdrawn_by_id == ngoc(ctx).id
    lines = svc.result(ctx, count, at=OPEN_AT, tz=HANOI)
    assert rail["ao1"].code in {line.code for line in lines}  # taken back: not found
    close(ctx, count, everything(lines))
    ctx.flush()
    for statement in (
        delete(CountScan),
        text("UPDATE count_scan SET code = '1'"),
        text("UPDATE count_scan SET withdrawn_at = NULL, withdrawn_by_id = NULL"),
        delete(CountDecision),
        text("UPDATE count_decision SET kind = 'keep'"),
    ):
        with pytest.raises(DatabaseError), ctx.begin_nested():
            ctx.execute(statement)


def test_a_later_count_in_the_same_session_sees_what_a_close_changed(ctx, rail):
    # A journal's import opens and closes every count in one session: a close's changes
    # (made by conditional UPDATEs) must show to the next count without a refresh.
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT)
    scan(ctx, count, rail["socks"].code, 1, pieces=7)
    lines = svc.result(ctx, count, at=OPEN_AT, tz=HANOI)
    close(ctx, count, everything(lines))
    assert rail["dress"].status == ItemStatus.LOST and rail["socks"].quantity_on_hand == 7
    later = OPEN_AT + timedelta(days=2)
    second = svc.open_count(ctx, by=hong(ctx), at=later)
    scan(ctx, second, rail["dress"].code, 1, at=later + timedelta(minutes=1))
    lines = svc.result(ctx, second, at=later + timedelta(hours=1), tz=HANOI)
    found = {line.code: line.found.difference for line in lines}
    assert found[rail["dress"].code] == Difference.FOUND_OFF_BOOKS
    close(ctx, second, everything(lines), at=later + timedelta(hours=1))
    assert rail["dress"].status == ItemStatus.IN_STOCK and rail["dress"].owner_id is None


def test_an_import_gives_a_count_its_number_and_a_close_its_rule(ctx, rail):
    count = svc.open_count(ctx, by=hong(ctx), at=OPEN_AT, number=7)
    assert count.number == 7
    lines = svc.result(ctx, count, at=OPEN_AT, tz=HANOI, rule=LostItemPays.FULL_PRICE)
    assert {line.code: line.compensation_dong for line in lines}[rail["dress"].code] == 120_000
    written = svc.close_count(
        ctx, count, everything(lines), by=hong(ctx), at=OPEN_AT, tz=HANOI,
        lost_reason=not_found_at_count(count.number), rule=LostItemPays.FULL_PRICE,
    )  # fmt: skip
    assert [d.compensation_dong for d in written if d.code == rail["dress"].code] == [120_000]
    assert svc.open_count(ctx, by=hong(ctx), at=OPEN_AT + timedelta(days=1)).number == 8
