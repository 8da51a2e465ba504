"""A shop built through the services, exported, imported into an empty shop, exported again."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.domain import bank as rules
from shop.domain.pricing import MarkdownStep, Policy
from shop.journal import (
    JournalError,
    check_journal,
    export_journal,
    import_journal,
    normalise_journal,
)
from shop.models import (
    AuditEvent,
    BankSettings,
    BankTransaction,
    Condition,
    DisposalKind,
    Expense,
    ExpenseCategory,
    IntakeKind,
    Item,
    ItemStatus,
    Member,
    PaymentMethod,
    Payout,
    PriceChange,
    Role,
    Sale,
    Sequence,
    Shift,
)
from shop.services import bank as bank_service
from shop.services import counter
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
        stock_service.change_price(session, items[key], price, by=by, at=when, reason=reason, tz=TZ)

    reprice("shirt", 45000, hong, at(11, 10), "lâu chưa bán")
    reprice("shirt", 40000, ngoc, at(11, 20), "giảm tiếp")
    reprice("dress", 110000, hong, at(11, 12), "chủ đồng ý giảm")

    def dispose(key, kind, by, when, note=""):
        stock_service.dispose(
            session, items[key], kind, by=by, at=when, note=note,
            owner_consents=kind == DisposalKind.GIVEN_TO_GROUP, tz=TZ)  # fmt: skip

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


def run_the_counter(session, items: dict[str, Item]) -> dict[str, Sale]:
    """Two days of December at the counter of :func:`build_shop`'s shop; the sales by name.

    Cash with change and both kinds of discount, a transfer, a split payment, a void, a
    sale from the paper notebook, partial refunds of a lot, a refund that puts an item back
    and its second sale, a free sale, and a transfer still waiting in a shift still open.
    """
    hong, ngoc, lan = (
        session.scalar(select(Member).where(Member.number == number)) for number in (1, 2, 4)
    )
    code = {name: item.code for name, item in items.items()}
    line = counter.LineRequest

    def sell(cashier, when, *lines, **payment):
        request = counter.SaleRequest(lines=lines, **payment)
        return counter.record_sale(session, request, cashier=cashier, at=when, tz=TZ)[0]

    def refund(sale, position, amount, quantity, method, restock, when):
        counter.refund_line(
            session, sale, position, amount_dong=amount, quantity=quantity, method=method,
            reason="khách trả lại", restock=restock, by=lan, at=when,
            shift=counter.current_shift(session, lan), tz=TZ)  # fmt: skip

    sales: dict[str, Sale] = {}
    morning = counter.open_shift(session, hong, 500_000, at=at(12, 1, 8), tz=TZ)
    sales["cash"] = sell(
        hong,
        at(12, 1, 9),
        line(code["shirt"]),  # 40.000 since 20 November
        line(code["scarves"], quantity=3, discount_dong=2000, discount_reason="hơi xù"),
        discount_dong=3000,
        discount_reason="khách quen",
        tendered_dong=100_000,
    )
    sales["transfer"] = sell(hong, at(12, 1, 9, 30), line(code["hat"]), transfer_dong=30_000)
    counter.confirm_transfer(session, sales["transfer"], at=at(12, 1, 9, 32))
    sales["split"] = sell(
        hong,
        at(12, 1, 10),
        line(code["bale"], quantity=5),
        transfer_dong=50_000,
        tendered_dong=50_000,
    )
    counter.confirm_transfer(session, sales["split"], at=at(12, 1, 10, 2))
    sales["voided"] = sell(hong, at(12, 1, 10, 15), line(code["socks"], quantity=2))
    counter.void_sale(
        session, sales["voided"], by=hong, at=at(12, 1, 10, 20), reason="bấm nhầm", tz=TZ
    )
    # At 11:00 Hồng enters a sale of 8:30 from the paper notebook: a later number, an
    # earlier time.
    sales["notebook"] = counter.record_sale(
        session,
        counter.SaleRequest(lines=(line(code["socks"]),)),
        cashier=hong,
        at=at(12, 1, 8, 30),
        tz=TZ,
        entered_by=hong,
        shift=counter.shift_at(session, hong, at(12, 1, 8, 30)),
        require_shift=False,
        transfer_confirmed=True,
    )[0]
    counter.close_shift(session, morning, 619_000, at=at(12, 1, 12), by=hong)

    afternoon = counter.open_shift(session, lan, 200_000, at=at(12, 2, 9), tz=TZ)
    scarves = 1  # the position of the scarves in the first sale
    refund(sales["cash"], scarves, 9000, 1, PaymentMethod.CASH, True, at(12, 2, 9, 30))
    refund(sales["cash"], scarves, 9000, 1, PaymentMethod.CASH, False, at(12, 2, 9, 40))
    refund(sales["transfer"], 0, 30_000, 1, PaymentMethod.TRANSFER, True, at(12, 2, 9, 50))
    refund(sales["split"], 0, 40_000, 2, PaymentMethod.TRANSFER, False, at(12, 2, 9, 55))
    sales["again"] = sell(lan, at(12, 2, 10), line(code["hat"]), tendered_dong=50_000)
    sales["free"] = sell(
        lan,
        at(12, 2, 10, 30),
        line(code["handbag"], discount_dong=90_000, discount_reason="quà cho chị bảo vệ"),
    )
    counter.close_shift(session, afternoon, 212_000, at=at(12, 2, 12), by=lan)
    counter.open_shift(session, ngoc, 0, at=at(12, 2, 13), tz=TZ)
    sales["waiting"] = sell(ngoc, at(12, 2, 13, 5), line(code["socks"]), transfer_dong=5000)
    session.flush()
    return sales


def counter_state(session) -> dict:
    """What the counter's history left behind, to compare a shop with its copy."""
    return {
        "stock": {
            item.code: (item.status, item.quantity_on_hand)
            for item in session.scalars(select(Item).order_by(Item.code))
        },
        "drawers": [
            (shift.member.number, shift.closed_at, shift.expected_cash_dong, shift.count_note)
            for shift in session.scalars(select(Shift).order_by(Shift.opened_at))
        ],
        "sales": [
            (sale.number, sale.shift.member.number, sale.total_dong, sale.cash_dong,
             [(line.net_dong, line.owner.number if line.owner else None, line.consignor_bp)
              for line in sale.lines])
            for sale in session.scalars(select(Sale).order_by(Sale.number))
        ],
    }  # fmt: skip


