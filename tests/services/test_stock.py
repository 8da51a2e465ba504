import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from shop.domain.codes import has_valid_check_digit
from shop.domain.pricing import DEFAULT_POLICY, Policy
from shop.extensions import db
from shop.models import (
    Condition,
    DisposalKind,
    Expense,
    IntakeKind,
    Item,
    ItemStatus,
    PriceChange,
)
from shop.services import members as member_service
from shop.services import stock as svc
from shop.services.errors import InvalidInput
from shop.services.policy import record_policy

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi


@pytest.fixture
def ctx(app, coordinator, member):
    with app.app_context(), app.test_request_context():
        yield db.session


def boss(session):
    return member_service.get_member(session, 1)


def donation(session, at=AT, **kw):
    return svc.receive_intake(
        session, svc.IntakeDetails(IntakeKind.DONATION, at, **kw), by=boss(session), tz=HANOI
    )


def test_donation_with_a_new_donor_and_items_get_check_digit_codes(ctx):
    intake = donation(ctx, new_donor=svc.DonorDetails("Chị Mai", "0912 111 222"))
    first = svc.add_item(ctx, intake, svc.ItemDetails("Áo", 50_000, "Áo sơ mi trắng", "M"))
    second = svc.add_item(ctx, intake, svc.ItemDetails("áo", 30_000))
    assert intake.donor.name == "Chị Mai" and intake.ref == "N1"
    assert (first.code, second.code) == ("10008", "10019")
    assert all(has_valid_check_digit(i.code) for i in (first, second))
    assert first.category is second.category  # "áo" is the same category as "Áo"
    assert first.received_on == date(2026, 11, 1)
    assert first.owner_id is None and first.consignor_bp is None
    assert "ao so mi trang" in first.search_text


def test_consignment_copies_the_policy_rate_onto_each_item(ctx):
    record_policy(ctx, "2026-11", Policy(consignor_bp=6500))
    intake = svc.receive_intake(
        ctx, svc.IntakeDetails(IntakeKind.CONSIGNMENT, AT, owner_number=2), by=boss(ctx), tz=HANOI
    )
    item = svc.add_item(ctx, intake, svc.ItemDetails("Váy", 120_000, condition=Condition.LIKE_NEW))
    record_policy(ctx, "2026-11", Policy(consignor_bp=8000))  # later change: item keeps 6500
    ctx.refresh(item)
    assert item.owner.number == 2 and item.consignor_bp == 6500


def test_purchase_cost_becomes_a_stock_purchase_expense(ctx):
    intake = svc.receive_intake(
        ctx,
        svc.IntakeDetails(IntakeKind.PURCHASE, AT, supplier="Ninh Hiệp", cost_dong=1_200_000),
        by=boss(ctx),
        tz=HANOI,
    )
    expense = ctx.scalar(select(Expense))
    assert expense.amount_dong == 1_200_000 and expense.intake_id == intake.id
    assert expense.category.value == "stock_purchase" and expense.spent_on == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({"kind": IntakeKind.CONSIGNMENT}, "owner"),
        ({"kind": IntakeKind.CONSIGNMENT, "owner_number": 9}, "owner"),
        ({"kind": IntakeKind.PURCHASE}, "supplier"),
        ({"kind": IntakeKind.PURCHASE, "supplier": "x", "cost_dong": 0}, "cost"),
        ({"kind": IntakeKind.PURCHASE, "supplier": "x"}, "cost"),  # a bale with no cost
        ({"kind": IntakeKind.DONATION, "new_donor": svc.DonorDetails("  ")}, "donor_name"),
    ],
)
def test_intake_refusals_name_the_field(ctx, details, field):
    kind = details.pop("kind")
    with pytest.raises(InvalidInput) as caught:
        svc.receive_intake(ctx, svc.IntakeDetails(kind, AT, **details), by=boss(ctx), tz=HANOI)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (svc.ItemDetails("Áo", 0), "price_dong"),
        (svc.ItemDetails("", 1000), "category"),
        (svc.ItemDetails("Áo", 1000, code="bad code"), "code"),
        (svc.ItemDetails("Áo", 1000, consignor_bp=7000), "consignor_bp"),
    ],
)
def test_item_refusals_name_the_field(ctx, details, field):
    intake = donation(ctx)
    with pytest.raises(InvalidInput) as caught:
        svc.add_item(ctx, intake, details)
    assert caught.value.field == field


def test_given_codes_must_be_unique_and_new_codes_skip_them(ctx):
    intake = donation(ctx)
    svc.add_item(ctx, intake, svc.ItemDetails("Áo", 1000, code="10008"))
    with pytest.raises(InvalidInput):
        svc.add_item(ctx, intake, svc.ItemDetails("Áo", 1000, code="10008"))
    assert svc.add_item(ctx, intake, svc.ItemDetails("Áo", 1000)).code == "10019"


