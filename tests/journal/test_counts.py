"""Stock counts in the journal: written out, checked, imported through the count service and
written out again the same, with the month's figures unchanged."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shop.domain.count import DecisionKind, LostItemPays
from shop.journal import check_journal, export_journal, import_journal, normalise_journal
from shop.journal.reader import read_journal
from shop.models import (
    CountDecision,
    Disposal,
    DisposalKind,
    Expense,
    ExpenseCategory,
    IntakeKind,
    Item,
    ItemStatus,
    Member,
    PaymentMethod,
    Role,
    ShopProfile,
)
from shop.services import counter
from shop.services import counts as count_service
from shop.services import members as member_service
from shop.services import month as month_service
from shop.services import stock as stock_service

from .conftest import full_example, wipe
from .test_round_trip import member

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def build(session, rule: LostItemPays = LostItemPays.OWNER_SPLIT) -> dict[str, Item]:
    """November 2026 of a small shop with three stock counts; its items by name.

    Count 1 (10 November, the whole rail) loses Ngọc's dress (she is paid her split),
    corrects the socks (a piece sold while it was open) and her buttons (one piece short,
    paid), keeps the missing ao2, keeps the sold trousers found on the rail and notes an
    unknown tag; a phone sends a scan late, another scan is taken back, and a sale comes
    between the scans. Count 2 (20 November, dresses only) finds the dress again: it goes
    back on the rail as the group's and sells on the 21st. November is closed and Ngọc paid
    her due; count 3 (2 December) is still open. ``rule``: the shop's for a lost item.
    """
    profile = member_service.save_shop_profile(session, "NEW ME – Đồ cũ", "123 Nghĩa Dũng")
    profile.lost_item_pays = rule.value
    hong = member(session, "Nguyễn Thị Hồng", "0912000001", date(2026, 10, 1), Role.COORDINATOR)
    ngoc = member(session, "Nguyễn Thị Ngọc", "0912000002", date(2026, 10, 1))
    lan = member(session, "Trần Thị Lan", "0912000003", date(2026, 10, 1))

    def receive(kind, when, **details):
        intake_details = stock_service.IntakeDetails(kind=kind, received_at=when, **details)
        return stock_service.receive_intake(session, intake_details, by=hong, tz=TZ)

    def item(intake, category, price):
        details = stock_service.ItemDetails(category=category, price_dong=price)
        return stock_service.add_item(session, intake, details)

    def lot(intake, category, price, quantity):
        details = stock_service.LotDetails(category=category, price_dong=price, quantity=quantity)
        return stock_service.add_lot(session, intake, details)

    given = receive(IntakeKind.DONATION, at(11, 1), new_donor=stock_service.DonorDetails("Chị Mai"))
    items = {
        "ao1": item(given, "Áo", 50_000),
        "ao2": item(given, "Áo", 30_000),
        "quan": item(given, "Quần", 40_000),
        "scarf": item(given, "Phụ kiện", 20_000),
        "socks": lot(given, "Tất", 10_000, 10),
    }
    hers = receive(IntakeKind.CONSIGNMENT, at(11, 2), owner_number=ngoc.number)
    items |= {
        "dress": item(hers, "Váy", 120_000),
        "bag": item(hers, "Túi", 80_000),
        "buttons": lot(hers, "Phụ kiện", 5_000, 5),
    }

    def sell(cashier, when, *lines, **payment):
        request = counter.SaleRequest(lines=lines, **payment)
        return counter.record_sale(session, request, cashier=cashier, at=when, tz=TZ)[0]

    line = counter.LineRequest
    code = {name: thing.code for name, thing in items.items()}
    shift = counter.open_shift(session, hong, 200_000, at=at(11, 10, 8))
    sell(hong, at(11, 10, 9), line(code["quan"]), tendered_dong=40_000)

    first = count_service.open_count(session, by=hong, at=at(11, 10, 10), note="kiểm kê giữa tháng")

    def scan(count, client_id, what, by, when, pieces=None, sent=None):
        return count_service.record_scan(
            session, count, code=what, client_id=client_id, by=by, scanned_at=when,
            received_at=sent or when, pieces=pieces,
        ).scan  # fmt: skip

    scan(first, "n-1", code["ao1"], ngoc, at(11, 10, 10, 5))
    scan(first, "l-1", code["ao1"], lan, at(11, 10, 10, 6))
    count_service.withdraw_scan(session, first, "l-1", by=lan, at=at(11, 10, 10, 7))
    scan(first, "n-2", code["socks"], ngoc, at(11, 10, 10, 10), pieces=6)
    scan(first, "h-1", code["socks"], hong, at(11, 10, 10, 11), pieces=2)
    scan(first, "n-3", code["buttons"], ngoc, at(11, 10, 10, 13), pieces=4)
    scan(first, "l-2", code["quan"], lan, at(11, 10, 10, 14))
    scan(first, "l-3", "ZZ-9", lan, at(11, 10, 10, 15))
    # Sold while the count is open: the scarf is no longer expected, the socks' piece sold
    # after they were counted is taken off what was counted.
    sell(hong, at(11, 10, 10, 30), line(code["scarf"]), line(code["socks"]), tendered_dong=30_000)
    # Scanned at 10:12 on a phone with no link, sent at 10:40.
    scan(first, "n-4", code["bag"], ngoc, at(11, 10, 10, 12), sent=at(11, 10, 10, 40))
    late = receive(IntakeKind.DONATION, at(11, 10, 11), donor_id=given.donor_id)
    items["late"] = item(late, "Áo", 60_000)  # came in after the count opened
    decided = count_service.Decided
    count_service.close_count(
        session,
        first,
        {
            items["dress"].code: decided(DecisionKind.LOST),
            items["ao2"].code: decided(DecisionKind.KEEP, "cho mượn chụp ảnh"),
            items["socks"].code: decided(DecisionKind.QUANTITY),
            items["buttons"].code: decided(DecisionKind.QUANTITY),
            items["quan"].code: decided(DecisionKind.KEEP, "khách để lại"),
            "ZZ-9": decided(DecisionKind.NOTED),
        },
        by=hong,
        at=at(11, 10, 11, 30),
        tz=TZ,
    )
    counter.close_shift(session, shift, 290_000, at=at(11, 10, 12), by=hong)

    dresses = items["dress"].category_id
    second = count_service.open_count(session, by=hong, at=at(11, 20), category_ids=[dresses])
    scan(second, "n-1", code["dress"], ngoc, at(11, 20, 9, 10))
    count_service.close_count(
        session,
        second,
        {code["dress"]: decided(DecisionKind.BACK_ON_RAIL, "ở sau tủ")},
        by=hong,
        at=at(11, 20, 9, 30),
        tz=TZ,
    )
    afternoon = counter.open_shift(session, lan, 0, at=at(11, 21, 9))
    sell(lan, at(11, 21, 10), line(code["dress"]), tendered_dong=120_000)
    counter.close_shift(session, afternoon, 120_000, at=at(11, 21, 12), by=lan)

    month_service.close_month(session, "2026-11", by=hong, at=at(12, 1, 8), tz=TZ)
    due = {
        m.member: m.due_dong for m in month_service.month_figures(session, "2026-11", TZ).members
    }
    month_service.record_payout(
        session, ngoc, "2026-11", due[ngoc.number], date(2026, 12, 2), PaymentMethod.CASH, hong
    )
    third = count_service.open_count(session, by=hong, at=at(12, 2))
    scan(third, "n-1", code["buttons"], ngoc, at(12, 2, 9, 5), pieces=4)
    session.flush()
    return items


def figures(session, month: str):
    return month_service.month_figures(session, month, TZ)


def test_a_shop_with_stock_counts_round_trips(app, session):
    items = build(session)
    november = figures(session, "2026-11")
    december = figures(session, "2026-12")
    first = export_journal(session, timezone=TZ)
    assert check_journal(first) == []
    assert json.loads(json.dumps(first, ensure_ascii=False)) == first

    wipe(session)
    summary = import_journal(session, first, app_config=app.config)

    assert export_journal(session, timezone=TZ) == first
    assert summary.stock_counts == 3
    assert "3 stock counts" in str(summary)
    assert figures(session, "2026-11") == november
    assert figures(session, "2026-12") == december
    # What the closes wrote, written again by the import's closes.
    ngoc = session.scalar(select(Member).where(Member.number == 2))
    paid = session.scalars(
        select(Expense).where(Expense.category == ExpenseCategory.COMPENSATION).order_by(Expense.id)
    )
    assert [(e.spent_on, e.amount_dong, e.member_id) for e in paid] == [
        (date(2026, 11, 10), 84_000, ngoc.id),  # 70 % of the dress's 120.000
        (date(2026, 11, 10), 3_500, ngoc.id),  # 70 % of one button's 5.000
    ]
    lost = session.scalars(select(Disposal).where(Disposal.kind == DisposalKind.LOST)).all()
    assert [d.item.code for d in lost] == [items["dress"].code]
    dress = session.scalar(select(Item).where(Item.code == items["dress"].code))
    assert (dress.status, dress.owner_id) == (ItemStatus.SOLD, None)  # the group's when sold
    socks = session.scalar(select(Item).where(Item.code == items["socks"].code))
    assert socks.quantity_on_hand == 7
    still_open = count_service.current_count(session)
    assert still_open is not None and still_open.number == 3


def test_what_the_journal_says_of_the_counts(app, session):
    items = build(session)
    code = {name: thing.code for name, thing in items.items()}

    journal = export_journal(session, timezone=TZ)

    assert journal["shop"]["lost_item_pays"] == "owner_split"
    # The close's disposal and compensations are said once, in its decisions.
    assert all(d["kind"] != "lost" for d in journal.get("disposals", []))
    assert all(e["category"] != "compensation" for e in journal.get("expenses", []))
    first, second, third = journal["counts"]
    assert {key: first[key] for key in ("number", "opened_at", "opened_by", "note")} == {
        "number": 1,
        "opened_at": "2026-11-10T10:00:00+07:00",
        "opened_by": 1,
        "note": "kiểm kê giữa tháng",
    }
    assert (first["closed_at"], first["closed_by"]) == ("2026-11-10T11:30:00+07:00", 1)
    assert "categories" not in first and "lost_item_pays" not in first
    # As the shop took them in: the bag's scan came at 10:40, after the others.
    assert [s["client_id"] for s in first["scans"]] == [
        "n-1", "l-1", "n-2", "h-1", "n-3", "l-2", "l-3", "n-4"
    ]  # fmt: skip
    assert first["scans"][1] == {
        "client_id": "l-1",
        "code": code["ao1"],
        "by": 3,
        "scanned_at": "2026-11-10T10:06:00+07:00",
        "received_at": "2026-11-10T10:06:00+07:00",
        "withdrawn_at": "2026-11-10T10:07:00+07:00",
        "withdrawn_by": 3,
    }
    assert first["scans"][2]["pieces"] == 6 and "pieces" not in first["scans"][0]
    assert first["scans"][7]["scanned_at"] == "2026-11-10T10:12:00+07:00"
    assert first["decisions"] == [
        {"code": code["ao2"], "difference": "missing", "kind": "keep", "expected_pieces": 1,
         "counted_pieces": 0, "value_dong": 30_000, "note": "cho mượn chụp ảnh"},
        {"code": code["dress"], "difference": "missing", "kind": "lost", "expected_pieces": 1,
         "counted_pieces": 0, "value_dong": 120_000, "compensation_dong": 84_000, "owner": 2},
        {"code": code["socks"], "difference": "lot_pieces", "kind": "quantity",
         "expected_pieces": 9, "counted_pieces": 7, "value_dong": 20_000},
        {"code": code["buttons"], "difference": "lot_pieces", "kind": "quantity",
         "expected_pieces": 5, "counted_pieces": 4, "value_dong": 5_000,
         "compensation_dong": 3_500, "owner": 2},
        {"code": code["quan"], "difference": "found_off_books", "kind": "keep",
         "expected_pieces": 0, "counted_pieces": 1, "note": "khách để lại"},
        {"code": "ZZ-9", "difference": "unknown_code", "kind": "noted", "counted_pieces": 1},
    ]  # fmt: skip
    assert second["categories"] == ["Váy"]
    assert second["decisions"] == [
        {"code": code["dress"], "difference": "found_off_books", "kind": "back_on_rail",
         "expected_pieces": 0, "counted_pieces": 1, "owner": 2, "note": "ở sau tủ"},
    ]  # fmt: skip
    assert "closed_at" not in third and "decisions" not in third
    assert third["scans"][0]["pieces"] == 4


def test_a_journal_file_with_counts_imports_as_the_parsed_journal(app, session, tmp_path):
    build(session)
    journal = export_journal(session, timezone=TZ)
    wipe(session)
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")

    with read_journal(path) as read:
        assert check_journal(read) == []
        import_journal(session, read, app_config=app.config)

    assert export_journal(session, timezone=TZ) == journal


def test_a_count_closed_under_an_earlier_rule_keeps_it(app, session):
    # The shop paid the full price when the count closed, and pays her split now: the count
    # says which rule it applied, so the import pays what was paid then.
    items = build(session, LostItemPays.FULL_PRICE)
    session.get(ShopProfile, 1).lost_item_pays = LostItemPays.OWNER_SPLIT.value
    session.flush()

    journal = export_journal(session, timezone=TZ)

    first = journal["counts"][0]
    assert first["lost_item_pays"] == "full_price"
    dress = next(d for d in first["decisions"] if d["code"] == items["dress"].code)
    assert dress["compensation_dong"] == 120_000
    assert check_journal(journal) == []
    wipe(session)
    import_journal(session, journal, app_config=app.config)
    assert export_journal(session, timezone=TZ) == journal


def test_an_older_journal_without_counts_imports_unchanged(app, session):
    journal = full_example()
    assert "counts" not in journal and "lost_item_pays" not in journal["shop"]

    summary = import_journal(session, journal, app_config=app.config)

    exported = export_journal(session, timezone=TZ)
    assert exported == normalise_journal(journal)
    assert "counts" not in exported
    assert exported["shop"]["lost_item_pays"] == "owner_split"
    assert summary.stock_counts == 0
    assert session.scalar(select(CountDecision.id)) is None


# ---------------------------------------------------------------- what the check refuses

_BUILT: dict[str, dict] = {}


@pytest.fixture
def counted(app, session):
    """The exported journal of :func:`build`'s shop (built once per run) and its codes."""
    if not _BUILT:
        items = build(session)
        _BUILT["journal"] = export_journal(session, timezone=TZ)
        _BUILT["codes"] = {name: thing.code for name, thing in items.items()}
        session.rollback()
    return copy.deepcopy(_BUILT["journal"]), dict(_BUILT["codes"])


def shifted(text: str, **delta) -> str:
    return (datetime.fromisoformat(text) + timedelta(**delta)).isoformat()


def test_the_built_journal_is_sound(counted):
    journal, _codes = counted
    assert check_journal(journal) == []