def test_a_shops_counter_history_round_trips(app, session):
    sales = run_the_counter(session, build_shop(session))
    assert sales["waiting"].awaiting_transfer
    short = [s for s in session.scalars(select(Shift).order_by(Shift.opened_at))
             if s.closed_at and s.counted_cash_dong != s.expected_cash_dong]  # fmt: skip
    assert short, "the history has a count with a difference to explain"
    counter.note_count(session, short[0], "  thối nhầm   cho khách ", by=short[0].member)
    before = counter_state(session)
    first = export_journal(session, timezone=TZ)
    assert check_journal(first) == []
    assert [s.get("count_note") for s in first["shifts"] if "count_note" in s] == [
        "thối nhầm cho khách"
    ]

    wipe(session)
    summary = import_journal(session, first, app_config=app.config)

    assert export_journal(session, timezone=TZ) == first
    assert (summary.shifts, summary.sales, summary.voids, summary.refunds) == (3, 8, 1, 4)
    assert counter_state(session) == before
    waiting = session.scalar(select(Sale).where(Sale.number == sales["waiting"].number))
    assert not waiting.awaiting_transfer  # a journal's transfer comes in as arrived
    assert session.get(Sequence, "sale").value == 8


def test_what_the_journal_says_about_the_counter(app, session):
    items = build_shop(session)
    sales = run_the_counter(session, items)

    journal = export_journal(session, timezone=TZ)

    assert [(s["member"], s.get("closed_at"), s.get("counted_cash_dong")) for s in journal["shifts"]
            ] == [
        (1, "2026-12-01T12:00:00+07:00", 619_000),
        (4, "2026-12-02T12:00:00+07:00", 212_000),
        (2, None, None),  # still open, its transfer waiting
    ]  # fmt: skip
    by_number = {sale["number"]: sale for sale in journal["sales"]}
    assert list(by_number) == list(range(1, 9))
    assert by_number[sales["cash"].number] == {
        "number": 1,
        "at": "2026-12-01T09:00:00+07:00",
        "cashier": 1,
        "lines": [
            {"code": items["shirt"].code, "unit_price_dong": 40000},
            {"code": items["scarves"].code, "quantity": 3, "unit_price_dong": 10000,
             "discount_dong": 2000, "discount_reason": "hơi xù"},
        ],
        "discount_dong": 3000,
        "discount_reason": "khách quen",
        "payments": [{"method": "cash", "amount_dong": 65000, "tendered_dong": 100_000}],
    }  # fmt: skip
    assert [by_number[sales[name].number]["payments"] for name in ("split", "free", "waiting")
            ] == [
        [{"method": "cash", "amount_dong": 50000, "tendered_dong": 50000},
         {"method": "transfer", "amount_dong": 50000}],
        [{"method": "cash", "amount_dong": 0, "tendered_dong": 0}],
        [{"method": "transfer", "amount_dong": 5000}],
    ]  # fmt: skip
    assert by_number[sales["voided"].number]["void"] == {
        "at": "2026-12-01T10:20:00+07:00",
        "by": 1,
        "reason": "bấm nhầm",
    }
    assert by_number[sales["notebook"].number]["at"] == "2026-12-01T08:30:00+07:00"
    assert [
        (r["sale"], r["code"], r.get("quantity"), r["amount_dong"], r["method"], r["restock"])
        for r in journal["refunds"]
    ] == [
        (1, items["scarves"].code, None, 9000, "cash", True),
        (1, items["scarves"].code, None, 9000, "cash", False),
        (2, "HAT-1", None, 30000, "transfer", True),
        (3, items["bale"].code, 2, 40000, "transfer", False),
    ]


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
        "shop": {
            "name": "Shop",
            "currency": "VND",
            "timezone": "Asia/Ho_Chi_Minh",
            "locale": "vi",
            "lost_item_pays": "owner_split",
        },
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