def test_lot_keeps_a_quantity(ctx):
    lot = svc.add_lot(ctx, donation(ctx), svc.LotDetails("Phụ kiện", 10_000, 40, "Tất"))
    assert lot.is_lot and lot.quantity_on_hand == 40 and lot.in_stock
    with pytest.raises(InvalidInput) as caught:
        svc.add_lot(ctx, donation(ctx), svc.LotDetails("Phụ kiện", 10_000, 0))
    assert caught.value.field == "quantity"


def test_markdown_at_the_counter_across_a_month_end_and_the_time_zone(ctx):
    # 17:30 UTC on 30 October is 00:30 on 31 October in Hanoi: the intake's local day.
    intake = donation(ctx, at=datetime(2026, 10, 30, 17, 30, tzinfo=UTC))
    item = svc.add_item(ctx, intake, svc.ItemDetails("Áo", 50_000))
    assert item.received_on == date(2026, 10, 31)
    expected = {
        date(2026, 11, 29): (29, 50_000),
        date(2026, 11, 30): (30, 37_000),
        date(2026, 12, 29): (59, 37_000),
        date(2026, 12, 30): (60, 25_000),
        date(2027, 1, 29): (90, 25_000),
    }
    for day, (days, charged) in expected.items():
        pricing = svc.pricing(item, day, DEFAULT_POLICY)
        assert (pricing.days, pricing.charged_dong) == (days, charged), day
    assert svc.pricing(item, date(2027, 1, 29), DEFAULT_POLICY).clearance
    assert not svc.pricing(item, date(2027, 1, 28), DEFAULT_POLICY).clearance


def test_price_changes_are_kept_with_who_when_why(ctx):
    item = svc.add_item(ctx, donation(ctx), svc.ItemDetails("Áo", 50_000))
    with pytest.raises(InvalidInput) as caught:
        svc.change_price(ctx, item, 40_000, by=boss(ctx), at=AT, reason=" ", tz=HANOI)
    assert caught.value.field == "reason"
    svc.change_price(ctx, item, 40_000, by=boss(ctx), at=AT, reason="vết bẩn", tz=HANOI)
    svc.change_price(ctx, item, 35_000, by=boss(ctx), at=AT, reason="lâu chưa bán", tz=HANOI)
    history = svc.price_history(ctx, item)
    assert [(c.old_price_dong, c.price_dong, c.reason) for c in history] == [
        (50_000, 40_000, "vết bẩn"),
        (40_000, 35_000, "lâu chưa bán"),
    ]
    assert item.price_dong == 35_000


def consigned(ctx):
    intake = svc.receive_intake(
        ctx, svc.IntakeDetails(IntakeKind.CONSIGNMENT, AT, owner_number=2), by=boss(ctx), tz=HANOI
    )
    return svc.add_item(ctx, intake, svc.ItemDetails("Váy", 120_000))


def test_consigned_item_goes_back_to_its_owner_or_to_the_group_with_consent(ctx):
    item = consigned(ctx)
    for kind in (DisposalKind.WRITTEN_OFF, DisposalKind.DONATED_ONWARD):
        with pytest.raises(InvalidInput):
            svc.dispose(ctx, item, kind, by=boss(ctx), at=AT, tz=HANOI)
    with pytest.raises(InvalidInput) as caught:
        svc.dispose(ctx, item, DisposalKind.GIVEN_TO_GROUP, by=boss(ctx), at=AT, tz=HANOI)
    assert caught.value.field == "owner_consents"
    svc.dispose(
        ctx,
        item,
        DisposalKind.GIVEN_TO_GROUP,
        by=boss(ctx),
        at=AT,
        owner_consents=True,
        note="chị Ngọc đồng ý",
        tz=HANOI,
    )
    assert item.owner_id is None and item.in_stock and item.consignor_bp == 7000
    svc.dispose(ctx, item, DisposalKind.WRITTEN_OFF, by=boss(ctx), at=AT, tz=HANOI)
    assert item.status == ItemStatus.WRITTEN_OFF and not item.in_stock
    with pytest.raises(InvalidInput):
        svc.change_price(ctx, item, 1000, by=boss(ctx), at=AT, reason="x", tz=HANOI)


def test_returned_item_leaves_stock_once(ctx):
    item = consigned(ctx)
    svc.dispose(ctx, item, DisposalKind.RETURNED_TO_OWNER, by=boss(ctx), at=AT, tz=HANOI)
    assert item.status == ItemStatus.RETURNED_TO_OWNER
    with pytest.raises(InvalidInput):
        svc.dispose(ctx, item, DisposalKind.RETURNED_TO_OWNER, by=boss(ctx), at=AT, tz=HANOI)
    assert len(svc.disposals_of(ctx, item)) == 1


