"""The worked example (tests/data/trial-3-months.json) read into an empty shop and back out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

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
    PolicyRow,
    Role,
    ShopProfile,
)
from shop.services import members as member_service

from .conftest import full_example


def test_the_example_is_a_sound_journal(example):
    assert check_journal(full_example()) == []
    assert check_journal(example) == []


def test_the_example_imports_with_everyone_and_everything_in_place(app, session, example):
    summary = import_journal(session, example, app_config=app.config)

    assert summary == ImportSummary(
        policies=1, members=4, donors=2, intakes=5, items=6, lots=0, expenses=2
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
    assert all(i.status == ItemStatus.IN_STOCK and not i.is_lot for i in items.values())

    expenses = session.scalars(select(Expense).order_by(Expense.spent_on))
    assert [(e.spent_on, e.category.value, e.amount_dong, e.note, e.intake_id, e.by.number)
            for e in expenses] == [
        (date(2026, 11, 20), "supplies", 14950, "túi nilon", None, 1),
        (date(2026, 12, 15), "utilities", 10000, "tiền điện", None, 1),
    ]  # fmt: skip


def test_the_example_exports_as_it_was_read(app, session, example):
    import_journal(session, example, app_config=app.config)

    exported = export_journal(session, timezone=app.config["SHOP_TZ"])

    assert exported == normalise_journal(example)
    assert check_journal(exported) == []
    # The example spells out its nulls; the export leaves them out, which is all that differs.
    assert "left_on" not in exported["members"][0]
    assert exported["donors"][0] == {"ref": "d1", "name": "Chị Mai"}


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
        "shop": {"name": "Shop", "currency": "VND", "timezone": "Asia/Ho_Chi_Minh", "locale": "vi"},
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


def test_the_full_example_is_refused_one_problem_per_section_and_nothing_is_written(app, session):
    with pytest.raises(JournalInvalid) as caught:
        import_journal(session, full_example(), app_config=app.config)

    assert [str(problem) for problem in caught.value.problems] == [
        "/shifts: shifts cannot be imported yet.",
        "/sales: sales cannot be imported yet.",
        "/refunds: refunds cannot be imported yet.",
        "/payouts: payouts cannot be imported yet.",
        "/closed_months: closed_months cannot be imported yet.",
    ]
    session.rollback()
    assert session.get(ShopProfile, 1) is None
    assert session.scalar(select(func.count(Member.id))) == 0
    assert session.scalar(select(func.count(Item.id))) == 0


def test_empty_sections_that_cannot_be_imported_yet_are_no_obstacle(app, session, example):
    example.update(shifts=[], sales=[], refunds=[], payouts=[], closed_months=[])

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