def test_closed_months_payouts_and_corrected_expenses_round_trip(app, session):
    from shop.services import expenses as expense_service
    from shop.services import month as month_service

    from .conftest import full_example

    import_journal(session, full_example(), app_config=app.config)
    hong, ngoc = (member_service.get_member(session, number) for number in (1, 2))
    # January is closed, February not yet: part of Hồng's 19.238 is paid on 3 February.
    payout, _ = month_service.record_payout(
        session, hong, "2027-01", 19_000, date(2027, 2, 3), PaymentMethod.TRANSFER, hong
    )
    # 1.000 of it recorded wrong: taken back the next day, with the reason.
    month_service.correct_payout(
        session, payout, 1_000, "gõ nhầm số tiền", by=hong,
        at=datetime(2027, 2, 4, 8, 30, tzinfo=TZ), tz=TZ,
    )  # fmt: skip
    # February's rent, corrected once; a bag of bags recorded by mistake and removed.
    rent, _ = expense_service.add_expense(
        session, expense_service.ExpenseDetails(date(2027, 2, 1), "rent", 3_000_000), by=hong
    )
    expense_service.edit_expense(
        session,
        rent,
        expense_service.ExpenseDetails(date(2027, 2, 1), "rent", 2_500_000, "tiền nhà"),
        by=ngoc,
        at=datetime(2027, 2, 2, 9, tzinfo=TZ),
    )
    mistake, _ = expense_service.add_expense(
        session, expense_service.ExpenseDetails(date(2027, 2, 2), "supplies", 5_000), by=hong
    )
    expense_service.remove_expense(session, mistake, by=hong, at=datetime(2027, 2, 2, tzinfo=TZ))
    month_service.close_month(
        session, "2027-02", by=hong, at=datetime(2027, 3, 1, tzinfo=TZ), tz=TZ
    )

    first = export_journal(session, timezone=TZ)

    assert check_journal(first) == []
    assert first["closed_months"] == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert first["payouts"][-1] == {
        "member": 1,
        "month": "2027-01",
        "amount_dong": 19_000,
        "paid_on": "2027-02-03",
        "method": "transfer",
        "corrections": [
            {
                "amount_dong": 1_000,
                "reason": "gõ nhầm số tiền",
                "at": "2027-02-04T08:30:00+07:00",
                "by": 1,
            }
        ],
    }
    # Only an expense's current version travels; a removed one does not.
    assert first["expenses"][-1] == {
        "on": "2027-02-01",
        "category": "rent",
        "amount_dong": 2_500_000,
        "note": "tiền nhà",
        "by": 1,
    }
    assert len(first["expenses"]) == 3

    wipe(session)
    summary = import_journal(session, first, app_config=app.config)

    assert (summary.payouts, summary.closed_months, summary.expenses) == (4, 4, 3)
    assert export_journal(session, timezone=TZ) == first
    january = month_service.month_figures(session, "2027-01", TZ)
    assert [(m.member, m.paid_dong, m.carried_forward_dong) for m in january.members][0] == (
        1,
        18_000,
        1_238,
    )
    february = month_service.month_figures(session, "2027-02", TZ)
    assert (february.expenses_dong, february.carried_loss_dong) == (2_500_000, 2_500_000)
    assert [m.brought_forward_dong for m in february.members] == [1_238, -70_587, 9_176, 19_237]


