from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shop.extensions import db
from tests.conftest import save_shop


@pytest.fixture
def stocked(app, coordinator, member):
    """Items A (50.000), B (Ngọc's, 120.000), C (Út-less: group, 35.000), a lot SOCKS ×5."""
    from shop.models import IntakeKind
    from shop.services import members as svc
    from shop.services import stock

    with app.app_context(), app.test_request_context():
        hong = svc.get_member(db.session, 1)
        at, tz = datetime(2026, 11, 15, 2, tzinfo=UTC), ZoneInfo("Asia/Ho_Chi_Minh")
        donation = stock.receive_intake(
            db.session, stock.IntakeDetails(IntakeKind.DONATION, at), by=hong, tz=tz
        )
        stock.add_item(db.session, donation, stock.ItemDetails("Áo", 50_000, "Áo sơ mi", code="A"))
        stock.add_item(db.session, donation, stock.ItemDetails("Áo", 35_000, "Áo phông", code="C"))
        stock.add_lot(
            db.session, donation, stock.LotDetails("Phụ kiện", 10_000, 5, "Tất", code="SOCKS")
        )
        consigned = stock.receive_intake(
            db.session,
            stock.IntakeDetails(IntakeKind.CONSIGNMENT, at, owner_number=2),
            by=hong,
            tz=tz,
        )
        stock.add_item(
            db.session, consigned, stock.ItemDetails("Váy", 120_000, "Váy hoa", code="B")
        )
        save_shop(db.session)
        db.session.commit()
