"""The shop's settings rows (its profile, its printers', its bank feed's) are read once in a
transaction, whether saved or not, and a save in the same transaction is seen at once."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from shop.database import settings_row
from shop.extensions import db
from shop.models import BankSettings, ShopProfile
from shop.services import bank
from shop.services import members as member_service


@contextmanager
def statements(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_settings_row_never_saved_is_asked_for_once_a_transaction(app):
    with app.app_context():
        session = db.session
        with statements(db.engine) as seen:
            for _ in range(3):
                assert member_service.shop_profile(session) is None
                assert bank.bank_settings(session).code_prefix  # the defaults
        assert len(seen) == 2, seen  # one for the profile, one for the bank's
        session.rollback()
        with statements(db.engine) as seen:
            member_service.shop_profile(session)
        assert len(seen) == 1, "a new transaction asks again"


def test_a_settings_row_saved_in_the_transaction_is_seen_at_once(app):
    with app.app_context():
        session = db.session
        assert member_service.shop_profile(session) is None
        member_service.save_shop_profile(session, "  Tiệm Đồ Cũ  ")
        assert member_service.shop_profile(session).name == "Tiệm Đồ Cũ"
        session.commit()
        profile = settings_row(session, ShopProfile)
        profile.name = "Tiệm mới"
        session.flush()
        assert settings_row(session, ShopProfile).name == "Tiệm mới"
        assert settings_row(session, BankSettings) is None
        session.add(BankSettings(id=1, provider="", base_url="", code_prefix="AB", check_days=3,
                                 sepay_webhook_key="", sepay_api_token="", casso_api_key="",
                                 casso_checksum_key=""))  # fmt: skip
        session.flush()
        assert bank.bank_settings(session).code_prefix == "AB"
        session.rollback()


def test_a_savepoint_released_keeps_what_was_read_and_one_rolled_back_forgets_it(app):
    """A savepoint (a stock count opened in one, say) used to forget what the transaction
    had read when it ended, so the settings were asked again. Released, nothing is undone:
    they stay read. Rolled back, a save inside it is undone, and so is what was read of it."""
    with app.app_context():
        session = db.session
        member_service.save_shop_profile(session, "Tiệm Đồ Cũ")
        session.commit()
        assert member_service.shop_profile(session).name == "Tiệm Đồ Cũ"
        with statements(db.engine) as seen:
            with session.begin_nested():
                assert member_service.shop_profile(session).name == "Tiệm Đồ Cũ"
            assert member_service.shop_profile(session).name == "Tiệm Đồ Cũ"
        assert seen == [], "read once, before the savepoint"
        savepoint = session.begin_nested()
        member_service.save_shop_profile(session, "Tiệm khác")
        assert member_service.shop_profile(session).name == "Tiệm khác"
        savepoint.rollback()
        with statements(db.engine) as seen:
            assert member_service.shop_profile(session).name == "Tiệm Đồ Cũ"
        assert len(seen) == 1, "asked again after the rollback"
        session.rollback()