# -- the bank inbox --------------------------------------------------------------------

SECRETS = {"sepay_webhook_key": "webhook-key-never-exported", "sepay_api_token": "token-never"}


def run_the_bank(session, sales: dict[str, Sale]) -> dict[str, BankTransaction]:
    """A bank feed over :func:`run_the_counter`'s two days: every kind of outcome once at
    least, two reviews decided; the transactions by name. Adds two sales waiting for their
    transfer in Ngọc's open shift ("bale", paid on review, and "short", still waiting)."""
    hong, ngoc = (member_service.get_member(session, number) for number in (1, 2))
    bank_service.save_settings(
        session, by=hong, at=at(12, 1, 7), provider="sepay", check_days=5, new_keys=SECRETS
    )
    code = {item.description: item.code for item in session.scalars(select(Item))}
    for name, item, when in (("bale", code["áo thun"], at(12, 2, 13, 10)),
                             ("short", code["Khăn"], at(12, 2, 13, 15))):  # fmt: skip
        request = counter.SaleRequest(lines=(counter.LineRequest(item),), all_by_transfer=True)
        sales[name] = counter.record_sale(session, request, cashier=ngoc, at=when, tz=TZ)[0]
    assert (sales["bale"].transfer_dong, sales["short"].transfer_dong) == (20_000, 10_000)

    def sale_code(name):
        return rules.sale_code(sales[name].number)

    rows: dict[str, BankTransaction] = {}
    received = at(12, 2, 14)

    def feed(name, content, amount, *, direction=rules.Direction.IN, account="113366668888",
             via="webhook"):  # fmt: skip
        nonlocal received
        received += timedelta(minutes=1)
        incoming = rules.BankTransaction(
            provider="sepay", provider_id=f"sp-{len(rows) + 1}", direction=direction,
            amount_dong=amount, content=content, at=received - timedelta(seconds=20),
            account=account, reference=f"FT2633{len(rows):04d}",
            raw=json.dumps({"id": len(rows) + 1, "content": content, "transferAmount": amount}),
        )  # fmt: skip
        rows[name], _new = bank_service.receive(
            session, incoming, via=via, signature_ok=True, at=received
        )

    feed("confirms", f"MBVCB.3278907687.{sale_code('waiting')}.NEWME.CT tu 0123", 5_000)
    feed("verifies", f"{sale_code('transfer')} NEW ME", 30_000, via="poll")
    feed("again", sale_code("waiting").lower(), 5_000)
    feed("voided", sale_code("voided"), 10_000)
    feed("low", sale_code("short"), 9_000)
    feed("no code", "chuyen tien ao thun", 20_000)
    feed("deposit", "tien coc", 77_000)
    feed("elsewhere", sale_code("short"), 10_000, account="999988887777")
    feed("refund", "hoan tien khach", 30_000, direction=rules.Direction.OUT)
    feed("refund split", "hoan tien", 40_000, direction=rules.Direction.OUT)
    feed("out", "rut tien", 12_345, direction=rules.Direction.OUT)
    assert rows["no code"].suggestions == [sales["bale"].number]
    bank_service.resolve(session, rows["no code"], by=hong, at=at(12, 2, 15),
                         sale_number=sales["bale"].number)  # fmt: skip
    bank_service.resolve(session, rows["deposit"], by=hong, at=at(12, 2, 15, 5),
                         note="  tiền cọc   của chị Mai ")  # fmt: skip
    session.flush()
    return rows


