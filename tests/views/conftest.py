from datetime import UTC, datetime

import pytest

from shop.extensions import db
from tests.conftest import save_shop
from tests.factories import consigned, donated


@pytest.fixture
def stocked(app, coordinator, member):
    """Items A (50.000), B (Ngọc's, 120.000), C (Út-less: group, 35.000), a lot SOCKS ×5."""
    with app.app_context(), app.test_request_context():
        at = datetime(2026, 11, 15, 2, tzinfo=UTC)
        donated(
            db.session, at, A=("Áo", 50_000, "Áo sơ mi"), C=("Áo", 35_000, "Áo phông"),
            SOCKS=("Phụ kiện", 10_000, 5, "Tất"),
        )  # fmt: skip
        consigned(db.session, at, 2, B=("Váy", 120_000, "Váy hoa"))
        save_shop(db.session)
        db.session.commit()
