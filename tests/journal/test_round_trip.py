"""A shop built through the services, exported, imported into an empty shop, exported again."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.domain.pricing import MarkdownStep, Policy
from shop.journal import JournalError, check_journal, export_journal, import_journal
from shop.models import (
    Condition,
    DisposalKind,
    Expense,
    ExpenseCategory,
    IntakeKind,
    Item,
    ItemStatus,
    Member,
    PriceChange,
    Role,
)
from shop.services import members as member_service
from shop.services import stock as stock_service
from shop.services.policy import record_policy

from .conftest import wipe

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in the shop's time zone, late 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def member(session, name, phone, joined_on, role=Role.MEMBER, left_on=None) -> Member:
    details = member_service.MemberDetails(
        name=name, phone=phone, role=role, joined_on=joined_on, left_on=left_on
    )
    return member_service.create_member(session, details, "2468", country_code="84")


def build_shop(session) -> dict[str, Item]:
    """A month of a shop, each kind of thing once at least; returns its items by name."""
    profile = member_service.save_shop_profile(session, "NEW ME – Đồ cũ", "123 Nghĩa Dũng")
    profile.bank_bin, profile.bank_account = "970415", "113366668888"
    profile.bank_account_name = "NHOM NEW ME"
    profile.receipt_footer = "Cảm ơn chị!"
    record_policy(
        session,
        "2026-10",
        Policy(consignor_bp=6500, markdown=(MarkdownStep(45, 30),), clearance_after_days=120),
    )
    record_policy(session, "2027-01", Policy())
    hong = member(session, "Nguyễn Thị Hồng", "0912000001", date(2026, 10, 1), Role.COORDINATOR)
    ngoc = member(session, "Nguyễn Thị Ngọc", "0912000002", date(2026, 10, 1))
    ut = member(session, "Nguyễn Thị Út", None, date(2026, 10, 1), left_on=date(2026, 11, 30))
    lan = member(session, "Trần Thị Lan", "0912000004", date(2026, 11, 15))

    def receive(kind, when, by, **details):
        intake_details = stock_service.IntakeDetails(kind=kind, received_at=when, **details)
        return stock_service.receive_intake(session, intake_details, by=by, tz=TZ)

    def item(intake, category, price, **details):
        return stock_service.add_item(
            session,
            intake,
            stock_service.ItemDetails(category=category, price_dong=price, **details),
        )

    def lot(intake, category, price, quantity, **details):
        lot_details = stock_service.LotDetails(
            category=category, price_dong=price, quantity=quantity, **details
        )
        return stock_service.add_lot(session, intake, lot_details)

    bag = receive(
        IntakeKind.DONATION,
        at(11, 1),
        hong,
        new_donor=stock_service.DonorDetails("Chị Mai", "0987 654 321"),
        note="hai túi",
    )
    items = {
        "shirt": item(bag, "Áo", 50000, description="Áo sơ mi", size="M"),
        "jeans": item(bag, "Quần", 25000, condition=Condition.FAIR),
        "scarves": lot(bag, "Phụ kiện", 10000, 12, description="Khăn"),
    }
    mine = receive(IntakeKind.CONSIGNMENT, at(11, 2), hong, owner_number=ngoc.number)
    items |= {
        "dress": item(mine, "Váy, đầm", 120000, condition=Condition.LIKE_NEW, consignor_bp=6000),
        "coat": item(mine, "Áo khoác", 200000),  # the policy's rate, 6500
        "handbag": item(mine, "Túi", 90000, consignor_bp=8000),
        "socks": lot(mine, "Đồ trẻ em", 5000, 6),
    }
    office = receive(
        IntakeKind.DONATION,
        at(11, 3),
        ut,
        new_donor=stock_service.DonorDetails("Văn phòng LIGHT", organisation="LIGHT"),
    )
    again = receive(IntakeKind.DONATION, at(11, 4), ut, donor_id=office.donor_id)
    items["hat"] = item(again, "Phụ kiện", 30000, code="HAT-1")
    bale = receive(
        IntakeKind.PURCHASE, at(11, 5), hong, supplier="Chợ Đồng Xuân", cost_dong=500_000
    )
    items["bale"] = lot(bale, "Áo", 20000, 40, description="áo thun")
    items["torn"] = item(bale, "Áo", 15000)

    def reprice(key, price, by, when, reason):
        stock_service.change_price(session, items[key], price, by=by, at=when, reason=reason)

    reprice("shirt", 45000, hong, at(11, 10), "lâu chưa bán")
    reprice("shirt", 40000, ngoc, at(11, 20), "giảm tiếp")
    reprice("dress", 110000, hong, at(11, 12), "chủ đồng ý giảm")

    def dispose(key, kind, by, when, note=""):
        stock_service.dispose(
            session, items[key], kind, by=by, at=when, note=note,
            owner_consents=kind == DisposalKind.GIVEN_TO_GROUP,
        )  # fmt: skip

    dispose("coat", DisposalKind.RETURNED_TO_OWNER, hong, at(11, 15), "chị lấy về")
    dispose("dress", DisposalKind.GIVEN_TO_GROUP, hong, at(11, 16))
    dispose("dress", DisposalKind.WRITTEN_OFF, hong, at(11, 25), "rách")
    dispose("handbag", DisposalKind.GIVEN_TO_GROUP, ngoc, at(11, 16, 10))
    dispose("jeans", DisposalKind.DONATED_ONWARD, lan, at(11, 26), "cho chùa")
    dispose("torn", DisposalKind.WRITTEN_OFF, ut, at(11, 30, 18))
    session.add(
        Expense(spent_on=date(2026, 11, 1), category=ExpenseCategory.RENT, amount_dong=3_000_000,
                note="tiền nhà tháng 11", by=hong)
    )  # fmt: skip
    session.flush()
    return items


def test_a_shop_exported_and_imported_into_an_empty_one_exports_the_same(app, session):
    build_shop(session)
    first = export_journal(session, timezone=TZ)
    assert check_journal(first) == []
    assert json.loads(json.dumps(first, ensure_ascii=False)) == first  # plain JSON values

    wipe(session)
    summary = import_journal(session, first, app_config=app.config)
    second = export_journal(session, timezone=TZ)

    assert second == first
    assert (summary.intakes, summary.items, summary.lots) == (5, 7, 3)
    assert (summary.price_changes, summary.disposals, summary.expenses) == (3, 6, 2)


def test_what_the_journal_says_about_the_built_shop(app, session):
    items = build_shop(session)

    journal = export_journal(session, timezone=TZ)

    assert journal["shop"]["bank"] == {
        "bin": "970415",
        "account": "113366668888",
        "account_name": "NHOM NEW ME",
    }
    assert [m.get("left_on") for m in journal["members"]] == [None, None, "2026-11-30", None]
    assert "phone" not in journal["members"][2]
    assert [d["ref"] for d in journal["donors"]] == ["D1", "D2"]
    donation = journal["intakes"][0]
    assert donation["received_at"] == "2026-11-01T09:00:00+07:00"
    # The price an item came in at; its later prices are price changes.
    shirt = donation["items"][0]
    assert (shirt["code"], shirt["price_dong"]) == (items["shirt"].code, 50000)
    assert [c["price_dong"] for c in journal["price_changes"]] == [45000, 110000, 40000]
    assert donation["lots"] == [
        {"code": items["scarves"].code, "category": "Phụ kiện", "description": "Khăn",
         "quantity": 12, "price_dong": 10000},
    ]  # fmt: skip
    consigned = {i["code"]: i["consignor_bp"] for i in journal["intakes"][1]["items"]}
    assert consigned == {items["dress"].code: 6000, items["coat"].code: 6500,
                         items["handbag"].code: 8000}  # fmt: skip
    assert journal["intakes"][1]["lots"][0]["consignor_bp"] == 6500
    # The bale's cost is one expense naming the intake, as receive_intake booked it.
    assert journal["expenses"] == [
        {"on": "2026-11-01", "category": "rent", "amount_dong": 3_000_000,
         "note": "tiền nhà tháng 11", "by": 1},
        {"on": "2026-11-05", "category": "stock_purchase", "amount_dong": 500_000,
         "note": "Chợ Đồng Xuân", "intake": journal["intakes"][4]["ref"], "by": 1},
    ]  # fmt: skip


def test_the_import_leaves_each_item_as_its_history_left_it(app, session):
    build_shop(session)
    journal = export_journal(session, timezone=TZ)
    wipe(session)

    import_journal(session, journal, app_config=app.config)

    by_description = {i.description: i for i in session.scalars(select(Item))}
    shirt = by_description["Áo sơ mi"]
    assert (shirt.price_dong, shirt.status) == (40000, ItemStatus.IN_STOCK)
    assert [c.old_price_dong for c in session.scalars(
        select(PriceChange).where(PriceChange.item_id == shirt.id).order_by(PriceChange.at)
    )] == [50000, 45000]  # fmt: skip
    assert session.scalar(select(func.count(Expense.id))) == 2  # no second bale expense
    assert all(m.pin_hash is None for m in session.scalars(select(Member)))


def test_an_item_given_to_the_group_keeps_its_owners_rate(app, session):
    # The journal's consignor_bp of such an item is the rate she consigned it at, which the
    # item keeps (dispose clears only owner_id). Were the rate cleared, the export could only
    # give the policy's 6500 and the custom 6000 would be lost on the way round.
    items = build_shop(session)
    dress = items["dress"]
    assert (dress.owner_id, dress.consignor_bp) == (None, 6000)

    journal = export_journal(session, timezone=TZ)
    wipe(session)
    import_journal(session, journal, app_config=app.config)

    dress = session.scalar(select(Item).where(Item.code == dress.code))
    assert (dress.owner_id, dress.consignor_bp, dress.status) == (
        None,
        6000,
        ItemStatus.WRITTEN_OFF,
    )
    assert export_journal(session, timezone=TZ) == journal


def test_a_shop_without_a_name_has_no_journal_yet(session):
    with pytest.raises(JournalError):
        export_journal(session, timezone=TZ)


def test_a_new_shop_exports_only_what_it_has(app, session):
    member_service.save_shop_profile(session, "Shop")
    member(session, "Nguyễn Thị Hồng", "0912000001", date(2026, 10, 1), Role.COORDINATOR)

    assert export_journal(session, timezone=TZ) == {
        "format": "shop-journal",
        "version": 1,
        "shop": {"name": "Shop", "currency": "VND", "timezone": "Asia/Ho_Chi_Minh", "locale": "vi"},
        "members": [
            {"number": 1, "name": "Nguyễn Thị Hồng", "phone": "0912000001", "role": "coordinator",
             "joined_on": "2026-10-01"},
        ],
    }  # fmt: skip


def test_should_an_item_given_to_the_group_lack_its_rate_the_policys_is_written(session):
    # Today dispose keeps the rate; this is the fallback for a row without one (an older
    # schema, a hand-edited database): the journal stays valid, with the month's policy rate.
    items = build_shop(session)
    items["dress"].consignor_bp = None
    session.flush()

    journal = export_journal(session, timezone=TZ)

    rates = {i["code"]: i["consignor_bp"] for i in journal["intakes"][1]["items"]}
    assert rates[items["dress"].code] == 6500  # the policy's for November, not her 6000
    assert check_journal(journal) == []