def test_the_bank_inbox_round_trips_as_it_was(app, session):
    sales = run_the_counter(session, build_shop(session))
    rows = run_the_bank(session, sales)
    outcomes = {name: (row.outcome.value, row.reason.value if row.reason else None)
                for name, row in rows.items()}  # fmt: skip
    assert outcomes == {
        "confirms": ("confirmed", None),
        "verifies": ("verified", None),
        "again": ("review", "already_confirmed"),
        "voided": ("review", "voided"),
        "low": ("review", "amount_low"),
        "no code": ("review", "no_code"),
        "deposit": ("review", "no_code"),
        "elsewhere": ("review", "other_account"),
        "refund": ("outgoing", None),
        "refund split": ("outgoing", None),
        "out": ("review", "outgoing"),
    }
    first = export_journal(session, timezone=TZ)
    assert check_journal(first) == []
    text = json.dumps(first, ensure_ascii=False)
    assert all(secret not in text for secret in SECRETS.values())

    wipe(session)
    summary = import_journal(session, first, app_config=app.config)

    assert summary.bank_transactions == 11
    assert export_journal(session, timezone=TZ) == first
    assert normalise_journal(first) == first
    # Stored as they were, not matched again: the sale its code names is no longer waiting
    # (the import takes every transfer as arrived), yet the transaction still confirmed it.
    stored = {row.provider_id: row for row in session.scalars(select(BankTransaction))}
    assert [(r.outcome, r.reason) for r in stored.values()] == [
        (row.outcome, row.reason) for row in rows.values()
    ]
    by_number = {sale.number: sale for sale in session.scalars(select(Sale))}
    waiting, hand = by_number[sales["waiting"].number], by_number[sales["transfer"].number]
    assert waiting.confirmed_by_id is None and waiting.bank_payment.provider_id == "sp-1"
    assert waiting.confirmed_at == at(12, 2, 14, 1)
    assert hand.confirmed_by.number == 1 and hand.confirmed_at == at(12, 1, 9, 32)
    now = at(12, 20)
    assert bank_service.check_of(session, waiting, now=now) == rules.Check.BANK
    assert bank_service.check_of(session, hand, now=now) == rules.Check.VERIFIED
    split = by_number[sales["split"].number]
    assert bank_service.check_of(session, split, now=now) == rules.Check.NOT_SEEN
    assert bank_service.to_review(session) == [stored[f"sp-{n}"] for n in (11, 8, 5, 4, 3)]
    settings = bank_service.bank_settings(session)
    assert (settings.provider, settings.code_prefix, settings.check_days) == ("sepay", "NM", 5)
    assert settings.feed_since == at(12, 1, 7)
    assert bank_service.keys(session, {}) == bank_service.Keys()  # set again after a move


