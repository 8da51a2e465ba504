"""A shop with a bank account, items on the rail and an open shift; the fake bank."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reliability.fakebank import FakeBank
from shop.domain import bank as rules
from shop.extensions import db
from shop.services import bank
from shop.services import counter as svc
from shop.services import members as member_service
from tests import factories
from tests.conftest import save_shop
from tests.factories import donated

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
#: The shop's clock in these tests (the ``clock`` fixture's moment).
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
KEYS = {
    "sepay_webhook_key": "sepay-webhook-key-1234",
    "sepay_api_token": "sepay-api-token-5678",
    "casso_api_key": "casso-api-key-9012",
    "casso_checksum_key": "casso-checksum-key-3456",
}
ITEMS = 40


@pytest.fixture
def shop(app, coordinator, member, clock):
    """The session of a shop with :data:`ITEMS` items of 54 000 đ and an open shift."""
    with app.app_context(), app.test_request_context():
        session = db.session
        save_shop(session)
        stocked = {f"K{index:03d}": ("Áo", 54_000) for index in range(ITEMS)}
        donated(session, NOW - timedelta(days=2), **stocked)
        hong = member_service.get_member(session, 1)
        svc.open_shift(session, hong, 100_000, at=NOW - timedelta(hours=1), tz=HANOI)
        session.commit()
        yield session


@pytest.fixture
def fake():
    with FakeBank(sepay_token=KEYS["sepay_api_token"], casso_key=KEYS["casso_api_key"]) as bank_:
        yield bank_


def hong(session):
    return member_service.get_member(session, 1)


def sell(session, *, transfer=True, at=None, code=None):
    """A sale of one item (the next one on the rail), paid by transfer unless told; committed."""
    from sqlalchemy import func, select

    from shop.models import Sale

    if code is None:
        count = session.scalar(select(func.count(Sale.id)))
        code = f"K{count:03d}"
    sale = factories.sell(session, code, at=at or NOW, all_by_transfer=transfer)
    session.commit()
    return sale


def code_of(sale) -> str:
    return rules.sale_code(sale.number)


def use(session, provider, base_url="", **keys):
    """The coordinator sets the feed (with every test key unless ``keys`` are given)."""
    bank.save_settings(
        session,
        by=hong(session),
        at=NOW - timedelta(days=1),
        provider=provider,
        base_url=base_url,
        new_keys=keys or KEYS,
    )
    session.commit()