def test_search_by_code_words_without_accents_category_size_status_owner(ctx):
    intake = donation(ctx)
    jacket = svc.add_item(ctx, intake, svc.ItemDetails("Áo khoác", 80_000, "Áo khoác gió", "L"))
    svc.add_item(ctx, intake, svc.ItemDetails("Quần", 25_000, "Quần jean xanh", "28"))
    dress = consigned(ctx)

    def codes(**kw):
        return [i.code for i in svc.search_items(ctx, svc.StockQuery(**kw)).items]

    assert codes(text="ao khoac") == [jacket.code]
    assert codes(text="GIÓ") == [jacket.code]
    assert codes(text="jean 28") == ["10019"]
    assert codes(text=jacket.code) == [jacket.code]
    assert codes(size="l") == [jacket.code]
    assert codes(category_id=jacket.category_id) == [jacket.code]
    assert codes(owner_id=dress.owner_id) == [dress.code]
    assert codes(text="100%_") == []
    svc.dispose(ctx, dress, DisposalKind.RETURNED_TO_OWNER, by=boss(ctx), at=AT, tz=HANOI)
    assert dress.code not in codes()
    assert codes(status=ItemStatus.RETURNED_TO_OWNER) == [dress.code]
    assert svc.find_code(ctx, " 10008 ") == "10008" and svc.find_code(ctx, "nope") is None


def test_search_pages(ctx):
    intake = donation(ctx)
    for n in range(45):
        svc.add_item(ctx, intake, svc.ItemDetails("Áo", 1000 + n))
    first = svc.search_items(ctx, svc.StockQuery(), page=1, per_page=20)
    third = svc.search_items(ctx, svc.StockQuery(), page=3, per_page=20)
    assert (first.total, first.pages, len(first.items), len(third.items)) == (45, 3, 20, 5)


def test_summary_counts_pieces_and_value_by_category(ctx):
    intake = donation(ctx)
    svc.add_item(ctx, intake, svc.ItemDetails("Áo", 50_000))
    svc.add_item(ctx, intake, svc.ItemDetails("Áo", 30_000))
    svc.add_lot(ctx, intake, svc.LotDetails("Phụ kiện", 10_000, 12))
    rows = {r.category: (r.count, r.value_dong) for r in svc.stock_summary(ctx)}
    assert rows == {"Áo": (2, 80_000), "Phụ kiện": (12, 120_000)}


def test_clearance_list_holds_items_ninety_days_old(ctx):
    old = svc.add_item(
        ctx, donation(ctx, at=datetime(2026, 8, 1, 2, tzinfo=UTC)), svc.ItemDetails("Áo", 50_000)
    )
    svc.add_item(ctx, donation(ctx), svc.ItemDetails("Áo", 50_000))
    query = svc.clearance_query(date(2026, 10, 30), DEFAULT_POLICY)
    assert [i.code for i in svc.search_items(ctx, query).items] == [old.code]


def test_my_items(ctx):
    dress = consigned(ctx)
    svc.add_item(ctx, donation(ctx), svc.ItemDetails("Áo", 50_000))
    ngoc = member_service.get_member(ctx, 2)
    assert [i.code for i in svc.consigned_by(ctx, ngoc)] == [dress.code]


def test_price_suggestions(ctx):
    category = svc.ensure_category(ctx, "Áo")
    svc.set_price_suggestion(ctx, category.id, Condition.GOOD, 50_000)
    svc.set_price_suggestion(ctx, category.id, Condition.FAIR, 30_000)
    svc.set_price_suggestion(ctx, category.id, Condition.FAIR, None)
    assert svc.price_suggestions(ctx) == {(category.id, "good"): 50_000}


def test_codes_stay_unique_when_several_people_record_items_at_once(app, coordinator):
    """Four phones entering a bag each at the same moment: every code is different."""
    with app.app_context(), app.test_request_context():
        intake = donation(db.session)
        db.session.commit()
        intake_id = intake.id
    errors, barrier = [], threading.Barrier(4)

    def enter(index):
        try:
            with app.app_context(), app.test_request_context():
                from shop.models import Intake

                barrier.wait(5)
                for n in range(5):
                    target = db.session.get(Intake, intake_id)
                    svc.add_item(db.session, target, svc.ItemDetails("Áo", 1000 * (index + 1) + n))
                    db.session.commit()
        except Exception as error:  # pragma: no cover - the failure being tested for
            errors.append(error)

    threads = [threading.Thread(target=enter, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        codes = list(db.session.scalars(select(Item.code)))
        assert len(codes) == len(set(codes)) == 20
        assert all(has_valid_check_digit(code) for code in codes)
        assert db.session.scalar(select(func.count(PriceChange.id))) == 0