def test_what_the_journal_says_about_the_bank(app, session):
    sales = run_the_counter(session, build_shop(session))
    run_the_bank(session, sales)

    journal = export_journal(session, timezone=TZ)

    assert journal["shop"]["bank_feed"] == {
        "provider": "sepay",
        "code_prefix": "NM",
        "check_days": 5,
        "feed_since": "2026-12-01T07:00:00+07:00",
    }
    by_number = {sale["number"]: sale for sale in journal["sales"]}
    assert {number: (sale.get("confirmed_at"), sale.get("confirmed_by"))
            for number, sale in by_number.items() if "confirmed_at" in sale} == {
        2: ("2026-12-01T09:32:00+07:00", 1),  # by hand
        3: ("2026-12-01T10:02:00+07:00", 1),
        8: ("2026-12-02T14:01:00+07:00", None),  # by the bank
        9: ("2026-12-02T15:00:00+07:00", None),  # on review
    }  # fmt: skip
    transactions = {t["provider_id"]: t for t in journal["bank_transactions"]}
    assert transactions["sp-1"] == {
        "provider": "sepay",
        "provider_id": "sp-1",
        "reference": "FT26330000",
        "account": "113366668888",
        "direction": "in",
        "amount_dong": 5000,
        "content": "MBVCB.3278907687.NM84.NEWME.CT tu 0123",
        "at": "2026-12-02T14:00:40+07:00",
        "received_at": "2026-12-02T14:01:00+07:00",
        "via": "webhook",
        "signature_ok": True,
        "raw": '{"id": 1, "content": "MBVCB.3278907687.NM84.NEWME.CT tu 0123", '
        '"transferAmount": 5000}',
        "outcome": "confirmed",
        "sale": 8,
        "pays_sale": True,
    }
    assert {key: transactions["sp-6"][key] for key in (
        "outcome", "reason", "suggestions", "sale", "pays_sale", "resolved_at", "resolved_by")
    } == {"outcome": "review", "reason": "no_code", "suggestions": [9], "sale": 9,
          "pays_sale": True, "resolved_at": "2026-12-02T15:00:00+07:00",
          "resolved_by": 1}  # fmt: skip
    assert transactions["sp-7"]["resolution"] == "tiền cọc của chị Mai"
    assert "sale" not in transactions["sp-7"]
    assert transactions["sp-9"]["refund"] == {
        "sale": 2, "code": "HAT-1", "at": "2026-12-02T09:50:00+07:00"
    }  # fmt: skip
    assert transactions["sp-10"]["refund"]["sale"] == 3
    assert transactions["sp-4"]["sale"] == 4 and "pays_sale" not in transactions["sp-4"]


def test_a_payout_paid_by_transfer_keeps_its_bank_transaction(app, session):
    from shop.services import month as month_service

    from .conftest import full_example

    import_journal(session, full_example(), app_config=app.config)
    hong = member_service.get_member(session, 1)
    payout, _ = month_service.record_payout(
        session, hong, "2027-01", 19_000, date(2027, 2, 3), PaymentMethod.TRANSFER, hong
    )
    sent = payout.created_at + timedelta(minutes=5)  # as the bank booked it
    incoming = rules.BankTransaction(
        provider="casso", provider_id="9001", direction=rules.Direction.OUT, amount_dong=19_000,
        content="tra chia loi thang 1", at=sent, account="",
    )  # fmt: skip
    row, _ = bank_service.receive(
        session, incoming, via="poll", signature_ok=True, at=sent + timedelta(minutes=1)
    )
    assert row.outcome == rules.Outcome.OUTGOING and row.payout_id is not None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "bank_outgoing"))
    assert (event.subject, event.by_id, event.detail["payout"], event.detail["month"]) == (
        "member 1", None, payout.id, "2027-01",
    )  # fmt: skip

    first = export_journal(session, timezone=TZ)
    assert first["bank_transactions"][0]["payout"] == {
        "member": 1, "month": "2027-01", "paid_on": "2027-02-03"
    }  # fmt: skip
    assert "bank_feed" not in first["shop"]  # no feed was ever set up
    wipe(session)
    import_journal(session, first, app_config=app.config)

    assert export_journal(session, timezone=TZ) == first
    (stored,) = session.scalars(select(BankTransaction))
    paid = session.get(Payout, stored.payout_id)
    assert (paid.amount_dong, paid.member.number, paid.paid_on) == (19_000, 1, date(2027, 2, 3))


