"""A statement's details add up to the member's figures of the month, to the đồng."""

import pytest

from shop.extensions import db
from shop.services import statements


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
            assert mine.earned_dong == (
                mine.consignment_dong + mine.equal_share_dong + mine.work_share_dong
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
