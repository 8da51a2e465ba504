"""The worked example (tests/data/trial-3-months.json) read into an empty shop and back out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.domain.sale import owner_split
from shop.journal import (
    ImportSummary,
    JournalInvalid,
    ShopNotEmpty,
    check_journal,
    export_journal,
    import_journal,
    normalise_journal,
)
from shop.models import (
    Donor,
    Expense,
    Intake,
    Item,
    ItemStatus,
    Member,
    PaymentMethod,
    PolicyRow,
    Refund,
    Role,
    Sale,
    Sequence,
    Shift,
    ShopProfile,
)
from shop.services import counter
from shop.services import members as member_service
from tests.factories import HANOI

from .conftest import full_example
from .test_check import SOUND_COUNTER_HISTORIES


def test_the_example_is_a_sound_journal(example):
    assert check_journal(full_example()) == []
    assert check_journal(example) == []


def test_the_example_imports_with_everyone_and_everything_in_place(app, session, example):
    summary = import_journal(session, example, app_config=app.config)

    assert summary == ImportSummary(
        policies=1,
        members=4,
        donors=2,
        intakes=5,
        items=6,
        lots=0,
        shifts=7,
        sales=4,
        refunds=1,
        expenses=2,
    )
    profile = session.get(ShopProfile, 1)
    assert (profile.name, profile.address, profile.locale) == (
        "NEW ME – Đồ cũ",
        "123 Nghĩa Dũng, Ba Đình, Hà Nội",
        "vi",
    )
    assert (profile.bank_bin, profile.bank_account, profile.bank_account_name) == (
        "970415",
        "113366668888",
        "NHOM NEW ME",
    )
    assert profile.receipt_footer == "Cảm ơn chị! Đổi hàng trong 3 ngày."
    policy = session.scalar(select(PolicyRow))
    assert (policy.from_month, policy.consignor_bp, policy.reserve_bp, policy.equal_bp) == (
        "2026-10",
        7000,
        1000,
        5000,
    )
    assert policy.markdown == [
        {"after_days": 30, "percent_off": 25},
        {"after_days": 60, "percent_off": 50},
    ]
    assert policy.clearance_after_days == 90

    members = {m.number: m for m in session.scalars(select(Member))}
    assert {n: (m.name, m.phone, m.role, m.joined_on, m.left_on) for n, m in members.items()} == {
        1: ("Nguyễn Thị Hồng", "0912000001", Role.COORDINATOR, date(2026, 10, 1), None),
        2: ("Nguyễn Thị Ngọc", "0912000002", Role.MEMBER, date(2026, 10, 1), None),
        3: ("Nguyễn Thị Út", "0912000003", Role.MEMBER, date(2026, 10, 1), None),
        4: ("Trần Thị Lan", "0912000004", Role.MEMBER, date(2026, 12, 15), None),
    }
    assert all(m.pin_hash is None for m in members.values())  # no PIN travels in a journal

    donors = {d.ref: (d.name, d.phone, d.organisation) for d in session.scalars(select(Donor))}
    assert donors == {"d1": ("Chị Mai", None, None), "d2": ("Văn phòng LIGHT", None, "LIGHT")}

    intakes = {i.ref: i for i in session.scalars(select(Intake))}
    assert {
        ref: (
            i.kind.value,
            i.received_at,
            i.by.number,
            i.donor.ref if i.donor else None,
            i.owner.number if i.owner else None,
        )
        for ref, i in intakes.items()
    } == {
        "i1": ("donation", datetime(2026, 11, 1, 2, 0, tzinfo=UTC), 1, "d1", None),
        "i2": ("consignment", datetime(2026, 11, 1, 2, 30, tzinfo=UTC), 1, None, 2),
        "i3": ("consignment", datetime(2026, 11, 1, 2, 45, tzinfo=UTC), 1, None, 3),
        "i4": ("donation", datetime(2026, 12, 1, 2, 0, tzinfo=UTC), 1, "d2", None),
        "i5": ("donation", datetime(2027, 1, 2, 2, 0, tzinfo=UTC), 1, "d2", None),
    }
    assert intakes["i5"].received_on == date(2027, 1, 2)  # the local date, not UTC's

    items = {i.code: i for i in session.scalars(select(Item))}
    assert {
        code: (
            i.intake.ref,
            i.category.name,
            i.description,
            i.size,
            i.condition.value,
            i.price_dong,
            i.owner.number if i.owner else None,
            i.consignor_bp,
        )
        for code, i in items.items()
    } == {
        "A": ("i1", "Áo", "Áo sơ mi nữ trắng", "M", "good", 50000, None, None),
        "D": ("i1", "Quần", "Quần jean xanh", "28", "fair", 25000, None, None),
        "B": ("i2", "Váy", "Váy liền hoa nhí", "S", "like_new", 120000, 2, 7000),
        "C": ("i3", "Áo", "Áo phông trẻ em", "6", "good", 35000, 3, 7000),
        "E": ("i4", "Túi", "Túi vải", None, "good", 20000, None, None),
        "F": ("i5", "Áo", "Áo khoác gió", "L", "like_new", 80000, None, None),
    }
    assert not any(i.is_lot for i in items.values())
    # Everything was sold; B came back on 4 December and is on the rail again.
    assert {code: i.status for code, i in items.items()} == {
        "A": ItemStatus.SOLD,
        "B": ItemStatus.IN_STOCK,
        "C": ItemStatus.SOLD,
        "D": ItemStatus.SOLD,
        "E": ItemStatus.SOLD,
        "F": ItemStatus.SOLD,
    }

    expenses = session.scalars(select(Expense).order_by(Expense.spent_on))
    assert [(e.spent_on, e.category.value, e.amount_dong, e.note, e.intake_id, e.by.number)
            for e in expenses] == [
        (date(2026, 11, 20), "supplies", 14950, "túi nilon", None, 1),
        (date(2026, 12, 15), "utilities", 10000, "tiền điện", None, 1),
    ]  # fmt: skip


def test_the_examples_counter_history_is_as_the_counter_keeps_it(app, session, example):
    import_journal(session, example, app_config=app.config)

    sales = {sale.number: sale for sale in session.scalars(select(Sale))}
    assert {
        number: (s.at, s.cashier.number, s.total_dong, s.cash_dong, s.transfer_dong,
                 s.tendered_dong, s.discount_dong, s.discount_reason)
        for number, s in sales.items()
    } == {
        1: (datetime(2026, 11, 3, 3, 15, tzinfo=UTC), 1, 160000, 160000, 0, 200000, 0, ""),
        2: (datetime(2026, 11, 5, 8, 30, tzinfo=UTC), 3, 54000, 0, 54000, 0, 6000,
            "khách quen"),
        3: (datetime(2026, 12, 10, 2, 30, tzinfo=UTC), 2, 20000, 20000, 0, 20000, 0, ""),
        4: (datetime(2027, 1, 8, 2, 0, tzinfo=UTC), 1, 80000, 80000, 0, 100000, 0, ""),
    }  # fmt: skip
    assert not any(sale.awaiting_transfer or sale.void for sale in sales.values())
    lines = {(s.number, line.item.code): line for s in sales.values() for line in s.lines}
    assert {
        key: (line.position, line.tag_price_dong, line.unit_price_dong, line.discount_dong,
              line.sale_discount_dong, line.net_dong,
              line.owner.number if line.owner else None, line.consignor_bp)
        for key, line in lines.items()
    } == {
        (1, "A"): (0, 50000, 50000, 0, 0, 50000, None, None),
        (1, "B"): (1, 120000, 120000, 10000, 0, 110000, 2, 7000),
        (2, "C"): (0, 35000, 35000, 0, 3500, 31500, 3, 7000),
        (2, "D"): (1, 25000, 25000, 0, 2500, 22500, None, None),
        (3, "E"): (0, 20000, 20000, 0, 0, 20000, None, None),
        (4, "F"): (0, 80000, 80000, 0, 0, 80000, None, None),
    }  # fmt: skip
    assert lines[1, "B"].discount_reason == "vết bẩn nhỏ"
    # docs/sharing.md's November table: Ngọc's split of B and Út's of C.
    assert owner_split(lines[1, "B"].net_dong, lines[1, "B"].consignor_bp) == 77000
    assert owner_split(lines[2, "C"].net_dong, lines[2, "C"].consignor_bp) == 22050

    shifts = list(session.scalars(select(Shift).order_by(Shift.opened_at)))
    assert [
        (s.member.number, s.opened_at, s.closed_at - s.opened_at, s.opening_float_dong,
         s.counted_cash_dong, s.expected_cash_dong)
        for s in shifts
    ] == [
        (1, datetime(2026, 11, 3, 1, tzinfo=UTC), timedelta(minutes=200), 200000, 360000, 360000),
        (2, datetime(2026, 11, 3, 4, 20, tzinfo=UTC), timedelta(minutes=100), 360000, 360000,
         360000),
        (3, datetime(2026, 11, 5, 6, tzinfo=UTC), timedelta(minutes=400), 200000, 200000, 200000),
        (1, datetime(2026, 12, 4, 2, tzinfo=UTC), timedelta(minutes=90), 200000, 90000, 90000),
        (2, datetime(2026, 12, 10, 2, tzinfo=UTC), timedelta(minutes=60), 200000, 220000, 220000),
        (1, datetime(2027, 1, 8, 1, tzinfo=UTC), timedelta(minutes=120), 200000, 280000, 280000),
        (4, datetime(2027, 1, 9, 1, tzinfo=UTC), timedelta(minutes=120), 200000, 200000, 200000),
    ]  # fmt: skip
    # Each sale is in its cashier's shift of that moment; each drawer's count matched.
    assert [sales[n].shift for n in (1, 2, 3, 4)] == [shifts[0], shifts[2], shifts[4], shifts[5]]

    refund = session.scalar(select(Refund))
    assert (
        refund.line, refund.at, refund.amount_dong, refund.quantity, refund.method,
        refund.by.number, refund.shift_id, refund.restock, refund.reason,
    ) == (
        lines[1, "B"], datetime(2026, 12, 4, 3, tzinfo=UTC), 110000, 1, PaymentMethod.CASH,
        1, shifts[3].id, True, "khách trả lại, không vừa",
    )  # fmt: skip


def test_the_counter_numbers_on_from_the_last_imported_sale(app, session, example):
    import_journal(session, example, app_config=app.config)
    assert session.get(Sequence, "sale").value == 4
    hong = session.scalar(select(Member).where(Member.number == 1))
    at = datetime(2027, 1, 10, 2, tzinfo=UTC)
    counter.open_shift(session, hong, 100_000, at=at, tz=HANOI)

    sale, _new = counter.record_sale(
        session,
        counter.SaleRequest(lines=(counter.LineRequest("B"),)),
        cashier=hong,
        at=at,
        tz=app.config["SHOP_TZ"],
    )

    assert sale.number == 5  # B, back on the rail since 4 December, sells again


def test_the_example_exports_as_it_was_read(app, session, example):
    import_journal(session, example, app_config=app.config)

    exported = export_journal(session, timezone=app.config["SHOP_TZ"])

    assert exported == normalise_journal(example)
    assert check_journal(exported) == []
    # The example spells out its nulls; the export leaves them out, which is all that differs.
    assert "left_on" not in exported["members"][0]
    assert exported["donors"][0] == {"ref": "d1", "name": "Chị Mai"}
    # Its counter history is already written the way the shop writes it.
    for section in ("shifts", "sales", "refunds"):
        assert exported[section] == example[section], section


@pytest.mark.parametrize(
    "change", SOUND_COUNTER_HISTORIES.values(), ids=SOUND_COUNTER_HISTORIES.keys()
)
def test_every_sound_counter_history_imports_and_exports_as_it_was_read(
    app, session, example, change
):
    # What check_journal passes, the import writes without a refusal, and gives back.
    change(example)

    import_journal(session, example, app_config=app.config)

    assert export_journal(session, timezone=app.config["SHOP_TZ"]) == normalise_journal(example)


def test_refunds_of_a_lot_on_two_lines_go_to_the_first_line_with_room(app, session, example):
    SOUND_COUNTER_HISTORIES["a lot on two lines of a sale, each refunded"](example)

    import_journal(session, example, app_config=app.config)

    refunds = session.scalars(select(Refund).order_by(Refund.at))
    assert [(r.line.position, r.quantity, r.amount_dong) for r in refunds][1:] == [
        (0, 2, 20000),
        (1, 3, 30000),
    ]
    socks = session.scalar(select(Item).where(Item.code == "SOCKS"))
    assert socks.quantity_on_hand == 5  # all back on the rail


def test_a_cash_refund_with_no_shift_open_is_kept_in_no_drawer(app, session, example):
    # At 11:00 Hồng's shift of 4 December had closed (10:30): the counter would have asked
    # her to open one first; the journal's refund is kept as it was, cash from no drawer.
    example["refunds"][0]["at"] = "2026-12-04T11:00:00+07:00"

    import_journal(session, example, app_config=app.config)

    refund = session.scalar(select(Refund))
    assert (refund.method, refund.shift_id) == (PaymentMethod.CASH, None)
    drawer = session.scalar(select(Shift).where(Shift.counted_cash_dong == 90000))
    assert drawer.expected_cash_dong == 200000  # nothing came out of it
    exported = export_journal(session, timezone=app.config["SHOP_TZ"])
    assert exported == normalise_journal(example)


def test_normalising_writes_out_the_schemas_defaults():
    minimal = {
        "format": "shop-journal",
        "version": 1,
        "shop": {"name": "Shop", "address": ""},
        "policies": [{"from_month": "2026-10", "consignor_bp": 6000}],
        "members": [
            {"number": 2, "name": "B", "joined_on": "2026-10-01", "phone": None},
            {"number": 1, "name": "A", "joined_on": "2026-10-01", "left_on": None},
        ],
        "intakes": [
            {
                "ref": "late",
                "kind": "consignment",
                "received_at": "2026-11-02T02:00:00Z",
                "by": 1,
                "owner": 2,
                "note": "",
                "items": [{"code": "X", "category": "Áo", "price_dong": 1000}],
                "lots": [],
            },
            {"ref": "early", "kind": "donation", "received_at": "2026-11-01T09:00+07:00", "by": 1},
        ],
        "sales": [],
    }

    assert normalise_journal(minimal) == {
        "format": "shop-journal",
        "version": 1,
        "shop": {
            "name": "Shop",
            "currency": "VND",
            "timezone": "Asia/Ho_Chi_Minh",
            "locale": "vi",
            "lost_item_pays": "owner_split",
        },
        "policies": [
            {
                "from_month": "2026-10",
                "consignor_bp": 6000,
                "reserve_bp": 1000,
                "equal_bp": 5000,
                "markdown": [
                    {"after_days": 30, "percent_off": 25},
                    {"after_days": 60, "percent_off": 50},
                ],
                "clearance_after_days": 90,
            }
        ],
        "members": [
            {"number": 1, "name": "A", "joined_on": "2026-10-01", "role": "member"},
            {"number": 2, "name": "B", "joined_on": "2026-10-01", "role": "member"},
        ],
        "intakes": [
            {
                "ref": "early",
                "kind": "donation",
                "received_at": "2026-11-01T09:00:00+07:00",
                "by": 1,
            },
            {
                "ref": "late",
                "kind": "consignment",
                "received_at": "2026-11-02T09:00:00+07:00",
                "by": 1,
                "owner": 2,
                "items": [
                    {
                        "code": "X",
                        "category": "Áo",
                        "price_dong": 1000,
                        "condition": "good",
                        "consignor_bp": 6000,
                    }
                ],
            },
        ],
    }


def test_a_payout_above_what_is_due_is_refused_and_nothing_is_written(app, session):
    journal = full_example()
    journal["payouts"][2]["amount_dong"] = 62_765  # Út's due for November is 62.764

    with pytest.raises(JournalInvalid) as caught:
        import_journal(session, journal, app_config=app.config)

    # The services' refusal, as the payout service words it (the check's own replay, with
    # its wording, is not made again by the import).
    assert [str(problem) for problem in caught.value.problems] == [
        "/payouts/2/amount_dong: At most 62.764\xa0₫ can still be paid to Nguyễn Thị Út for "
        "November 2026.",
    ]
    session.rollback()
    assert session.get(ShopProfile, 1) is None
    assert session.scalar(select(func.count(Member.id))) == 0
    assert session.scalar(select(func.count(Item.id))) == 0
    assert session.scalar(select(func.count(Sale.id))) == 0


def test_empty_payouts_and_closed_months_are_no_obstacle(app, session, example):
    example.update(payouts=[], closed_months=[])

    assert import_journal(session, example, app_config=app.config).members == 4


def test_a_journal_from_another_time_zone_is_refused(app, session, example):
    example["shop"]["timezone"] = "Europe/Paris"

    with pytest.raises(JournalInvalid) as caught:
        import_journal(session, example, app_config=app.config)

    assert [p.path for p in caught.value.problems] == ["/shop/timezone"]
    assert "Europe/Paris" in caught.value.problems[0].message


def test_a_shop_with_members_is_not_imported_into(app, session, example):
    details = member_service.MemberDetails(
        name="Nguyễn Thị Hồng",
        phone="0912000001",
        role=Role.COORDINATOR,
        joined_on=date(2026, 10, 1),
    )
    member_service.create_member(session, details, "2468", country_code="84")

    with pytest.raises(ShopNotEmpty):
        import_journal(session, example, app_config=app.config)
    assert session.get(ShopProfile, 1) is None


def test_a_service_refusal_becomes_a_problem_in_english_at_its_path(
    app, session, example, monkeypatch
):
    # check_journal would catch this first; without it the service's refusal must still
    # come back as a problem at the entry's path, in English although the shop speaks vi.
    monkeypatch.setattr("shop.journal.importer.check_journal", lambda data, **kw: [])
    example["price_changes"] = [
        {"code": "A", "at": "2026-11-02T09:00:00+07:00", "price_dong": 50000, "by": 1,
         "reason": "same"},
    ]  # fmt: skip

    with pytest.raises(JournalInvalid) as caught:
        import_journal(session, example, app_config=app.config)

    assert [str(p) for p in caught.value.problems] == [
        "/price_changes/0/price_dong: That is already its price."
    ]


def test_a_service_refusing_a_sale_points_at_the_sale(app, session, example, monkeypatch):
    monkeypatch.setattr("shop.journal.importer.check_journal", lambda data, **kw: [])
    example["sales"][1]["lines"][0]["code"] = "A"  # sold in sale 1 two days before

    with pytest.raises(JournalInvalid) as caught:
        import_journal(session, example, app_config=app.config)

    assert [str(p) for p in caught.value.problems] == ["/sales/1/lines: Item A is already sold."]