def test_a_journal_from_before_the_bank_feed_imports_as_before(app, session):
    # No bank_transactions, no bank_feed, no confirmed_at or confirmed_by: its transfers come
    # in confirmed at the sale's moment by no member (none was recorded), with no feed.
    from .conftest import full_example

    journal = full_example()
    assert "bank_transactions" not in journal
    import_journal(session, journal, app_config=app.config)

    transfers = [s for s in session.scalars(select(Sale)) if s.transfer_dong > 0]
    assert transfers and all(
        s.confirmed_at == s.at and s.confirmed_by_id is None for s in transfers
    )
    assert session.get(BankSettings, 1) is None
    assert session.scalar(select(func.count(BankTransaction.id))) == 0


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            lambda j, t: t[1].update(provider_id=t[0]["provider_id"]),
            "/bank_transactions/1/provider_id",
            "is here twice",
        ),
        (
            lambda j, t: t[0].update(amount_dong=5001, content="x"),
            "/bank_transactions/0/amount_dong",
            "does not pay it",
        ),
        (
            lambda j, t: t[0].update(reason="no_code"),
            "/bank_transactions/0/reason",
            "Only a transaction on review has a reason",
        ),
        (lambda j, t: t[0].pop("pays_sale"), "/bank_transactions/0/pays_sale", "pays it"),
        (
            lambda j, t: t[2].update(pays_sale=True),
            "/bank_transactions/2/sale",
            "paid by one bank transaction only",
        ),
        (
            lambda j, t: t[0].update(sale=99),
            "/bank_transactions/0/sale",
            "There is no sale number 99",
        ),
        (
            lambda j, t: t[8]["refund"].update(at="2026-12-02T09:51:00+07:00"),
            "/bank_transactions/8/refund",
            "There is no refund by transfer of 30000",
        ),
        (
            lambda j, t: t[9].update(refund=t[8]["refund"]),
            "/bank_transactions/9/refund",
            "There is no refund by transfer of 40000",
        ),
        (
            lambda j, t: t[8].update(direction="in"),
            "/bank_transactions/8/refund",
            "Money that came in pays no refund",
        ),
        (lambda j, t: t[5].pop("resolved_by"), "/bank_transactions/5/resolved_at", "both when"),
        (
            lambda j, t: t[5].update(resolved_by=9),
            "/bank_transactions/5/resolved_by",
            "There is no member number 9",
        ),
        (
            lambda j, t: t[0].update(suggestions=[77]),
            "/bank_transactions/0/suggestions/0",
            "There is no sale number 77",
        ),
        (
            lambda j, t: j["sales"][7].update(confirmed_by=2),
            "/bank_transactions/0/sale",
            "no member confirmed it by hand",
        ),
        (
            lambda j, t: j["sales"][1].update(confirmed_at="2026-12-01T09:00:00+07:00"),
            "/sales/1/confirmed_at",
            "before the sale",
        ),
        (
            lambda j, t: j["sales"][0].update(confirmed_by=1),
            "/sales/0/confirmed_by",
            "no transfer part",
        ),
        (
            lambda j, t: j["sales"][1].update(confirmed_by=12),
            "/sales/1/confirmed_by",
            "There is no member number 12",
        ),
    ],
)
def test_a_bank_inbox_that_does_not_hold_together_is_refused(app, session, change, path, words):
    sales = run_the_counter(session, build_shop(session))
    run_the_bank(session, sales)
    journal = export_journal(session, timezone=TZ)
    change(journal, journal["bank_transactions"])

    problems = check_journal(journal)

    assert [p.path for p in problems] == [path], problems
    assert words in problems[0].message


def test_a_journal_never_carries_the_feeds_keys(app, session):
    sales = run_the_counter(session, build_shop(session))
    run_the_bank(session, sales)
    journal = export_journal(session, timezone=TZ)
    journal["shop"]["bank_feed"]["sepay_api_token"] = "token"
    journal["shop"]["bank_feed"]["code_prefix"] = "nm"

    problems = {p.path: p.message for p in check_journal(journal)}

    assert set(problems) == {"/shop/bank_feed/sepay_api_token", "/shop/bank_feed/code_prefix"}
    assert problems["/shop/bank_feed/code_prefix"] == (
        '"nm" is not a code prefix of 2 to 6 capital letters A to Z.'
    )
