"""A statement's details add up to the member's figures of the month, to the đồng."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from shop.domain.count import DecisionKind
from shop.extensions import db
from shop.messages import in_words, not_found_at_count
from shop.services import counts, statements
from shop.services import members as member_service
from shop.services import month as month_service


@pytest.mark.parametrize("month", ["2026-11", "2026-12", "2027-01"])
def test_details_add_up_to_her_figures(app, trial, month):
    with app.test_request_context():
        every = statements.statements(db.session, month, app.config["SHOP_TZ"])
        assert [s.member.number for s in every] == [
            m.member for m in every[0].month_figures.members
        ]
        for s in every:
            mine = s.mine
            assert s.sold_split_dong - s.refund_loss_dong == mine.consignment_dong
            assert sum(shift.minutes for shift in s.shifts) == mine.work_minutes
            assert sum(p.amount_dong for p in s.payouts) == mine.paid_dong
            assert s.compensation_dong == mine.compensation_dong
            assert mine.earned_dong == (
                mine.consignment_dong
                + mine.compensation_dong
                + mine.equal_share_dong
                + mine.work_share_dong
            )


def test_ngoc_gives_back_exactly_what_she_got_for_the_dress(app, trial):
    with app.test_request_context():
        ngoc = statements.member_by_number(db.session, 2)
        november = statements.statement(db.session, ngoc, "2026-11", app.config["SHOP_TZ"])
        december = statements.statement(db.session, ngoc, "2026-12", app.config["SHOP_TZ"])
    assert [(line.code, line.net_dong, line.split_dong) for line in november.sold] == [
        ("B", 110_000, 77_000)
    ]
    assert [(r.code, r.amount_dong, r.loss_dong) for r in december.refunds] == [
        ("B", 110_000, 77_000)
    ]


def lose_the_dress(app):
    """Ngọc's dress B, back on the rail since December's refund, is not found at the stock
    count closed on 5 February 2027 (the only item on the rail): lost, and paid to her
    (42.000, her 70 % of its 60.000 price then)."""
    tz = app.config["SHOP_TZ"]
    hong = member_service.get_member(db.session, 1)
    count = counts.open_count(db.session, by=hong, at=datetime(2027, 2, 5, 2, tzinfo=UTC))
    at = datetime(2027, 2, 5, 4, tzinfo=UTC)
    lines = counts.result(db.session, count, at=at, tz=tz)
    assert [(line.code, line.item.owner.number) for line in lines] == [("B", 2)]
    (decision,) = counts.close_count(
        db.session, count, {"B": counts.Decided(DecisionKind.LOST, "tìm cả kho")},
        by=hong, at=at, tz=tz, lost_reason=not_found_at_count(count.number),
    )  # fmt: skip
    db.session.commit()
    return decision


def test_her_lost_item_is_a_line_of_her_statement_with_its_reason(app, trial):
    with app.test_request_context():
        decision = lose_the_dress(app)
        # 120.000 at half price after 60 days in stock (96 days by 5 February): 60.000;
        # her 70 % of it.
        assert (decision.value_dong, decision.compensation_dong) == (60_000, 42_000)
        tz = app.config["SHOP_TZ"]
        ngoc = statements.member_by_number(db.session, 2)
        february = statements.statement(db.session, ngoc, "2027-02", tz)
        (line,) = february.compensations
        assert (line.code, line.amount_dong, line.paid_on, line.count_number) == (
            "B", decision.compensation_dong, date(2027, 2, 5), 1,
        )  # fmt: skip
        assert line.description == "Váy · Váy liền hoa nhí" and line.note == "tìm cả kho"
        with force_locale("vi"):
            assert str(in_words(line.reason)) == "Mất khi kiểm kê đợt 1"
        with force_locale("en"):
            assert str(in_words(line.reason)) == "Lost at stock count 1"
        assert february.mine.compensation_dong == decision.compensation_dong
        assert february.compensation_dong == decision.compensation_dong
        # Nobody else's statement has it, nor any other month's.
        ut = statements.member_by_number(db.session, 3)
        assert statements.statement(db.session, ut, "2027-02", tz).compensations == ()
        assert statements.statement(db.session, ngoc, "2027-01", tz).compensations == ()
        # Every statement of February still adds up, hers with the compensation.
        for s in statements.statements(db.session, "2027-02", tz):
            assert s.compensation_dong == s.mine.compensation_dong
        figures = month_service.month_figures(db.session, "2027-02", tz)
        assert figures.compensation_total_dong == decision.compensation_dong
