"""The database itself refuses what the forms refuse: even a bug in the code cannot write a
negative price, a second sale of one item, a lot below zero or money that does not add up."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shop.extensions import db

REFUSED = [
    ("a negative price", "UPDATE item SET price_dong = -1 WHERE code = 'A'"),
    ("a lot below zero", "UPDATE item SET quantity_on_hand = -1 WHERE code = 'G'"),
    ("parts not adding up", "UPDATE sale SET cash_dong = cash_dong + 1 WHERE number = 1"),
    ("change short of the cash", "UPDATE sale SET tendered_dong = 0 WHERE number = 1"),
    ("a negative line", "UPDATE sale_line SET net_dong = -5"),
    ("a refund of nothing", "UPDATE refund SET amount_dong = 0"),
    ("an expense of nothing", "UPDATE expense SET amount_dong = 0"),
    ("a payout of nothing", "UPDATE payout SET amount_dong = 0"),
    ("a rate above 100%", "UPDATE item SET consignor_bp = 10001 WHERE code = 'B'"),
    ("a due that does not add up", "UPDATE closed_month_member SET due_dong = due_dong + 1"),
    ("a sale line of no item", "UPDATE sale_line SET item_id = 999999"),
    ("a second sale of one item",
     "INSERT INTO sale_line (sale_id, position, item_id, stock_round, quantity, tag_price_dong,"
     " unit_price_dong, discount_dong, discount_reason, sale_discount_dong, net_dong)"
     " SELECT (SELECT id FROM sale WHERE number = 2), 9, item_id, stock_round, quantity,"
     " tag_price_dong, unit_price_dong, 0, '', 0, net_dong FROM sale_line"
     " WHERE item_id = (SELECT id FROM item WHERE code = 'A')"),
    ("a shift closing before it opened",
     "UPDATE shift SET closed_at = '2000-01-01 00:00:00' WHERE closed_at IS NOT NULL"),
]  # fmt: skip


@pytest.fixture
def shop_with_a_lot(app, trial):
    from shop.models import IntakeKind
    from shop.services import members, stock

    with app.app_context(), app.test_request_context():
        hong = members.get_member(db.session, 1)
        from datetime import UTC, datetime

        intake = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.DONATION, datetime(2027, 2, 2, 2, tzinfo=UTC)),
            by=hong,
            tz=app.config["SHOP_TZ"],
        )
        stock.add_lot(db.session, intake, stock.LotDetails("Phụ kiện", 10_000, 5, "Tất", code="G"))
        db.session.commit()


@pytest.mark.parametrize("what, statement", REFUSED, ids=[what for what, _ in REFUSED])
def test_the_database_refuses(app, shop_with_a_lot, what, statement):
    with app.app_context():
        with pytest.raises(IntegrityError):
            result = db.session.execute(text(statement))
            assert result.rowcount != 0, f"nothing to change for {what}"
            db.session.flush()
        db.session.rollback()
